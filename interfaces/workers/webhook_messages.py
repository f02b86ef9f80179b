"""The webhook messages: one delivery of one event to one endpoint, and one page of a replay.

A delivery is named by endpoint, event and (for a replay) the replay's event id: the same
delivery enqueued twice is posted once, while a replay deliberately delivers again. Deliveries
run on their own queue so saga steps never wait behind them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Final

from dramatiq import Message

from application.webhook_deliveries import Delivery

QUEUE: Final = "webhooks"
DELIVER: Final = "webhook.deliver"
REPLAY: Final = "webhook.replay"


@dataclass(frozen=True, slots=True)
class ReplayJob:
    endpoint_id: str
    replay_id: str
    after: int
    until: int  # inclusive


def delivery_id(endpoint_id: str, event_id: str, replay_id: str | None = None) -> str:
    return f"{endpoint_id}:{event_id}" + (f":{replay_id}" if replay_id else "")


def delivery_message(job: Delivery, *, retries: int = 0, fresh_id: bool = False) -> Message[Any]:
    """The message for `job`, keyed by its delivery id (or a fresh id when re-enqueued while
    the message it replaces is still being processed)."""
    return Message(
        queue_name=QUEUE,
        actor_name=DELIVER,
        args=(job.endpoint_id, job.delivery_id, job.position, job.event_id, job.body),
        kwargs={},
        options={"retries": retries} if retries else {},
        message_id=str(uuid.uuid4()) if fresh_id else job.delivery_id,
    )


def replay_message(job: ReplayJob) -> Message[Any]:
    return Message(
        queue_name=QUEUE,
        actor_name=REPLAY,
        args=(job.endpoint_id, job.replay_id, job.after, job.until),
        kwargs={},
        options={},
        message_id=f"{job.replay_id}:{job.after}",
    )
