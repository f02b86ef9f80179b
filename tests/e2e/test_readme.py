"""The README's walk-through, pasted as a newcomer would: `ledgerline up` (what `make run`
runs once installed) on a fresh var/, then every fenced `bash` block between the README's
"walk-through: begin" and "walk-through: end" comments, verbatim, in order, in one bash
session. Each line commented `# → X` must print X. Afterwards Ctrl+C (SIGINT to `up`'s process
group, as a terminal sends it) stops the tree within a few seconds, exit 0, with no traceback
and no CRITICAL line. The blocks are read from the README at test time, so the two cannot
drift apart."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.processes import PROCESS_START_TIMEOUT_S
from tests.support.stack import free_port
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

README = Path(__file__).resolve().parents[2] / "README.md"
BEGIN, END = "<!-- walk-through: begin", "<!-- walk-through: end -->"
FENCE = re.compile(r"^```bash\n(.*?)^```$", re.MULTILINE | re.DOTALL)
EXPECTED = re.compile(r"#\s*→\s*(.+?)\s*$")
# `up` starts four processes that each import stellar-sdk, then waits for readiness.
UP_WITHIN_S = 3 * PROCESS_START_TIMEOUT_S
WALK_THROUGH_TIMEOUT_S = 600
# Ctrl+C: each service's own bound is longer, but with nothing in flight they stop at once.
STOPPED_WITHIN_S = 30


@dataclass(frozen=True)
class Block:
    number: int
    code: str

    @property
    def expected(self) -> list[str]:
        return [m.group(1) for line in self.code.splitlines() if (m := EXPECTED.search(line))]


def walk_through_blocks(text: str) -> list[Block]:
    """The rule the README states: fenced `bash` blocks between the two markers."""
    section = text[text.index(BEGIN) : text.index(END)]
    return [Block(n, m.group(1)) for n, m in enumerate(FENCE.finditer(section), start=1)]


def test_the_walk_through_has_blocks_and_promises_outputs() -> None:
    blocks = walk_through_blocks(README.read_text())
    assert len(blocks) >= 4
    assert all(block.expected for block in blocks[1:]), "each block after the first checks itself"


def test_the_readme_walk_through_passes_when_pasted_and_ctrl_c_stops_the_tree(
    tmp_path: Path,
) -> None:
    port, sandbox_port = free_port(), free_port()
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LEDGERLINE_", "DATABASE_URL", "REDIS_URL", "STELLAR_", "OTEL_"))
        and key not in ("LOG_LEVEL", "LOG_FORMAT", "PORT", "TRUSTLESS_API_URL")
    }
    log = tmp_path / "up.log"
    with log.open("wb") as sink:
        up = subprocess.Popen(
            [sys.executable, "-m", "interfaces.cli", "up"],
            cwd=tmp_path,
            env={**environ, "PORT": str(port), "LEDGERLINE_SANDBOX_PORT": str(sandbox_port)},
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group, as a terminal's foreground job
        )
    try:
        wait_until(
            lambda: b"Ledgerline is up" in log.read_bytes() or up.poll() is not None,
            timeout_s=UP_WITHIN_S,
            interval_s=0.5,
            message="`ledgerline up` to say it is up",
        )
        assert up.poll() is None, log.read_text()
        assert b"Ledgerline is up" in log.read_bytes(), log.read_text()
        _walk_through(tmp_path, f"http://127.0.0.1:{port}/api/v1")
    finally:
        stopped_at = time.monotonic()
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGINT)
        try:
            up.wait(timeout=STOPPED_WITHIN_S)
        except subprocess.TimeoutExpired:
            os.killpg(up.pid, signal.SIGKILL)
            up.wait()
            pytest.fail(f"Ctrl+C did not stop the tree in {STOPPED_WITHIN_S} s:\n{log.read_text()}")
    output = log.read_text()
    assert time.monotonic() - stopped_at < STOPPED_WITHIN_S
    assert up.returncode == 0, output
    assert "Traceback" not in output, output
    assert "CRITICAL" not in output, output
    assert "stopped in" in output, output


def _walk_through(directory: Path, api: str) -> None:
    blocks = walk_through_blocks(README.read_text())
    script = ["set -euo pipefail"]
    for block in blocks:
        script += [f"echo '@@ block {block.number}'", block.code]
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=directory,
        env={**os.environ, "LEDGERLINE_API": api},
        capture_output=True,
        text=True,
        timeout=WALK_THROUGH_TIMEOUT_S,
        check=False,
    )
    printed = _printed_by_block(done.stdout)
    failed_in = max(printed, default=0)
    assert done.returncode == 0, (
        f"block {failed_in} failed (exit {done.returncode}):\n"
        f"{blocks[failed_in - 1].code if failed_in else ''}\n--- stdout\n{done.stdout}"
        f"\n--- stderr\n{done.stderr}"
    )
    for block in blocks:
        _in_order(block, printed.get(block.number, []))


def _printed_by_block(stdout: str) -> dict[int, list[str]]:
    printed: dict[int, list[str]] = {}
    current = 0
    for line in stdout.splitlines():
        if line.startswith("@@ block "):
            current = int(line.removeprefix("@@ block "))
            printed[current] = []
        elif current:
            printed[current].append(line.strip())
    return printed


def _in_order(block: Block, lines: list[str]) -> None:
    """Every `# → X` of the block is a line it printed, in the block's order."""
    remaining = iter(lines)
    for expected in block.expected:
        assert any(line == expected for line in remaining), (
            f"block {block.number} should print {expected!r} (in order); it printed {lines}"
        )
