"""The AirTM simulator behaves as the Enterprise API V2 documents: users and their eligibility,
payins confirmed at the checkout, payouts committed and settled on the sandbox clock, codes
unique, bodies validated, and every cent conserved."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from sandbox.server import SandboxServer

from .airtm_client import AirtmTestClient, payin_body, unique_code, unique_email

pytestmark = pytest.mark.integration

PROCESSING_S = 2.0  # the sandbox's default payin and payout processing delays


@pytest.fixture
def airtm(sandbox: SandboxServer) -> Iterator[AirtmTestClient]:
    client = AirtmTestClient(sandbox)
    sandbox.faults.clear()
    try:
        yield client
    finally:
        assert client.state()["conserved"], "every cent is somewhere"
        client.close()


def test_a_user_is_found_by_email_with_its_eligibility(airtm: AirtmTestClient) -> None:
    email = unique_email()
    made = airtm.add_user(email, verified=False)
    found = airtm.api.get(f"/users/{email}")
    assert found.status_code == 200
    assert found.json()["id"] == made["id"]
    assert found.json()["isVerified"] is False
    assert found.json()["status"] == "active"
    missing = airtm.api.get(f"/users/{unique_email('nobody')}")
    assert missing.status_code == 404
    assert missing.json()["code"] == "USER_NOT_FOUND"


def test_requests_without_the_api_credentials_are_refused(sandbox: SandboxServer) -> None:
    answer = httpx.get(f"{sandbox.airtm_url}/users/x@y.z", auth=("sandbox-airtm-key", "wrong"))
    assert answer.status_code == 401
    assert answer.json()["code"] == "UNAUTHORIZED"


def test_a_confirmed_payin_moves_the_payers_money_to_the_enterprise(
    airtm: AirtmTestClient,
) -> None:
    payer = airtm.add_user(balance=50)
    before = Decimal(str(airtm.state()["enterpriseBalance"]))
    payin = airtm.create_payin(20)
    assert payin["status"] == "CREATED"
    assert (payin["amount"], payin["airtmFee"], payin["netAmount"]) == (20, 0.2, 19.8)
    clicked = airtm.click(payin["id"], "confirm", payer["email"])
    assert clicked.status_code == 303
    assert clicked.headers["location"].endswith(f"&code={payin['code']}")
    assert airtm.api.get(f"/payins/{payin['id']}").json()["status"] == "PROCESSING"
    airtm.advance(PROCESSING_S)
    settled = airtm.api.get(f"/payins/by-code/{payin['code']}").json()
    assert settled["status"] == "CONFIRMED"
    assert settled["airtmUserEmail"] == payer["email"]
    state = airtm.state()
    assert Decimal(str(state["enterpriseBalance"])) - before == Decimal("19.80")
    mine = next(u for u in state["users"] if u["email"] == payer["email"])
    assert mine["balance"] == 30


def test_a_payin_canceled_at_the_checkout_moves_nothing_and_redirects_to_cancel(
    airtm: AirtmTestClient,
) -> None:
    payin = airtm.create_payin(5)
    clicked = airtm.click(payin["id"], "cancel")
    assert clicked.status_code == 303
    assert "status=canceled" in clicked.headers["location"]
    assert airtm.api.get(f"/payins/{payin['id']}").json()["status"] == "CANCELED"
    assert airtm.click(payin["id"], "confirm", unique_email()).status_code == 409


def test_only_a_created_payin_can_be_deleted(airtm: AirtmTestClient) -> None:
    payer = airtm.add_user(balance=10)
    pending = airtm.create_payin(3)
    assert airtm.api.delete(f"/payins/{pending['id']}").json()["status"] == "CANCELED"
    paid = airtm.create_payin(3)
    airtm.click(paid["id"], "confirm", payer["email"])
    refused = airtm.api.delete(f"/payins/{paid['id']}")
    assert refused.status_code == 409
    assert refused.json()["code"] == "PAYIN_NOT_CANCELABLE"


def test_a_payin_forced_to_fail_returns_the_payers_money(airtm: AirtmTestClient) -> None:
    payer = airtm.add_user(balance=10)
    payin = airtm.create_payin(4)
    airtm.click(payin["id"], "confirm", payer["email"])
    airtm.control.post(f"/payins/{payin['id']}/fail", json={"reason": "bank declined"})
    airtm.advance(PROCESSING_S)
    failed = airtm.api.get(f"/payins/{payin['id']}").json()
    assert (failed["status"], failed["failureReason"]) == ("FAILED", "bank declined")
    assert airtm.control.get(f"/users/{payer['email']}").json()["balance"] == 10


def test_a_payin_code_is_unique(airtm: AirtmTestClient) -> None:
    code = unique_code()
    airtm.create_payin(1, code)
    again = airtm.api.post("/payins", json=payin_body(1, code))
    assert again.status_code == 409
    assert again.json()["code"] == "DUPLICATE_CODE"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": 1.001}, "decimals"),
        ({"amount": 2}, "sum of the items"),
        ({"surprise": True}, "Unknown properties"),
        ({"cancelUri": "not a url"}, "URLs"),
    ],
)
def test_a_bad_payin_body_is_a_400_naming_the_problem(
    airtm: AirtmTestClient, change: dict[str, object], field: str
) -> None:
    answer = airtm.api.post("/payins", json={**payin_body(1, unique_code()), **change})
    assert answer.status_code == 400
    assert field in answer.json()["message"]


def test_a_committed_payout_to_a_verified_user_completes_on_the_clock(
    airtm: AirtmTestClient,
) -> None:
    recipient = airtm.add_user()
    payout = airtm.create_payout(recipient["email"], 10, enterpriseFee=0.5)
    assert payout["status"] == "CREATED"
    assert (payout["grossAmount"], payout["amount"], payout["netAmount"]) == (10, 9.5, 9.41)
    assert airtm.api.post(f"/payouts/{payout['id']}/commit").status_code == 204
    assert airtm.api.get(f"/payouts/{payout['id']}").json()["status"] == "COMMITTED"
    again = airtm.api.post(f"/payouts/{payout['id']}/commit")
    assert again.status_code == 409
    assert again.json()["code"] == "PAYOUT_NOT_COMMITTABLE"
    airtm.advance(PROCESSING_S)
    done = airtm.api.get(f"/payouts/by-code/{payout['code']}").json()
    assert done["status"] == "COMPLETED"
    assert airtm.control.get(f"/users/{recipient['email']}").json()["balance"] == 9.41


def test_a_payout_to_an_unverified_user_waits_pending_until_they_verify(
    airtm: AirtmTestClient,
) -> None:
    recipient = airtm.add_user(verified=False)
    payout = airtm.create_payout(recipient["email"], 7, commit=True)
    airtm.advance(PROCESSING_S)
    pending = airtm.api.get(f"/payouts/{payout['id']}").json()
    assert (pending["status"], pending["reasonCode"]) == ("PENDING", "RECIPIENT_ACTION_REQUIRED")
    airtm.control.patch(f"/users/{recipient['email']}", json={"verified": True})
    airtm.advance(0)
    assert airtm.api.get(f"/payouts/{payout['id']}").json()["status"] == "COMPLETED"


def test_a_payout_to_an_inactive_user_fails_and_refunds_the_enterprise(
    airtm: AirtmTestClient,
) -> None:
    recipient = airtm.add_user(status="inactive")
    before = airtm.state()["enterpriseBalance"]
    payout = airtm.create_payout(recipient["email"], 6, commit=True)
    airtm.advance(PROCESSING_S)
    failed = airtm.api.get(f"/payouts/{payout['id']}").json()
    assert (failed["status"], failed["reasonCode"]) == ("FAILED", "USER_INACTIVE")
    assert airtm.state()["enterpriseBalance"] == before


def test_a_pending_payout_can_be_canceled_and_a_completed_one_cannot(
    airtm: AirtmTestClient,
) -> None:
    waiting = airtm.create_payout(unique_email("newcomer"), 3, commit=True)
    airtm.advance(PROCESSING_S)
    assert airtm.api.get(f"/payouts/{waiting['id']}").json()["status"] == "PENDING"
    assert airtm.api.delete(f"/payouts/{waiting['id']}").json()["status"] == "CANCELED"
    paid = airtm.create_payout(airtm.add_user()["email"], 3, commit=True)
    airtm.advance(PROCESSING_S)
    assert airtm.api.delete(f"/payouts/{paid['id']}").status_code == 409


def test_a_bank_payout_carries_its_destination_and_leaves_the_wallet_alone(
    airtm: AirtmTestClient,
) -> None:
    recipient = airtm.add_user()
    payout = airtm.create_payout(
        recipient["email"], 8, destinationType="bank", destinationRef="iban-DE001", commit=True
    )
    assert (payout["destinationType"], payout["destinationRef"]) == ("bank", "iban-DE001")
    airtm.advance(PROCESSING_S)
    assert airtm.api.get(f"/payouts/{payout['id']}").json()["status"] == "COMPLETED"
    assert airtm.control.get(f"/users/{recipient['email']}").json()["balance"] == 0
    missing = airtm.api.post(
        "/payouts",
        json={"airtmUserEmail": recipient["email"], "amount": 1, "notes": "n",
              "destinationType": "bank"},
    )  # fmt: skip
    assert missing.status_code == 400
