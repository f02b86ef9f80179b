"""`make bench` keeps working: a short run prints its three measures and their ratios."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
BENCH = Path(__file__).resolve().parents[2] / "ops" / "bench" / "run.py"
# Starting the sandbox and the API processes dominates; the measuring itself is a few seconds.
BENCH_TIMEOUT_S = 300


def test_a_short_bench_run_prints_every_measure_against_the_baseline(
    database_factory: object, redis_url: str
) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--clients", "2", "--seconds", "2"],
        env={**os.environ, "DATABASE_URL": database_factory(), "REDIS_URL": redis_url},  # type: ignore[operator]
        capture_output=True,
        text=True,
        timeout=BENCH_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {line[:40].strip(): line[40:].split() for line in done.stdout.splitlines()}
    for measure in (
        "raw psycopg INSERT+COMMIT (baseline)",
        "HTTP credit, one account per client",
        "HTTP credit, all clients one account",
    ):
        ops_per_s, p50_ms, p99_ms, ratio = map(float, rows[measure])
        assert ops_per_s > 0 and 0 < p50_ms <= p99_ms and ratio > 0
    assert rows["raw psycopg INSERT+COMMIT (baseline)"][-1] == "1.000"
