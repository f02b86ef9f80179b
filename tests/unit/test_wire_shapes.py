"""The words and shapes the OpenAPI document states are the ones the domain uses: every enum is
the domain's own set, and every pattern accepts exactly what the parser it describes accepts."""

from __future__ import annotations

import re
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import identifiers, order_states, users, withdrawals
from domain.api_keys import SCOPES as DOMAIN_SCOPES
from domain.disputes import DISPUTE_STATES
from domain.errors import InvalidAmountError
from domain.escrow_steps import ACTIONS
from domain.milestones import MilestoneRequest
from domain.money import Amount, format_stroops
from interfaces.http.schemas import vocabulary
from interfaces.http.schemas.wire import (
    AMOUNT_IN_PATTERN,
    AMOUNT_OUT_PATTERN,
    SIGNED_AMOUNT_PATTERN,
    id_example,
    id_pattern,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("stated", "domain"),
    [
        (vocabulary.ORDER_STATUSES, order_states.ORDER_STATES),
        (vocabulary.DECISIONS, order_states.DECISIONS),
        (vocabulary.PARTIES, order_states.OPENERS),
        (vocabulary.DISPUTE_REASONS, order_states.DISPUTE_REASONS),
        (vocabulary.DISPUTE_STATUSES, DISPUTE_STATES),
        (vocabulary.USER_TYPES, users.USER_TYPES),
        (vocabulary.SCOPES, DOMAIN_SCOPES),
        (vocabulary.ESCROW_ACTIONS, ACTIONS),
        (
            vocabulary.FINAL_STATUSES,
            (*order_states.FINAL_STATUS_BY_DECISION.values(), "CANCELED"),
        ),
        (
            vocabulary.WITHDRAWAL_STATUSES,
            (
                withdrawals.CREATED,
                withdrawals.COMMITTED,
                withdrawals.PENDING,
                withdrawals.PENDING_USER_ACTION,
                withdrawals.COMPLETED,
                withdrawals.FAILED,
                withdrawals.CANCELED,
            ),
        ),
        (vocabulary.ESCROW_STATUSES, tuple(order_states.EscrowStatus)),
        (vocabulary.MILESTONE_STATUSES, tuple(order_states.MilestoneStatus)),
        (vocabulary.PENDING_REQUESTS, tuple(MilestoneRequest)),
    ],
)
def test_every_stated_enum_is_the_domains_own_set(
    stated: tuple[str, ...], domain: tuple[str, ...]
) -> None:
    assert set(stated) == set(domain)


@given(st.text(alphabet="0123456789.-+e ", max_size=24))
def test_the_amount_pattern_accepts_what_the_parser_accepts(text: str) -> None:
    try:
        Amount.parse(text)
        parsed = True
    except InvalidAmountError:
        parsed = False
    assert parsed == bool(re.fullmatch(AMOUNT_IN_PATTERN.strip("^$"), text))


@given(st.integers(min_value=0, max_value=2**63 - 1))
def test_every_amount_written_matches_the_stated_pattern(stroops: int) -> None:
    assert re.match(AMOUNT_OUT_PATTERN, Amount(stroops).to_wire())
    assert re.match(SIGNED_AMOUNT_PATTERN, format_stroops(-stroops))


@given(st.uuids())
def test_every_public_id_matches_its_stated_pattern(value: UUID) -> None:
    for prefix in (identifiers.USER, identifiers.ORDER, identifiers.WITHDRAWAL):
        assert re.match(id_pattern(prefix), identifiers.public_id(prefix, value))
        identifiers.parse_public_id(prefix, id_example(prefix))
