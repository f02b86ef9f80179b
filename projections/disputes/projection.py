"""Disputes for support staff: who opened them, who reviews them, what was decided and paid."""

from __future__ import annotations

from typing import Any, ClassVar

from psycopg import Cursor
from psycopg.types.json import Jsonb

from domain import identifiers
from domain.disputes import OPEN, RESOLVED, UNDER_REVIEW, Dispute
from projections.projection import Projection, handles


class DisputesProjection(Projection):
    name = "disputes"
    version = 1
    ddl: ClassVar[tuple[str, ...]] = (
        """CREATE TABLE disputes (
            dispute_id          text        PRIMARY KEY,
            order_id            text        NOT NULL UNIQUE,
            buyer_id            text        NOT NULL,
            seller_id           text        NOT NULL,
            opened_by           text        NOT NULL,
            reason              text        NOT NULL,
            evidence            jsonb       NOT NULL,
            status              text        NOT NULL,
            assigned_to         text,
            decision            text,
            decision_note       text,
            release_stroops     bigint,
            refund_stroops      bigint,
            seller_net_stroops  bigint,
            buyer_net_stroops   bigint,
            resolved_at         timestamptz,
            created_at          timestamptz NOT NULL,
            updated_at          timestamptz NOT NULL,
            position            bigint      NOT NULL,
            created_position    bigint      NOT NULL
        )""",
        "CREATE INDEX disputes_position_idx ON disputes (created_position)",
        "CREATE INDEX disputes_status_idx ON disputes (status, created_position)",
    )

    @handles(Dispute.Opened)
    def _opened(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        cursor.execute(
            "INSERT INTO disputes (dispute_id, order_id, buyer_id, seller_id, opened_by, reason,"
            " evidence, status, created_at, updated_at, position, created_position)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                _id(e),
                e.order_id,
                e.buyer_id,
                e.seller_id,
                e.opened_by,
                e.reason,
                Jsonb(list(e.evidence)),
                OPEN,
                e.timestamp,
                e.timestamp,
                position,
                position,
            ),
        )

    @handles(Dispute.Assigned)
    def _assigned(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=UNDER_REVIEW, assigned_to=e.assigned_to)

    @handles(Dispute.Decided)
    def _decided(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(
            cursor,
            e,
            position,
            decision=e.decision,
            decision_note=e.note,
            release_stroops=e.release_stroops,
            refund_stroops=e.refund_stroops,
        )

    @handles(Dispute.Resolved)
    def _resolved(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(
            cursor,
            e,
            position,
            status=RESOLVED,
            seller_net_stroops=e.seller_net_stroops,
            buyer_net_stroops=e.buyer_net_stroops,
            resolved_at=e.at,
        )


def _id(e: Any) -> str:
    return identifiers.public_id(identifiers.DISPUTE, e.originator_id)


def _update(cursor: Cursor[Any], e: Any, position: int, **columns: Any) -> None:
    assignments = "".join(f"{name} = %({name})s, " for name in columns)
    cursor.execute(
        f"UPDATE disputes SET {assignments}updated_at = %(at)s,"  # noqa: S608
        " position = %(position)s WHERE dispute_id = %(id)s",
        {**columns, "at": e.timestamp, "position": position, "id": _id(e)},
    )
