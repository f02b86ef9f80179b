"""`ledgerline audit verify --anchors`: the chain recomputed from the event store, checked
against what the anchors put on Stellar.

Every link is recomputed from the stored events alone (never from the feed). For each anchor on
chain (`rm_audit_anchors`), its transaction is read back from Horizon: it must be in a ledger,
successful, signed by the platform wallet, carry MEMO_HASH = the recomputed link at its
position, and set the position and balance root in its manage data. The first anchor where they
differ is where the history was rewritten, somewhere after the anchor before it. The feed's rows
say where exactly: the first position whose stored envelope differs from the envelope rebuilt
from the event store is the first altered event (unless the feed was rewritten to match, and
then only the anchors can tell, within the interval they bound).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from application.ledger import Ledger
from application.ports import StellarNetwork
from domain.audit_anchors import DATA_BALANCES_ROOT, DATA_BALANCES_SUM, DATA_POSITION
from domain.audit_chain import FIRST_CHAIN_VERSION, recorded_version
from projections.audit_anchors.view import AnchorRow, AuditAnchorsView
from projections.event_feed.audit_chain import GENESIS_HASH, canonical, link_of
from projections.event_feed.catalogue import envelope
from projections.event_feed.view import FeedView

PAGE_SIZE: Final = 1000
Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class AnchorBreak:
    position: int  # the anchor's position
    problem: str
    previous_anchor: int  # the position of the last anchor that held (0: none)


@dataclass
class AnchorVerdict:
    anchors: int = 0
    breaks: list[AnchorBreak] = field(default_factory=list)
    # The first position whose feed row differs from the event rebuilt from the store.
    first_altered: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def first_break(self) -> AnchorBreak | None:
        return self.breaks[0] if self.breaks else None


class AnchorChecker:
    def __init__(self, ledger: Ledger, pool: Any, network: StellarNetwork) -> None:
        self._ledger = ledger
        self._feed = FeedView(pool)
        self._anchors = AuditAnchorsView(pool)
        self._network = network

    def check(self, progress: Progress | None = None) -> AnchorVerdict:
        verdict = AnchorVerdict()
        anchors = self._anchors.anchored()
        if not anchors:
            verdict.notes.append("no anchor is on chain yet: nothing to check against Stellar")
            return verdict
        last = anchors[-1].anchor_position
        pending = list(anchors)
        recomputed, held, after = GENESIS_HASH, 0, 0
        version = FIRST_CHAIN_VERSION  # each link hashes with the version in force at it
        while pending and after < last:
            page = self._ledger.read(after=after, limit=PAGE_SIZE, stop=last)
            if not page:
                break
            stored = {p: text for p, text, _ in self._feed.hashes(after, page[-1][0])}
            for position, event in page:
                try:
                    body = envelope(position, event)
                except LookupError:  # not an event Ledgerline ever wrote
                    verdict.first_altered = verdict.first_altered or position
                    body = None
                version = recorded_version(event) or version
                if body is not None:
                    text = canonical(body)
                    recomputed = link_of(recomputed, body, version, text)
                    if verdict.first_altered is None and stored.get(position) != text:
                        verdict.first_altered = position
                while pending and pending[0].anchor_position <= position:
                    anchor = pending.pop(0)
                    verdict.anchors += 1
                    problem = (
                        self._compare(anchor, recomputed)
                        if anchor.anchor_position == position and body is not None
                        else "no event of the catalogue is stored at this position"
                    )
                    if problem is None:
                        held = anchor.anchor_position
                    else:
                        verdict.breaks.append(AnchorBreak(anchor.anchor_position, problem, held))
            after = page[-1][0]
            if progress:
                progress(after)
        for anchor in pending:  # its position is not in the event store at all
            verdict.anchors += 1
            verdict.breaks.append(
                AnchorBreak(anchor.anchor_position, "no stored event at this position", held)
            )
        return verdict

    def _compare(self, anchor: AnchorRow, recomputed: str) -> str | None:
        """What differs between the anchor's transaction on Stellar and the recomputed chain
        at its position; None when they agree."""
        if anchor.transaction_hash is None:
            return "the anchor has no transaction hash"
        found = self._network.transaction(anchor.transaction_hash)
        if found is None:
            return f"transaction {anchor.transaction_hash} is in no ledger Horizon knows"
        if not found.successful:
            return f"transaction {anchor.transaction_hash} failed on chain"
        data = dict(found.data)
        anchored_position = (data.get(DATA_POSITION) or b"").decode(errors="replace")
        if anchored_position != str(anchor.anchor_position):
            return (
                f"the transaction anchors position {anchored_position or 'none'},"
                f" not {anchor.anchor_position}"
            )
        if found.memo_hash is None or found.memo_hash.hex() != recomputed:
            shown = found.memo_hash.hex() if found.memo_hash else "none"
            return (
                f"the anchored head hash {shown} differs from the chain recomputed from the"
                f" event store ({recomputed})"
            )
        root = (data.get(DATA_BALANCES_ROOT) or b"").decode(errors="replace")
        total = (data.get(DATA_BALANCES_SUM) or b"").decode(errors="replace")
        if root != anchor.balances_root or total != str(anchor.balances_sum_stroops):
            return "the anchored balance root or sum differs from the anchor's record"
        return None
