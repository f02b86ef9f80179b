"""Withdrawals (to Stellar addresses, or through AirTM to a bank or an AirTM wallet), and the
deposits that came in."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody

from application.withdrawals import WithdrawalRequested, Withdrawals
from domain import identifiers
from domain.api_keys import READ, WRITE
from domain.errors import ValidationError
from domain.money import Amount
from interfaces.http.contract.answers import answers, settles
from interfaces.http.edge.admission import scope
from interfaces.http.edge.dependencies import Provided, Respond
from interfaces.http.edge.prefer import prefer_wait_s
from interfaces.http.edge.read_your_writes import ReadYourWrites
from interfaces.http.edge.responses import Envelope, Waiting
from interfaces.http.schemas.money_movements import (
    CancelRequest,
    CreateWithdrawalRequest,
    DepositBody,
    WithdrawalBody,
    deposit_body,
    withdrawal_body,
)
from interfaces.http.schemas.vocabulary import WITHDRAWAL_STATUSES
from interfaces.http.schemas.wire import Cursor, Limit, UserIdQuery, queried
from interfaces.settings import Settings
from projections.deposits.view import DepositsView
from projections.withdrawals.view import WithdrawalsView

WithdrawalStatusQuery = Annotated[
    str | None, queried(enum=list(WITHDRAWAL_STATUSES), examples=["WITHDRAWAL_COMPLETED"])
]


class WithdrawalsController(Controller):
    path = "/withdrawals"
    tags = ["withdrawals"]

    @post(
        "/",
        opt=scope(WRITE) | settles(errors=(404, 422)),
        status_code=202,
        sync_to_thread=True,
        operation_id="createWithdrawal",
    )
    def create(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[CreateWithdrawalRequest],
        withdrawals: Provided[Withdrawals],
        settings: Provided[Settings],
        respond: Respond,
    ) -> Response[Envelope[WithdrawalBody]]:
        """Holds the amount and pays it out on chain (202). `Prefer: wait=N` (N ≤ 30) waits
        for the payment to settle and answers 200 with the completed or failed withdrawal."""
        currency = settings.currency
        if data.currency is not None and data.currency != currency:
            raise ValidationError(f"currency must be {currency}", field="currency")
        identifiers.parse_public_id(identifiers.USER, data.user_id)
        amount = Amount.parse_positive(data.amount, currency)

        def reload(result: WithdrawalRequested) -> WithdrawalRequested:
            fresh = withdrawals.get(result.withdrawal.public_id)
            return WithdrawalRequested(fresh, result.position)

        return respond.command(
            lambda ctx: withdrawals.request(
                data.user_id,
                amount,
                data.destination_type,
                data.destination_ref,
                data.description,
                ctx,
                commit=data.commit is not False,
            ),
            lambda result: withdrawal_body(result.withdrawal),
            status=202,
            waiting=Waiting(
                prefer_wait_s(request), reload, lambda result: result.withdrawal.is_terminal
            ),
        )

    @get("/", opt=scope(READ), sync_to_thread=True, operation_id="listWithdrawals")
    def list_withdrawals(
        self,
        request: Request[Any, Any, Any],
        withdrawals_view: Provided[WithdrawalsView],
        read_your_writes: Provided[ReadYourWrites],
        respond: Respond,
        user_id: UserIdQuery = None,
        status: WithdrawalStatusQuery = None,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> Response[Envelope[list[WithdrawalBody]]]:
        """Withdrawals, newest first; filter by `userId` and `status`."""
        if user_id is not None:
            identifiers.parse_public_id(identifiers.USER, user_id)
        read_your_writes.wait(request, "withdrawals")
        page = withdrawals_view.list(user_id, status, limit, cursor)
        return respond.page(page, withdrawal_body)

    @get("/{withdrawal_id:str}", opt=scope(READ), sync_to_thread=True, operation_id="getWithdrawal")
    def get_withdrawal(
        self,
        withdrawal_id: FromPath[str],
        withdrawals: Provided[Withdrawals],
        respond: Respond,
    ) -> Response[Envelope[WithdrawalBody]]:
        """One withdrawal, current to the last event (read from the log, not a read model)."""
        return respond.ok(withdrawal_body(withdrawals.get(withdrawal_id)))

    @post(
        "/{withdrawal_id:str}/cancel",
        opt=scope(WRITE),
        status_code=200,
        sync_to_thread=True,
        operation_id="cancelWithdrawal",
    )
    def cancel(
        self,
        withdrawal_id: FromPath[str],
        withdrawals: Provided[Withdrawals],
        respond: Respond,
        data: JSONBody[CancelRequest | None] = None,
    ) -> Response[Envelope[WithdrawalBody]]:
        """Cancels before the payment is signed; the hold returns to available."""
        reason = data.reason if data else None
        return respond.command(
            lambda ctx: withdrawals.cancel(withdrawal_id, ctx.api_key_id or "api", reason, ctx),
            withdrawal_body,
        )

    @post(
        "/{withdrawal_id:str}/commit",
        opt=scope(WRITE) | settles(errors=(404, 409, 422)),
        sync_to_thread=True,
        operation_id="commitWithdrawal",
    )
    def commit(
        self,
        request: Request[Any, Any, Any],
        withdrawal_id: FromPath[str],
        withdrawals: Provided[Withdrawals],
        respond: Respond,
    ) -> Response[Envelope[WithdrawalBody]]:
        """Commits a fiat withdrawal created with `commit: false`: its AirTM payout is committed
        (202; `Prefer: wait=N` waits for it to settle)."""
        uuid = identifiers.parse_public_id(identifiers.WITHDRAWAL, withdrawal_id)
        return respond.command(
            lambda ctx: withdrawals.fiat.commit(uuid, ctx),
            lambda changed: withdrawal_body(changed.withdrawal),
            status=202,
            waiting=Waiting(
                prefer_wait_s(request),
                lambda changed: replace(changed, withdrawal=withdrawals.get(withdrawal_id)),
                lambda changed: changed.withdrawal.is_terminal,
            ),
        )

    @post(
        "/{withdrawal_id:str}/refresh",
        opt=scope(WRITE) | answers(errors=(404, 409, 502, 504)),
        sync_to_thread=True,
        status_code=200,
        operation_id="refreshWithdrawal",
    )
    def refresh(
        self, withdrawal_id: FromPath[str], withdrawals: Provided[Withdrawals], respond: Respond
    ) -> Response[Envelope[WithdrawalBody]]:
        """Asks AirTM where a fiat withdrawal's payout is and applies it (a failed payout's
        hold returns to available here too)."""
        uuid = identifiers.parse_public_id(identifiers.WITHDRAWAL, withdrawal_id)
        return respond.command(
            lambda ctx: withdrawals.fiat.refresh(uuid, ctx),
            lambda changed: withdrawal_body(changed.withdrawal),
        )


class DepositsController(Controller):
    path = "/deposits"
    tags = ["deposits"]

    @get("/", opt=scope(READ), sync_to_thread=True, operation_id="listDeposits")
    def list_deposits(
        self,
        request: Request[Any, Any, Any],
        deposits_view: Provided[DepositsView],
        read_your_writes: Provided[ReadYourWrites],
        respond: Respond,
        user_id: UserIdQuery = None,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> Response[Envelope[list[DepositBody]]]:
        """Credited Stellar deposits, newest first, each with its transaction hash."""
        if user_id is not None:
            identifiers.parse_public_id(identifiers.USER, user_id)
        read_your_writes.wait(request, "deposits")
        return respond.page(deposits_view.list(user_id, limit, cursor), deposit_body)
