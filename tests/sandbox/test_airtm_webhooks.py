"""AirTM's webhooks arrive as Svix sends them — signed, retried until answered — and misbehave
exactly as injected (dropped, duplicated, reordered); the API's own faults and the state file
work for AirTM as for Horizon and Trustless Work."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook

from sandbox.faults.fault_rules import AIRTM_PAYINS, AIRTM_WEBHOOKS
from sandbox.server import SandboxServer
from tests.support.webhook_receiver import Received, WebhookReceiver

from .airtm_client import AirtmTestClient, payin_body, unique_code
from .conftest import start_sandbox
from .polling import wait_until

pytestmark = pytest.mark.integration

PROCESSING_S = 2.0


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as server:
        yield server


@pytest.fixture
def airtm(fresh_sandbox: SandboxServer, receiver: WebhookReceiver) -> Iterator[AirtmTestClient]:
    client = AirtmTestClient(fresh_sandbox)
    assert client.control.put("/webhook", json={"url": receiver.url}).status_code == 200
    try:
        yield client
    finally:
        client.close()


def types_received(receiver: WebhookReceiver) -> list[str]:
    return [json.loads(r.body)["type"] for r in receiver.requests if r.answered == 200]


def confirmed_payin(airtm: AirtmTestClient) -> dict[str, object]:
    payer = airtm.add_user(balance=20)
    payin = airtm.create_payin(10)
    airtm.click(str(payin["id"]), "confirm", str(payer["email"]))
    airtm.advance(PROCESSING_S)
    return payin


def svix_signature_valid(secret: str, received: Received) -> bool:
    """Svix's scheme, written from its documentation rather than by calling a library."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    headers = received.headers
    signed = f"{headers['svix-id']}.{headers['svix-timestamp']}.".encode() + received.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(expected, part.partition(",")[2])
        for part in headers["svix-signature"].split(" ")
    )


def test_each_status_change_arrives_signed_as_svix_signs(
    airtm: AirtmTestClient, receiver: WebhookReceiver
) -> None:
    payin = confirmed_payin(airtm)
    wait_until(lambda: len(types_received(receiver)) >= 2, what="two webhooks")
    assert types_received(receiver) == ["payin.created", "payin.confirmed"]
    secret = airtm.sandbox.airtm_webhooks.secret
    for received in receiver.requests:
        assert svix_signature_valid(secret, received)
        renamed = {
            "webhook-id": received.headers["svix-id"],
            "webhook-timestamp": received.headers["svix-timestamp"],
            "webhook-signature": received.headers["svix-signature"],
        }
        document = Webhook(secret).verify(received.body, renamed)
        assert document["data"]["id"] == payin["id"]
    tampered = Received(receiver.requests[0].headers, receiver.requests[0].body + b" ", 200)
    assert not svix_signature_valid(secret, tampered)


def test_a_failing_receiver_is_retried_with_the_same_message_id(
    fresh_sandbox: SandboxServer,
) -> None:
    with WebhookReceiver(fail_first=2) as flaky:
        client = AirtmTestClient(fresh_sandbox)
        client.control.put("/webhook", json={"url": flaky.url})
        client.create_payin(1)

        # The sandbox records the answer after the receiver has sent it, so the test waits on
        # the sandbox's record rather than on the receiver (which races it).
        def first_delivery() -> dict[str, object]:
            return dict(client.control.get("/deliveries").json()["deliveries"][0])

        wait_until(lambda: first_delivery()["status"] == "delivered", what="a delivery")
        assert [r.answered for r in flaky.requests] == [500, 500, 200]
        assert len({r.headers["svix-id"] for r in flaky.requests}) == 1
        delivery = first_delivery()
        assert delivery["attempts"] == ["500", "500", "200"]
        client.close()


def test_a_duplicated_webhook_arrives_twice_with_one_message_id(
    airtm: AirtmTestClient, receiver: WebhookReceiver
) -> None:
    airtm.sandbox.faults.inject(
        {"route": f"{AIRTM_WEBHOOKS[:-1]}payin.confirmed", "mode": "webhook_duplicate"}
    )
    confirmed_payin(airtm)
    wait_until(lambda: types_received(receiver).count("payin.confirmed") == 2, what="a duplicate")
    confirmations = [r for r in receiver.requests if b"payin.confirmed" in r.body]
    assert confirmations[0].headers["svix-id"] == confirmations[1].headers["svix-id"]
    assert confirmations[0].body == confirmations[1].body


