"""Public ids: a type prefix plus the aggregate's UUID in fixed-width base62 (`usr_…`, `ord_…`).

Ids derived from natural keys (an external user id, a client order ref, a Stellar operation id)
are UUIDv5 in one namespace, so a retried command collides with its first attempt instead of
creating a duplicate. Decoding refuses a wrong prefix or a malformed body with InvalidIdError.
"""

from __future__ import annotations

from typing import Final
from uuid import UUID, uuid5

from domain.errors import InvalidIdError

_ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_INDEX: Final = {c: i for i, c in enumerate(_ALPHABET)}
# 62**22 > 2**128, so every UUID fits in 22 characters.
ENCODED_LENGTH: Final = 22
NATURAL_KEY_NAMESPACE: Final = UUID("6f1d4c0e-3b4a-5d43-9f3e-1c2b7a9e0d11")

USER: Final = "usr"
ACCOUNT: Final = "acc"
ORDER: Final = "ord"
ESCROW: Final = "esc"
DISPUTE: Final = "dsp"
WITHDRAWAL: Final = "wd"
DEPOSIT: Final = "dep"
WALLET: Final = "wal"
API_KEY: Final = "key"
EVENT: Final = "evt"
WEBHOOK_ENDPOINT: Final = "whe"
SAGA: Final = "sag"
RECONCILIATION: Final = "rec"
INCOMING_WEBHOOK: Final = "iwh"
TOPUP: Final = "top"
ANCHOR: Final = "anc"


def encode_uuid(value: UUID) -> str:
    number = value.int
    chars = []
    for _ in range(ENCODED_LENGTH):
        number, remainder = divmod(number, 62)
        chars.append(_ALPHABET[remainder])
    return "".join(reversed(chars))


def decode_uuid(text: str) -> UUID:
    if len(text) != ENCODED_LENGTH:
        raise InvalidIdError("malformed id", value=text[:64])
    number = 0
    for char in text:
        digit = _INDEX.get(char)
        if digit is None:
            raise InvalidIdError("malformed id", value=text[:64])
        number = number * 62 + digit
    if number >= 2**128:
        raise InvalidIdError("malformed id", value=text[:64])
    return UUID(int=number)


def public_id(prefix: str, value: UUID) -> str:
    return f"{prefix}_{encode_uuid(value)}"


def parse_public_id(prefix: str, text: str) -> UUID:
    """The UUID behind `text`, which must carry `prefix`."""
    head, sep, body = text.partition("_")
    if not sep or head != prefix:
        raise InvalidIdError(f"expected an id starting with '{prefix}_'", value=text[:64])
    return decode_uuid(body)


def natural_uuid(kind: str, *parts: str) -> UUID:
    """Deterministic UUID for a natural key, so retries of the same command collide."""
    return uuid5(NATURAL_KEY_NAMESPACE, "\x1f".join((kind, *parts)))


def event_id(originator_id: UUID, originator_version: int) -> str:
    """The public id of a stored event, derived from its place in its aggregate's sequence."""
    return public_id(EVENT, natural_uuid("event", originator_id.hex, str(originator_version)))
