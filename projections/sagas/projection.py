"""Sagas in flight, parked, waiting or done, whatever their kind, for operators
(`GET /admin/sagas`), the reconciler (which skips users and escrows with money in flight) and
the stall sweeper.

An order's saga is IN_FLIGHT while the order plans a step, WAITING while it waits for the
marketplace (a funded escrow before its release, say), and DONE once the order is closed."""

from __future__ import annotations

from typing import Any, ClassVar, Final

from psycopg import Cursor

from domain import identifiers
from domain.audit_anchors import STEP_ANCHOR, AuditAnchor
from domain.orders import Order
from domain.topups import STEP_CANCEL_PAYIN, STEP_CREATE_PAYIN, TopUp
from domain.users import platform_user_id
from domain.wallets import STEP_TRUST, Wallet
from domain.withdrawals import (
    FIAT_DESTINATION_TYPES,
    STEP_COMMIT_PAYOUT,
    STEP_CREATE_PAYOUT,
    STEP_PAY,
    Withdrawal,
)
from projections.projection import Projection, handles

IN_FLIGHT: Final = "IN_FLIGHT"
PARKED: Final = "PARKED"
WAITING: Final = "WAITING"
DONE: Final = "DONE"


class SagasProjection(Projection):
    name = "sagas"
    version = 3
    ddl: ClassVar[tuple[str, ...]] = (
        """CREATE TABLE sagas (
            saga_id     text        PRIMARY KEY,
            kind        text        NOT NULL,
            user_id     text,
            user_ids    text[]      NOT NULL,
            status      text        NOT NULL,
            step        text,
            outcome     text,
            reason      text,
            started_at  timestamptz NOT NULL,
            updated_at  timestamptz NOT NULL,
            position    bigint      NOT NULL
        )""",
        "CREATE INDEX sagas_status_idx ON sagas (status, updated_at)",
        "CREATE INDEX sagas_active_idx ON sagas (status) WHERE status IN ('IN_FLIGHT', 'PARKED')",
        "CREATE INDEX sagas_position_idx ON sagas (position)",
    )

    # -- wallet activation --------------------------------------------------------------------

    @handles(Wallet.Created)
    def _wallet_created(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _start(cursor, _id(e, identifiers.WALLET), "wallet_activation", e, position, "fund")

    @handles(Wallet.Funded)
    def _wallet_funded(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _set(
            cursor,
            _id(e, identifiers.WALLET),
            e,
            position,
            status=IN_FLIGHT,
            step=STEP_TRUST,
            reason=None,
        )

    @handles(Wallet.Activated)
    def _wallet_activated(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _set(
            cursor,
            _id(e, identifiers.WALLET),
            e,
            position,
            status=DONE,
            step=None,
            outcome="ACTIVE",
            reason=None,
        )

    # -- withdrawals ----------------------------------------------------------------------------

    @handles(Withdrawal.Created)
    def _withdrawal_created(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        if e.destination_type in FIAT_DESTINATION_TYPES:  # a crypto one starts when held
            _start(cursor, _id(e, identifiers.WITHDRAWAL), "withdrawal", e, position,
                   STEP_CREATE_PAYOUT)  # fmt: skip

    @handles(Withdrawal.Committed)
    def _withdrawal_committed(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        # A crypto withdrawal's saga starts here (paying); a fiat one's started when created,
        # and its payout is committed next (once created). One statement, not a read and a
        # write: a read would make the page's pipeline wait for it.
        cursor.execute(
            "INSERT INTO sagas (saga_id, kind, user_id, user_ids, status, step, started_at,"
            " updated_at, position) VALUES (%(id)s, 'withdrawal', %(user)s, %(users)s,"
            " 'IN_FLIGHT', %(pay)s, %(at)s, %(at)s, %(position)s)"
            " ON CONFLICT (saga_id) DO UPDATE SET status = 'IN_FLIGHT', reason = NULL,"
            " step = CASE WHEN sagas.step = %(create)s THEN %(create)s ELSE %(commit)s END,"
            " updated_at = EXCLUDED.updated_at, position = EXCLUDED.position",
            {
                "id": _id(e, identifiers.WITHDRAWAL),
                "user": e.user_id,
                "users": [e.user_id],
                "pay": STEP_PAY,
                "at": e.timestamp,
                "position": position,
                "create": STEP_CREATE_PAYOUT,
                "commit": STEP_COMMIT_PAYOUT,
            },
        )

    @handles(Withdrawal.PayoutCreated)
    def _payout_created(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        saga_id = _id(e, identifiers.WITHDRAWAL)
        _progress(cursor, e, position)
        cursor.execute(
            "UPDATE sagas SET status = CASE WHEN step = %s THEN %s ELSE status END,"
            " step = CASE WHEN step = %s THEN NULL ELSE step END WHERE saga_id = %s",
            (STEP_CREATE_PAYOUT, WAITING, STEP_CREATE_PAYOUT, saga_id),
        )

    @handles(Withdrawal.PayoutPending, Withdrawal.AwaitingRecipient)
    def _payout_waiting(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _set(cursor, _id(e, identifiers.WITHDRAWAL), e, position, status=WAITING, step=None,
             reason=getattr(e, "reason", None))  # fmt: skip

    @handles(
        Withdrawal.Completed,
        Withdrawal.Failed,
        Withdrawal.Canceled,
        Withdrawal.PayoutCompleted,
        Withdrawal.PayoutFailed,
        Withdrawal.PayoutCanceled,
    )
    def _withdrawal_done(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        outcome = {
            "Completed": "COMPLETED", "Failed": "FAILED", "Canceled": "CANCELED",
            "PayoutCompleted": "COMPLETED", "PayoutFailed": "FAILED", "PayoutCanceled": "CANCELED",
        }  # fmt: skip
        _set(
            cursor,
            _id(e, identifiers.WITHDRAWAL),
            e,
            position,
            status=DONE,
            step=None,
            outcome=outcome[type(e).__name__],
            reason=getattr(e, "reason", None),
        )

    # -- top-ups --------------------------------------------------------------------------------

    @handles(TopUp.Created)
    def _topup_created(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _start(cursor, _id(e, identifiers.TOPUP), "topup", e, position, STEP_CREATE_PAYIN)

    @handles(TopUp.AwaitingConfirmation, TopUp.Processing)
    def _topup_waiting(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _set(cursor, _id(e, identifiers.TOPUP), e, position, status=WAITING, step=None,
             reason=None)  # fmt: skip

    @handles(TopUp.CancelRequested)
    def _topup_cancel(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _set(cursor, _id(e, identifiers.TOPUP), e, position, status=IN_FLIGHT,
             step=STEP_CANCEL_PAYIN, reason=None)  # fmt: skip

    @handles(TopUp.Succeeded, TopUp.Failed, TopUp.Canceled)
    def _topup_done(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        outcome = {"Succeeded": "SUCCEEDED", "Failed": "FAILED", "Canceled": "CANCELED"}
        _set(cursor, _id(e, identifiers.TOPUP), e, position, status=DONE, step=None,
             outcome=outcome[type(e).__name__], reason=getattr(e, "reason", None))  # fmt: skip

    # -- orders ---------------------------------------------------------------------------------

    @handles(Order.StepPlanned)
    def _order_step(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        saga_id = _id(e, identifiers.ORDER)
        if e.step is not None:
            cursor.execute(
                "INSERT INTO sagas (saga_id, kind, user_id, user_ids, status, step, started_at,"
                " updated_at, position) VALUES (%s, 'order', %s, %s, 'IN_FLIGHT', %s, %s, %s, %s)"
                " ON CONFLICT (saga_id) DO UPDATE SET status = 'IN_FLIGHT', step = EXCLUDED.step,"
                " user_ids = EXCLUDED.user_ids,"
                " reason = NULL, updated_at = EXCLUDED.updated_at, position = EXCLUDED.position",
                (
                    saga_id,
                    e.summary["buyerId"],
                    _order_users(e),
                    e.step,
                    e.timestamp,
                    e.timestamp,
                    position,
                ),
            )
        elif e.status != "CLOSED":
            _set(cursor, saga_id, e, position, status=WAITING, step=None, reason=None)

    @handles(Order.Closed)
    def _order_closed(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _set(
            cursor,
            _id(e, identifiers.ORDER),
            e,
            position,
            status=DONE,
            step=None,
            outcome=e.final_status,
            reason=None,
        )

    # -- any saga ---------------------------------------------------------------------------

    # -- anchors of the audit chain (they move no money: no user's funds are in flight) ---------

    @handles(AuditAnchor.Created)
    def _anchor_started(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        cursor.execute(
            "INSERT INTO sagas (saga_id, kind, user_id, user_ids, status, step, started_at,"
            " updated_at, position) VALUES (%s, 'audit_anchor', NULL, '{}', 'IN_FLIGHT', %s, %s,"
            " %s, %s)",
            (_id(e, identifiers.ANCHOR), STEP_ANCHOR, e.timestamp, e.timestamp, position),
        )

    @handles(AuditAnchor.Anchored)
    def _anchor_done(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _set(
            cursor,
            _id(e, identifiers.ANCHOR),
            e,
            position,
            status=DONE,
            step=None,
            outcome="anchored",
            reason=None,
        )

    @handles(Wallet.Parked, Withdrawal.Parked, Order.Parked, TopUp.Parked, AuditAnchor.Parked)
    def _parked(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _set(cursor, _saga_id(e), e, position, status=PARKED, step=e.step, reason=e.reason)

    @handles(Wallet.Retried, Withdrawal.Retried, Order.Retried, TopUp.Retried, AuditAnchor.Retried)
    def _retried(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _set(cursor, _saga_id(e), e, position, status=IN_FLIGHT, step=e.step, reason=None)

    @handles(
        Wallet.EnvelopeSigned,
        Withdrawal.EnvelopeSigned,
        Wallet.EnvelopeVoided,
        Withdrawal.EnvelopeVoided,
        Order.EnvelopeSigned,
        Order.EnvelopeVoided,
        AuditAnchor.EnvelopeSigned,
        AuditAnchor.EnvelopeVoided,
    )
    def _progressed(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        cursor.execute(
            "UPDATE sagas SET updated_at = %s, position = %s WHERE saga_id = %s",
            (e.timestamp, position, _saga_id(e)),
        )


_PREFIX_BY_AGGREGATE: Final = {
    "Wallet": identifiers.WALLET,
    "Withdrawal": identifiers.WITHDRAWAL,
    "Order": identifiers.ORDER,
    "TopUp": identifiers.TOPUP,
    "AuditAnchor": identifiers.ANCHOR,
}


def _progress(cursor: Cursor[Any], e: Any, position: int) -> None:
    cursor.execute(
        "UPDATE sagas SET updated_at = %s, position = %s WHERE saga_id = %s",
        (e.timestamp, position, _saga_id(e)),
    )


def _order_users(e: Any) -> list[str]:
    """Whose money an order's step moves on chain: buyer and seller, and the platform's when
    the step pays fees out of the escrow."""
    users = [e.summary["buyerId"], e.summary["sellerId"]]
    if e.step.startswith(("release", "resolve")):
        users.append(platform_user_id())
    return users


def _saga_id(e: Any) -> str:
    return _id(e, _PREFIX_BY_AGGREGATE[type(e).__qualname__.partition(".")[0]])


def _id(e: Any, prefix: str) -> str:
    return identifiers.public_id(prefix, e.originator_id)


def _start(cursor: Cursor[Any], saga_id: str, kind: str, e: Any, position: int, step: str) -> None:
    cursor.execute(
        "INSERT INTO sagas (saga_id, kind, user_id, user_ids, status, step, started_at,"
        " updated_at, position) VALUES (%s, %s, %s, %s, 'IN_FLIGHT', %s, %s, %s, %s)",
        (saga_id, kind, e.user_id, [e.user_id], step, e.timestamp, e.timestamp, position),
    )


def _set(cursor: Cursor[Any], saga_id: str, e: Any, position: int, **columns: Any) -> None:
    assignments = ", ".join(f"{name} = %({name})s" for name in columns)
    cursor.execute(
        f"UPDATE sagas SET {assignments}, updated_at = %(at)s, position = %(position)s"  # noqa: S608
        " WHERE saga_id = %(id)s",
        {**columns, "at": e.timestamp, "position": position, "id": saga_id},
    )
