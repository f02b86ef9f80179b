"""The audit chain's canonical JSON and links, as an auditor would recompute them by hand."""

from __future__ import annotations

import hashlib

import pytest

from projections.event_feed.audit_chain import GENESIS_HASH, canonical, chained, link, link_of

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


def test_a_link_covers_the_chained_subset_so_adding_postings_leaves_the_hash_unchanged() -> None:
    before = {"id": "3", "type": "balance.credited", "data": {"amount": "1.00"}}
    after = before | {"postings": [{"debit": "external:stellar", "credit": "u", "amount": "1.00"}]}
    assert link_of(GENESIS_HASH, after) == link_of(GENESIS_HASH, before)
    assert link_of(GENESIS_HASH, after) == link(GENESIS_HASH, canonical(before))
    assert chained(after) == before


def test_a_link_still_changes_with_any_chained_key() -> None:
    before = {"id": "3", "type": "balance.credited", "data": {"amount": "1.00"}}
    altered = before | {"data": {"amount": "1.01"}}
    assert link_of(GENESIS_HASH, altered) != link_of(GENESIS_HASH, before)
