"""The audit chain's version, recorded once per log: the first process that links the event feed
with this code (the runner's event-feed loop) records that links from that position on use the
latest formula (domain/audit_chain.py, docs/audit.md).
"""

from __future__ import annotations

from eventsourcing.persistence import IntegrityError

from application.context import CommandContext
from application.ledger import Ledger
from domain.audit_chain import AUDIT_CHAIN_ID, LATEST_CHAIN_VERSION, AuditChain


class ChainVersions:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def record_latest(self, context: CommandContext) -> int | None:
        """Records that links from here on use LATEST_CHAIN_VERSION unless the log already
        names its version; the position recorded, None when nothing was (already recorded,
        here or by a process that won the race)."""
        if self._ledger.get(AuditChain, AUDIT_CHAIN_ID) is not None:
            return None
        try:
            return self._ledger.commit(
                AuditChain(AUDIT_CHAIN_ID, LATEST_CHAIN_VERSION),
                context=context,
                outcome=lambda position: position,
            )
        except IntegrityError:
            return None  # the aggregate's first event is stored: another process recorded it
