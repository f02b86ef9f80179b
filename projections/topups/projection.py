"""Top-ups as marketplaces list them, and which are still waiting on the provider."""

from __future__ import annotations

from typing import Any, ClassVar

from psycopg import Cursor

from domain import identifiers
from domain.topups import (
    AWAITING_CONFIRMATION,
    CANCELED,
    CREATED,
    FAILED,
    PROCESSING,
    SUCCEEDED,
    TopUp,
)
from projections.projection import Projection, handles


class TopUpsProjection(Projection):
    name = "topups"
    version = 1
    ddl: ClassVar[tuple[str, ...]] = (
        """CREATE TABLE topups (
            topup_id          text        PRIMARY KEY,
            user_id           text        NOT NULL,
            provider          text        NOT NULL,
            amount_stroops    bigint      NOT NULL,
            currency          text        NOT NULL,
            status            text        NOT NULL,
            description       text,
            payin_id          text,
            confirmation_uri  text,
            fee_stroops       bigint,
            credited_stroops  bigint,
            failure_reason    text,
            cancel_requested  boolean     NOT NULL DEFAULT false,
            parked_step       text,
            park_reason       text,
            created_at        timestamptz NOT NULL,
            updated_at        timestamptz NOT NULL,
            position          bigint      NOT NULL,
            created_position  bigint      NOT NULL
        )""",
        "CREATE INDEX topups_user_idx ON topups (user_id, created_position)",
        "CREATE INDEX topups_pending_idx ON topups (created_position)"
        f" WHERE status IN ('{CREATED}', '{AWAITING_CONFIRMATION}', '{PROCESSING}')",
    )

    @handles(TopUp.Created)
    def _created(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        cursor.execute(
            "INSERT INTO topups (topup_id, user_id, provider, amount_stroops, currency, status,"
            " description, created_at, updated_at, position, created_position)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (_id(e), e.user_id, e.provider, e.amount_stroops, e.currency, CREATED,
             e.description, e.timestamp, e.timestamp, position, position),
        )  # fmt: skip

    @handles(TopUp.AwaitingConfirmation)
    def _awaiting(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=AWAITING_CONFIRMATION, payin_id=e.payin_id,
                confirmation_uri=e.confirmation_uri, fee_stroops=e.fee_stroops,
                parked_step=None, park_reason=None)  # fmt: skip

    @handles(TopUp.Processing)
    def _processing(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=PROCESSING, cancel_requested=False)

    @handles(TopUp.Succeeded)
    def _succeeded(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=SUCCEEDED, credited_stroops=e.credited_stroops,
                fee_stroops=e.fee_stroops)  # fmt: skip

    @handles(TopUp.Failed)
    def _failed(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=FAILED, failure_reason=e.reason,
                parked_step=None, park_reason=None)  # fmt: skip

    @handles(TopUp.CancelRequested)
    def _cancel_requested(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, cancel_requested=True)

    @handles(TopUp.Canceled)
    def _canceled(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=CANCELED, failure_reason=e.reason,
                parked_step=None, park_reason=None)  # fmt: skip

    @handles(TopUp.Parked)
    def _parked(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, parked_step=e.step, park_reason=e.reason)

    @handles(TopUp.Retried)
    def _retried(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, parked_step=None, park_reason=None)


def _id(e: Any) -> str:
    return identifiers.public_id(identifiers.TOPUP, e.originator_id)


def _update(cursor: Cursor[Any], e: Any, position: int, **columns: Any) -> None:
    assignments = ", ".join(f"{name} = %({name})s" for name in columns)
    cursor.execute(
        f"UPDATE topups SET {assignments}, updated_at = %(at)s,"  # noqa: S608
        " position = %(position)s WHERE topup_id = %(id)s",
        {**columns, "at": e.timestamp, "position": position, "id": _id(e)},
    )
