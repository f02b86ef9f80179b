"""Webhook signatures: Standard Webhooks for what we send, Trustless Work's for what we get."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from infrastructure.webhooks.signatures import standard_headers, trustless_work_signature_valid

pytestmark = pytest.mark.unit


def test_our_signature_matches_the_standard_webhooks_reference_vector() -> None:
    headers = standard_headers(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
    )
    assert headers["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert headers["webhook-id"] == "msg_p5jXN8AQM9LWM0D4loKWxJek"
    assert headers["webhook-timestamp"] == "1614265330"


def test_a_trustless_work_signature_verifies_only_over_the_exact_body() -> None:
    body = b'{"event_id":"e1","type":"escrow.funded"}'
    good = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert trustless_work_signature_valid("s3cret", body, good)
    assert trustless_work_signature_valid("s3cret", body, good.upper())
    assert not trustless_work_signature_valid("s3cret", body + b" ", good)
    assert not trustless_work_signature_valid("other", body, good)
    assert not trustless_work_signature_valid("s3cret", body, None)
    assert not trustless_work_signature_valid("s3cret", body, good[:-2])
    assert not trustless_work_signature_valid("s3cret", body, "zz" * 32)
