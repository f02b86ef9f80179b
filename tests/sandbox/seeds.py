"""The seed of a sandbox test run: `SANDBOX_SEED=<n>` reproduces a failing run."""

from __future__ import annotations

import os

DEFAULT_SEED = 20261122


def sandbox_seed() -> int:
    return int(os.environ.get("SANDBOX_SEED", DEFAULT_SEED))
