"""Amounts: exact stroops, the wire format's rules, and refusals of everything else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidAmountError
from domain.money import STROOPS_MAX, Amount, format_stroops, wire_text

pytestmark = pytest.mark.unit


@given(st.integers(min_value=0, max_value=STROOPS_MAX))
def test_every_amount_survives_a_round_trip_through_the_wire(stroops: int) -> None:
    amount = Amount(stroops)
    assert Amount.parse(amount.to_wire()) == amount


@given(st.integers(min_value=0, max_value=STROOPS_MAX))
def test_the_wire_text_is_the_formula_it_always_was(stroops: int) -> None:
    whole, fraction = divmod(stroops, 10**7)
    assert wire_text(stroops) == f"{whole}." + f"{fraction:07d}".rstrip("0").ljust(2, "0")


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10**7 - 1))
def test_input_with_up_to_seven_decimals_is_read_exactly(whole: int, fraction: int) -> None:
    text = f"{whole}.{fraction:07d}".rstrip("0").rstrip(".")
    assert Amount.parse(text).stroops == whole * 10**7 + fraction


@pytest.mark.parametrize(
    ("stroops", "wire"),
    [
        (0, "0.00"),
        (10**8, "10.00"),
        (105_000_000, "10.50"),
        (1, "0.0000001"),
        (1_234_567, "0.1234567"),
        (10**7 + 10**5, "1.01"),
    ],
)
def test_output_has_two_decimals_at_least_and_no_trailing_zeros_beyond(
    stroops: int, wire: str
) -> None:
    assert Amount(stroops).to_wire() == wire


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "-1",
        "+1",
        "1e5",
        "1E5",
        "NaN",
        "nan",
        "inf",
        "Infinity",
        "0.00000001",
        "1.",
        ".5",
        "01",
        "00.5",
        "1,5",
        "1 000",
        " 1",
        "1 ",
        "0x10",
        "١٢",
        "10.5.1",
        "1" * 41,
    ],
)
def test_malformed_amount_strings_are_refused(text: str) -> None:
    with pytest.raises(InvalidAmountError):
        Amount.parse(text)


@pytest.mark.parametrize("value", [10, 10.5, None, ["1"], {"a": 1}, True])
def test_amounts_that_are_not_strings_are_refused(value: object) -> None:
    with pytest.raises(InvalidAmountError):
        Amount.parse(value)


def test_zero_is_refused_where_a_positive_amount_is_required() -> None:
    with pytest.raises(InvalidAmountError):
        Amount.parse_positive("0.00")


def test_arithmetic_across_currencies_is_refused() -> None:
    with pytest.raises(InvalidAmountError):
        _ = Amount(1, "USDC") + Amount(1, "EURC")


def test_subtraction_never_goes_negative() -> None:
    with pytest.raises(InvalidAmountError):
        _ = Amount(1) - Amount(2)


def test_floats_cannot_become_amounts() -> None:
    with pytest.raises(InvalidAmountError):
        Amount(1.5)  # type: ignore[arg-type]


def test_ledger_balances_may_be_formatted_negative() -> None:
    assert format_stroops(-105_000_000) == "-10.50"
