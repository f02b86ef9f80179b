"""What makes AirTM's statuses move while nobody asks: a ticker and a webhook courier, each a
daemon thread waking every TICK_INTERVAL_S.

The ticker applies status changes due on the sandbox clock (so advancing `/sandbox/clock` settles
payins and payouts); the courier sends due webhooks. They are apart so a slow or dead webhook
receiver never holds up the clock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Final

from sandbox.airtm.airtm_service import AirtmService
from sandbox.airtm.webhook_courier import WebhookCourier

TICK_INTERVAL_S: Final = 0.05
STOP_TIMEOUT_S: Final = 10.0


class AirtmClockwork:
    def __init__(self, service: AirtmService, courier: WebhookCourier) -> None:
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._every, args=(service.tick,), daemon=True,
                             name="ledgerline-sandbox-airtm-ticker"),
            threading.Thread(target=self._every, args=(courier.deliver_due,), daemon=True,
                             name="ledgerline-sandbox-airtm-courier"),
        ]  # fmt: skip

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(STOP_TIMEOUT_S)

    def _every(self, work: Callable[[], object]) -> None:
        while not self._stop.wait(TICK_INTERVAL_S):
            try:
                work()
            except Exception:  # a bug here must not stop the clock for the rest of the run
                logging.getLogger(__name__).exception("AirTM sandbox %s failed", work)
