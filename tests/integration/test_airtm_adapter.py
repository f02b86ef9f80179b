"""The AirTM adapter against the sandbox over HTTP: eligibility, payins and payouts exactly once
by code however the answers are lost, bounded retries and timeouts, refusals as PROVIDER_* errors,
and webhooks verified or refused."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

import httpx
import pytest

from application.payment_providers import (
    DESTINATION_AIRTM_BALANCE,
    DESTINATION_BANK,
    PAYIN_AWAITING_CONFIRMATION,
    PAYIN_CANCELED,
    PAYIN_SUCCEEDED,
    PAYOUT_COMPLETED,
    PAYOUT_CREATED,
    PAYOUT_IN_FLIGHT,
    NoticeRejectedError,
    PayinRequest,
    PayoutRequest,
)
from domain.errors import (
    InvalidAmountError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
)
from infrastructure.airtm.client import AirtmClient
from sandbox.app import DEFAULT_AIRTM_API_KEY, DEFAULT_AIRTM_API_SECRET
from sandbox.faults.fault_rules import AIRTM_COMMIT, AIRTM_PAYINS
from sandbox.server import SandboxServer
from tests.support.waiting import wait_until
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.integration

STROOPS = 10_000_000
_serial = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}-{time.time_ns()}-{next(_serial)}"


def client_for(sandbox: SandboxServer, timeout_s: float = 5.0) -> AirtmClient:
    return AirtmClient(
        base_url=sandbox.airtm_url,
        checkout_base_url=sandbox.airtm_checkout_url,
        api_key=DEFAULT_AIRTM_API_KEY,
        api_secret=DEFAULT_AIRTM_API_SECRET,
        webhook_secret=sandbox.airtm_webhooks.secret,
        timeout_s=timeout_s,
        sleep=lambda _: None,
    )


@pytest.fixture
def airtm(sandbox: SandboxServer) -> Iterator[AirtmClient]:
    sandbox.faults.clear()
    client = client_for(sandbox)
    try:
        yield client
    finally:
        client.close()
        sandbox.faults.clear()
        assert sandbox.airtm.conserved()


def payin_request(amount_stroops: int = 10 * STROOPS, code: str | None = None) -> PayinRequest:
    return PayinRequest(
        code=code or unique("top"),
        amount_stroops=amount_stroops,
        description="Balance top-up",
        confirmation_uri="https://ledgerline.example/api/v1/topups/x/callback?status=confirmed",
        cancel_uri="https://ledgerline.example/api/v1/topups/x/callback?status=canceled",
    )


def payout_request(email: str, destination: str = DESTINATION_AIRTM_BALANCE) -> PayoutRequest:
    return PayoutRequest(
        code=unique("wd"),
        recipient_email=email,
        gross_stroops=12 * STROOPS,
        enterprise_fee_stroops=STROOPS // 2,
        notes="Withdrawal",
        destination_type=destination,
        destination_ref="iban-NL01" if destination == DESTINATION_BANK else None,
    )


def new_user(sandbox: SandboxServer, **fields: object) -> str:
    email = f"{unique('user')}@airtm.example"
    sandbox.airtm.add_user({"email": email, **fields})
    return email


def test_eligibility_is_read_by_email(sandbox: SandboxServer, airtm: AirtmClient) -> None:
    email = new_user(sandbox, verified=False)
    found = airtm.find_user(email)
    assert found is not None
    assert found.ineligibility == "USER_NOT_VERIFIED"
    sandbox.airtm.update_user(email, {"verified": True})
    assert airtm.find_user(email).ineligibility is None  # type: ignore[union-attr]
    assert airtm.find_user(f"{unique('nobody')}@airtm.example") is None


def test_a_payin_is_created_once_per_code_and_settles_as_succeeded(
    sandbox: SandboxServer, airtm: AirtmClient
) -> None:
    request = payin_request(20 * STROOPS)
    payin = airtm.create_payin(request)
    assert payin.status == PAYIN_AWAITING_CONFIRMATION
    assert payin.checkout_uri == f"{sandbox.airtm_checkout_url}/payin/{payin.payin_id}"
    assert (payin.fee_stroops, payin.net_stroops) == (STROOPS // 5, 20 * STROOPS - STROOPS // 5)
    assert airtm.create_payin(request).payin_id == payin.payin_id
    payer = new_user(sandbox, balance=50)
    httpx.post(payin.checkout_uri, json={"action": "confirm", "email": payer})
    sandbox.chain.advance_time(2)
    sandbox.airtm.tick()
    settled = airtm.find_payin(request.code)
    assert settled is not None
    assert settled.status == PAYIN_SUCCEEDED
    assert settled.payer_id is not None


def test_a_create_whose_answer_is_lost_is_found_by_its_code(
    sandbox: SandboxServer, airtm: AirtmClient
) -> None:
    sandbox.faults.inject({"route": AIRTM_PAYINS, "mode": "timeout_after_apply"})
    request = payin_request()
    payin = airtm.create_payin(request)
    assert payin.code == request.code
    codes = [p.code for p in sandbox.airtm.state.payins.values()]
    assert codes.count(request.code) == 1


def test_a_create_refused_by_a_passing_outage_is_tried_again(
    sandbox: SandboxServer, airtm: AirtmClient
) -> None:
    sandbox.faults.inject({"route": AIRTM_PAYINS, "mode": "http_error", "status": 503})
    assert airtm.create_payin(payin_request()).status == PAYIN_AWAITING_CONFIRMATION


def test_an_outage_that_lasts_is_provider_unavailable(
    sandbox: SandboxServer, airtm: AirtmClient
) -> None:
    sandbox.faults.inject({"route": "airtm *", "mode": "http_error", "status": 502, "count": None})
    with pytest.raises(ProviderUnavailableError):
        airtm.create_payin(payin_request())
    with pytest.raises(ProviderUnavailableError):
        airtm.find_payin(unique("top"))


def test_a_hanging_airtm_is_a_timeout_within_the_bound(sandbox: SandboxServer) -> None:
    sandbox.faults.clear()
    sandbox.faults.inject({"route": "airtm GET *", "mode": "hang", "hang_s": 5, "count": None})
    quick = client_for(sandbox, timeout_s=0.5)
    started = time.monotonic()
    try:
        with pytest.raises(ProviderTimeoutError):
            quick.find_payin(unique("top"))
    finally:
        quick.close()
        sandbox.faults.clear()
    assert time.monotonic() - started < 4.0


def test_a_refusal_is_a_provider_error_with_airtms_code(airtm: AirtmClient) -> None:
    with pytest.raises(ProviderError) as refused:
        airtm.create_payout(payout_request("not-an-email"))
    assert refused.value.details["providerCode"] == "VALIDATION_ERROR"
    assert refused.value.details["providerStatus"] == 400


def test_amounts_finer_than_a_cent_never_reach_airtm(airtm: AirtmClient) -> None:
    with pytest.raises(InvalidAmountError):
        airtm.create_payin(payin_request(10 * STROOPS + 1))


def test_an_unconfirmed_payin_can_be_canceled(airtm: AirtmClient) -> None:
    payin = airtm.create_payin(payin_request())
    assert airtm.cancel_payin(payin.payin_id).status == PAYIN_CANCELED
    assert airtm.cancel_payin(payin.payin_id).status == PAYIN_CANCELED  # already: read back


def test_a_payout_is_created_then_committed_once_and_completes(
    sandbox: SandboxServer, airtm: AirtmClient
) -> None:
    email = new_user(sandbox)
    request = payout_request(email)
    payout = airtm.create_payout(request)
    assert payout.status == PAYOUT_CREATED
    assert (payout.gross_stroops, payout.enterprise_fee_stroops) == (12 * STROOPS, STROOPS // 2)
    assert payout.amount_stroops == 11 * STROOPS + STROOPS // 2
    assert airtm.create_payout(request).payout_id == payout.payout_id
    sandbox.faults.inject({"route": AIRTM_COMMIT, "mode": "timeout_after_apply"})
    assert airtm.commit_payout(payout.payout_id).status == PAYOUT_IN_FLIGHT
    assert airtm.commit_payout(payout.payout_id).status == PAYOUT_IN_FLIGHT
    sandbox.chain.advance_time(2)
    sandbox.airtm.tick()
    done = airtm.payout(payout.payout_id)
    assert done.status == PAYOUT_COMPLETED
    assert done.net_stroops == payout.amount_stroops - done.provider_fee_stroops


def test_a_bank_payout_names_its_destination(sandbox: SandboxServer, airtm: AirtmClient) -> None:
    payout = airtm.create_payout(payout_request(new_user(sandbox), DESTINATION_BANK))
    assert sandbox.airtm.payout(payout.payout_id).destination_ref == "iban-NL01"


def test_a_webhook_is_verified_and_read_and_a_tampered_one_refused(
    sandbox: SandboxServer, airtm: AirtmClient
) -> None:
    with WebhookReceiver() as receiver:
        sandbox.airtm_webhooks.url = receiver.url
        try:
            payin = airtm.create_payin(payin_request())
            wait_until(
                lambda: any(payin.payin_id.encode() in r.body for r in receiver.requests),
                message="the payin.created webhook",
            )
        finally:
            sandbox.airtm_webhooks.url = None
        received = next(r for r in receiver.requests if payin.payin_id.encode() in r.body)
    notice = airtm.verify_notice(received.body, received.headers)
    assert notice.notice_id == received.headers["svix-id"]
    assert notice.event_type == "payin.created"
    assert notice.payin is not None and notice.payin.code == payin.code
    with pytest.raises(NoticeRejectedError):
        airtm.verify_notice(received.body.replace(b"CREATED", b"CONFIRMED"), received.headers)
    stale = {**received.headers, "svix-timestamp": str(int(time.time()) - 3600)}
    with pytest.raises(NoticeRejectedError):
        airtm.verify_notice(received.body, stale)
    with pytest.raises(NoticeRejectedError):
        airtm.verify_notice(received.body, {"svix-id": "msg_1"})
