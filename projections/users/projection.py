"""Users as marketplaces list and look them up."""

from __future__ import annotations

from typing import Any, ClassVar

from psycopg import Cursor

from domain import identifiers
from domain.users import User
from projections.projection import Projection, handles


class UsersProjection(Projection):
    name = "users"
    version = 1
    ddl: ClassVar[tuple[str, ...]] = (
        """CREATE TABLE users (
            user_id           text        PRIMARY KEY,
            external_user_id  text        NOT NULL UNIQUE,
            email             text,
            type              text        NOT NULL,
            status            text        NOT NULL,
            created_at        timestamptz NOT NULL,
            updated_at        timestamptz NOT NULL,
            position          bigint      NOT NULL
        )""",
        "CREATE INDEX users_position_idx ON users (position)",
    )

    @handles(User.Created)
    def _created(self, cursor: Cursor[Any], event: Any, position: int) -> None:
        cursor.execute(
            "INSERT INTO users (user_id, external_user_id, email, type, status, created_at,"
            " updated_at, position) VALUES (%s, %s, %s, %s, 'ACTIVE', %s, %s, %s)",
            (
                identifiers.public_id(identifiers.USER, event.originator_id),
                event.external_user_id,
                event.email,
                event.user_type,
                event.timestamp,
                event.timestamp,
                position,
            ),
        )
