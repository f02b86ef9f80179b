"""The audit chain's canonical JSON and links, as an auditor would recompute them by hand."""

from __future__ import annotations

import hashlib
import json

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from projections.event_feed.audit_chain import (
    GENESIS_HASH,
    canonical,
    canonical_of,
    chained,
    jcs,
    jcs_general,
    link,
    link_of,
)
from projections.storable import storable

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


# Version 2: RFC 8785 (JCS), held byte for byte to the stock `rfc8785` package.

SAFE_INTEGER = 2**53 - 1
# Characters where code point order and UTF-16 order part (above U+FFFF against U+E000–U+FFFF),
# controls JSON must escape, and ordinary text, so keys collide on every rule that matters.
AWKWARD = st.sampled_from(
    ["a", "é", "\ue000", "\uffff", "\U00010000", "\U0001f600", "\x00", "\x1f"]
)
TEXT = st.text(AWKWARD | st.characters(codec="utf-8"), max_size=6)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-SAFE_INTEGER, SAFE_INTEGER)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
)
PLAIN_SCALARS = st.none() | st.booleans() | st.integers(-SAFE_INTEGER, SAFE_INTEGER) | TEXT


def json_of(scalars: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=5)
        ),
        max_leaves=24,
    )


@given(json_of(SCALARS))
def test_version_2_bytes_are_rfc8785s_for_any_json(value: object) -> None:
    assert jcs(value) == rfc8785.dumps(value)
    assert jcs_general(value) == rfc8785.dumps(value)


@given(json_of(PLAIN_SCALARS))
def test_without_floats_the_canonical_text_already_is_jcs(value: object) -> None:
    """What lets the feed hash the text it stores as it is (no float, no key above U+FFFF
    beside one in U+E000–U+FFFF, or the general path takes it)."""
    assert jcs(value) == rfc8785.dumps(value)
    assert jcs(value, canonical(value)) == rfc8785.dumps(value)  # type: ignore[arg-type]


def stdlib_canonical(value: object) -> str:
    """canonical() as docs/audit.md defines it, with nothing but the standard library."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


LONE_SURROGATE = st.just("\ud800x")


@settings(max_examples=300)
@given(json_of(SCALARS | st.integers(-(2**200), 2**200) | LONE_SURROGATE))
def test_the_canonical_text_is_the_standard_librarys_byte_for_byte(value: object) -> None:
    """The fast path (msgspec, for plain values) never changes a stored or hashed byte."""
    text, plain = canonical_of(value)
    assert text == canonical(value) == stdlib_canonical(value)
    if plain:
        assert jcs(value, text, plain) == rfc8785.dumps(value)


ENVELOPES = st.fixed_dictionaries(
    {
        "id": st.integers(1, 10**12).map(str),
        "type": st.sampled_from(["order.created", "balance.credited"]),
        "version": st.integers(1, 10**6),
        "data": st.dictionaries(
            TEXT,
            json_of(SCALARS | st.integers(-(2**200), 2**200)),
            max_size=4,
        ),
    },
    optional={
        "postings": st.lists(
            st.fixed_dictionaries({"debit": TEXT, "credit": TEXT, "amount": st.just("1.00")}),
            max_size=3,
        )
    },
)


@settings(max_examples=300)
@given(ENVELOPES, st.sampled_from([GENESIS_HASH, "ab" * 32]))
def test_a_version_2_link_is_what_an_auditor_recomputes_from_the_served_text(
    envelope: dict[str, object], previous: str
) -> None:
    """docs/audit.md's script: the served text read with every number as a double (as RFC 8785
    reads JSON), then stock `rfc8785.dumps` — integers past 2^53 included."""
    served = canonical(envelope)
    as_read = json.loads(served, parse_int=float)
    expected = hashlib.sha256(bytes.fromhex(previous) + rfc8785.dumps(as_read)).hexdigest()
    assert link_of(previous, envelope, 2, served) == expected
    assert link_of(previous, envelope, 2) == expected


def test_version_2_escapes_nul_and_controls_as_rfc8785_and_a_lone_surrogate_as_ecmascript() -> None:
    assert (
        jcs({"a": "\x00\x1f\n"})
        == rfc8785.dumps({"a": "\x00\x1f\n"})
        == b'{"a":"\\u0000\\u001f\\n"}'
    )
    # No stored event can hold one (the store writes UTF-8), but the rule is total: the escape
    # JSON.stringify writes, and the one the feed's text is stored with.
    assert jcs({"\udc00": "x\ud83d"}) == b'{"\\udc00":"x\\ud83d"}'
    # The feed stores (and serves) its canonical text through storable(), whose escape is that.
    envelope = {"id": "9", "data": {"note": "x\ud83d\x00"}}
    assert storable(canonical(envelope)).encode() == jcs(envelope)


def test_version_2_writes_numbers_as_doubles_the_way_rfc8785_does() -> None:
    assert (
        jcs({"f": 1e-07, "g": 100.0, "h": -0.0, "i": 2**53 + 1})
        == b'{"f":1e-7,"g":100,"h":0,"i":9007199254740992}'
    )
    assert jcs({"huge": 10**400}) == b'{"huge":' + str(10**400).encode() + b"}"


def test_a_version_2_link_covers_postings_where_version_1_sets_them_aside() -> None:
    before = {"id": "3", "type": "balance.credited", "data": {"amount": "1.00"}}
    after = before | {"postings": [{"debit": "external:stellar", "credit": "u", "amount": "1.00"}]}
    assert link_of(GENESIS_HASH, after, 2) != link_of(GENESIS_HASH, before, 2)
    assert link_of(GENESIS_HASH, after, 2) != link_of(GENESIS_HASH, after, 1)
    # Without postings or floats both versions hash the same bytes.
    assert link_of(GENESIS_HASH, before, 2) == link_of(GENESIS_HASH, before, 1)
    # A key added to envelopes after version 2 is outside it until a later version names it.
    assert link_of(GENESIS_HASH, after | {"later": 1}, 2) == link_of(GENESIS_HASH, after, 2)


def test_a_chain_version_this_code_does_not_know_is_refused() -> None:
    with pytest.raises(ValueError, match="chain version 3"):
        link_of(GENESIS_HASH, {"id": "1"}, 3)


@given(ENVELOPES, st.sampled_from([1, 2]))
def test_a_link_from_the_stored_text_is_the_link_from_the_envelope(
    envelope: dict[str, object], version: int
) -> None:
    """The feed passes the canonical text it stores, to hash it as it is where it can."""
    assert link_of(GENESIS_HASH, envelope, version, canonical(envelope)) == link_of(
        GENESIS_HASH, envelope, version
    )
