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
