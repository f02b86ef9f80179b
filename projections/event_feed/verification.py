"""`ledgerline audit verify`: recompute the hash chain from the event store and check the books.

Envelopes are rebuilt from the stored events themselves (never from the feed), chained, and
compared with the feed's rows, so altering an event in the store or a row in the feed is caught
at its position. Each link is recomputed with the chain version the store's own events name for
it (the last `AuditChain.Versioned` at or before it, 1 before any), never the feed's word.
Postings are folded in the same pass (application/trial_balance.py) and the balance read models
are compared with the fold at the positions they had reached. Breaks are reported in position
order; the first one is what an auditor looks at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from psycopg import Connection

from application.ledger import Ledger
from application.trial_balance import Break, TrialBalance
from domain.audit_chain import FIRST_CHAIN_VERSION, recorded_version
from domain.postings import user_available, user_reserved
from projections.event_feed.audit_chain import GENESIS_HASH, canonical, link_of
from projections.event_feed.catalogue import envelope
from projections.event_feed.view import FeedView

PAGE_SIZE: Final = 1000
Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class ModelCheck:
    """A read model's balances as it had them at `position`, to compare with the fold."""

    name: str
    position: int
    balances: dict[str, int]


@dataclass
class Verdict:
    head: int
    feed_position: int
    events: int = 0
    head_hash: str = GENESIS_HASH
    # The chain version of the last link checked, and where each version recorded starts.
    chain_version: int = FIRST_CHAIN_VERSION
    chain_versions_from: dict[int, int] = field(default_factory=dict)
    breaks: list[Break] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def first_break(self) -> Break | None:
        return min(self.breaks, key=lambda b: b.position) if self.breaks else None


class Verifier:
    def __init__(self, ledger: Ledger, pool: Any) -> None:
        self._ledger = ledger
        self._pool = pool
        self._feed = FeedView(pool)

    def verify(self, progress: Progress | None = None) -> Verdict:
        feed_position, checks, notes = self._snapshot()
        head = self._ledger.head_position()
        verdict = Verdict(head=head, feed_position=feed_position, notes=notes)
        trial = TrialBalance()
        previous = GENESIS_HASH
        pending = sorted(checks, key=lambda c: c.position)
        after = 0
        while after < head:
            page = self._ledger.read(after=after, limit=PAGE_SIZE, stop=head)
            if not page:
                break
            stored = {p: (text, h) for p, text, h in self._feed.hashes(after, page[-1][0])}
            for position, event in page:
                while pending and pending[0].position < position:
                    verdict.breaks += _compare(pending.pop(0), trial.balances)
                trial.apply(position, event)
                version = recorded_version(event)
                if version is not None:
                    verdict.chain_version = version
                    verdict.chain_versions_from.setdefault(version, position)
                if position <= feed_position:
                    previous = self._link(
                        verdict, position, event, stored.pop(position, None), previous
                    )
            verdict.breaks += [
                Break(p, "in the event feed but not in the event store") for p in sorted(stored)
            ]
            verdict.events += len(page)
            after = page[-1][0]
            if progress:
                progress(after)
        for check in pending:
            verdict.breaks += _compare(check, trial.balances)
        trial.close()
        verdict.breaks += trial.breaks
        verdict.breaks.sort(key=lambda b: b.position)
        verdict.head_hash = previous
        if feed_position < head:
            verdict.notes.append(
                f"the event feed is at position {feed_position} of {head}: the hash chain was"
                " verified up to there, the books up to the head"
            )
        return verdict

    def _link(
        self,
        verdict: Verdict,
        position: int,
        event: Any,
        row: tuple[str, str] | None,
        previous: str,
    ) -> str:
        """Checks one link; returns the hash the next link must build on."""
        try:
            body = envelope(position, event)
        except LookupError:
            verdict.breaks.append(Break(position, "the stored event is not in the catalogue"))
            return row[1] if row else previous
        text = canonical(body)
        try:
            expected = link_of(previous, body, verdict.chain_version, text)
        except ValueError as unknown:
            verdict.breaks.append(Break(position, str(unknown)))
            return row[1] if row else previous
        if row is None:
            verdict.breaks.append(Break(position, "missing from the event feed"))
            return expected
        stored_text, stored_hash = row
        if stored_text != text:
            verdict.breaks.append(
                Break(position, "the event feed's envelope differs from the event store's event")
            )
            # The content is what differs: keep following the stored chain.
            return stored_hash
        if stored_hash != expected:
            verdict.breaks.append(Break(position, "the stored hash does not chain"))
        return expected

    def _snapshot(self) -> tuple[int, list[ModelCheck], list[str]]:
        """The feed's position and each balance model's rows, all in one snapshot."""
        notes: list[str] = []
        checks: list[ModelCheck] = []
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            feed = _position(conn, "rm_event_feed")
            balances = _position(conn, "rm_balances")
            if balances is None:
                notes.append("rm_balances is not built: not compared")
            else:
                checks.append(ModelCheck("rm_balances", balances, _user_balances(conn)))
            entries = _position(conn, "rm_ledger_entries")
            if entries is None:
                notes.append("rm_ledger_entries is not built: not compared")
            else:
                rows = conn.execute(
                    "SELECT account, balance_stroops FROM rm_ledger_entries.account_balances"
                ).fetchall()
                by_account = {r["account"]: int(r["balance_stroops"]) for r in rows}
                checks.append(ModelCheck("rm_ledger_entries", entries, by_account))
        if feed is None:
            notes.append("rm_event_feed is not built: the hash chain was not verified")
        return feed or 0, checks, notes


def _position(conn: Connection[Any], schema: str) -> int | None:
    exists = conn.execute(
        "SELECT 1 FROM pg_tables WHERE schemaname = %s AND tablename = 'tracking'", (schema,)
    ).fetchone()
    if not exists:
        return None
    row = conn.execute(f"SELECT position FROM {schema}.tracking").fetchone()  # noqa: S608
    return int(row["position"]) if row else None


def _user_balances(conn: Connection[Any]) -> dict[str, int]:
    rows = conn.execute(
        "SELECT user_id, available_stroops, reserved_stroops FROM rm_balances.balances"
    ).fetchall()
    found: dict[str, int] = {}
    for row in rows:
        found[user_available(row["user_id"])] = row["available_stroops"]
        found[user_reserved(row["user_id"])] = row["reserved_stroops"]
    return found


def _compare(check: ModelCheck, folded: dict[str, int]) -> list[Break]:
    """Accounts where the read model disagrees with the fold at the model's position."""
    accounts = set(check.balances)
    if check.name == "rm_ledger_entries":
        accounts |= {a for a, amount in folded.items() if amount != 0}
    else:
        accounts |= {a for a in folded if a.startswith("user:") and folded[a] != 0}
    return [
        Break(
            check.position,
            f"{check.name} says {account} is {check.balances.get(account, 0)};"
            f" the log gives {folded.get(account, 0)}",
        )
        for account in sorted(accounts)
        if check.balances.get(account, 0) != folded.get(account, 0)
    ]
