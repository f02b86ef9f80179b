"""Sandbox fixtures: a real `SandboxServer` on a free port, reached over HTTP by real clients.

One server per module keeps the suite fast; tests that need a pristine chain (faults, state
files, rate limits) ask for `fresh_sandbox`. Every server is seeded; a failing test reports the
seed (`SANDBOX_SEED=<n>` reproduces the run).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.server import SandboxServer

from .seeds import sandbox_seed

# Generous enough that the suite never trips the 50/60 s limit except where a test means to.
TEST_REQUESTS_PER_WINDOW_MAX = 10_000


def start_sandbox(**options: Any) -> SandboxServer:
    options.setdefault("seed", sandbox_seed())
    options.setdefault("trustless_requests_per_window_max", TEST_REQUESTS_PER_WINDOW_MAX)
    return SandboxServer(**options).start()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    server = start_sandbox()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fresh_sandbox() -> Iterator[SandboxServer]:
    server = start_sandbox()
    try:
        yield server
    finally:
        server.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    funcargs = getattr(item, "funcargs", {})
    servers = [funcargs[name] for name in ("sandbox", "fresh_sandbox") if name in funcargs]
    if report.failed and servers:
        seeds = ", ".join(str(server.seed) for server in servers)
        report.sections.append(("sandbox", f"seed={seeds}  (rerun with SANDBOX_SEED={seeds})"))
