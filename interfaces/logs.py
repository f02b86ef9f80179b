"""Process-wide logging: one line per record on stderr, level from LOG_LEVEL; and the one
interpreter setting our threaded processes need."""

from __future__ import annotations

import logging
import sys

# A thread that finished waiting on PostgreSQL or Redis queues for the GIL behind busy threads
# for up to the switch interval (5 ms by default) per round trip; the group committer, which
# holds the event log's lock across its round trips, would make every writer wait for that.
GIL_SWITCH_INTERVAL_S = 0.0005


def configure_process(level: str) -> None:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    configure_logging(level)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Per-request client logs would drown ours.
    logging.getLogger("httpx").setLevel(logging.WARNING)
