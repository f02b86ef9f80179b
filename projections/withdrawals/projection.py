"""Withdrawals as marketplaces list them (crypto and fiat), and the fiat ones still waiting on
the provider (the reconciler's read port)."""

from __future__ import annotations

from typing import Any, ClassVar

from psycopg import Cursor

from domain import identifiers
from domain.withdrawals import (
    CANCELED,
    COMMITTED,
    COMPLETED,
    FAILED,
    PENDING,
    PENDING_USER_ACTION,
    Withdrawal,
)
from projections.projection import Projection, handles


class WithdrawalsProjection(Projection):
    name = "withdrawals"
    version = 2
    ddl: ClassVar[tuple[str, ...]] = (
        """CREATE TABLE withdrawals (
            withdrawal_id             text        PRIMARY KEY,
            user_id                   text        NOT NULL,
            amount_stroops            bigint      NOT NULL,
            currency                  text        NOT NULL,
            status                    text        NOT NULL,
            destination_type          text        NOT NULL,
            destination_ref           text        NOT NULL,
            description               text,
            stellar_transaction_hash  text,
            failure_reason            text,
            error_code                text,
            parked_step               text,
            park_reason               text,
            airtm_payout_id           text,
            fee_stroops               bigint,
            provider_fee_stroops      bigint,
            net_stroops               bigint,
            created_at                timestamptz NOT NULL,
            updated_at                timestamptz NOT NULL,
            position                  bigint      NOT NULL,
            created_position          bigint      NOT NULL
        )""",
        "CREATE INDEX withdrawals_user_idx ON withdrawals (user_id, created_position)",
        "CREATE INDEX withdrawals_position_idx ON withdrawals (created_position)",
        "CREATE INDEX withdrawals_fiat_pending_idx ON withdrawals (created_position)"
        " WHERE destination_type <> 'crypto' AND status IN"
        f" ('WITHDRAWAL_CREATED', '{COMMITTED}', '{PENDING}', '{PENDING_USER_ACTION}')",
    )

    @handles(Withdrawal.Created)
    def _created(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        cursor.execute(
            "INSERT INTO withdrawals (withdrawal_id, user_id, amount_stroops, currency, status,"
            " destination_type, destination_ref, description, created_at, updated_at,"
            " position, created_position)"
            " VALUES (%s, %s, %s, %s, 'WITHDRAWAL_CREATED', %s, %s, %s, %s, %s, %s, %s)",
            (
                _id(e),
                e.user_id,
                e.amount_stroops,
                e.currency,
                e.destination_type,
                e.destination_ref,
                e.description,
                e.timestamp,
                e.timestamp,
                position,
                position,
            ),
        )

    @handles(Withdrawal.Committed)
    def _committed(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=COMMITTED)

    @handles(Withdrawal.EnvelopeSigned)
    def _pending(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=PENDING, stellar_transaction_hash=e.transaction_hash)

    @handles(Withdrawal.EnvelopeVoided)
    def _voided(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=COMMITTED, stellar_transaction_hash=None)

    @handles(Withdrawal.Completed)
    def _completed(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=COMPLETED, parked_step=None, park_reason=None)

    @handles(Withdrawal.Failed)
    def _failed(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(
            cursor,
            e,
            position,
            status=FAILED,
            failure_reason=e.reason,
            error_code=e.error_code,
            parked_step=None,
            park_reason=None,
        )

    @handles(Withdrawal.Canceled)
    def _canceled(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=CANCELED, parked_step=None, park_reason=None)

    @handles(Withdrawal.Parked)
    def _parked(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, parked_step=e.step, park_reason=e.reason)

    @handles(Withdrawal.Retried)
    def _retried(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, parked_step=None, park_reason=None)

    # -- the fiat ramp ---------------------------------------------------------------------------

    @handles(Withdrawal.PayoutCreated)
    def _payout_created(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, airtm_payout_id=e.payout_id,
                fee_stroops=e.enterprise_fee_stroops,
                provider_fee_stroops=e.provider_fee_stroops, net_stroops=e.net_stroops,
                parked_step=None, park_reason=None)  # fmt: skip

    @handles(Withdrawal.PayoutPending)
    def _payout_pending(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=PENDING, parked_step=None, park_reason=None)

    @handles(Withdrawal.AwaitingRecipient)
    def _awaiting_recipient(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=PENDING_USER_ACTION, failure_reason=e.reason)

    @handles(Withdrawal.PayoutCompleted)
    def _payout_completed(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=COMPLETED, net_stroops=e.net_stroops,
                provider_fee_stroops=e.provider_fee_stroops, failure_reason=None,
                parked_step=None, park_reason=None)  # fmt: skip

    @handles(Withdrawal.PayoutFailed)
    def _payout_failed(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=FAILED, failure_reason=e.reason,
                error_code=e.error_code, parked_step=None, park_reason=None)  # fmt: skip

    @handles(Withdrawal.PayoutCanceled)
    def _payout_canceled(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=CANCELED, failure_reason=e.reason,
                parked_step=None, park_reason=None)  # fmt: skip


def _id(e: Any) -> str:
    return identifiers.public_id(identifiers.WITHDRAWAL, e.originator_id)


def _update(cursor: Cursor[Any], e: Any, position: int, **columns: Any) -> None:
    assignments = ", ".join(f"{name} = %({name})s" for name in columns)
    cursor.execute(
        f"UPDATE withdrawals SET {assignments}, updated_at = %(at)s,"  # noqa: S608
        " position = %(position)s WHERE withdrawal_id = %(id)s",
        {**columns, "at": e.timestamp, "position": position, "id": _id(e)},
    )
