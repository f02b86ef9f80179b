"""How operator commands report: a table or a few lines for a person, or with `--json` one JSON
document on stdout for a script; long work shows a progress bar on stderr (a terminal only:
click draws nothing when stderr is not one), so stdout stays the report alone."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

json_option: Decorator = click.option(
    "--json", "as_json", is_flag=True, help="Print the report as one JSON document."
)


def emit_json(document: Any) -> None:
    click.echo(json.dumps(document, default=str))


@contextmanager
def position_bar(head: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar over log positions 0…head; the callback takes the position reached."""
    # Typed loosely: click's overloads do not resolve a bar built from a length alone.
    progress: Any = click.progressbar(length=max(head, 1), label=label, file=sys.stderr)
    with progress as bar:
        done = [0]

        def reached(position: int) -> None:
            step = min(position, head) - done[0]
            if step > 0:
                bar.update(step)
                done[0] += step

        yield reached
