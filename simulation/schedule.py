"""The run's schedule, derived from the seed alone: which process is killed when (and how long a
store stays down, and whether Redis comes back with its data), which sandbox fault is injected
when, and each client's stream of intents (what it will try to do next, with its random
choices drawn up front).

Nothing here looks at the service, so the same seed always gives the same schedule, and its
digest says so. What the service makes of it is not deterministic: a kill lands a few
milliseconds earlier or later against work that took its own time, so two runs of one seed
meet the same faults in different states. A failing seed is a strong lead, not a replay.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, Final

from simulation.limits import KILL_KINDS, Limits

# The end of the run is left without kills so its last restarts are up before settling.
QUIET_TAIL_S: Final = 5.0
# The random numbers each intent carries (choices made against the state it meets).
PICKS_PER_INTENT: Final = 6
INTENTS_DIGESTED: Final = 500

# What a client may try next, with its weight: money in and out, orders, and reads.
INTENT_WEIGHTS: Final = {
    "create_user": 8,
    "credit": 8,
    "debit": 4,
    "deposit": 10,
    "withdraw": 7,
    "order": 12,
    "advance": 30,
    "read": 21,
}

# Transient sandbox faults: each hits `count` matching requests and is spent. None of them is a
# business failure (a contract error, an operation that fails on chain) — those end flows by
# design and are covered by the e2e tests — so every saga they touch must still finish.
FAULT_TEMPLATES: Final[tuple[dict[str, Any], ...]] = (
    {"route": "horizon POST /transactions", "mode": "http_error", "status": 503},
    {"route": "horizon POST /transactions", "mode": "timeout_before_apply"},
    {"route": "horizon POST /transactions", "mode": "timeout_after_apply"},
    {"route": "horizon POST /transactions", "mode": "drop_connection"},
    {"route": "horizon POST /transactions", "mode": "rate_limit", "retry_after_s": 1},
    {"route": "horizon POST /transactions", "mode": "force_tx_result", "result_code": "tx_bad_seq"},
    {"route": "horizon GET /transactions/*", "mode": "http_error", "status": 500},
    {"route": "horizon GET /accounts/*", "mode": "http_error", "status": 503},
    {"route": "horizon * /friendbot", "mode": "http_error", "status": 500},
    {"route": "horizon GET *payments", "mode": "sse_disconnect", "after_events": 1},
    {"route": "horizon POST /transactions", "mode": "ingest_lag", "lag_ms": 2000},
    {"route": "trustless-work POST /helper/send-transaction", "mode": "http_error", "status": 500},
    {"route": "trustless-work POST /helper/send-transaction", "mode": "timeout_after_apply"},
    {"route": "trustless-work POST /helper/send-transaction", "mode": "drop_connection"},
    {"route": "trustless-work POST /escrow/*", "mode": "http_error", "status": 502},
    {"route": "trustless-work POST /escrow/*", "mode": "rate_limit", "retry_after_s": 1},
    {"route": "trustless-work POST /deployer/*", "mode": "http_error", "status": 500},
    {"route": "trustless-work *", "mode": "slow", "delay_ms": 1500},
    {"route": "trustless-work *", "mode": "hang", "hang_s": 4},
    {"route": "horizon *", "mode": "slow", "delay_ms": 1000},
)


@dataclass(frozen=True, slots=True)
class Kill:
    at_s: float
    kind: str  # one of KILL_KINDS
    target: int  # which instance, for kinds with several (worker-2)
    downtime_s: float


@dataclass(frozen=True, slots=True)
class Fault:
    at_s: float
    rule: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Intent:
    kind: str
    picks: tuple[float, ...]

    def pick(self, index: int, choices: int) -> int:
        """The `index`th choice among `choices` (0 when there are none)."""
        return min(int(self.picks[index] * choices), choices - 1) if choices > 0 else 0


@dataclass(frozen=True)
class Schedule:
    seed: int
    kills: tuple[Kill, ...]
    faults: tuple[Fault, ...]
    limits: Limits

    @classmethod
    def from_seed(cls, seed: int, limits: Limits) -> Schedule:
        rng = random.Random(f"{seed}/chaos")
        return cls(seed, _kills(rng, limits), _faults(rng, limits), limits)

    def intents(self, client: int) -> Iterator[Intent]:
        """Client `client`'s intents, forever, always the same for this seed."""
        rng = random.Random(f"{self.seed}/client/{client}")
        kinds, weights = zip(*INTENT_WEIGHTS.items(), strict=True)
        while True:
            kind = rng.choices(kinds, weights)[0]
            yield Intent(kind, tuple(rng.random() for _ in range(PICKS_PER_INTENT)))

    def digest(self) -> str:
        """A fingerprint of the whole schedule: equal for equal seeds and limits."""
        document = {
            "kills": [asdict(k) for k in self.kills],
            "faults": [asdict(f) for f in self.faults],
            "intents": [
                [asdict(i) for _, i in zip(range(INTENTS_DIGESTED), self.intents(c), strict=False)]
                for c in range(self.limits.clients)
            ],
        }
        encoded = json.dumps(document, sort_keys=True).encode()
        return hashlib.sha256(encoded).hexdigest()[:16]

    def kills_by_kind(self) -> dict[str, int]:
        counts = dict.fromkeys(KILL_KINDS, 0)
        for kill in self.kills:
            counts[kill.kind] += 1
        return counts


def _moments(rng: random.Random, count: int, start_s: float, end_s: float) -> list[float]:
    """`count` moments spread over [start, end): one per equal slot, jittered inside it."""
    if count <= 0 or end_s <= start_s:
        return []
    slot_s = (end_s - start_s) / count
    return [round(start_s + slot_s * (i + rng.random()), 3) for i in range(count)]


def _kills(rng: random.Random, limits: Limits) -> tuple[Kill, ...]:
    moments = _moments(
        rng, limits.kills, limits.chaos_starts_after_s, limits.duration_s - QUIET_TAIL_S
    )
    kinds: list[str] = []
    while len(kinds) < len(moments):  # every kind once per cycle, in a seeded order
        cycle = list(KILL_KINDS)
        rng.shuffle(cycle)
        kinds += cycle
    kills = []
    for at_s, kind in zip(moments, kinds, strict=False):
        stores = kind == "postgres" or kind.startswith("redis")
        downtime_s = (
            rng.uniform(limits.downtime_min_s, limits.downtime_max_s)
            if stores
            else rng.uniform(0, 2)
        )
        target = rng.randrange(limits.workers) if kind == "worker" else 0
        kills.append(Kill(at_s, kind, target, round(downtime_s, 3)))
    return tuple(kills)


def _faults(rng: random.Random, limits: Limits) -> tuple[Fault, ...]:
    faults = []
    moments = _moments(rng, limits.faults_planned, 0.0, limits.duration_s - QUIET_TAIL_S)
    for at_s in moments:
        rule = dict(rng.choice(FAULT_TEMPLATES))
        rule["count"] = rng.randint(1, 3)
        if rng.random() < 0.3:
            rule["skip"] = rng.randint(1, 3)
        faults.append(Fault(at_s, rule))
    return tuple(faults)
