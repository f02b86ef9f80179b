"""One bench run at a time on the embedded stores under var/bench: a second is refused at once
with the first one's pid, and may start once the first has released them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ops.bench.stack import RunLock, StackError

pytestmark = pytest.mark.unit


def test_a_second_run_is_refused_while_the_first_holds_the_stores_and_starts_once_released(
    tmp_path: Path,
) -> None:
    first, second = RunLock(tmp_path / "run.lock"), RunLock(tmp_path / "run.lock")
    first.acquire()

    with pytest.raises(StackError, match=f"another bench run \\(pid {os.getpid()}\\)"):
        second.acquire()

    first.release()
    second.acquire()
    assert (tmp_path / "run.lock").read_text() == f"{os.getpid()}\n"
    second.release()
