"""Cursor pagination for every list: `limit` 1–100 (default 20) and an opaque `cursor`.

A cursor encodes the sort key of the last item returned — a position-like integer, or for lists
sorted by name (ledger accounts) the name — and the next page starts strictly after it, so pages
never repeat or skip rows even while new rows arrive. A cursor of one kind is refused where the
other is expected.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from domain.errors import ValidationError

LIMIT_DEFAULT: Final = 20
LIMIT_MAX: Final = 100

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    has_more: bool
    next_cursor: str | None


def check_limit(limit: int | None) -> int:
    if limit is None:
        return LIMIT_DEFAULT
    if not 1 <= limit <= LIMIT_MAX:
        raise ValidationError(f"limit must be 1 to {LIMIT_MAX}", field="limit")
    return limit


def encode_cursor(sort_key: int) -> str:
    return base64.urlsafe_b64encode(f"p{sort_key}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith("p"):
            raise ValueError(text)
        return int(text[1:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationError("cursor is not valid", field="cursor") from None


def encode_name_cursor(sort_key: str) -> str:
    return base64.urlsafe_b64encode(f"n{sort_key}".encode()).decode().rstrip("=")


def decode_name_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        text = ""
    if not text.startswith("n") or "\x00" in text:
        raise ValidationError("cursor is not valid", field="cursor")
    return text[1:]


def page_of(rows: list[T], limit: int, sort_key_of: Callable[[T], int]) -> Page[T]:
    """`rows` were fetched with limit+1; the extra row only tells whether there is more."""
    has_more = len(rows) > limit
    items = rows[:limit]
    next_cursor = encode_cursor(sort_key_of(items[-1])) if has_more and items else None
    return Page(items, has_more, next_cursor)


def page_by_name(rows: list[T], limit: int, name_of: Callable[[T], str]) -> Page[T]:
    """As `page_of`, for rows sorted by a name."""
    has_more = len(rows) > limit
    items = rows[:limit]
    next_cursor = encode_name_cursor(name_of(items[-1])) if has_more and items else None
    return Page(items, has_more, next_cursor)
