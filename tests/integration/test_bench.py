"""`make bench` keeps working: a short run measures every named measure, each next to a
baseline of the same run, and the table and the JSON file say the same thing.

Behaviour only: nothing here asserts a speed (non-negotiable 7); a measure merely has to be
present, positive and internally consistent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration
BENCH = Path(__file__).resolve().parents[2] / "ops" / "bench" / "run.py"
# Starting the sandbox, the API, the runner and a worker dominates; measuring is seconds.
BENCH_TIMEOUT_S = 600
MEASURES = (
    "raw_insert_commit",
    "pgbench",
    "sql_transfer_hot",
    "http_hello",
    "http_hello_wrk",
    "http_credit_spread",
    "http_credit_hot",
    "http_mixed",
    "http_credit_spread_with_runner",
    "projection_lag",
    "sse_commit_to_client",
    "raw_select_events",
    "log_decode",
    "rebuild_all",
)
# The binaries a run may lack; their rows are then skipped with a reason.
OPTIONAL = {"pgbench", "http_hello_wrk"}
REQUIRED_KEYS = {"ops_per_s", "p50_ms", "p99_ms", "ratio", "baseline"}
Run = tuple[str, dict[str, Any]]  # the printed table, the JSON file


@pytest.fixture(scope="module")
def short_run(
    database_factory: object, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Run:
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--clients",
            "2,3",
            "--seconds",
            "1",
            "--warmup",
            "0.5",
            "--json",
            str(out),
        ],
        env={
            **os.environ,
            "DATABASE_URL": database_factory(),  # type: ignore[operator]
            "REDIS_URL": redis_url,
            "BENCH_EVENTS": "3000",
            "BENCH_REBUILD_BUDGET_S": "5",
        },
        capture_output=True,
        text=True,
        timeout=BENCH_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, json.loads(out.read_text())


def test_a_short_run_measures_every_measure_with_the_five_keys(short_run: Run) -> None:
    _, results = short_run
    measures, skipped = results["measures"], results["skipped"]
    for name in MEASURES:
        if name in OPTIONAL and name in skipped:
            assert skipped[name], f"{name} skipped without a reason"
            continue
        assert name in measures, f"{name} missing from {sorted(measures)}"
        assert set(measures[name]) >= REQUIRED_KEYS, name
    assert "raw_insert_commit@3" in measures and "http_credit_spread@3" in measures


def test_every_measure_is_positive_and_its_percentiles_ordered(short_run: Run) -> None:
    _, results = short_run
    for name, m in results["measures"].items():
        assert m["ops_per_s"] > 0, name
        assert 0 < m["p50_ms"] <= m["p99_ms"], name
        assert m["ratio"] > 0, name


def test_every_ratio_is_computed_from_its_baseline_in_the_same_run(short_run: Run) -> None:
    _, results = short_run
    measures = results["measures"]
    for name, m in measures.items():
        base = measures[m["baseline"]]
        assert m["ratio"] == pytest.approx(m["ops_per_s"] / base["ops_per_s"], rel=1e-3), name
    for root in ("raw_insert_commit", "raw_select_events"):
        assert measures[root]["baseline"] == root and measures[root]["ratio"] == 1
    assert measures["http_credit_spread_with_runner"]["baseline"] == "http_credit_spread"
    assert measures["log_decode"]["baseline"] == "raw_select_events"
    assert measures["rebuild_all"]["baseline"] == "log_decode"
    assert measures["http_credit_spread@3"]["baseline"] == "raw_insert_commit@3"
    assert results["run"]["log"]["complete"], results["run"]["log"]


def test_commands_are_answered_without_errors_and_costs_are_reported(short_run: Run) -> None:
    _, results = short_run
    for name, m in results["measures"].items():
        assert m.get("errors", 0) == 0, (name, m.get("error_samples"))
        if name.startswith("http_credit") or name.startswith("http_mixed"):
            assert m["cpu_ms_per_op_api"] > 0 and m["pg_commits_per_op"] > 0, name
    mixed = results["measures"]["http_mixed"]["outcomes"]
    for op in ("credit", "debit", "order_create", "order_reserve", "order_cancel", "withdrawal"):
        assert any(key.startswith(op) for key in mixed), (op, mixed)


def test_the_table_prints_the_same_measures_as_the_json_file(short_run: Run) -> None:
    stdout, results = short_run
    rows = {}
    table = stdout.split("\n\n", 1)[0]  # the goals below it name measures too
    for line in table.splitlines():
        fields = line.split()
        if fields and fields[0] in results["measures"]:
            rows[fields[0]] = fields
    assert set(rows) == set(results["measures"])
    for name, fields in rows.items():
        m = results["measures"][name]
        assert float(fields[1]) == pytest.approx(m["ops_per_s"], abs=0.5)
        assert float(fields[5]) == pytest.approx(m["ratio"], abs=0.0005)
        assert fields[6] == m["baseline"]
