"""The fiat ramp end to end against the sandbox's AirTM: linking, top-ups confirmed at the
checkout and credited once, fiat withdrawals held then debited or returned, signed webhooks
applied once, and reconciliation catching up what webhooks never said."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest
from ledgerline_sdk import Ledgerline

from interfaces.bootstrap import public_api_url
from sandbox.faults.fault_rules import AIRTM_WEBHOOKS
from sandbox.server import SandboxServer
from tests.support.fiat import (
    airtm_stack,
    airtm_user,
    awaiting_topup,
    balance,
    click,
    linked_user,
    settle_at_airtm,
    wait_status,
)
from tests.support.stack import MASTER_KEY, Stack
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
SUCCEEDED = {"TOPUP_SUCCEEDED"}
SETTLED = {"WITHDRAWAL_COMPLETED", "WITHDRAWAL_FAILED", "WITHDRAWAL_CANCELED"}


@pytest.fixture(scope="module")
def stack(database_factory: object, redis_url: str, sandbox: SandboxServer) -> Iterator[Stack]:
    """Its own database: another stack on the same log (the session's, crypto only) would also
    relay the top-ups' saga messages to workers that have no AirTM."""
    with airtm_stack(database_factory(), redis_url, sandbox) as running:  # type: ignore[operator]
        yield running


@pytest.fixture(autouse=True)
def no_faults(sandbox: SandboxServer) -> Iterator[None]:
    sandbox.faults.clear()
    yield
    sandbox.faults.clear()


def event_types(stack: Stack, aggregate_id: str) -> list[str]:
    """The public events of `aggregate_id`, in log order (the first 100)."""
    stack.caught_up()
    page = stack.client().get("/events/log", params={"aggregateId": aggregate_id, "limit": 100})
    assert page.status_code == 200, page.text
    return [row["type"] for row in page.json()["data"] if row["public"]]


def test_a_user_links_an_eligible_airtm_account_once(stack: Stack) -> None:
    assert stack.sandbox is not None
    client = stack.client()
    user_id = client.post("/users", json={"externalUserId": "link-once"}).json()["data"]["id"]
    unverified = airtm_user(stack.sandbox, verified=False)
    refused = client.post(f"/users/{user_id}/airtm/link", json={"email": unverified})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "AIRTM_USER_INVALID"
    assert refused.json()["error"]["details"]["reason"] == "USER_NOT_VERIFIED"
    email = airtm_user(stack.sandbox)
    first = client.post(f"/users/{user_id}/airtm/link", json={"email": email})
    assert first.status_code == 201, first.text
    again = client.post(f"/users/{user_id}/airtm/link", json={"email": email})
    assert again.status_code == 200
    assert again.json()["data"]["airtmUserId"] == first.json()["data"]["airtmUserId"]
    other = client.post(f"/users/{user_id}/airtm/link", json={"email": airtm_user(stack.sandbox)})
    assert other.status_code == 409
    assert "user.airtm_linked" in event_types(stack, user_id)


def test_config_and_the_providers_say_how_money_moves(stack: Stack) -> None:
    config = stack.client().get("/config").json()["data"]
    assert config["providers"] == {"crypto": ["crypto"], "airtm": ["bank", "airtm_balance"]}
    assert config["limits"]["topup"] == {"min": "1.00", "max": "10000.00"}
    user_id, _ = linked_user(stack)
    providers = stack.services.use_cases.payment_providers
    crypto = providers["crypto"].deposit_instructions(user_id)
    assert (crypto.method, crypto.address is not None) == ("stellar_address", True)
    assert providers["airtm"].deposit_instructions(user_id).method == "redirect_uri"


def test_a_confirmed_topup_credits_its_net_amount_once(stack: Stack) -> None:
    user_id, email = linked_user(stack)
    topup = awaiting_topup(stack, user_id, "20")
    assert topup["confirmationUri"].startswith(stack.sandbox.airtm_checkout_url)  # type: ignore[union-attr]
    assert topup["fee"] == "0.20"
    clicked = click(topup, "confirm", email)
    assert clicked.status_code == 303
    # The payer lands on our callback (configured for PUBLIC_BASE_URL; here the test's port).
    configured = public_api_url(stack.services.settings)
    back = httpx.get(clicked.headers["location"].replace(configured, stack.base_url))
    assert back.status_code == 200, back.text
    assert back.json()["data"]["status"] == "TOPUP_PROCESSING"
    settle_at_airtm(stack)
    done = wait_status(stack, f"/topups/{topup['id']}", SUCCEEDED)
    assert done["credited"] == "19.80"
    refreshed = stack.client().post(f"/topups/{topup['id']}/refresh")
    assert refreshed.json()["data"]["status"] == "TOPUP_SUCCEEDED"
    assert balance(stack, user_id) == ("19.80", "0.00")
    assert event_types(stack, topup["id"]) == [
        "topup.created",
        "topup.awaiting_confirmation",
        "topup.processing",
        "topup.succeeded",
    ]
    listed = stack.client().get("/topups", params={"userId": user_id}).json()["data"]
    assert [t["id"] for t in listed] == [topup["id"]]


def test_topups_are_refused_without_a_link_outside_the_limits_or_past_cents(
    stack: Stack,
) -> None:
    client = stack.client()
    user_id = client.post("/users", json={"externalUserId": "no-link"}).json()["data"]["id"]
    unlinked = client.post("/topups", json={"userId": user_id, "amount": "5"})
    assert (unlinked.status_code, unlinked.json()["error"]["code"]) == (
        422,
        "AIRTM_USER_NOT_LINKED",
    )
    linked, _ = linked_user(stack)
    too_big = client.post("/topups", json={"userId": linked, "amount": "10000.01"})
    assert too_big.status_code == 422
    assert too_big.json()["error"]["code"] == "LIMIT_EXCEEDED"
    assert too_big.json()["error"]["details"]["limit"] == "topup"
    fine = client.post("/topups", json={"userId": linked, "amount": "5.001"})
    assert (fine.status_code, fine.json()["error"]["code"]) == (400, "INVALID_AMOUNT")


def test_a_canceled_topup_credits_nothing(stack: Stack) -> None:
    user_id, _ = linked_user(stack)
    topup = awaiting_topup(stack, user_id, "7")
    canceled = stack.client(Prefer="wait=20").post(f"/topups/{topup['id']}/cancel")
    assert canceled.status_code == 200, canceled.text
    assert canceled.json()["data"]["status"] == "TOPUP_CANCELED"
    assert stack.sandbox.airtm.payin(topup["airtmPayinId"]).status == "CANCELED"  # type: ignore[union-attr]
    again = stack.client().post(f"/topups/{topup['id']}/cancel")
    assert again.status_code == 409
    assert balance(stack, user_id) == ("0.00", "0.00")


def test_a_duplicated_webhook_credits_once_and_a_forged_one_is_refused(stack: Stack) -> None:
    assert stack.sandbox is not None
    stack.sandbox.faults.inject(
        {"route": f"{AIRTM_WEBHOOKS[:-1]}payin.confirmed", "mode": "webhook_duplicate"}
    )
    user_id, email = linked_user(stack)
    topup = awaiting_topup(stack, user_id, "10")
    click(topup, "confirm", email)
    settle_at_airtm(stack)
    wait_status(stack, f"/topups/{topup['id']}", SUCCEEDED)
    wait_until(
        lambda: [
            d
            for d in stack.sandbox.airtm_webhooks.deliveries()  # type: ignore[union-attr]
            if d["objectId"] == topup["airtmPayinId"]
            and d["duplicate"]
            and d["status"] == "delivered"
        ],
        message="the duplicate delivery",
    )
    assert balance(stack, user_id) == ("9.90", "0.00")
    body = json.dumps({"type": "payin.confirmed", "data": {"id": "x", "code": topup["id"]}})
    forged = httpx.post(
        f"{stack.base_url}/webhooks/airtm",
        content=body,
        headers={
            "content-type": "application/json",
            "svix-id": "msg_forged",
            "svix-timestamp": "1",
            "svix-signature": "v1,AAAA",
        },
    )
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "INVALID_SIGNATURE"


def test_reconciliation_applies_what_no_webhook_said(stack: Stack) -> None:
    assert stack.sandbox is not None
    stack.sandbox.faults.inject({"route": AIRTM_WEBHOOKS, "mode": "webhook_drop", "count": None})
    user_id, email = linked_user(stack)
    topup = awaiting_topup(stack, user_id, "4")
    click(topup, "confirm", email)
    settle_at_airtm(stack)
    report = stack.client().post("/admin/reconcile/airtm")
    assert report.status_code == 200, report.text
    assert report.json()["data"]["drifts"] == []
    assert stack.client().get(f"/topups/{topup['id']}").json()["data"]["status"] in SUCCEEDED
    assert balance(stack, user_id) == ("3.96", "0.00")


def test_a_fiat_withdrawal_holds_then_debits_once_it_completes(stack: Stack) -> None:
    assert stack.sandbox is not None
    user_id, email = linked_user(stack, credit="50")
    created = stack.client().post(
        "/withdrawals",
        json={"userId": user_id, "amount": "20", "destinationType": "airtm_balance",
              "destinationRef": email, "commit": False},
    )  # fmt: skip
    assert created.status_code == 202, created.text
    withdrawal = created.json()["data"]
    assert (withdrawal["status"], withdrawal["committed"]) == ("WITHDRAWAL_CREATED", False)
    assert balance(stack, user_id) == ("30.00", "20.00")
    wait_until(
        lambda: (
            stack.client().get(f"/withdrawals/{withdrawal['id']}").json()["data"]["airtmPayoutId"]
        ),
        message="the payout to be created at AirTM",
    )
    committed = stack.client().post(f"/withdrawals/{withdrawal['id']}/commit")
    assert committed.status_code == 202, committed.text
    wait_status(stack, f"/withdrawals/{withdrawal['id']}", {"WITHDRAWAL_PENDING"})
    settle_at_airtm(stack)
    done = wait_status(stack, f"/withdrawals/{withdrawal['id']}", SETTLED)
    assert done["status"] == "WITHDRAWAL_COMPLETED"
    assert done["netAmount"] == "19.80"
    assert balance(stack, user_id) == ("30.00", "0.00")
    payout = stack.sandbox.airtm.payout(done["airtmPayoutId"])
    assert (payout.code, payout.status) == (withdrawal["id"], "COMPLETED")
    assert event_types(stack, withdrawal["id"]) == [
        "withdrawal.created",
        "withdrawal.committed",
        "withdrawal.pending",
        "withdrawal.completed",
    ]


def test_a_failed_payout_returns_the_hold_once(stack: Stack) -> None:
    assert stack.sandbox is not None
    user_id, _ = linked_user(stack, credit="15")
    created = stack.client().post(
        "/withdrawals",
        json={"userId": user_id, "amount": "10", "destinationType": "bank",
              "destinationRef": "iban-DE89"},
    )  # fmt: skip
    withdrawal = created.json()["data"]
    pending = wait_status(stack, f"/withdrawals/{withdrawal['id']}", {"WITHDRAWAL_PENDING"})
    stack.sandbox.airtm.fail_payout_when_settling(pending["airtmPayoutId"], "compliance hold")
    settle_at_airtm(stack)
    failed = wait_status(stack, f"/withdrawals/{withdrawal['id']}", SETTLED)
    assert (failed["status"], failed["failureReason"]) == ("WITHDRAWAL_FAILED", "compliance hold")
    stack.client().post(f"/withdrawals/{withdrawal['id']}/refresh")
    assert balance(stack, user_id) == ("15.00", "0.00")


def test_fiat_withdrawals_respect_the_limits(stack: Stack) -> None:
    user_id, email = linked_user(stack, credit="10")
    below = stack.client().post(
        "/withdrawals",
        json={"userId": user_id, "amount": "1", "destinationType": "airtm_balance",
              "destinationRef": email},
    )  # fmt: skip
    assert below.status_code == 422
    assert below.json()["error"]["details"]["limit"] == "withdrawal"
    assert balance(stack, user_id) == ("10.00", "0.00")


def test_the_sdk_links_tops_up_and_withdraws_to_airtm(stack: Stack) -> None:
    assert stack.sandbox is not None
    with Ledgerline(MASTER_KEY, stack.base_url) as client:
        user = client.users.create(f"sdk-fiat-{uuid.uuid4().hex}")
        email = airtm_user(stack.sandbox)
        link = client.users.link_airtm(user.id, email)
        assert (link.email, link.eligible) == (email, True)
        topup = client.topups.create(user.id, "20", wait_s=20)
        assert topup.status == "TOPUP_AWAITING_USER_CONFIRMATION"
        assert topup.confirmation_uri is not None
        click({"confirmationUri": topup.confirmation_uri}, "confirm", email)
        settle_at_airtm(stack)
        wait_until(
            lambda: client.topups.refresh(topup.id).status == "TOPUP_SUCCEEDED",
            timeout_s=30,
            interval_s=0.2,
            message="the top-up to succeed",
        )
        assert [t.id for t in client.topups.iterate(user_id=user.id)] == [topup.id]
        # Read models are eventually consistent: the top-up's model can show it settled before
        # the balances model has applied the credit (seen once in the suite).
        wait_until(
            lambda: client.balances.get(user.id).available == "19.80",
            message="the balance to show the top-up",
        )
        held = client.withdrawals.create_fiat(user.id, "9.80", email, commit=False)
        assert (held.status, held.committed) == ("WITHDRAWAL_CREATED", False)
        wait_until(
            lambda: client.withdrawals.get(held.id).airtm_payout_id,
            message="the payout to be created at AirTM",
        )
        client.withdrawals.commit(held.id)
        settle_at_airtm(stack)
        wait_until(
            lambda: client.withdrawals.refresh(held.id).status == "WITHDRAWAL_COMPLETED",
            timeout_s=30,
            interval_s=0.2,
            message="the payout to complete",
        )
        wait_until(
            lambda: client.balances.get(user.id).available == "10.00",
            message="the balance to show the payout",
        )
