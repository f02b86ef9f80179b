"""Outgoing webhooks: signed deliveries retried until the receiver accepts them, endpoints
disabled after failing every retry, replays from a position; and Trustless Work's incoming
webhook, authenticated by its signature and recorded once."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import Any

import httpx
import pytest

from tests.support.capture import SESSION
from tests.support.instances import api_instance
from tests.support.stack import MASTER_KEY, TRUSTLESS_WEBHOOK_SECRET, Stack
from tests.support.waiting import wait_until
from tests.support.webhook_receiver import WebhookReceiver, signature_verifies

pytestmark = pytest.mark.e2e


def new_user(stack: Stack) -> str:
    response = stack.client().post("/users", json={"externalUserId": f"wh-{uuid.uuid4().hex}"})
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


def credit(stack: Stack, user_id: str, amount: str = "2.00") -> dict[str, Any]:
    """Credits `user_id`; returns the balance.credited envelope as the event log has it."""
    response = stack.client().post(
        f"/users/{user_id}/balance/credit", json={"amount": amount, "reason": "webhooks"}
    )
    assert response.status_code == 200, response.text
    return event_at(stack, int(response.json()["meta"]["position"]))


def event_at(stack: Stack, position: int) -> dict[str, Any]:
    stack.caught_up()
    page = stack.client().get("/events/log", params={"after": position - 1, "limit": 1})
    entry = page.json()["data"][0]
    assert entry["position"] == position
    return dict(entry["envelope"])


def register(stack: Stack, url: str, events: list[str]) -> dict[str, Any]:
    response = stack.client().post("/webhooks/endpoints", json={"url": url, "events": events})
    assert response.status_code == 201, response.text
    SESSION.tokens.append(response.json()["data"]["secret"])  # shown once, never logged
    return dict(response.json()["data"])


def endpoint(stack: Stack, endpoint_id: str) -> dict[str, Any]:
    return dict(stack.client().get(f"/webhooks/endpoints/{endpoint_id}").json()["data"])


def test_a_receiver_failing_three_times_gets_the_event_signed_once_it_succeeds(
    stack: Stack,
) -> None:
    with WebhookReceiver(fail_first=3) as receiver:
        created = register(stack, receiver.url, ["balance.*"])
        event = credit(stack, new_user(stack))
        wait_until(lambda: receiver.delivered(event["eventId"]), message="the delivery")
        attempts = receiver.for_event(event["eventId"])
    assert [a.answered for a in attempts] == [500, 500, 500, 200]
    accepted = attempts[-1]
    assert signature_verifies(created["secret"], accepted)
    assert accepted.envelope == event
    assert accepted.headers["content-type"] == "application/json"
    forged = accepted.__class__({**accepted.headers}, accepted.body + b" ", 200)
    assert not signature_verifies(created["secret"], forged)
    assert all(r.envelope["type"].startswith("balance.") for r in receiver.requests)

    # The receiver counts a delivery before its answer is sent, so the dispatcher may not have
    # recorded the outcome yet: wait for the log rather than read it once.
    def four_attempts_logged() -> list[dict[str, Any]] | None:
        log = stack.client().get(f"/webhooks/endpoints/{created['id']}/deliveries").json()
        rows = [row for row in log["data"] if row["eventId"] == event["eventId"]]
        return rows if len(rows) >= 4 else None

    mine = wait_until(four_attempts_logged, message="four attempts logged")
    assert [(row["attempt"], row["outcome"]) for row in mine] == [
        (4, "DELIVERED"),
        (3, "FAILED"),
        (2, "FAILED"),
        (1, "FAILED"),
    ]


def test_an_endpoint_gets_only_matching_events_after_its_registration(stack: Stack) -> None:
    user = new_user(stack)
    before = credit(stack, user)
    with WebhookReceiver() as receiver:
        register(stack, receiver.url, ["balance.debited"])
        stack.client().post(f"/users/{user}/balance/credit", json={"amount": "1", "reason": "x"})
        debit = stack.client().post(
            f"/users/{user}/balance/debit", json={"amount": "1", "reason": "only this"}
        )
        event = event_at(stack, int(debit.json()["meta"]["position"]))
        wait_until(lambda: receiver.delivered(event["eventId"]), message="the debit")
    assert {r.envelope["type"] for r in receiver.requests} == {"balance.debited"}
    assert all(int(r.envelope["id"]) > int(before["id"]) for r in receiver.requests)


def test_replay_from_a_position_delivers_again(stack: Stack) -> None:
    with WebhookReceiver() as receiver:
        created = register(stack, receiver.url, ["balance.credited"])
        user = new_user(stack)
        first = credit(stack, user, "1.00")
        second = credit(stack, user, "2.00")
        for event in (first, second):
            wait_until(lambda e=event: receiver.delivered(e["eventId"]), message="delivery")
        replay = stack.client().post(
            f"/webhooks/endpoints/{created['id']}/replay", json={"fromPosition": int(second["id"])}
        )
        assert replay.status_code == 202, replay.text
        assert replay.json()["data"]["fromPosition"] == int(second["id"])
        wait_until(lambda: len(receiver.delivered(second["eventId"])) == 2, message="the replay")
        assert len(receiver.delivered(first["eventId"])) == 1
        again = receiver.delivered(second["eventId"])[-1]
    assert again.envelope == second
    assert signature_verifies(created["secret"], again)


def test_an_endpoint_failing_every_retry_is_disabled_until_a_replay(stack: Stack) -> None:
    with WebhookReceiver(always_fail=True) as receiver:
        created = register(stack, receiver.url, ["balance.credited"])
        user = new_user(stack)
        events = [credit(stack, user, "1.00"), credit(stack, user, "1.00")]
        wait_until(
            lambda: endpoint(stack, created["id"])["status"] == "DISABLED",
            timeout_s=20,
            message="the endpoint to be disabled",
        )
        attempts = len(receiver.for_event(events[0]["eventId"]))
        assert attempts == 5  # the first attempt and WEBHOOK_RETRIES_MAX=4 retries
        stack.caught_up()
        disabled = stack.client().get(
            "/events/log", params={"types": "webhook.*", "aggregateId": created["id"]}
        )
        types = [e["type"] for e in disabled.json()["data"]]
        assert types == ["webhook.endpoint_created", "webhook.endpoint_disabled"]
        third = credit(stack, user, "1.00")  # not attempted while disabled
        receiver.always_fail = False
        replay = stack.client().post(
            f"/webhooks/endpoints/{created['id']}/replay",
            json={"fromPosition": int(events[0]["id"])},
        )
        assert replay.json()["data"]["status"] == "ACTIVE"
        for event in (*events, third):
            wait_until(lambda e=event: receiver.delivered(e["eventId"]), message="redelivery")
    assert endpoint(stack, created["id"])["status"] == "ACTIVE"


def test_a_slow_endpoint_does_not_hold_up_another(stack: Stack) -> None:
    with WebhookReceiver(delay_s=2.0) as slow, WebhookReceiver() as fast:
        slow_endpoint = register(stack, slow.url, ["balance.credited"])
        register(stack, fast.url, ["balance.credited"])
        user = new_user(stack)
        events = [credit(stack, user, "0.50") for _ in range(8)]
        for event in events:
            wait_until(lambda e=event: fast.delivered(e["eventId"]), message="fast deliveries")
        assert len(slow.requests) < len(events)
        stack.client().delete(f"/webhooks/endpoints/{slow_endpoint['id']}")


def test_the_secret_is_shown_once_and_never_again(stack: Stack) -> None:
    created = register(stack, "https://example.com/hooks", ["*"])
    secret = created["secret"]
    assert secret.startswith("whsec_")
    shown = stack.client().get(f"/webhooks/endpoints/{created['id']}")
    stack.caught_up()
    listed = stack.client().get("/webhooks/endpoints", params={"limit": 100})
    log = stack.client().get("/events/log", params={"aggregateId": created["id"]})
    for response in (shown, listed, log):
        assert response.status_code == 200
        assert secret not in response.text
    assert shown.json()["data"]["maskedSecret"].endswith(secret[-4:])
    assert created["id"] in {e["id"] for e in listed.json()["data"]}
    deleted = stack.client().delete(f"/webhooks/endpoints/{created['id']}")
    assert deleted.json()["data"]["status"] == "DELETED"
    assert stack.client().get(f"/webhooks/endpoints/{created['id']}").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://example.com/x"},
        {"url": "http://user:pw@example.com/x"},
        {"url": "not a url"},
        {"url": "https://example.com/x", "events": ["Balance.*"]},
        {"url": "https://example.com/x", "surprise": 1},
    ],
)
def test_a_bad_endpoint_is_a_validation_error(stack: Stack, body: dict[str, Any]) -> None:
    response = stack.client().post("/webhooks/endpoints", json=body)
    assert response.status_code == 400, response.text


def signed(body: bytes, secret: str = TRUSTLESS_WEBHOOK_SECRET) -> dict[str, str]:
    return {
        "x-tw-signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
        "content-type": "application/json",
    }


def test_a_trustless_work_webhook_is_verified_and_recorded_once(stack: Stack) -> None:
    event_id = f"tw-{uuid.uuid4().hex}"
    body = json.dumps(
        {"type": "escrow.funded", "event_id": event_id, "data": {"contract_id": "C1", "amount": 5}}
    ).encode()
    anonymous = httpx.Client(base_url=stack.base_url, timeout=30)
    try:
        missing = anonymous.post(
            "/webhooks/trustless-work", content=body, headers={"content-type": "application/json"}
        )
        forged = anonymous.post(
            "/webhooks/trustless-work", content=body, headers=signed(body, "another secret")
        )
        first = anonymous.post("/webhooks/trustless-work", content=body, headers=signed(body))
        again = anonymous.post("/webhooks/trustless-work", content=body, headers=signed(body))
        garbled = anonymous.post(
            "/webhooks/trustless-work", content=b"[1, 2", headers=signed(b"[1, 2")
        )
    finally:
        anonymous.close()
    for refused in (missing, forged):
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "INVALID_SIGNATURE"
    assert first.status_code == 200, first.text
    assert (first.json()["data"]["duplicate"], again.json()["data"]["duplicate"]) == (False, True)
    assert first.json()["data"]["id"] == again.json()["data"]["id"]
    assert garbled.status_code == 400
    stack.caught_up()
    recorded = stack.client().get(
        "/events/log",
        params={"types": "trustless_work.*", "aggregateId": first.json()["data"]["id"]},
    )
    entries = recorded.json()["data"]
    assert len(entries) == 1
    assert entries[0]["public"] is False
    assert entries[0]["envelope"]["data"]["eventId"] == event_id
    assert entries[0]["envelope"]["data"]["payload"]["data"]["amount"] == 5


def test_without_a_configured_secret_incoming_webhooks_are_unavailable(stack: Stack) -> None:
    body = b'{"type": "escrow.funded", "event_id": "x"}'
    with api_instance(stack, trustless_webhook_secret=None) as server:
        response = httpx.post(
            f"{server.base_url}/webhooks/trustless-work", content=body, headers=signed(body)
        )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "WEBHOOK_NOT_CONFIGURED"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/hooks",
        "http://localhost/hooks",
        "https://[::1]/hooks",
        "http://169.254.169.254/latest/meta-data",  # cloud metadata
        "http://10.1.2.3/hooks",
    ],
)
def test_outside_the_sandbox_an_endpoint_on_a_private_address_is_refused(
    stack: Stack, url: str
) -> None:
    with api_instance(stack, webhook_private_targets="deny") as server:
        response = httpx.post(
            f"{server.base_url}/webhooks/endpoints",
            json={"url": url},
            headers={"Authorization": f"Bearer {MASTER_KEY}"},
        )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["details"]["field"] == "url"
