"""Invisible wallets: every user gets one, activated on chain by a saga that survives faults."""

from __future__ import annotations

import uuid

import pytest

from sandbox.faults.fault_rules import FRIENDBOT, HORIZON_SUBMIT
from tests.support.money import active_user, data_or_none
from tests.support.stack import Stack
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


def test_a_new_user_gets_a_wallet_that_becomes_active_on_chain(stack: Stack) -> None:
    user_id, address = active_user(stack)
    assert stack.sandbox is not None
    on_chain = stack.services.resources.network.account(address)
    assert on_chain is not None
    assert on_chain.trusts_usdc
    wallet = stack.client().get(f"/users/{user_id}/wallet").json()["data"]
    assert wallet["type"] == "INVISIBLE"
    assert wallet["isActive"] is True
    assert wallet["balance"] == {"usdc": "0.00", "xlm": wallet["balance"]["xlm"]}
    linked = stack.client().get(f"/users/{user_id}").json()["data"]["wallet"]
    assert linked == {"address": address, "status": "ACTIVE"}


def test_deposit_instructions_name_the_address_and_the_asset(stack: Stack) -> None:
    user_id, address = active_user(stack)
    body = stack.client().get(f"/users/{user_id}/wallet/deposit").json()["data"]
    assert body["address"] == address
    assert body["method"] == "stellar_address"
    assert stack.sandbox is not None
    assert body["asset"] == {"code": "USDC", "issuer": stack.sandbox.chain.usdc.issuer}


def test_wallet_transactions_come_from_the_chain(stack: Stack) -> None:
    user_id, _ = active_user(stack)
    records = stack.client().get(f"/users/{user_id}/wallet/transactions").json()["data"]
    assert {"create_account"} <= {r["type"] for r in records}
    assert all(r["hash"] for r in records)


def test_activation_recovers_from_a_faulty_friendbot_and_horizon(stack: Stack) -> None:
    assert stack.sandbox is not None
    faults = stack.sandbox.faults
    ids = [
        faults.inject({"route": FRIENDBOT, "mode": "http_error", "status": 503, "count": 2}),
        faults.inject({"route": HORIZON_SUBMIT, "mode": "timeout_after_apply", "count": 1}),
    ]
    try:
        user_id, address = active_user(stack, prefix="faulty")
    finally:
        for fault in ids:
            faults.remove(fault)
    assert stack.sandbox.chain.account(address) is not None
    sagas = stack.client().get("/admin/sagas", params={"status": ["DONE"], "limit": 100})
    assert any(s["userId"] == user_id and s["outcome"] == "ACTIVE" for s in sagas.json()["data"])


def test_an_activation_that_exhausts_its_retries_is_parked_then_retried(stack: Stack) -> None:
    assert stack.sandbox is not None
    fault = stack.sandbox.faults.inject(
        {"route": FRIENDBOT, "mode": "http_error", "status": 500, "count": None}
    )
    client = stack.client()
    try:
        user_id = client.post(
            "/users", json={"externalUserId": f"parked-{uuid.uuid4().hex}"}
        ).json()["data"]["id"]
        parked = wait_until(
            lambda: next(
                (
                    s
                    for s in client.get("/admin/sagas", params={"status": "PARKED"}).json()["data"]
                    if s["userId"] == user_id
                ),
                None,
            ),
            timeout_s=30,
            message="the activation to park",
        )
        assert parked["kind"] == "wallet_activation"
        assert parked["step"] == "fund"
    finally:
        stack.sandbox.faults.remove(fault)
    retried = client.post(f"/admin/sagas/{parked['id']}/retry")
    assert retried.status_code == 200, retried.text
    wait_until(
        lambda: (
            (data_or_none(client.get(f"/users/{user_id}/wallet")) or {}).get("status") == "ACTIVE"
        ),
        timeout_s=30,
        message="the retried activation to finish",
    )
    again = client.post(f"/admin/sagas/{parked['id']}/retry")
    assert again.status_code == 409
