"""The deposit monitor: follows Horizon's payment feed for every wallet we hold and credits USDC
deposits, exactly once.

One cursor for the whole network's feed, persisted as it goes, so payments made while the monitor
was down are credited on restart, and a wallet created a second ago is covered (the vault knows
its address from the moment it was made). A replayed page or a reconnect resends payments;
crediting is idempotent per Stellar operation, so nothing is credited twice.
"""

from __future__ import annotations

import logging
import threading
from typing import Final

import httpx

from application.context import SYSTEM
from application.deposits import Deposits
from application.ports import StellarNetwork
from infrastructure.postgres.feed_cursors import FeedCursors

CURSOR_NAME: Final = "horizon:payments"
STREAM_IDLE_S: Final = 2.0
STREAM_WINDOW_S: Final = 20.0
CURSOR_SAVE_EVERY: Final = 50
# Networks whose whole payment history we may read from the start; elsewhere a first start
# begins at "now" (there are no wallets yet to have missed).
FROM_GENESIS_NETWORKS: Final = frozenset({"sandbox"})

log = logging.getLogger(__name__)


class DepositMonitor:
    def __init__(
        self,
        network: StellarNetwork,
        cursors: FeedCursors,
        deposits: Deposits,
        network_name: str,
        stopping: threading.Event | None = None,
    ) -> None:
        self._network = network
        self._cursors = cursors
        self._deposits = deposits
        self._network_name = network_name  # STELLAR_NETWORK
        self._stopping = stopping or threading.Event()

    def step(self) -> bool:
        """Follows the feed for one stream window; True when it credited something."""
        cursors = self._cursors
        cursor = cursors.get(CURSOR_NAME)
        if cursor is None and self._network_name not in FROM_GENESIS_NETWORKS:
            cursor = "now"
        credited = seen = 0
        try:
            for token, payment in self._network.stream_payments(
                cursor, STREAM_IDLE_S, STREAM_WINDOW_S
            ):
                if payment is not None and self._deposits.credit(
                    payment, SYSTEM.caused_by(f"stellar:{payment.operation_id}")
                ):
                    credited += 1
                    log.info(
                        "credited deposit %s of %d stroops to %s",
                        payment.operation_id,
                        payment.amount_stroops,
                        payment.to_address,
                    )
                cursor, seen = token, seen + 1
                if seen % CURSOR_SAVE_EVERY == 0:
                    cursors.save(CURSOR_NAME, cursor)
                if self._stopping.is_set():  # a busy feed would hold the window open
                    break
        except (httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError):
            pass  # the stream idled or dropped: resume from the last cursor next step
        finally:
            if cursor is not None and seen:
                cursors.save(CURSOR_NAME, cursor)
        return credited > 0
