"""A minimal AirTM V2 client for the sandbox's own tests (the product's adapter is tested apart,
in tests/integration/test_airtm_adapter.py): Basic auth, JSON in and out, and the control and
checkout calls a test makes as the payer or the operator."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from sandbox.app import DEFAULT_AIRTM_API_KEY, DEFAULT_AIRTM_API_SECRET
from sandbox.server import SandboxServer

_emails = itertools.count(1)
_codes = itertools.count(1)


def unique_email(prefix: str = "payer") -> str:
    return f"{prefix}-{next(_emails)}@sandbox.example"


def unique_code(prefix: str = "code") -> str:
    return f"{prefix}-{next(_codes)}"


class AirtmTestClient:
    def __init__(self, sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        self.api = httpx.Client(
            base_url=sandbox.airtm_url,
            auth=(DEFAULT_AIRTM_API_KEY, DEFAULT_AIRTM_API_SECRET),
            timeout=10.0,
        )
        self.control = httpx.Client(base_url=sandbox.airtm_control_url, timeout=10.0)

    def close(self) -> None:
        self.api.close()
        self.control.close()

    def add_user(self, email: str | None = None, **fields: Any) -> dict[str, Any]:
        answer = self.control.post("/users", json={"email": email or unique_email(), **fields})
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def create_payin(self, amount: float = 10.0, code: str | None = None) -> dict[str, Any]:
        answer = self.api.post("/payins", json=payin_body(amount, code or unique_code("payin")))
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def click(self, payin_id: str, action: str, email: str | None = None) -> httpx.Response:
        return httpx.post(
            f"{self.sandbox.airtm_checkout_url}/payin/{payin_id}",
            json={"action": action, "email": email},
        )

    def create_payout(self, email: str, amount: float = 5.0, **fields: Any) -> dict[str, Any]:
        body = {"airtmUserEmail": email, "amount": amount, "notes": "Withdrawal", **fields}
        body.setdefault("code", unique_code("payout"))
        answer = self.api.post("/payouts", json=body)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def advance(self, seconds: float) -> None:
        httpx.post(f"{self.sandbox.control_url}/clock", json={"advance_s": seconds})
        self.control.post("/tick")

    def state(self) -> dict[str, Any]:
        return dict(self.control.get("/state").json())


def payin_body(amount: float, code: str) -> dict[str, Any]:
    return {
        "code": code,
        "amount": amount,
        "description": "Balance top-up",
        "items": [{"description": "Balance top-up", "amount": amount, "quantity": 1}],
        "confirmationUri": "https://market.example/topups/callback?status=confirmed",
        "cancelUri": "https://market.example/topups/callback?status=canceled",
    }
