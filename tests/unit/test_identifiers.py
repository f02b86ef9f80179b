"""Public ids: a prefix plus a fixed-width base62 UUID; natural keys give stable ids."""

from __future__ import annotations

from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import identifiers
from domain.errors import InvalidIdError

pytestmark = pytest.mark.unit


@given(st.uuids())
def test_every_uuid_round_trips_through_its_public_id(value: UUID) -> None:
    text = identifiers.public_id(identifiers.USER, value)
    assert text.startswith("usr_") and len(text) == 4 + identifiers.ENCODED_LENGTH
    assert identifiers.parse_public_id(identifiers.USER, text) == value


@pytest.mark.parametrize(
    "text",
    [
        "",
        "usr_",
        "usr",
        "ord_0000000000000000000000",
        "usr_!!!!!!!!!!!!!!!!!!!!!!",
        "usr_000000000000000000000",
        "usr_zzzzzzzzzzzzzzzzzzzzzz",
        "USR_0000000000000000000000",
    ],
)
def test_malformed_or_foreign_ids_are_refused(text: str) -> None:
    with pytest.raises(InvalidIdError):
        identifiers.parse_public_id(identifiers.USER, text)


def test_the_same_natural_key_always_gives_the_same_id() -> None:
    first = identifiers.natural_uuid("user", "alice")
    assert first == identifiers.natural_uuid("user", "alice")
    assert first != identifiers.natural_uuid("user", "bob")
    assert first != identifiers.natural_uuid("order", "alice")


def test_event_ids_are_derived_from_their_place_in_the_aggregate() -> None:
    value = identifiers.natural_uuid("user", "alice")
    assert identifiers.event_id(value, 1) == identifiers.event_id(value, 1)
    assert identifiers.event_id(value, 1) != identifiers.event_id(value, 2)


def digit_by_digit(value: UUID) -> str:
    """The encoding as first written: one division by 62 per digit (stored ids use it)."""
    number, chars = value.int, []
    for _ in range(identifiers.ENCODED_LENGTH):
        number, remainder = divmod(number, 62)
        chars.append("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[remainder])
    return "".join(reversed(chars))


@given(st.uuids())
def test_the_encoding_is_the_digit_by_digit_one_it_always_was(value: UUID) -> None:
    assert identifiers.encode_uuid(value) == digit_by_digit(value)


@given(st.uuids(), st.integers(min_value=0, max_value=2**63))
def test_an_event_id_is_the_public_id_of_its_natural_uuid(aggregate: UUID, version: int) -> None:
    natural = identifiers.natural_uuid("event", aggregate.hex, str(version))
    assert identifiers.event_id(aggregate, version) == identifiers.public_id(
        identifiers.EVENT, natural
    )


def test_the_extreme_uuids_encode_at_full_width() -> None:
    assert identifiers.encode_uuid(UUID(int=0)) == "0" * identifiers.ENCODED_LENGTH
    assert identifiers.encode_uuid(UUID(int=2**128 - 1)) == digit_by_digit(UUID(int=2**128 - 1))