def test_a_reordered_webhook_arrives_after_the_next_one_about_the_same_payin(
    airtm: AirtmTestClient, receiver: WebhookReceiver
) -> None:
    airtm.sandbox.faults.inject(
        {"route": f"{AIRTM_WEBHOOKS[:-1]}payin.created", "mode": "webhook_reorder"}
    )
    confirmed_payin(airtm)
    wait_until(lambda: len(types_received(receiver)) >= 2, what="both webhooks")
    assert types_received(receiver) == ["payin.confirmed", "payin.created"]


def test_a_dropped_webhook_never_arrives(airtm: AirtmTestClient, receiver: WebhookReceiver) -> None:
    airtm.sandbox.faults.inject({"route": AIRTM_WEBHOOKS, "mode": "webhook_drop", "count": 1})
    confirmed_payin(airtm)
    wait_until(lambda: "payin.confirmed" in types_received(receiver), what="the confirmation")
    assert types_received(receiver) == ["payin.confirmed"]

    def statuses() -> list[str]:
        return [d["status"] for d in airtm.control.get("/deliveries").json()["deliveries"]]

    # Recorded after the receiver's answer (which the receiver counts before sending it).
    wait_until(lambda: "pending" not in statuses(), what="both outcomes recorded")
    assert statuses() == ["dropped", "delivered"]


def test_a_timeout_after_apply_creates_the_payin_that_a_lookup_by_code_then_finds(
    airtm: AirtmTestClient,
) -> None:
    airtm.sandbox.faults.inject({"route": AIRTM_PAYINS, "mode": "timeout_after_apply"})
    code = unique_code()
    lost = airtm.api.post("/payins", json=payin_body(2, code))
    assert lost.status_code == 504
    assert lost.json()["code"] == "GATEWAY_TIMEOUT"
    assert airtm.api.get(f"/payins/by-code/{code}").json()["status"] == "CREATED"
    assert airtm.api.post("/payins", json=payin_body(2, code)).status_code == 409


def test_a_5xx_before_applying_creates_nothing(airtm: AirtmTestClient) -> None:
    airtm.sandbox.faults.inject({"route": AIRTM_PAYINS, "mode": "http_error", "status": 503})
    code = unique_code()
    refused = airtm.api.post("/payins", json=payin_body(2, code))
    assert refused.status_code == 503
    assert airtm.api.get(f"/payins/by-code/{code}").status_code == 404


def test_advancing_the_clock_settles_without_anyone_asking(
    airtm: AirtmTestClient, receiver: WebhookReceiver
) -> None:
    recipient = airtm.add_user()
    airtm.create_payout(str(recipient["email"]), 4, commit=True)
    airtm.sandbox.chain.advance_time(PROCESSING_S)  # no API call: the ticker moves it
    wait_until(lambda: "payout.completed" in types_received(receiver), what="the payout")


def test_the_state_file_keeps_users_payins_and_payouts(tmp_path: Path) -> None:
    state_file = tmp_path / "sandbox.json"
    first = start_sandbox(state_file=state_file)
    client = AirtmTestClient(first)
    user = client.add_user(balance=12)
    payin = client.create_payin(3)
    client.close()
    first.stop()
    second = start_sandbox(state_file=state_file)
    try:
        client = AirtmTestClient(second)
        assert client.control.get(f"/users/{user['email']}").json()["balance"] == 12
        assert client.api.get(f"/payins/{payin['id']}").json()["code"] == payin["code"]
        assert client.state()["conserved"]
        client.close()
    finally:
        second.stop()


def test_reset_wipes_airtm_with_the_chain(fresh_sandbox: SandboxServer) -> None:
    client = AirtmTestClient(fresh_sandbox)
    user = client.add_user()
    assert client.control.post(f"{fresh_sandbox.control_url}/reset").status_code == 200
    assert client.api.get(f"/users/{user['email']}").status_code == 404
    client.close()
