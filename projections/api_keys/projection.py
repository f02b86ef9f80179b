"""API keys as operators list them: masked, with their scopes and state. Never the secret."""

from __future__ import annotations

from typing import Any, ClassVar

from psycopg import Cursor

from domain import identifiers
from domain.api_keys import ApiKey
from projections.projection import Projection, handles


class ApiKeysProjection(Projection):
    name = "api_keys"
    version = 1
    ddl: ClassVar[tuple[str, ...]] = (
        """CREATE TABLE api_keys (
            key_id                 text        PRIMARY KEY,
            name                   text        NOT NULL,
            scopes                 text[]      NOT NULL,
            secret_hint            text        NOT NULL,
            rate_limit_per_minute  integer,
            expires_at             timestamptz,
            revoked_at             timestamptz,
            created_at             timestamptz NOT NULL,
            position               bigint      NOT NULL
        )""",
        "CREATE INDEX api_keys_position_idx ON api_keys (position)",
    )

    @handles(ApiKey.Created)
    def _created(self, cursor: Cursor[Any], event: Any, position: int) -> None:
        cursor.execute(
            "INSERT INTO api_keys (key_id, name, scopes, secret_hint, rate_limit_per_minute,"
            " expires_at, created_at, position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                identifiers.public_id(identifiers.API_KEY, event.originator_id),
                event.name,
                list(event.scopes),
                event.secret_hint,
                event.rate_limit_per_minute,
                event.expires_at,
                event.timestamp,
                position,
            ),
        )

    @handles(ApiKey.Revoked)
    def _revoked(self, cursor: Cursor[Any], event: Any, position: int) -> None:
        cursor.execute(
            "UPDATE api_keys SET revoked_at = %s WHERE key_id = %s",
            (event.timestamp, identifiers.public_id(identifiers.API_KEY, event.originator_id)),
        )
