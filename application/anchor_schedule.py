"""When to anchor the audit chain: every `every_events` log positions or `interval_s` seconds,
whichever comes first, and only when the head moved by events other than anchors' own (an
idle ledger is not anchored again and again by its own anchors).

One anchor at a time: while the newest is not on chain (in flight or parked) no other starts.
The head anchored is the event feed's last link at P; its balance tree is built only once the
ledger-entries read model has reached P (`BalanceProofs.tree_at` is exact there), and the
anchors read model must have reached P too, so the newest anchor it shows is the newest there
is. The runner's `audit-anchor` loop calls `step`; it is a singleton, and a second start at one
position collides with the first anyway (`domain.audit_anchors.anchor_id_for`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.audit_anchors import AnchorPlan, AuditAnchors
from application.balance_proofs import BalanceProofs
from application.context import SYSTEM

# Rows of this aggregate type are anchors' own events: they do not count as the head moving.
ANCHOR_AGGREGATE_TYPE = "AuditAnchor"

log = logging.getLogger(__name__)


class ChainHeads(Protocol):
    def head(self) -> tuple[int, str] | None: ...

    def moved_between(self, after: int, last: int, excluded_aggregate: str, limit: int) -> int: ...


class NewestAnchor(Protocol):
    @property
    def anchor_position(self) -> int: ...

    @property
    def is_anchored(self) -> bool: ...

    @property
    def started_at(self) -> datetime: ...


class AnchorDirectory(Protocol):
    def latest(self) -> NewestAnchor | None: ...


@dataclass(frozen=True, slots=True)
class AnchorPolicy:
    every_events: int  # AUDIT_ANCHOR_EVERY_EVENTS
    interval_s: float  # AUDIT_ANCHOR_INTERVAL_S


class AnchorSchedule:
    def __init__(
        self,
        heads: ChainHeads,
        anchors: AnchorDirectory,
        reached: Callable[[], int],
        proofs: BalanceProofs,
        starter: AuditAnchors,
        policy: AnchorPolicy,
        clock: Callable[[], datetime],
    ) -> None:
        """`reached`: the position both the ledger-entries and the anchors read models have
        applied (the lower of the two)."""
        self._heads = heads
        self._anchors = anchors
        self._reached = reached
        self._proofs = proofs
        self._starter = starter
        self._policy = policy
        self._clock = clock
        self._since = clock()  # with no anchor yet, the interval runs from the loop's start

    def due(self) -> AnchorPlan | None:
        """The anchor to start now, if one is due (its tree built); None otherwise."""
        head = self._heads.head()
        if head is None:
            return None
        position, head_hash = head
        if self._reached() < position:
            return None  # the balance tree (or the newest anchor) is not known at P yet
        newest = self._anchors.latest()
        if newest is not None and not newest.is_anchored:
            return None  # one anchor at a time: the newest is in flight or parked
        after = newest.anchor_position if newest is not None else 0
        since = newest.started_at if newest is not None else self._since
        moved = self._heads.moved_between(
            after, position, ANCHOR_AGGREGATE_TYPE, self._policy.every_events
        )
        if moved == 0:
            return None
        waited_s = (self._clock() - since).total_seconds()
        if moved < self._policy.every_events and waited_s < self._policy.interval_s:
            return None
        if self._starter.signer() is None:
            return None  # no active platform wallet to send it yet: build no tree for nothing
        root = self._proofs.tree_at(position).root
        return AnchorPlan(position, head_hash, root.hash.hex(), root.sum_stroops)

    def step(self) -> bool:
        """Starts the anchor that is due, if any; True when one was started."""
        plan = self.due()
        if plan is None:
            return False
        started = self._starter.start(plan, SYSTEM)
        if started is not None:
            log.info("anchoring the audit chain's head at position %d (%s)", plan.position, started)
        return False
