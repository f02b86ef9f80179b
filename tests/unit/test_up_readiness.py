"""`ledgerline up` says what it waits for, and names a stalled read model rather than wait."""

from __future__ import annotations

from typing import Any

import httpx

from interfaces.cli.readiness import still_waiting


def answering(projections: dict[str, Any]) -> httpx.Client:
    body = {"data": {"dependencies": {"database": {"status": "up"}}, "projections": projections}}
    return httpx.Client(transport=httpx.MockTransport(lambda _: httpx.Response(503, json=body)))


def test_a_stalled_projection_is_named_with_its_position_and_error() -> None:
    stall = {"position": 42, "error": "ValueError: no", "since": "2026-01-01T00:00:00Z"}
    http = answering(
        {
            "users": {"position": 41, "lag": 9, "needsRebuild": False, "stall": stall},
            "orders": {"position": 50, "lag": 0, "needsRebuild": False, "stall": None},
        }
    )
    assert still_waiting(http, "http://api", None, None) == [
        "read models to reach the log head (users cannot apply position 42: ValueError: no)"
    ]


def test_a_lagging_projection_is_named_with_its_lag() -> None:
    http = answering({"users": {"position": 1, "lag": 3, "needsRebuild": False}})
    assert still_waiting(http, "http://api", None, None) == [
        "read models to reach the log head (users 3 behind)"
    ]
