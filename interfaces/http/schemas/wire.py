"""The wire's base types: request and response bodies, aware timestamps, the `userId` query,
the balance shape, and the string shapes the OpenAPI document states (amounts, ids, times).

The shapes are the ones the domain parses (`domain.money`, `domain.identifiers`); on requests
they are stated for the document only (`described`), so the domain keeps refusing bad values
with its own codes (INVALID_AMOUNT, VALIDATION_ERROR), and tests/unit/test_wire_shapes.py holds
each pattern to the parser it describes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final

import msgspec
from litestar.openapi.spec import Example
from litestar.params import QueryParameter

from domain import identifiers
from domain.errors import ValidationError
from projections.pagination import LIMIT_MAX

LIMIT_MIN: Final = 1

# Timestamps on input must say their zone; a naive time is ambiguous for money deadlines.
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]

# What `domain.money.Amount.parse` reads: no sign, no exponent, at most 7 decimals.
AMOUNT_IN_PATTERN: Final = r"^(0|[1-9][0-9]{0,18})(\.[0-9]{1,7})?$"
# What `Amount.to_wire` writes: always 2 to 7 decimals.
AMOUNT_OUT_PATTERN: Final = r"^(0|[1-9][0-9]*)\.[0-9]{2,7}$"
# A running balance (`format_stroops`) may be written with a sign.
SIGNED_AMOUNT_PATTERN: Final = r"^-?(0|[1-9][0-9]*)\.[0-9]{2,7}$"
TIMESTAMP_EXAMPLE: Final = "2026-03-01T12:00:00.000Z"
STELLAR_ADDRESS_PATTERN: Final = r"^G[A-Z2-7]{55}$"
STELLAR_ADDRESS_EXAMPLE: Final = "GBRPYHIL2CI3FNQ4BXLFMNDLFJUNPU2HY3ZMFSHONUCEOASW7QC7OX2H"


def id_pattern(prefix: str) -> str:
    return rf"^{prefix}_[0-9A-Za-z]{{{identifiers.ENCODED_LENGTH}}}$"


def id_example(prefix: str) -> str:
    return f"{prefix}_" + "4fZ6hq1TtWvGk8Xb2LcN0e"[: identifiers.ENCODED_LENGTH]


def described(**schema: Any) -> msgspec.Meta:
    """Constraints the OpenAPI document states but msgspec does not enforce (the domain does)."""
    examples = schema.pop("examples", None)
    extra: dict[str, Any] = {"extra": schema} if schema else {}
    if examples is not None:
        extra["examples"] = examples
    return msgspec.Meta(extra_json_schema=extra)


def _id(prefix: str) -> msgspec.Meta:
    return described(pattern=id_pattern(prefix), examples=[id_example(prefix)])


# -- on requests: stated, enforced by the domain -------------------------------------------------
AmountIn = Annotated[str, described(pattern=AMOUNT_IN_PATTERN, examples=["25.50"])]
UserIdIn = Annotated[str, _id(identifiers.USER)]
OrderIdIn = Annotated[str, _id(identifiers.ORDER)]

# -- on responses: what the server writes ------------------------------------------------------
AmountText = Annotated[str, described(pattern=AMOUNT_OUT_PATTERN, examples=["25.50"])]
SignedAmountText = Annotated[str, described(pattern=SIGNED_AMOUNT_PATTERN, examples=["-3.75"])]
Timestamp = Annotated[str, described(format="date-time", examples=[TIMESTAMP_EXAMPLE])]
UserId = Annotated[str, _id(identifiers.USER)]
OrderId = Annotated[str, _id(identifiers.ORDER)]
EscrowId = Annotated[str, _id(identifiers.ESCROW)]
DisputeId = Annotated[str, _id(identifiers.DISPUTE)]
WithdrawalId = Annotated[str, _id(identifiers.WITHDRAWAL)]
DepositId = Annotated[str, _id(identifiers.DEPOSIT)]
WalletId = Annotated[str, _id(identifiers.WALLET)]
EventId = Annotated[str, _id(identifiers.EVENT)]
EndpointId = Annotated[str, _id(identifiers.WEBHOOK_ENDPOINT)]
# The master key authenticates as `master`; every other key has a public id.
ApiKeyId = Annotated[
    str,
    described(
        pattern=rf"^(master|{identifiers.API_KEY}_[0-9A-Za-z]{{{identifiers.ENCODED_LENGTH}}})$",
        examples=[id_example(identifiers.API_KEY)],
    ),
]
StellarAddress = Annotated[
    str,
    described(pattern=STELLAR_ADDRESS_PATTERN, examples=[STELLAR_ADDRESS_EXAMPLE]),
]
TransactionHash = Annotated[str, described(pattern=r"^[0-9a-f]{64}$", examples=["3389e9f0" * 8])]


# -- query strings (camelCase like every other name; OFFER-HUB's snake_case is accepted too, see
# edge/query.py). Stated for the document; the handlers and views check them. ------------------
def queried(name: str | None = None, **schema: Any) -> QueryParameter:
    """A query parameter's `QueryParameter`, with what the document states about its value."""
    examples = schema.pop("examples", None)
    return QueryParameter(  # type: ignore[no-any-return]
        name=name,
        schema_extra=schema or None,
        examples=[Example(value=v) for v in examples] if examples else None,
    )


Limit = Annotated[
    int | None,
    queried(minimum=LIMIT_MIN, maximum=LIMIT_MAX, description="Page size (20 if absent)."),
]
Cursor = Annotated[
    str | None,
    queried(description="`meta.pagination.nextCursor` of the page before.", examples=["cDQy"]),
]
UserIdQuery = Annotated[
    str | None,
    queried(
        "userId", pattern=id_pattern(identifiers.USER), examples=[id_example(identifiers.USER)]
    ),
]
OrderIdQuery = Annotated[
    str | None,
    queried(
        "orderId", pattern=id_pattern(identifiers.ORDER), examples=[id_example(identifiers.ORDER)]
    ),
]


class Request(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """Base of every request body: camelCase, and unknown fields are a 400, not ignored."""


class Body(msgspec.Struct, rename="camel"):
    """Base of every response resource."""


class BalanceBody(Body):
    available: AmountText
    reserved: AmountText
    total: AmountText
    currency: str


def either(ours: Any, theirs: Any, name: str, *, required: bool = True) -> Any:
    """One value given under our name or OFFER-HUB's: both with different values is a 400 naming
    ours, and so is neither when the field is required."""
    if ours is not None and theirs is not None and ours != theirs:
        raise ValidationError(f"{name} is given twice with different values", field=name)
    value = ours if ours is not None else theirs
    if value is None and required:
        raise ValidationError(f"{name} is required", field=name)
    return value
