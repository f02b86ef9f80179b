"""Public ids: a type prefix plus the aggregate's UUID in fixed-width base62 (`usr_…`, `ord_…`).

Ids derived from natural keys (an external user id, a client order ref, a Stellar operation id)
are UUIDv5 in one namespace, so a retried command collides with its first attempt instead of
creating a duplicate. Decoding refuses a wrong prefix or a malformed body with InvalidIdError.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Final
from uuid import UUID, uuid5

from domain.errors import InvalidIdError

_ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_INDEX: Final = {c: i for i, c in enumerate(_ALPHABET)}
# 62**22 > 2**128, so every UUID fits in 22 characters.
ENCODED_LENGTH: Final = 22
NATURAL_KEY_NAMESPACE: Final = UUID("6f1d4c0e-3b4a-5d43-9f3e-1c2b7a9e0d11")
# Every two-digit string of the alphabet by its value (62 * high + low): encoding a UUID takes
# half as many divisions (every projection encodes several ids per event, a rebuild millions).
_PAIRS: Final = tuple(high + low for high in _ALPHABET for low in _ALPHABET)
_PAIR_BASE: Final = len(_ALPHABET) ** 2
_NAMESPACE_BYTES: Final = NATURAL_KEY_NAMESPACE.bytes
# The bits uuid.UUID(..., version=5) sets: the RFC 4122 variant and the version.
_VARIANT_MASK: Final = ~(0xC000 << 48)
_VARIANT: Final = 0x8000 << 48
_VERSION_MASK: Final = ~(0xF000 << 64)
_VERSION_5: Final = 5 << 76

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


# Ids of users, accounts and orders recur event after event (a feed row names its aggregate and
# its users, a statement line its accounts): the recent ones are kept encoded.
ENCODED_CACHE_SIZE: Final = 65_536


@lru_cache(maxsize=ENCODED_CACHE_SIZE)
def encode_uuid(value: UUID) -> str:
    return _encode_int(value.int)


def _encode_int(number: int) -> str:
    """`number` (< 2**128) in ENCODED_LENGTH base62 digits, most significant first."""
    pairs = []
    for _ in range(ENCODED_LENGTH // 2):
        number, remainder = divmod(number, _PAIR_BASE)
        pairs.append(_PAIRS[remainder])
    pairs.reverse()
    return "".join(pairs)


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
    """The public id of a stored event, derived from its place in its aggregate's sequence:
    `public_id(EVENT, natural_uuid("event", originator_id.hex, str(originator_version)))`,
    computed as uuid.uuid5 does without building the UUID object (every feed row and statement
    line names its event, so a rebuild computes millions)."""
    name = f"event\x1f{originator_id.hex}\x1f{originator_version}"
    digest = hashlib.sha1(_NAMESPACE_BYTES + name.encode(), usedforsecurity=False).digest()
    number = int.from_bytes(digest[:16], "big")
    number = (number & _VARIANT_MASK | _VARIANT) & _VERSION_MASK | _VERSION_5
    return f"{EVENT}_{_encode_int(number)}"
