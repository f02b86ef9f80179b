"""Users, their balances and statements, and an operator's manual adjustments."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody

from application.balances import Balances
from application.users import Users
from domain import identifiers
from domain.api_keys import ADMIN, READ, WRITE
from domain.errors import ValidationError
from domain.money import Amount
from domain.postings import user_available, user_reserved
from interfaces.http.as_of import AS_OF_DEPENDENCIES, BooksAsOf
from interfaces.http.contract.answers import answers, or_existing
from interfaces.http.edge.admission import claimed_with_events, scope
from interfaces.http.edge.dependencies import Provided, Respond
from interfaces.http.edge.read_your_writes import ReadYourWrites
from interfaces.http.edge.responses import Envelope, Responder
from interfaces.http.schemas.users import (
    AdjustBalanceRequest,
    BalanceOperationBody,
    CreateUserRequest,
    LedgerLineBody,
    UserBalanceBody,
    UserBody,
    balance_as_of_body,
    balance_body,
    balance_operation_body,
    ledger_line_body,
    user_body,
)
from interfaces.http.schemas.vocabulary import STATEMENT_ACCOUNTS
from interfaces.http.schemas.wire import Cursor, Limit, queried
from interfaces.settings import Settings
from projections.balances.view import BalancesView
from projections.ledger_entries.view import LedgerEntriesView
from projections.users.view import UsersView

USER_MODELS = ("users", "balances")
StatementAccountQuery = Annotated[
    str | None, queried(enum=list(STATEMENT_ACCOUNTS), examples=["available"])
]


def _user_id(user_id: str) -> str:
    identifiers.parse_public_id(identifiers.USER, user_id)
    return user_id


class UsersController(Controller):
    path = "/users"
    tags = ["users"]

    @post("/", opt=scope(WRITE) | or_existing(), sync_to_thread=True, operation_id="createUser")
    def create(
        self, data: JSONBody[CreateUserRequest], users: Provided[Users], respond: Respond
    ) -> Response[Envelope[UserBody]]:
        """Creates a user (201), or returns the one with this externalUserId (200)."""
        return respond.command(
            lambda ctx: users.create_user(data.external_user_id, data.email, data.type, ctx),
            lambda result: user_body(result.user),
            status=lambda result: 201 if result.created else 200,
        )

    @get("/", opt=scope(READ), sync_to_thread=True, operation_id="listUsers")
    def list_users(
        self,
        request: Request[Any, Any, Any],
        users_view: Provided[UsersView],
        read_your_writes: Provided[ReadYourWrites],
        respond: Respond,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> Response[Envelope[list[UserBody]]]:
        """Users, newest first."""
        read_your_writes.wait(request, *USER_MODELS)
        return respond.page(users_view.list(limit, cursor), user_body)

    @get("/{user_id:str}", opt=scope(READ), sync_to_thread=True, operation_id="getUser")
    def get_user(
        self,
        request: Request[Any, Any, Any],
        user_id: FromPath[str],
        users_view: Provided[UsersView],
        read_your_writes: Provided[ReadYourWrites],
        respond: Respond,
    ) -> Response[Envelope[UserBody]]:
        """One user with its balance; USER_NOT_FOUND when unknown."""
        read_your_writes.wait(request, *USER_MODELS)
        return respond.ok(user_body(users_view.get(_user_id(user_id))))

    @get(
        "/{user_id:str}/balance",
        opt=scope(READ),
        sync_to_thread=True,
        operation_id="getBalance",
        dependencies=AS_OF_DEPENDENCIES,
    )
    def balance(
        self,
        request: Request[Any, Any, Any],
        user_id: FromPath[str],
        balances_view: Provided[BalancesView],
        ledger_entries_view: Provided[LedgerEntriesView],
        read_your_writes: Provided[ReadYourWrites],
        respond: Respond,
        books_as_of: BooksAsOf,
    ) -> Response[Envelope[UserBalanceBody]]:
        """Available, reserved and total (as of `asOf`, read off the user's statement lines);
        USER_NOT_FOUND when unknown."""
        read_your_writes.wait(request, "balances")
        row = balances_view.get(_user_id(user_id))
        position = books_as_of
        if position is not None:
            available, available_at = ledger_entries_view.balance_as_of(
                user_available(user_id), position
            )
            reserved, reserved_at = ledger_entries_view.balance_as_of(
                user_reserved(user_id), position
            )
            moments = [m for m in (available_at, reserved_at) if m is not None]
            body = balance_as_of_body(row, available, reserved, max(moments, default=None))
            return respond.ok(body)
        return respond.ok(balance_body(row))

    @get("/{user_id:str}/ledger", opt=scope(READ), sync_to_thread=True, operation_id="getLedger")
    def ledger(
        self,
        request: Request[Any, Any, Any],
        user_id: FromPath[str],
        users_view: Provided[UsersView],
        ledger_entries_view: Provided[LedgerEntriesView],
        read_your_writes: Provided[ReadYourWrites],
        respond: Respond,
        limit: Limit = None,
        cursor: Cursor = None,
        account: StatementAccountQuery = None,
    ) -> Response[Envelope[list[LedgerLineBody]]]:
        """Statement lines of the user's available and reserved accounts, newest first, each
        with the account's running balance."""
        read_your_writes.wait(request, "ledger_entries", "users")
        users_view.get(_user_id(user_id))
        accounts = {
            "available": [user_available(user_id)],
            "reserved": [user_reserved(user_id)],
            None: [user_available(user_id), user_reserved(user_id)],
        }[account]
        page = ledger_entries_view.statement(accounts, limit, cursor)
        return respond.page(page, ledger_line_body)

    @post(
        "/{user_id:str}/balance/credit",
        opt=scope(ADMIN) | claimed_with_events(),
        status_code=200,
        sync_to_thread=True,
        operation_id="creditBalance",
    )
    def credit(
        self,
        user_id: FromPath[str],
        data: JSONBody[AdjustBalanceRequest],
        settings: Provided[Settings],
        balances: Provided[Balances],
        respond: Respond,
    ) -> Response[Envelope[BalanceOperationBody]]:
        """A manual credit with its `reason`, recorded as its own event. OFFER-HUB's
        `description` is taken as the reason and its `reference` kept in the event's metadata."""
        return self._adjust(user_id, "credit", data, settings, balances, respond)

    @post(
        "/{user_id:str}/balance/debit",
        opt=scope(ADMIN) | claimed_with_events() | answers(errors=(422,)),
        status_code=200,
        sync_to_thread=True,
        operation_id="debitBalance",
    )
    def debit(
        self,
        user_id: FromPath[str],
        data: JSONBody[AdjustBalanceRequest],
        settings: Provided[Settings],
        balances: Provided[Balances],
        respond: Respond,
    ) -> Response[Envelope[BalanceOperationBody]]:
        """A manual debit with its reason; INSUFFICIENT_FUNDS beyond what is available."""
        return self._adjust(user_id, "debit", data, settings, balances, respond)

    @staticmethod
    def _adjust(
        user_id: str,
        direction: Literal["credit", "debit"],
        data: AdjustBalanceRequest,
        settings: Settings,
        balances: Balances,
        respond: Responder,
    ) -> Response[Any]:
        currency = settings.currency
        if data.currency is not None and data.currency != currency:
            raise ValidationError(f"currency must be {currency}", field="currency")
        amount = Amount.parse_positive(data.amount, currency)
        reason, reference = data.note, data.checked_reference
        return respond.command(
            lambda ctx: balances.adjust(
                _user_id(user_id), direction, amount, reason, replace(ctx, reference=reference)
            ),
            balance_operation_body,
        )
