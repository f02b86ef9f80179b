"""Anchors of the audit chain on Stellar: each anchor's position, head hash, balance root and
where its saga is (STARTED, PARKED, ANCHORED), for `GET /audit/anchors`, the anchor loop and
`ledgerline audit verify --anchors`."""

from __future__ import annotations

from typing import Any, ClassVar

from psycopg import Cursor

from domain import identifiers
from domain.audit_anchors import ANCHORED, AuditAnchor
from projections.projection import Projection, handles


class AuditAnchorsProjection(Projection):
    name = "audit_anchors"
    version = 1
    ddl: ClassVar[tuple[str, ...]] = (
        """CREATE TABLE anchors (
            anchor_position      bigint      PRIMARY KEY,
            anchor_id            text        NOT NULL UNIQUE,
            head_hash            text        NOT NULL,
            balances_root        text        NOT NULL,
            balances_sum_stroops numeric     NOT NULL,
            signer               text        NOT NULL,
            status               text        NOT NULL,
            transaction_hash     text,
            stellar_ledger       bigint,
            parked_step          text,
            park_reason          text,
            started_at           timestamptz NOT NULL,
            anchored_at          timestamptz,
            updated_at           timestamptz NOT NULL,
            position             bigint      NOT NULL
        )""",
        "CREATE INDEX anchors_status_idx ON anchors (status)",
    )

    @handles(AuditAnchor.Created)
    def _started(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        cursor.execute(
            "INSERT INTO anchors (anchor_position, anchor_id, head_hash, balances_root,"
            " balances_sum_stroops, signer, status, started_at, updated_at, position)"
            " VALUES (%s, %s, %s, %s, %s, %s, 'STARTED', %s, %s, %s)",
            (
                e.position,
                identifiers.public_id(identifiers.ANCHOR, e.originator_id),
                e.head_hash,
                e.balances_root,
                e.balances_sum_stroops,
                e.signer,
                e.timestamp,
                e.timestamp,
                position,
            ),
        )

    @handles(AuditAnchor.EnvelopeSigned)
    def _signed(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        self._update(cursor, e, position)

    @handles(AuditAnchor.EnvelopeVoided)
    def _voided(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        self._update(cursor, e, position)

    @handles(AuditAnchor.Anchored)
    def _anchored(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        self._update(
            cursor,
            e,
            position,
            status=ANCHORED,
            transaction_hash=e.transaction_hash,
            stellar_ledger=e.stellar_ledger,
            anchored_at=e.anchored_at,
            parked_step=None,
            park_reason=None,
        )

    @handles(AuditAnchor.Parked)
    def _parked(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        self._update(cursor, e, position, parked_step=e.step, park_reason=e.reason)

    @handles(AuditAnchor.Retried)
    def _retried(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        self._update(cursor, e, position, parked_step=None, park_reason=None)

    @staticmethod
    def _update(cursor: Cursor[Any], e: Any, position: int, **columns: Any) -> None:
        assignments = "".join(f"{name} = %({name})s, " for name in columns)
        cursor.execute(
            f"UPDATE anchors SET {assignments}updated_at = %(at)s, position = %(position)s"  # noqa: S608
            " WHERE anchor_position = %(anchor)s",
            {**columns, "at": e.timestamp, "position": position, "anchor": e.position},
        )
