"""`ledgerline load` drives a marketplace mix against a deployment by URL and key, within its
bounds, and reports what it measured."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.support.orders import platform_ready
from tests.support.processes import PROCESS_START_TIMEOUT_S
from tests.support.stack import MASTER_KEY, Stack

pytestmark = pytest.mark.e2e


def test_a_bounded_load_run_reports_throughput_and_latency_per_command(stack: Stack) -> None:
    platform_ready(stack)  # escrows need the platform wallet
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "interfaces.cli",
            "load",
            "--url",
            stack.base_url,
            "--key",
            MASTER_KEY,
            "--rate",
            "2",
            "--count",
            "8",
            "--duration",
            "30",
            "--users",
            "3",
            "--mix",
            "order=1,withdrawal=1,deposit=1,read=1,user=1",
            "--seed",
            "7",
            "--json",
        ],
        env=os.environ,
        capture_output=True,
        text=True,
        timeout=PROCESS_START_TIMEOUT_S + 300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads(done.stdout)
    assert summary["seed"] == 7
    assert sum(summary["scenarios"].values()) == 8
    assert summary["errors"] == []
    commands = {row["command"]: row for row in summary["perCommand"]}
    assert "POST /users" in commands and "GET /users/{id}/balance" in commands
    assert all(0 < row["p50Ms"] <= row["p99Ms"] <= row["maxMs"] for row in commands.values())
    assert "scenarios" in done.stderr  # the progress line
