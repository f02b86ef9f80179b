"""Fault rules: which requests misbehave, how, how often, reproducibly from a seed.

A rule names a route glob over "<api> <METHOD> <path>" (for example
`horizon POST /transactions` or `trustless-work POST /escrow/*/fund-escrow`), a mode, and how many
matching requests it hits (`count`, after letting `skip` pass; `probability` draws from the
registry's seeded generator). Each request fires at most one rule. Gate modes are carried out by
`fault_gate` around the app; handler modes are read by the handler through `active_fault`.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from contextvars import ContextVar
from dataclasses import dataclass

import msgspec

from sandbox.chain.transaction_results import REJECTION_CODES

# Modes the gate performs around the application, whatever the route.
GATE_MODES = frozenset(
    {
        "http_error",
        "rate_limit",
        "timeout_before_apply",
        "timeout_after_apply",
        "hang",
        "drop_connection",
        "slow",
    }
)
# Modes a route's handler performs (only where that route supports them).
HANDLER_MODES = frozenset(
    {
        "force_tx_result",
        "force_op_result",
        "contract_error",
        "ingest_lag",
        "indexer_lag",
        "sse_disconnect",
    }
)
HANG_S_MAX = 600.0
DELAY_MS_MAX = 600_000

HORIZON_SUBMIT = "horizon POST /transactions"
HORIZON_SUBMIT_ASYNC = "horizon POST /transactions_async"
HORIZON_PAYMENTS = "horizon GET *payments"
FRIENDBOT = "horizon * /friendbot"
TW_SEND_TRANSACTION = "trustless-work POST /helper/send-transaction"
TW_ANY = "trustless-work *"

active_fault: ContextVar[FaultRule | None] = ContextVar("sandbox_active_fault", default=None)


class FaultRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One injected fault; see docs/sandbox.md for each mode's fields."""

    route: str
    mode: str
    count: int | None = 1
    skip: int = 0
    probability: float = 1.0
    status: int | None = None
    problem: str | None = None
    retry_after_s: int = 1
    hang_s: float = 30.0
    result_code: str | None = None
    op_index: int = 0
    contract_error: str | None = None
    lag_ms: int = 0
    delay_ms: int = 0
    after_events: int = 0
    abrupt: bool = False

    def __post_init__(self) -> None:
        if self.mode not in GATE_MODES | HANDLER_MODES:
            raise ValueError(f"unknown fault mode {self.mode!r}")
        if self.count is not None and self.count < 1:
            raise ValueError("count must be at least 1 (or null for every matching request)")
        if not 0.0 < self.probability <= 1.0 or self.skip < 0:
            raise ValueError("probability must be in (0, 1] and skip non-negative")
        if not 0.0 <= self.hang_s <= HANG_S_MAX:
            raise ValueError(f"hang_s must be between 0 and {HANG_S_MAX}")
        if self.mode == "force_tx_result" and self.result_code not in REJECTION_CODES:
            raise ValueError(
                f"force_tx_result needs a rejection code, one of {sorted(REJECTION_CODES)}"
            )
        if self.mode == "force_op_result" and not (self.result_code or "").startswith(
            ("op_", "function_")
        ):
            raise ValueError("force_op_result needs an operation code such as op_underfunded")
        if self.mode == "contract_error" and not self.contract_error:
            raise ValueError("contract_error needs the error's name or number")
        if self.mode == "slow" and not 0 < self.delay_ms <= DELAY_MS_MAX:
            raise ValueError(f"slow needs delay_ms between 1 and {DELAY_MS_MAX}")
        if self.mode in ("ingest_lag", "indexer_lag") and self.lag_ms <= 0:
            raise ValueError(f"{self.mode} needs lag_ms > 0")
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status")


@dataclass(frozen=True)
class FiredFault:
    """A record that a rule hit a request (tests assert on these)."""

    fault_id: str
    request: str
    mode: str


@dataclass
class _ActiveFault:
    fault_id: str
    rule: FaultRule
    remaining: int | None
    skipped: int = 0
    fired: int = 0


class FaultRegistry:
    """Active rules and the seeded generator their probabilities draw from (thread-safe)."""

    def __init__(self, seed: int = 0):
        self._lock = threading.Lock()
        self._rules: list[_ActiveFault] = []
        self._fired: list[FiredFault] = []
        self._next_id = 1
        self.seed = seed
        self._random = random.Random(seed)

    def inject(self, rule: FaultRule | dict[str, object]) -> str:
        if isinstance(rule, dict):
            rule = msgspec.convert(rule, FaultRule)
        with self._lock:
            fault_id = f"fault-{self._next_id}"
            self._next_id += 1
            self._rules.append(_ActiveFault(fault_id, rule, rule.count))
            return fault_id

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [active for active in self._rules if active.fault_id != fault_id]
            return len(self._rules) < before

    def clear(self, seed: int | None = None) -> None:
        """Drops every rule and the fired log; restarts the generator (from `seed` when given)."""
        with self._lock:
            self._rules.clear()
            self._fired.clear()
            if seed is not None:
                self.seed = seed
            self._random = random.Random(self.seed)

    def active(self) -> list[dict[str, object]]:
        with self._lock:
            return [
                {
                    "id": active.fault_id,
                    "remaining": active.remaining,
                    "fired": active.fired,
                    "rule": msgspec.to_builtins(active.rule),
                }
                for active in self._rules
            ]

    def fired(self, route: str = "*", mode: str | None = None) -> list[FiredFault]:
        with self._lock:
            return [
                fired
                for fired in self._fired
                if fnmatch.fnmatchcase(fired.request, route) and mode in (None, fired.mode)
            ]

    def match(self, request: str, modes: frozenset[str]) -> FaultRule | None:
        """The rule this request triggers, if any; consumes one of its hits."""
        with self._lock:
            for active in list(self._rules):
                rule = active.rule
                if rule.mode not in modes or not fnmatch.fnmatchcase(request, rule.route):
                    continue
                if active.skipped < rule.skip:
                    active.skipped += 1
                    continue
                if rule.probability < 1.0 and self._random.random() >= rule.probability:
                    continue
                active.fired += 1
                if active.remaining is not None:
                    active.remaining -= 1
                    if active.remaining == 0:
                        self._rules.remove(active)
                self._fired.append(FiredFault(active.fault_id, request, rule.mode))
                return rule
            return None
