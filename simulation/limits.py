"""Every bound of a simulation run, named in one place: how long it drives load, how many
processes it kills, how long it lets the service settle, how hard a client retries.

A run is never open-ended: load stops at `duration_s`, each command gives up after
`command_attempts_max` tries or `command_window_s` (its outcome then resolved once the service
has settled), settling ends at `settle_timeout_s`, and the checks have their own bounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# Kinds of kill, in the order the schedule cycles through them so every kind appears even in a
# short run; Redis is killed twice per cycle, once coming back with its data and once empty.
KILL_KINDS: Final = ("api", "worker", "runner", "postgres", "redis-keep", "redis-wipe")
CLIENTS_DEFAULT: Final = 4
WORKERS_DEFAULT: Final = 2
DURATION_S_DEFAULT: Final = 900.0
KILLS_DEFAULT: Final = 60
SETTLE_TIMEOUT_S_DEFAULT: Final = 300.0


@dataclass(frozen=True, slots=True)
class Limits:
    duration_s: float = DURATION_S_DEFAULT
    kills: int = KILLS_DEFAULT
    clients: int = CLIENTS_DEFAULT
    workers: int = WORKERS_DEFAULT
    # Sandbox faults injected over the run (each hits a few requests, then expires).
    faults: int | None = None
    settle_timeout_s: float = SETTLE_TIMEOUT_S_DEFAULT
    # One command: attempts, and the time it may keep trying, before it counts as unresolved
    # (resolved after settling by sending it once more with its key).
    command_attempts_max: int = 60
    command_window_s: float = 150.0
    request_timeout_s: float = 30.0
    # Pause between attempts of a command that got no definitive answer (doubling up to max).
    retry_pause_s: float = 0.25
    retry_pause_max_s: float = 4.0
    # How long a dependency stays down after its kill before it is started again.
    downtime_min_s: float = 1.0
    downtime_max_s: float = 8.0
    # Kills start after this much load, so the first users exist when the chaos begins.
    chaos_starts_after_s: float = 10.0
    # A flow waiting on a saga (a wallet, an escrow step, a withdrawal) gives up after this.
    saga_wait_s: float = 120.0
    # The users, orders and withdrawals each client keeps open at once.
    users_per_client_max: int = 6
    flows_per_client_max: int = 3

    @property
    def faults_planned(self) -> int:
        """Three faults for each kill unless told otherwise: the sandbox is where most
        real-world failures come from."""
        return self.faults if self.faults is not None else 3 * self.kills
