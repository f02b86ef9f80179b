"""The client's own books: what the simulated marketplace knows it did, from definitive answers
only — USDC it minted into each wallet, manual credits and debits acknowledged, withdrawals
accepted, orders created — and the commands still unresolved. Conservation is checked against
this, not against anything the service reports about itself.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Pending:
    """A command that never got a definitive answer, to be sent once more after settling."""

    method: str
    path: str
    body: Any
    key: str
    kind: str  # credit, debit, withdraw, user, order, or an order step
    user_id: str | None = None
    amount_stroops: int = 0


@dataclass
class Tally:
    minted: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    mints: int = 0
    mints_ambiguous: int = 0
    credited: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    debited: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    commands_acknowledged: int = 0
    users: dict[str, str | None] = field(default_factory=dict)  # user id → wallet address
    withdrawals: dict[str, dict[str, Any]] = field(default_factory=dict)
    orders: set[str] = field(default_factory=set)
    sinks: set[str] = field(default_factory=set)  # outside accounts withdrawals pay into
    unresolved: list[Pending] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def mint(self, address: str, stroops: int) -> None:
        with self._lock:
            self.minted[address] += stroops
            self.mints += 1

    def adjusted(self, kind: str, user_id: str, stroops: int) -> None:
        with self._lock:
            (self.credited if kind == "credit" else self.debited)[user_id] += stroops
            self.commands_acknowledged += 1

    def acknowledged(self) -> None:
        with self._lock:
            self.commands_acknowledged += 1

    def user(self, user_id: str, address: str | None) -> None:
        with self._lock:
            if address or user_id not in self.users:
                self.users[user_id] = address

    def withdrawal(self, withdrawal_id: str, **facts: Any) -> None:
        with self._lock:
            self.withdrawals.setdefault(withdrawal_id, {}).update(facts)
            self.commands_acknowledged += 1

    def order(self, order_id: str) -> None:
        with self._lock:
            self.orders.add(order_id)
            self.commands_acknowledged += 1

    def unresolved_command(self, pending: Pending) -> None:
        with self._lock:
            self.unresolved.append(pending)

    def take_unresolved(self) -> list[Pending]:
        with self._lock:
            taken, self.unresolved = self.unresolved, []
            return taken

    def adjustment_of(self, user_id: str) -> int:
        """Manual credits less debits: money in the books the chain never moved."""
        return self.credited.get(user_id, 0) - self.debited.get(user_id, 0)
