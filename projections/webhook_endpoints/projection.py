"""Webhook endpoints as operators list them: url, filters, state and a hint of the secret."""

from __future__ import annotations

from typing import Any, ClassVar

from psycopg import Cursor

from domain import identifiers
from domain.webhooks import ACTIVE, DISABLED, WebhookEndpoint
from projections.projection import Projection, handles


def _id(event: Any) -> str:
    return identifiers.public_id(identifiers.WEBHOOK_ENDPOINT, event.originator_id)


class WebhookEndpointsProjection(Projection):
    name = "webhook_endpoints"
    version = 1
    ddl: ClassVar[tuple[str, ...]] = (
        """CREATE TABLE endpoints (
            endpoint_id      text        PRIMARY KEY,
            url              text        NOT NULL,
            event_types      text[]      NOT NULL,
            description      text,
            secret_hint      text        NOT NULL,
            status           text        NOT NULL,
            disabled_reason  text,
            created_at       timestamptz NOT NULL,
            updated_at       timestamptz NOT NULL,
            created_position bigint      NOT NULL
        )""",
        "CREATE INDEX endpoints_created_position_idx ON endpoints (created_position)",
    )

    @handles(WebhookEndpoint.Registered)
    def _registered(self, cursor: Cursor[Any], event: Any, position: int) -> None:
        cursor.execute(
            "INSERT INTO endpoints (endpoint_id, url, event_types, description, secret_hint,"
            " status, created_at, updated_at, created_position)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                _id(event),
                event.url,
                list(event.event_types),
                event.description,
                event.secret_hint,
                ACTIVE,
                event.timestamp,
                event.timestamp,
                position,
            ),
        )

    @handles(WebhookEndpoint.Disabled)
    def _disabled(self, cursor: Cursor[Any], event: Any, position: int) -> None:
        cursor.execute(
            "UPDATE endpoints SET status = %s, disabled_reason = %s, updated_at = %s"
            " WHERE endpoint_id = %s",
            (DISABLED, event.reason, event.timestamp, _id(event)),
        )

    @handles(WebhookEndpoint.ReplayRequested)
    def _replayed(self, cursor: Cursor[Any], event: Any, position: int) -> None:
        cursor.execute(
            "UPDATE endpoints SET status = %s, disabled_reason = NULL, updated_at = %s"
            " WHERE endpoint_id = %s",
            (ACTIVE, event.timestamp, _id(event)),
        )

    @handles(WebhookEndpoint.Deleted)
    def _deleted(self, cursor: Cursor[Any], event: Any, position: int) -> None:
        cursor.execute("DELETE FROM endpoints WHERE endpoint_id = %s", (_id(event),))
