"""The wire's base types: request and response bodies, aware timestamps, the `userId` query,
the balance shape, the strings a request may carry, and the string shapes the OpenAPI document
states (amounts, ids, times).

Every string a request body holds is one of the text types below: at most its field's
maximum, and storable everywhere it may end up — PostgreSQL text cannot hold NUL, UTF-8 (so
JSON out, and a Stellar memo) cannot encode a lone UTF-16 surrogate. A string that breaks either
is a 400 VALIDATION_ERROR naming the field, before anything is recorded, so no such string ever
reaches the log (where it would stop the read models that cannot store it). msgspec's JSON
decoder itself refuses a lone surrogate escape; the pattern states the rule for OpenAPI and for
strings decoded any other way. `storable_json` applies it to free-form JSON (`metadata`), where
no pattern can reach.

The amount and id shapes are the ones the domain parses (`domain.money`, `domain.identifiers`);
on requests they are stated for the document only (`described`), so the domain keeps refusing
bad values with its own codes (INVALID_AMOUNT, VALIDATION_ERROR), and
tests/unit/test_wire_shapes.py holds each pattern to the parser it describes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Final

import msgspec
from litestar.openapi.spec import Example
from litestar.params import QueryParameter

from application.balances import REASON_LENGTH_MAX as ADJUSTMENT_REASON_LENGTH_MAX
from application.order_terms import (
    CLIENT_ORDER_REF_LENGTH_MAX,
    DESCRIPTION_LENGTH_MAX,
    TITLE_LENGTH_MAX,
)
from application.topups import DESCRIPTION_LENGTH_MAX as TOPUP_DESCRIPTION_LENGTH_MAX
from application.withdrawals import DESCRIPTION_LENGTH_MAX as WITHDRAWAL_DESCRIPTION_LENGTH_MAX
from domain import identifiers
from domain.api_keys import NAME_LENGTH_MAX
from domain.disputes import EVIDENCE_MAX
from domain.disputes import TEXT_LENGTH_MAX as DISPUTE_TEXT_LENGTH_MAX
from domain.errors import ValidationError
from domain.money import WIRE_LENGTH_MAX as AMOUNT_LENGTH_MAX
from domain.order_rules import REASON_LENGTH_MAX
from domain.users import EXTERNAL_USER_ID_LENGTH_MAX
from domain.webhooks import DESCRIPTION_LENGTH_MAX as ENDPOINT_DESCRIPTION_LENGTH_MAX
from domain.webhooks import URL_LENGTH_MAX
from projections.pagination import LIMIT_MAX

LIMIT_MIN: Final = 1

# No NUL: what PostgreSQL text can hold. The other half of the rule, no lone UTF-16 surrogate
# (which UTF-8 cannot encode), needs no pattern in a JSON body: msgspec's decoder refuses a lone
# surrogate escape, and the edge names the field (edge/errors.py). Leaving it out keeps the
# pattern one every regex engine reads (a Rust or UTF-8 engine refuses `\ud800` ranges), so
# validators of the OpenAPI document accept it; the description still states the whole rule.
STORABLE_PATTERN: Final = r"^[^\x00]*$"
STORABLE_RULE: Final = "must not contain NUL characters or unpaired UTF-16 surrogates"

# Each field's maximum, in characters (code points). A maximum the rules below the edge also
# enforce is theirs, imported, so the wire and the rule never disagree.
ID_LENGTH_MAX: Final = 64  # public ids are a prefix and 22 characters; room for longer prefixes
CODE_LENGTH_MAX: Final = 100  # enumerated words: types, scopes, statuses, currencies, event types
EMAIL_LENGTH_MAX: Final = 320  # RFC 5321: 64 for the local part, @, 255 for the domain
DESTINATION_LENGTH_MAX: Final = 256  # a Stellar address is 56 characters, a muxed one 69


def _text(length_max: int, description: str) -> msgspec.Meta:
    return msgspec.Meta(
        pattern=STORABLE_PATTERN,
        max_length=length_max,
        description=f"{description}; at most {length_max} characters, {STORABLE_RULE}",
    )


PublicId = Annotated[str, _text(ID_LENGTH_MAX, "a public id such as usr_…")]
Code = Annotated[str, _text(CODE_LENGTH_MAX, "one of the documented values")]
ExternalUserId = Annotated[
    str, _text(EXTERNAL_USER_ID_LENGTH_MAX, "the marketplace's own id for the user")
]
Email = Annotated[str, _text(EMAIL_LENGTH_MAX, "an email address")]
Title = Annotated[str, _text(TITLE_LENGTH_MAX, "a short title")]
Description = Annotated[str, _text(DESCRIPTION_LENGTH_MAX, "free text")]
Reference = Annotated[str, _text(CLIENT_ORDER_REF_LENGTH_MAX, "the marketplace's reference")]
Reason = Annotated[str, _text(REASON_LENGTH_MAX, "why")]
AdjustmentReason = Annotated[str, _text(ADJUSTMENT_REASON_LENGTH_MAX, "why the balance changes")]
# Kept with the adjustment's event (its metadata), as OFFER-HUB's `reference` was.
ADJUSTMENT_REFERENCE_LENGTH_MAX: Final = 200
AdjustmentReference = Annotated[
    str, _text(ADJUSTMENT_REFERENCE_LENGTH_MAX, "the marketplace's reference for the adjustment")
]
WithdrawalDescription = Annotated[
    str, _text(WITHDRAWAL_DESCRIPTION_LENGTH_MAX, "what the withdrawal is for")
]
TopUpDescription = Annotated[str, _text(TOPUP_DESCRIPTION_LENGTH_MAX, "what the top-up is for")]
DisputeText = Annotated[str, _text(DISPUTE_TEXT_LENGTH_MAX, "free text")]
Evidence = Annotated[list[DisputeText], msgspec.Meta(max_length=EVIDENCE_MAX)]
Destination = Annotated[str, _text(DESTINATION_LENGTH_MAX, "a Stellar address")]
KeyName = Annotated[str, _text(NAME_LENGTH_MAX, "a name to recognise the key by")]
Url = Annotated[str, _text(URL_LENGTH_MAX, "an https URL")]
EndpointDescription = Annotated[
    str, _text(ENDPOINT_DESCRIPTION_LENGTH_MAX, "what the endpoint is for")
]

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
    """An id: the document states its exact shape (the domain's parser refuses another with its
    own code); decoding a request already refuses what could not be stored, or is too long."""
    return msgspec.Meta(
        pattern=STORABLE_PATTERN,
        max_length=ID_LENGTH_MAX,
        extra_json_schema={
            "extra": {"pattern": id_pattern(prefix)},
            "examples": [id_example(prefix)],
        },
    )


# -- on requests: stated, enforced by the domain -------------------------------------------------
AmountIn = Annotated[
    str,
    msgspec.Meta(
        max_length=AMOUNT_LENGTH_MAX,
        description='a decimal string with at most 7 decimals, e.g. "10.50"',
        extra_json_schema={"extra": {"pattern": AMOUNT_IN_PATTERN}, "examples": ["25.50"]},
    ),
]
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


def storable(text: str) -> bool:
    """Whether PostgreSQL text and UTF-8 can both hold `text`."""
    return "\x00" not in text and not any("\ud800" <= c <= "\udfff" for c in text)


def storable_json(value: Any, field: str) -> None:
    """Raises ValueError (msgspec reports it as a 400 naming `field`) when any key or string in
    the JSON `value` is not storable; PostgreSQL's jsonb refuses NUL even as an escape."""
    where = unstorable_field(value)
    if where is not None:
        raise ValueError(
            f"{field}.{where} {STORABLE_RULE}" if where else f"{field} {STORABLE_RULE}"
        )


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every key and string in `value` with where it is (`metadata.tags[2]`), without recursion
    (its depth is the request's, bounded by the edge)."""
    pending = [(path, value)]
    while pending:
        where, item = pending.pop()
        if isinstance(item, str):
            yield where, item
        elif isinstance(item, dict):
            for key, child in item.items():
                yield where, str(key)
                pending.append((f"{where}.{key}" if where else str(key), child))
        elif isinstance(item, list):
            pending.extend((f"{where}[{i}]", child) for i, child in enumerate(item))


def unstorable_field(value: Any) -> str | None:
    """Where the first string in the JSON `value` that is not storable is, if any."""
    return next((where for where, text in _strings(value, "") if not storable(text)), None)


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
