"""The SDK verifies what Ledgerline signs: the server's own signing code and `verify` agree, and
an altered body, a wrong secret or an old timestamp does not verify."""

from __future__ import annotations

import base64
import json
import time

import pytest
from ledgerline_sdk import WebhookVerificationError, verify

from infrastructure.webhooks.signatures import standard_headers

pytestmark = pytest.mark.unit

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
EVENT = {
    "id": "7",
    "eventId": "evt_4fZ6hq1TtWvGk8Xb2LcN0e",
    "type": "balance.credited",
    "occurredAt": "2026-03-01T12:00:00.000Z",
    "aggregateType": "Balance",
    "aggregateId": "usr_4fZ6hq1TtWvGk8Xb2LcN0e",
    "version": 2,
    "data": {"amount": "1.00"},
    "metadata": {},
}


def test_a_delivery_signed_by_the_server_verifies_to_its_event() -> None:
    body = json.dumps(EVENT).encode()
    headers = standard_headers(SECRET, EVENT["eventId"], int(time.time()), body)
    event = verify(body, headers, SECRET)
    assert event.position == 7 and event.type == "balance.credited"


@pytest.mark.parametrize("tamper", ["body", "secret", "timestamp"])
def test_a_tampered_delivery_does_not_verify(tamper: str) -> None:
    body = json.dumps(EVENT).encode()
    moment = int(time.time()) - (3600 if tamper == "timestamp" else 0)
    headers = standard_headers(SECRET, EVENT["eventId"], moment, body)
    secret = "whsec_" + base64.b64encode(b"x" * 32).decode() if tamper == "secret" else SECRET
    with pytest.raises(WebhookVerificationError):
        verify(body + b" " if tamper == "body" else body, headers, secret)
