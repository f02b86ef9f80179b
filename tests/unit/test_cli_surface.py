"""The `ledgerline` command as an operator meets it: every option explains itself, and every
command that prints a table or a report can print it as JSON instead."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest

from interfaces.cli.main import cli

pytestmark = pytest.mark.unit

# Commands whose output is a table or a report a script may want to read.
REPORTING = {
    "audit verify",
    "audit replay",
    "backup",
    "bootstrap",
    "keys create",
    "keys list",
    "load",
    "projections rebuild",
    "projections status",
    "reconcile",
    "restore",
    "sagas list",
}


def commands(group: click.Group = cli, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    for name, command in sorted(group.commands.items()):
        path = f"{prefix}{name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from commands(command, f"{path} ")


def test_every_option_of_every_command_has_help() -> None:
    missing = [
        f"{path} {option.opts[0]}"
        for path, command in [("ledgerline", cli), *commands()]
        for option in command.params
        if isinstance(option, click.Option) and not option.help and "--help" not in option.opts
    ]
    assert missing == []


def test_every_command_that_prints_a_table_or_a_report_has_json() -> None:
    known = dict(commands())
    assert set(known) >= REPORTING
    without = [
        path
        for path in sorted(REPORTING)
        if not any("--json" in p.opts for p in known[path].params if isinstance(p, click.Option))
    ]
    assert without == []


def test_every_command_says_what_it_does() -> None:
    assert [path for path, command in commands() if not command.help] == []
