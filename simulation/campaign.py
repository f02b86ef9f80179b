"""One simulation run, start to verdict: start the fleet, drive the seeded load while the chaos
schedule kills processes and injects faults, stop, let the service settle (bounded), then check
every invariant and say which broke first.

Settling means: every store and process up again, no fault left, every unresolved command sent
once more with its key, and then, within `settle_timeout_s`, no saga in flight, every projection
at the head of the log and every USDC payment into a wallet credited. Whatever is not settled by
then is what the checks report.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

import httpx

from simulation import books
from simulation.caller import Answers, Caller
from simulation.chain import read_chain
from simulation.chaos import Chaos, ChaosRecord
from simulation.fleet import Fleet
from simulation.invariants import CHECKS, Evidence, gather, read_models_equal_refold
from simulation.limits import Limits
from simulation.marketplace import Marketplace
from simulation.outsiders import outside_account
from simulation.report import Outcome, events_of
from simulation.schedule import Schedule
from simulation.tally import Tally

OUTSIDE_ACCOUNTS: Final = 3
PROGRESS_EVERY_S: Final = 30.0
SETTLE_POLL_S: Final = 2.0
CLIENT_JOIN_S: Final = 180.0
READY_AFTER_CHAOS_S: Final = 240.0

Progress = Callable[[str], None]


def simulate(
    seed: int, limits: Limits, root: Path, progress: Progress, *, keep: bool = False
) -> Outcome:
    schedule = Schedule.from_seed(seed, limits)
    answers = Answers()
    outcome = Outcome(seed, schedule.digest(), answers, ChaosRecord())
    plan = f"{limits.kills} kills over {limits.duration_s:.0f}s"
    progress(f"seed {seed}  schedule {outcome.digest}  ({plan})")
    began = time.monotonic()
    fleet = Fleet(root, workers=limits.workers, sandbox_seed=seed)
    try:
        fleet.start()
        up_s = time.monotonic() - began
        progress(f"fleet up in {up_s:.0f}s: {', '.join(fleet.processes)}; data in {root}")
        tally = Tally()
        issuer = fleet.processes["api"].environment["STELLAR_USDC_ISSUER"]
        tally.sinks.update(
            outside_account(fleet.sandbox_url, issuer) for _ in range(OUTSIDE_ACCOUNTS)
        )
        outcome.flows_abandoned = _load(schedule, fleet, tally, answers, outcome, progress)
        outcome.settled_in_s = _settle(fleet, tally, limits, answers, progress)
        _check(fleet, tally, answers, outcome, progress)
        if outcome.violated is not None:
            outcome.events = events_of(outcome.violated, fleet.postgres.url)
    except Exception as error:
        outcome.error = f"{type(error).__name__}: {error}"
    finally:
        outcome.duration_s = time.monotonic() - began
        fleet.close()
        if not keep and outcome.passed:
            shutil.rmtree(root, ignore_errors=True)
    return outcome


def _load(
    schedule: Schedule,
    fleet: Fleet,
    tally: Tally,
    answers: Answers,
    outcome: Outcome,
    progress: Progress,
) -> int:
    limits = schedule.limits
    stopping = threading.Event()
    started = time.monotonic()

    def clock() -> float:
        return time.monotonic() - started

    callers = [
        Caller(fleet.api_url, fleet.master_key, answers, limits, clock, stopping)
        for _ in range(limits.clients)
    ]
    clients = [
        Marketplace(i, schedule, callers[i], fleet.sandbox_url, tally, limits, stopping)
        for i in range(limits.clients)
    ]
    threads = [
        threading.Thread(target=c.run, name=f"client-{c.index}", daemon=True) for c in clients
    ]
    chaos = Chaos(schedule, fleet, clock, stopping)
    outcome.chaos = chaos.record
    for thread in threads:
        thread.start()
    chaos.start()
    while clock() < limits.duration_s:
        time.sleep(min(PROGRESS_EVERY_S, max(limits.duration_s - clock(), 0.1)))
        kills = sum(chaos.record.kills.values())
        progress(
            f"{clock():>5.0f}s  {answers.requests} requests, kills {kills},"
            f" faults {chaos.record.faults}, {answers.bad_count} bad 5xx"
        )
    stopping.set()
    chaos.join(READY_AFTER_CHAOS_S)
    for thread in threads:
        thread.join(CLIENT_JOIN_S)
    for caller in callers:
        caller.close()
    return sum(c.flows_abandoned for c in clients)


def _settle(
    fleet: Fleet, tally: Tally, limits: Limits, answers: Answers, progress: Progress
) -> float | None:
    began = time.monotonic()
    if not fleet.postgres.running:
        fleet.postgres.start()
    if not fleet.redis.running:
        fleet.redis.start()
    fleet.wait_all_ready(READY_AFTER_CHAOS_S)
    httpx.delete(f"{fleet.sandbox_url}/sandbox/faults", timeout=30).raise_for_status()
    pending = tally.take_unresolved()
    caller = Caller(
        fleet.api_url, fleet.master_key, answers, limits, lambda: -1.0, threading.Event()
    )
    try:
        for command in pending:
            outcome = caller.command(command.method, command.path, command.body, command.key)
            if not outcome.definitive:
                tally.unresolved_command(command)
            elif outcome.answer.ok and command.kind in ("credit", "debit"):
                tally.adjusted(command.kind, command.user_id or "", command.amount_stroops)
            elif outcome.answer.ok and command.kind == "withdraw":
                tally.withdrawal(
                    outcome.answer.data["id"],
                    user_id=command.user_id,
                    amount=command.amount_stroops,
                )
        progress(f"settling: {len(pending)} unresolved commands sent again")
        deadline = began + limits.settle_timeout_s
        while time.monotonic() < deadline:
            if _quiet(fleet, caller, tally):
                return time.monotonic() - began
            time.sleep(SETTLE_POLL_S)
    finally:
        caller.close()
    progress(f"not settled within {limits.settle_timeout_s:.0f}s; checking what is left")
    return None


def _quiet(fleet: Fleet, caller: Caller, tally: Tally) -> bool:
    """No saga in flight, every projection at the head, every wallet deposit credited."""
    in_flight = caller.read("/admin/sagas", status="IN_FLIGHT", limit=1)
    if not in_flight.ok or in_flight.data:
        return False
    head = books.head(fleet.postgres.url)
    if any(position < head for position in books.tracking_positions(fleet.postgres.url).values()):
        return False
    chain = read_chain(fleet.sandbox_url)
    wallets = {a for a in tally.users.values() if a}
    arrived = sum(1 for p in chain.payments if p["to"] in wallets)
    with books.read_only(fleet.postgres.url) as conn:
        row = conn.execute("SELECT count(*) FROM rm_deposits.deposits").fetchone()
    return arrived <= (row[0] if row else 0)


def _check(
    fleet: Fleet, tally: Tally, answers: Answers, outcome: Outcome, progress: Progress
) -> None:
    audit = Caller(
        fleet.api_url, fleet.master_key, answers, Limits(), lambda: -1.0, threading.Event()
    )
    try:
        evidence = Evidence(
            fleet,
            tally,
            answers,
            books.fold(fleet.postgres.url),
            read_chain(fleet.sandbox_url),
            audit,
            unresolved_left=len(tally.unresolved),
        )
        gather(evidence)
        for check in CHECKS:
            if check is read_models_equal_refold:
                fleet.stop()  # a database copy needs every session gone
            outcome.checks.append(check(evidence))
            progress(
                f"checked: {outcome.checks[-1].name}: {'ok' if outcome.checks[-1].ok else 'FAIL'}"
            )
    finally:
        audit.close()
