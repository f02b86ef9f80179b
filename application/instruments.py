"""What the use cases tell an operator's metrics, as a port: commands by outcome, events appended,
the last reconciliation's drift. The process installs an adapter (Prometheus, in
infrastructure/observability/metrics.py); until it does, nothing is measured and nothing is
imported.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from types import FrameType
from typing import Final, Protocol

# Outcomes of a command, as counted.
OK: Final = "ok"  # its events were recorded
REJECTED: Final = "rejected"  # a business rule or bad input refused it (a 4xx at the edge)
CONFLICT: Final = "conflict"  # concurrent writers kept winning until the attempts ran out
ERROR: Final = "error"  # anything else (the database went away, a bug)


class Instruments(Protocol):
    def command(self, name: str, outcome: str) -> None:
        """One command `name` (a use case, e.g. `Orders.create`) ended with `outcome`."""

    def appended(self, event_types: Sequence[str]) -> None:
        """Events of these types (e.g. `Deposit.Received`) were recorded in the log."""

    def reconciled(self, drift_stroops: int, drifting_wallets: int) -> None:
        """A reconciliation found this absolute drift across this many wallets."""


class NoInstruments:
    def command(self, name: str, outcome: str) -> None:
        pass

    def appended(self, event_types: Sequence[str]) -> None:
        pass

    def reconciled(self, drift_stroops: int, drifting_wallets: int) -> None:
        pass


def use_case_name(qualname: str) -> str:
    """`Orders.create.<locals>.attempt` → `Orders.create`: the use case a closure belongs to."""
    return qualname.split(".<locals>", 1)[0]


# How far up the stack a use case is looked for (closure, retries, private helpers, method).
USE_CASE_FRAMES_MAX: Final = 16
_LEDGER_MODULE: Final = "application.ledger"


def caller_use_case() -> str:
    """The public use-case method (e.g. `Orders.request_funding`) on whose behalf the ledger
    is being called: the nearest caller in an application module, past the ledger itself, its
    closures and private helpers. Read off the stack so no use case has to name itself."""
    frame: FrameType | None = sys._getframe(1)
    for _ in range(USE_CASE_FRAMES_MAX):
        if frame is None:
            break
        module = frame.f_globals.get("__name__", "")
        if module.startswith("application.") and module != _LEDGER_MODULE:
            name = use_case_name(frame.f_code.co_qualname)
            if not name.rsplit(".", 1)[-1].startswith("_"):
                return name
        frame = frame.f_back
    return "unknown"
