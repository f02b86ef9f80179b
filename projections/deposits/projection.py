"""Credited deposits, with the Stellar transaction that brought each."""

from __future__ import annotations

from typing import Any, ClassVar

from psycopg import Cursor

from domain import identifiers
from domain.deposits import Deposit
from projections.projection import Projection, handles


class DepositsProjection(Projection):
    name = "deposits"
    version = 1
    ddl: ClassVar[tuple[str, ...]] = (
        """CREATE TABLE deposits (
            deposit_id        text        PRIMARY KEY,
            user_id           text        NOT NULL,
            address           text        NOT NULL,
            from_address      text        NOT NULL,
            amount_stroops    bigint      NOT NULL,
            currency          text        NOT NULL,
            transaction_hash  text        NOT NULL,
            operation_id      text        NOT NULL UNIQUE,
            chain_time        timestamptz,
            credited_at       timestamptz NOT NULL,
            position          bigint      NOT NULL
        )""",
        "CREATE INDEX deposits_user_idx ON deposits (user_id, position)",
        "CREATE INDEX deposits_position_idx ON deposits (position)",
    )

    @handles(Deposit.Received)
    def _received(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        cursor.execute(
            "INSERT INTO deposits (deposit_id, user_id, address, from_address, amount_stroops,"
            " currency, transaction_hash, operation_id, chain_time, credited_at, position)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                identifiers.public_id(identifiers.DEPOSIT, e.originator_id),
                e.user_id,
                e.address,
                e.from_address,
                e.amount_stroops,
                e.currency,
                e.transaction_hash,
                e.operation_id,
                e.chain_time,
                e.timestamp,
                position,
            ),
        )
