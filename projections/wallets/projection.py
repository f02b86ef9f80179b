"""Wallets: each user's address and activation state."""

from __future__ import annotations

from typing import Any, ClassVar

from psycopg import Cursor

from domain import identifiers
from domain.wallets import ACTIVE, FUNDED, Wallet
from projections.projection import Projection, handles


class WalletsProjection(Projection):
    name = "wallets"
    version = 1
    ddl: ClassVar[tuple[str, ...]] = (
        """CREATE TABLE wallets (
            user_id      text        PRIMARY KEY,
            wallet_id    text        NOT NULL UNIQUE,
            address      text        NOT NULL UNIQUE,
            network      text        NOT NULL,
            status       text        NOT NULL,
            parked_step  text,
            park_reason  text,
            created_at   timestamptz NOT NULL,
            activated_at timestamptz,
            updated_at   timestamptz NOT NULL,
            position     bigint      NOT NULL
        )""",
        "CREATE INDEX wallets_position_idx ON wallets (position)",
    )

    @handles(Wallet.Created)
    def _created(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        cursor.execute(
            "INSERT INTO wallets (user_id, wallet_id, address, network, status, created_at,"
            " updated_at, position) VALUES (%s, %s, %s, %s, 'PENDING', %s, %s, %s)",
            (
                e.user_id,
                identifiers.public_id(identifiers.WALLET, e.originator_id),
                e.address,
                e.network,
                e.timestamp,
                e.timestamp,
                position,
            ),
        )

    @handles(Wallet.Funded)
    def _funded(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        self._update(cursor, e, position, status=FUNDED, parked_step=None, park_reason=None)

    @handles(Wallet.Activated)
    def _activated(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        self._update(
            cursor,
            e,
            position,
            status=ACTIVE,
            activated_at=e.activated_at,
            parked_step=None,
            park_reason=None,
        )

    @handles(Wallet.Parked)
    def _parked(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        self._update(cursor, e, position, parked_step=e.step, park_reason=e.reason)

    @handles(Wallet.Retried)
    def _retried(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        self._update(cursor, e, position, parked_step=None, park_reason=None)

    @staticmethod
    def _update(cursor: Cursor[Any], e: Any, position: int, **columns: Any) -> None:
        assignments = ", ".join(f"{name} = %({name})s" for name in columns)
        cursor.execute(
            f"UPDATE wallets SET {assignments}, updated_at = %(at)s, position = %(position)s"  # noqa: S608
            " WHERE user_id = %(user_id)s",
            {**columns, "at": e.timestamp, "position": position, "user_id": e.user_id},
        )
