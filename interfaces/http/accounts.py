"""`GET /accounts`, `/accounts/{account}`, its statement, and `GET /transactions/{eventId}`
(audit scope): every ledger account of the double entry and every event's postings.

Read straight off the ledger-entries read model, a fold of the log's postings; the edge only
translates. Account names are the books' own (`user:{id}:available`, `escrow:{order}`,
`platform:fees`, `external:stellar`, …).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath

from domain import identifiers
from domain.api_keys import AUDIT
from interfaces.http.as_of import AS_OF_DEPENDENCIES, BOOKS, BooksAsOf

# Where they lived before interfaces/http/as_of.py, for routes that still import them from here.
from interfaces.http.as_of import AsOf as AsOf
from interfaces.http.as_of import as_of_position as as_of_position
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


class AccountsController(Controller):
    path = "/accounts"
    tags = ["audit"]

    dependencies = AS_OF_DEPENDENCIES

    @get("/", opt=scope(AUDIT), sync_to_thread=True, operation_id="listLedgerAccounts")
    def list_accounts(
        self,
        request: Request[Any, Any, Any],
        ledger_entries_view: Provided[LedgerEntriesView],
        read_your_writes: Provided[ReadYourWrites],
        respond: Respond,
        books_as_of: BooksAsOf,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> Response[Envelope[list[LedgerAccountBody]]]:
        """Every ledger account a posting has touched (as of `asOf`), by name, a page at a time,
        with its balance (credits minus debits) and its debit and credit totals; the balances of
        all pages sum to zero."""
        read_your_writes.wait(request, BOOKS)
        page = ledger_entries_view.accounts_page(limit, cursor, books_as_of)
        return respond.page(page, ledger_account_body)

    @get("/{account:str}", opt=scope(AUDIT), sync_to_thread=True, operation_id="getLedgerAccount")
    def get_account(
        self,
        request: Request[Any, Any, Any],
        account: FromPath[str],
        ledger_entries_view: Provided[LedgerEntriesView],
        read_your_writes: Provided[ReadYourWrites],
        respond: Respond,
        books_as_of: BooksAsOf,
    ) -> Response[Envelope[LedgerAccountBody]]:
        """One ledger account's balance and totals (as of `asOf`); LEDGER_ACCOUNT_NOT_FOUND
        when no posting has ever touched it."""
        read_your_writes.wait(request, BOOKS)
        return respond.ok(ledger_account_body(ledger_entries_view.account(account, books_as_of)))

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
        read_your_writes: Provided[ReadYourWrites],
        respond: Respond,
        books_as_of: BooksAsOf,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> Response[Envelope[list[LedgerLineBody]]]:
        """The account's statement lines (up to `asOf`), newest first, each with its running
        balance."""
        read_your_writes.wait(request, BOOKS)
        ledger_entries_view.account(account)
        page = ledger_entries_view.statement([account], limit, cursor, books_as_of)
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
        read_your_writes.wait(request, BOOKS, "event_feed")
        lines = ledger_entries_view.transaction(event_id)
        envelope = feed_view.envelope_of(event_id)
        if envelope is None:
            raise TransactionNotFoundError(f"event {event_id} is not in the event feed yet")
        return respond.ok(transaction_body(envelope, lines))
