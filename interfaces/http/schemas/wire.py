"""The wire's base types: request and response bodies, aware timestamps, the `userId` query,
the balance shape, and the strings a request may carry.

Every string a request body holds is one of the text types below: at most its field's
maximum, and storable everywhere it may end up — PostgreSQL text cannot hold NUL, UTF-8 (so
JSON out, and a Stellar memo) cannot encode a lone UTF-16 surrogate. A string that breaks either
is a 400 VALIDATION_ERROR naming the field, before anything is recorded, so no such string ever
reaches the log (where it would stop the read models that cannot store it). msgspec's JSON
decoder itself refuses a lone surrogate escape; the pattern states the rule for OpenAPI and for
strings decoded any other way. `storable_json` applies it to free-form JSON (`metadata`), where
no pattern can reach.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Final

import msgspec
from litestar.params import QueryParameter

from application.balances import REASON_LENGTH_MAX as ADJUSTMENT_REASON_LENGTH_MAX
from application.order_terms import (
    CLIENT_ORDER_REF_LENGTH_MAX,
    DESCRIPTION_LENGTH_MAX,
    TITLE_LENGTH_MAX,
)
from application.withdrawals import DESCRIPTION_LENGTH_MAX as WITHDRAWAL_DESCRIPTION_LENGTH_MAX
from domain.api_keys import NAME_LENGTH_MAX
from domain.disputes import EVIDENCE_MAX
from domain.disputes import TEXT_LENGTH_MAX as DISPUTE_TEXT_LENGTH_MAX
from domain.money import WIRE_LENGTH_MAX as AMOUNT_LENGTH_MAX
from domain.order_rules import REASON_LENGTH_MAX
from domain.users import EXTERNAL_USER_ID_LENGTH_MAX
from domain.webhooks import DESCRIPTION_LENGTH_MAX as ENDPOINT_DESCRIPTION_LENGTH_MAX
from domain.webhooks import URL_LENGTH_MAX

# No NUL and no UTF-16 surrogate code point (U+D800–U+DFFF): what PostgreSQL text and UTF-8
# can hold. Written with escapes so the pattern itself is plain ASCII (and valid ECMA-262).
STORABLE_PATTERN: Final = r"^[^\x00\ud800-\udfff]*$"
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
AmountText = Annotated[
    str,
    msgspec.Meta(
        max_length=AMOUNT_LENGTH_MAX,
        description='a decimal string with at most 7 decimals, e.g. "10.50"',
    ),
]
ExternalUserId = Annotated[
    str, _text(EXTERNAL_USER_ID_LENGTH_MAX, "the marketplace's own id for the user")
]
Email = Annotated[str, _text(EMAIL_LENGTH_MAX, "an email address")]
Title = Annotated[str, _text(TITLE_LENGTH_MAX, "a short title")]
Description = Annotated[str, _text(DESCRIPTION_LENGTH_MAX, "free text")]
Reference = Annotated[str, _text(CLIENT_ORDER_REF_LENGTH_MAX, "the marketplace's reference")]
Reason = Annotated[str, _text(REASON_LENGTH_MAX, "why")]
AdjustmentReason = Annotated[str, _text(ADJUSTMENT_REASON_LENGTH_MAX, "why the balance changes")]
WithdrawalDescription = Annotated[
    str, _text(WITHDRAWAL_DESCRIPTION_LENGTH_MAX, "what the withdrawal is for")
]
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
# `?userId=` on list routes (camelCase on the wire like every other name).
UserIdQuery = Annotated[str | None, QueryParameter(name="userId")]


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
    available: str
    reserved: str
    total: str
    currency: str
