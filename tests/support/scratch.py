"""Scratch directories for servers a test starts itself, under the repository's var/test.

Not pytest's tmp_path: run as root, the embedded PostgreSQL runs as another user and needs to
traverse its parents, and every pytest session on the machine resets /tmp/pytest-of-root to
0700 when it starts — a neighbour's session would lock our server out of its own data.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TEST_VAR = Path(__file__).resolve().parents[2] / "var" / "test"


@contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A fresh directory, removed afterwards."""
    path = TEST_VAR / f"{prefix}-{uuid.uuid4().hex[:12]}"
    path.mkdir(parents=True)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
