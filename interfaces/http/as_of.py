"""`?asOf=POSITION|ISO-8601` on reads of the books (accounts, their statements, user balances):
parsed, checked and waited for in one place, a dependency the routes name `books_as_of`.

A time with a zone names the last position at or before it. The answer is read off the
statement lines (projections/ledger_entries/), so `X-Min-Position` waits for them first, and a
position past the one they have reached is 400 VALIDATION_ERROR: that answer could not be exact
yet.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from litestar import Request
from litestar.di import Provide
from litestar.params import QueryParameter

from domain.errors import ValidationError
from interfaces.http.audit import moment
from interfaces.http.edge.dependencies import Provided
from interfaces.http.edge.read_your_writes import ReadYourWrites
from projections.event_feed.view import FeedView
from projections.ledger_entries.view import LedgerEntriesView

# Positions are bigint in every table; a longer number names no position.
POSITION_DIGITS_MAX: Final = 18
BOOKS: Final = "ledger_entries"
AsOf = Annotated[
    str | None,
    QueryParameter(
        name="asOf",
        description="A POSITION, or an ISO 8601 time with a zone (the last position at or"
        " before it): the answer is as of that point of the log.",
        max_length=64,
    ),
]
# What a handler asks for: the position `asOf` names, None without one.
BooksAsOf = Provided[int | None]


def as_of_position(text: str | None, feed: FeedView, books: LedgerEntriesView) -> int | None:
    """The position `asOf` names; refused past the position the statement lines reached, where
    an answer could not be exact."""
    if text is None:
        return None
    if text.isdigit() and len(text) <= POSITION_DIGITS_MAX:
        position = int(text)
    else:
        parsed = moment(text, "asOf")
        assert parsed is not None  # only None for an absent text
        position = feed.position_at(parsed)
    reached = books.position()
    if position > reached:
        raise ValidationError(
            f"asOf {position} is past position {reached}, the last the books have reached",
            field="asOf",
        )
    return position


def _books_as_of(
    request: Request[Any, Any, Any],
    read_your_writes: Provided[ReadYourWrites],
    feed_view: Provided[FeedView],
    ledger_entries_view: Provided[LedgerEntriesView],
    as_of: AsOf = None,
) -> int | None:
    if as_of is None:
        return None
    read_your_writes.wait(request, BOOKS)  # the check below reads how far the books are
    return as_of_position(as_of, feed_view, ledger_entries_view)


# Route dependencies of every handler that takes `asOf`.
AS_OF_DEPENDENCIES: Final = {"books_as_of": Provide(_books_as_of, sync_to_thread=True)}
