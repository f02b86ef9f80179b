"""`GET /accounts`, `/accounts/{account}`, its statement, and `GET /transactions/{eventId}`
(audit scope): every ledger account of the double entry and every event's postings.

Read straight off the ledger-entries read model, a fold of the log's postings; the edge only
translates. Account names are the books' own (`user:{id}:available`, `escrow:{order}`,
`platform:fees`, `external:stellar`, …).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, QueryParameter

from domain import identifiers
from domain.api_keys import AUDIT
from domain.errors import ValidationError
from interfaces.http.audit import moment
from interfaces.http.edge.admission import scope
from interfaces.http.edge.dependencies import Provided, Respond
from interfaces.http.edge.read_your_writes import ReadYourWrites
from interfaces.http.edge.responses import Envelope
from interfaces.http.schemas.accounts import (
    LedgerAccountBody,
    TransactionBody,
    account_line_body,
    ledger_account_body,
    transaction_body,
)
from interfaces.http.schemas.users import LedgerLineBody
from interfaces.http.schemas.wire import Cursor, Limit
from projections.event_feed.view import FeedView
from projections.ledger_entries.view import LedgerEntriesView, TransactionNotFoundError

# Positions are bigint in every table; a longer number names no position.
POSITION_DIGITS_MAX: Final = 18
AsOf = Annotated[
    str | None,
    QueryParameter(
        name="asOf",
        description="A POSITION, or an ISO 8601 time with a zone (the last position at or"
        " before it): the answer is as of that point of the log.",
        max_length=64,
    ),
]


def as_of_position(text: str | None, feed: FeedView, books: LedgerEntriesView) -> int | None:
    """The position `asOf` names; refused past the position the statement lines reached, where
    an answer could not be exact."""
    if text is None:
        return None
    if text.isdigit() and len(text) <= POSITION_DIGITS_MAX:
        position = int(text)
    else:
        position = feed.position_at(_moment(text))
    reached = books.position()
    if position > reached:
        raise ValidationError(
            f"asOf {position} is past position {reached}, the last the books have reached",
            field="asOf",
        )
    return position


def _moment(text: str) -> datetime:
    parsed = moment(text, "asOf")
    assert parsed is not None  # only None for an absent text, handled by the caller
    return parsed


class AccountsController(Controller):
    path = "/accounts"
    tags = ["audit"]

    @get("/", opt=scope(AUDIT), sync_to_thread=True, operation_id="listLedgerAccounts")
    def list_accounts(
        self,
        request: Request[Any, Any, Any],
        ledger_entries_view: Provided[LedgerEntriesView],
        feed_view: Provided[FeedView],
        read_your_writes: Provided[ReadYourWrites],
        respond: Respond,
        as_of: AsOf = None,
    ) -> Response[Envelope[list[LedgerAccountBody]]]:
        """Every ledger account a posting has touched (as of `asOf`), with its balance (credits
        minus debits) and its debit and credit totals; the balances sum to zero."""
        read_your_writes.wait(request, "ledger_entries")
        position = as_of_position(as_of, feed_view, ledger_entries_view)
        accounts = ledger_entries_view.accounts(position)
        return respond.ok([ledger_account_body(a) for a in accounts])

    @get("/{account:str}", opt=scope(AUDIT), sync_to_thread=True, operation_id="getLedgerAccount")
    def get_account(
        self,
        request: Request[Any, Any, Any],
        account: FromPath[str],
        ledger_entries_view: Provided[LedgerEntriesView],
        feed_view: Provided[FeedView],
        read_your_writes: Provided[ReadYourWrites],
        respond: Respond,
        as_of: AsOf = None,
    ) -> Response[Envelope[LedgerAccountBody]]:
        """One ledger account's balance and totals (as of `asOf`); LEDGER_ACCOUNT_NOT_FOUND
        when no posting has ever touched it."""
        read_your_writes.wait(request, "ledger_entries")
        position = as_of_position(as_of, feed_view, ledger_entries_view)
        return respond.ok(ledger_account_body(ledger_entries_view.account(account, position)))

    @get(
        "/{account:str}/entries",
        opt=scope(AUDIT),
        sync_to_thread=True,
        operation_id="listLedgerAccountEntries",
    )
    def entries(
        self,
        request: Request[Any, Any, Any],
        account: FromPath[str],
        ledger_entries_view: Provided[LedgerEntriesView],
        feed_view: Provided[FeedView],
        read_your_writes: Provided[ReadYourWrites],
        respond: Respond,
        limit: Limit = None,
        cursor: Cursor = None,
        as_of: AsOf = None,
    ) -> Response[Envelope[list[LedgerLineBody]]]:
        """The account's statement lines (up to `asOf`), newest first, each with its running
        balance."""
        read_your_writes.wait(request, "ledger_entries")
        position = as_of_position(as_of, feed_view, ledger_entries_view)
        ledger_entries_view.account(account)
        page = ledger_entries_view.statement([account], limit, cursor, position)
        return respond.page(page, account_line_body)


class TransactionsController(Controller):
    path = "/transactions"
    tags = ["audit"]

    @get("/{event_id:str}", opt=scope(AUDIT), sync_to_thread=True, operation_id="getTransaction")
    def get_transaction(
        self,
        request: Request[Any, Any, Any],
        event_id: FromPath[str],
        ledger_entries_view: Provided[LedgerEntriesView],
        feed_view: Provided[FeedView],
        read_your_writes: Provided[ReadYourWrites],
        respond: Respond,
    ) -> Response[Envelope[TransactionBody]]:
        """A money event with its postings and the balance each account was left with;
        TRANSACTION_NOT_FOUND for an unknown event or one that moved no money."""
        identifiers.parse_public_id(identifiers.EVENT, event_id)
        read_your_writes.wait(request, "ledger_entries", "event_feed")
        lines = ledger_entries_view.transaction(event_id)
        envelope = feed_view.envelope_of(event_id)
        if envelope is None:
            raise TransactionNotFoundError(f"event {event_id} is not in the event feed yet")
        return respond.ok(transaction_body(envelope, lines))
