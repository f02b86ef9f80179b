"""The audit chain's canonical JSON and links, as an auditor would recompute them by hand."""

from __future__ import annotations

import hashlib

import pytest

from projections.event_feed.audit_chain import GENESIS_HASH, canonical, link

pytestmark = pytest.mark.unit


def test_canonical_json_sorts_keys_at_every_level_without_whitespace() -> None:
    envelope = {"type": "a.b", "data": {"z": 1, "a": [True, None, "é"]}, "id": "7"}
    assert canonical(envelope) == '{"data":{"a":[true,null,"é"],"z":1},"id":"7","type":"a.b"}'


def test_canonical_json_refuses_what_json_cannot_say() -> None:
    with pytest.raises(ValueError):
        canonical({"amount": float("nan")})


def test_a_link_hashes_the_previous_digest_bytes_then_the_utf8_envelope() -> None:
    text = canonical({"id": "1", "note": "café"})
    first = link(GENESIS_HASH, text)
    assert first == hashlib.sha256(bytes(32) + text.encode("utf-8")).hexdigest()
    second = link(first, text)
    assert second == hashlib.sha256(bytes.fromhex(first) + text.encode("utf-8")).hexdigest()
    assert second != first
