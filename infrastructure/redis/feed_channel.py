"""The Redis pub/sub channel on which the event feed announces that it moved.

The feed's loop publishes its new position after each page it commits. API processes no longer
need it: their SSE streams follow the log's own NOTIFY (interfaces/http/feed_fanout.py). A
message is only a wake-up: a lost one costs a listener at most its poll interval, never an
event, because listeners read rows from PostgreSQL, not from the channel.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Final

import redis
import redis.asyncio

RECONNECT_WAIT_S: Final = 1.0
RECONNECT_WAIT_MAX_S: Final = 10.0
LISTEN_POLL_S: Final = 1.0

log = logging.getLogger(__name__)


def channel_name(namespace: str) -> str:
    return f"{namespace}:event-feed"


class FeedAnnouncer:
    def __init__(self, client: redis.Redis, namespace: str) -> None:
        self._client = client
        self._channel = channel_name(namespace)

    def announce(self, position: int) -> None:
        """Publishes `position`; a Redis failure is logged, never raised (streams also poll)."""
        try:
            self._client.publish(self._channel, str(position))
        except redis.RedisError as error:
            log.warning("could not announce event feed position %d: %s", position, error)


class FeedListener:
    """Calls `on_signal()` for each announcement, and once after every (re)subscription, since
    announcements made while disconnected are lost."""

    def __init__(self, redis_url: str, namespace: str, on_signal: Callable[[], None]) -> None:
        self._url = redis_url
        self._channel = channel_name(namespace)
        self._on_signal = on_signal

    async def run(self) -> None:
        """Listens until cancelled, reconnecting with backoff."""
        wait_s = RECONNECT_WAIT_S
        while True:
            client = redis.asyncio.Redis.from_url(self._url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    self._on_signal()
                    wait_s = RECONNECT_WAIT_S
                    while True:
                        message = await pubsub.get_message(
                            ignore_subscribe_messages=True, timeout=LISTEN_POLL_S
                        )
                        if message is not None:
                            self._on_signal()
            except (redis.RedisError, OSError) as error:
                log.warning("event feed listener lost Redis, reconnecting: %s", error)
            finally:
                await client.aclose()
            await asyncio.sleep(wait_s)
            wait_s = min(wait_s * 2, RECONNECT_WAIT_MAX_S)
