"""Wire entry for the audit chain's version (internal: never on SSE or webhooks).

`audit.chain_versioned` says that its own link and every link after it use chain version
`data.version` (docs/audit.md); verifiers switch formula on it.
"""

from __future__ import annotations

from typing import Any, Final

from domain.audit_chain import AuditChain
from projections.event_feed.catalogue import Payload, entry

CHAIN_VERSIONED: Final = "audit.chain_versioned"
# The chain is one per log: its aggregate id on the wire names it, not an encoded UUID.
AUDIT_CHAIN: Final = "audit_chain"


@entry(
    AuditChain.Versioned,
    CHAIN_VERSIONED,
    "AuditChain",
    aggregate_id=lambda e: AUDIT_CHAIN,
    users=lambda e: [],
    public=False,
)
def _versioned(e: Any) -> Payload:
    return {"version": e.version}
