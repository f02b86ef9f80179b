"""Event type patterns: exact names, resource wildcards and everything; typos refused."""

from __future__ import annotations

import pytest

from domain.errors import ValidationError
from domain.event_types import TypeFilter

pytestmark = pytest.mark.unit


def test_a_resource_wildcard_matches_every_event_of_that_resource_only() -> None:
    wanted = TypeFilter.parse(["order.*"])
    assert wanted.matches("order.created")
    assert wanted.matches("order.escrow_funded")
    assert not wanted.matches("orders.created")
    assert not wanted.matches("balance.credited")


def test_commas_and_repeats_combine_and_no_pattern_means_everything() -> None:
    wanted = TypeFilter.parse(["balance.credited,order.*", "user.created"])
    assert wanted.patterns == ["balance.credited", "user.created", "order.*"]
    assert not wanted.matches("balance.debited")
    assert TypeFilter.parse([]).everything
    assert TypeFilter.parse(["*", "order.created"]).patterns == ["*"]


@pytest.mark.parametrize(
    "pattern",
    ["Order.*", "order", "order.*.x", "*.created", "order .created", "ord€r.x", "a" * 101],
)
def test_a_malformed_pattern_is_a_validation_error(pattern: str) -> None:
    with pytest.raises(ValidationError):
        TypeFilter.parse([pattern])
