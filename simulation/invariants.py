"""The properties every run must end with, each checked from outside: the log folded here, the
chain as the sandbox shows it, the client's own tally, what the API answers, and the service's
own audit. A check returns what it found; the first failed one, in the order below, is the
run's verdict, with a position or an id to show the events around it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from simulation.amounts import to_stroops, to_wire
from simulation.books import Fold, tracking_positions
from simulation.caller import Answers, Caller
from simulation.chain import Chain
from simulation.fleet import Fleet
from simulation.refold import compare_with_refold
from simulation.tally import Tally

LIST_PAGE_SIZE: Final = 100
LIST_PAGES_MAX: Final = 1000
# A read of the evidence answered 503 is asked again this many times in all, this far apart.
EVIDENCE_READ_ATTEMPTS_MAX: Final = 10
EVIDENCE_RETRY_PAUSE_S: Final = 0.5
PROBLEMS_SHOWN_MAX: Final = 5
SINGLE_RELEASE_PAYOUTS: Final = ("release_funds", "resolve_dispute")
MULTI_RELEASE_PAYOUTS: Final = ("release_milestone_funds", "resolve_milestone_dispute")


@dataclass
class Check:
    name: str
    problems: list[str] = field(default_factory=list)
    position: int | None = None  # where the events around it are shown
    mention: str | None = None  # or an id whose events are shown
    checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(
        self, problem: str, *, position: int | None = None, mention: str | None = None
    ) -> None:
        if not self.problems:
            self.position, self.mention = position, mention
        self.problems.append(problem)


@dataclass
class Evidence:
    """Everything read once the service settled, shared by the checks."""

    fleet: Fleet
    tally: Tally
    answers: Answers
    fold: Fold
    chain: Chain
    caller: Caller
    withdrawals: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    deposits: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    balances: dict[str, dict[str, Any]] = field(default_factory=dict)
    stuck_sagas: list[dict[str, Any]] = field(default_factory=list)
    unresolved_left: int = 0

    def users(self) -> dict[str, str | None]:
        users = dict(self.tally.users)
        if self.fleet.platform_user:
            users.setdefault(self.fleet.platform_user, None)
        return users


def gather(evidence: Evidence) -> None:
    caller = evidence.caller
    evidence.withdrawals = pages(caller, "/withdrawals")
    evidence.orders = pages(caller, "/orders")
    for user_id in evidence.users():
        evidence.deposits[user_id] = pages(caller, "/deposits", userId=user_id)
        balance = _read_settled(caller, f"/users/{user_id}/balance")
        if balance.ok:
            evidence.balances[user_id] = balance.data
        wallet = _read_settled(caller, f"/users/{user_id}/wallet")
        if wallet.ok and wallet.data.get("publicKey"):
            evidence.tally.user(user_id, wallet.data["publicKey"])
    evidence.stuck_sagas = pages(caller, "/admin/sagas")


def _read_settled(caller: Caller, path: str, **params: Any) -> Any:
    """A GET of the evidence, asked again after a 503 as a client would (an API process may
    still be dropping connections the last PostgreSQL kill broke), a bounded number of times."""
    for _ in range(EVIDENCE_READ_ATTEMPTS_MAX - 1):
        answer = caller.read(path, **params)
        if answer.status != 503:
            return answer
        time.sleep(EVIDENCE_RETRY_PAUSE_S)
    return caller.read(path, **params)


def pages(caller: Caller, path: str, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    for _ in range(LIST_PAGES_MAX):
        answer = _read_settled(
            caller, path, limit=LIST_PAGE_SIZE, **params, **({"cursor": cursor} if cursor else {})
        )
        if not answer.ok:
            raise RuntimeError(f"GET {path} answered {answer.status}: {answer.body}")
        found += answer.data
        cursor = answer.body["meta"].get("pagination", {}).get("nextCursor")
        if not cursor:
            return found
    raise RuntimeError(f"GET {path}: more than {LIST_PAGES_MAX} pages")


# -- the checks, in verdict order ---------------------------------------------------------


def no_unexpected_5xx(e: Evidence) -> Check:
    check = Check("no 5xx but 503", checked=e.answers.requests)
    for bad in e.answers.bad[:PROBLEMS_SHOWN_MAX]:
        where = f"{bad['method']} {bad['path']} at {bad['at_s']}s"
        check.fail(f"{where} answered {bad['status']}: {bad['body']}")
    if e.answers.bad_count > PROBLEMS_SHOWN_MAX:
        check.fail(f"… {e.answers.bad_count} such answers in all")
    return check


def every_command_resolved(e: Evidence) -> Check:
    check = Check("every command answered", checked=e.tally.commands_acknowledged)
    if e.unresolved_left:
        check.fail(
            f"{e.unresolved_left} commands never got a definitive answer, even after settling"
        )
    return check


def postings_balance(e: Evidence) -> Check:
    check = Check("postings sum to zero, no negative account", checked=e.fold.money_events)
    for found in e.fold.breaks[:PROBLEMS_SHOWN_MAX]:
        check.fail(f"position {found.position}: {found.problem}", position=found.position)
    return check


def audit_verify(e: Evidence) -> Check:
    check = Check("ledgerline audit verify", checked=e.fold.events)
    done = e.fleet.run_cli("audit", "verify")
    if done.returncode != 0:
        check.fail((done.stdout.strip() or done.stderr.strip())[-1500:])
    return check


def projections_at_head(e: Evidence) -> Check:
    positions = tracking_positions(e.fleet.postgres.url)
    check = Check("every projection at the head", checked=len(positions))
    for schema, position in positions.items():
        if position < e.fold.head:
            check.fail(f"{schema} at {position}, the log at {e.fold.head}", position=position + 1)
    return check


def read_models_equal_refold(e: Evidence) -> Check:
    comparison = compare_with_refold(e.fleet)
    check = Check("read models equal a rebuild from the log", checked=comparison.rows)
    if comparison.problem:
        check.fail(comparison.problem)
    for table, rows in comparison.differing.items():
        check.fail(f"{table} differs: " + "; ".join(rows))
    return check


def balances_equal_books(e: Evidence) -> Check:
    check = Check("balances answered equal the folded books", checked=len(e.balances))
    for user_id, balance in e.balances.items():
        answered = (to_stroops(balance["available"]), to_stroops(balance["reserved"]))
        if answered != e.fold.user(user_id):
            check.fail(
                f"{user_id} answers {answered}, the log folds to {e.fold.user(user_id)}",
                mention=user_id,
            )
    return check


def ledger_equals_chain(e: Evidence) -> Check:
    """Each wallet holds on chain what the books say, less the manual adjustments (money the
    chain never moved); the platform's wallet also holds the platform's fees."""
    check = Check("every wallet holds what the books say")
    for user_id, address in e.users().items():
        if not address:
            continue
        check.checked += 1
        available, reserved = e.fold.user(user_id)
        expected = available + reserved - e.tally.adjustment_of(user_id)
        if user_id == e.fleet.platform_user:
            expected += e.fold.balances.get("platform:fees", 0)
        held = e.chain.usdc.get(address, 0)
        if held != expected:
            check.fail(
                f"{user_id}'s wallet holds {to_wire(held)} on chain, the books {to_wire(expected)}",
                mention=user_id,
            )
    return check


def conservation(e: Evidence) -> Check:
    """Money in the service equals what the client put in, less what it paid out, counted
    from the client's tally and the chain, never from the service's own totals."""
    check = Check("conservation against the client's tally", checked=e.tally.mints)
    minted = sum(e.tally.minted.values())
    adjustments = sum(e.tally.credited.values()) - sum(e.tally.debited.values())
    to_sinks = sum(e.chain.usdc.get(sink, 0) for sink in e.tally.sinks)
    trustless_work = e.chain.usdc.get(e.chain.trustless_work_fee_address, 0)
    held = e.fold.guarded_total() + e.fold.balances.get("platform:fees", 0)
    expected = minted + adjustments - to_sinks - trustless_work
    if e.tally.mints_ambiguous:
        check.fail(f"{e.tally.mints_ambiguous} mints got no answer; the tally is not exact")
    if held != expected:
        check.fail(
            f"the service holds {to_wire(held)}; the client minted {to_wire(minted)}, adjusted"
            f" {to_wire(adjustments)}, was paid out {to_wire(to_sinks)} and Trustless Work took"
            f" {to_wire(trustless_work)}: {to_wire(expected)} expected"
        )
    if -e.fold.balances.get("external:adjustments", 0) != adjustments:
        check.fail(
            f"the books hold {to_wire(-e.fold.balances.get('external:adjustments', 0))} of manual"
            f" adjustments, the client was acknowledged {to_wire(adjustments)}"
        )
    owed = e.fold.balances.get("external:trustless_work_fees", 0)
    if owed != trustless_work:
        check.fail(
            f"the books owe Trustless Work {to_wire(owed)};"
            f" its wallet got {to_wire(trustless_work)}"
        )
    return check


def withdrawals_paid_once(e: Evidence) -> Check:
    """A completed withdrawal's transaction is one USDC payment of its amount from the user's
    wallet to its destination; a failed or canceled one paid nothing; and no wallet paid
    anyone without a completed withdrawal."""
    check = Check("every completed withdrawal paid exactly once", checked=len(e.withdrawals))
    completed: set[str] = set()
    for withdrawal in e.withdrawals:
        wid, status = withdrawal["id"], withdrawal["status"]
        tx = withdrawal.get("stellarTransactionHash") or ""
        paid = [p for p in e.chain.payments if tx and p["hash"] == tx]
        if status == "WITHDRAWAL_COMPLETED":
            completed.add(tx)
            expected = (
                to_stroops(withdrawal["amount"]),
                withdrawal["destinationRef"],
                e.users().get(withdrawal["userId"]),
            )
            found = [(p["amount"], p["to"], p["from"]) for p in paid]
            if found != [expected]:
                check.fail(f"{wid} is completed; its transaction paid {found}", mention=wid)
        elif status not in ("WITHDRAWAL_FAILED", "WITHDRAWAL_CANCELED"):
            check.fail(f"{wid} is still {status} after settling", mention=wid)
        elif paid:
            check.fail(f"{wid} is {status} but its transaction paid on chain", mention=wid)
    wallets = {address: user for user, address in e.users().items() if address}
    for payment in e.chain.payments:
        if payment["from"] in wallets and payment["hash"] not in completed:
            check.fail(
                f"a payment of {to_wire(payment['amount'])} from {wallets[payment['from']]}'s"
                f" wallet ({payment['hash']}) has no completed withdrawal",
                mention=payment["hash"],
            )
    return check


def deposits_credited_once(e: Evidence) -> Check:
    check = Check("every on-chain deposit credited once")
    for user_id, address in e.users().items():
        if not address:
            continue
        arrived = Counter(p["id"] for p in e.chain.payments_into(address))
        credited = Counter(str(d["operationId"]) for d in e.deposits.get(user_id, []))
        check.checked += sum(arrived.values())
        for operation in sorted(set(arrived) | set(credited)):
            if credited[operation] != arrived[operation]:
                check.fail(
                    f"{user_id}: operation {operation} arrived {arrived[operation]} times,"
                    f" credited {credited[operation]} times",
                    mention=user_id,
                )
    return check


def escrows_once(e: Evidence) -> Check:
    """Each order's escrow: one contract, funded at most once, paid out at most once per
    milestone, holding what `escrow:{order}` says."""
    check = Check("every escrow funded and released at most once, holding the books")
    by_order = Counter(escrow.get("engagementId") for escrow in e.chain.escrows.values())
    for order in e.orders:
        contract = (order.get("escrow") or {}).get("trustlessContractId")
        if by_order[order["id"]] > 1:
            check.fail(
                f"{order['id']} has {by_order[order['id']]} escrow contracts", mention=order["id"]
            )
        if not contract:
            continue
        check.checked += 1
        calls = e.chain.calls_on(contract)
        payouts = MULTI_RELEASE_PAYOUTS if order["milestones"] else SINGLE_RELEASE_PAYOUTS
        paid_max = max(len(order["milestones"]), 1)
        if calls["fund_escrow"] > 1 or sum(calls[p] for p in payouts) > paid_max:
            check.fail(f"{order['id']}'s contract was called {dict(calls)}", mention=order["id"])
        held = to_stroops(e.chain.escrows.get(contract, {}).get("balance", "0"))
        books = e.fold.balances.get(f"escrow:{order['id']}", 0)
        if held != books:
            check.fail(
                f"{order['id']}'s escrow holds {to_wire(held)}, the books {to_wire(books)}",
                mention=order["id"],
            )
    return check


def no_saga_stuck(e: Evidence) -> Check:
    check = Check("no saga stuck", checked=len(e.orders) + len(e.withdrawals))
    for saga in e.stuck_sagas[:PROBLEMS_SHOWN_MAX]:
        where = f"{saga['kind']} {saga['id']} is {saga['status']} at {saga['step']}"
        check.fail(f"{where}: {saga.get('reason')}", mention=saga["id"])
    return check


CHECKS: Final[tuple[Callable[[Evidence], Check], ...]] = (
    no_unexpected_5xx,
    every_command_resolved,
    postings_balance,
    audit_verify,
    projections_at_head,
    balances_equal_books,
    ledger_equals_chain,
    conservation,
    withdrawals_paid_once,
    deposits_credited_once,
    escrows_once,
    no_saga_stuck,
    read_models_equal_refold,  # last: it needs the service's processes stopped
)
