"""Wire entry for the audit chain's version (internal: never on SSE or webhooks).

`audit.chain_versioned` says that its own link and every link after it use chain version
`data.version` (docs/audit.md); verifiers switch formula on it.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any, Final

from domain import identifiers
from domain.audit_chain import AUDIT_CHAIN_ID, FIRST_CHAIN_VERSION, AuditChain
from projections.event_feed.catalogue import Payload, entry

CHAIN_VERSIONED: Final = "audit.chain_versioned"
# The chain is one per log: its aggregate id on the wire names it, not an encoded UUID.
AUDIT_CHAIN: Final = "audit_chain"
# Versions a log may ever record (one event of the chain's aggregate each, in order).
CHAIN_VERSIONS_MAX: Final = 16
# Their event ids, known in advance (the aggregate's id is fixed): the feed finds the version
# in force at a position through its unique event_id index, which every build of the table has
# from the start (its other indexes come after a rebuild's load).
CHAIN_VERSIONED_EVENT_IDS: Final = tuple(
    identifiers.event_id(AUDIT_CHAIN_ID, n) for n in range(1, CHAIN_VERSIONS_MAX + 1)
)
# The feed rows recording a chain version: found by event id alone (no ORDER BY or LIMIT on
# position, which a planner could answer by scanning the table backwards), at most
# CHAIN_VERSIONS_MAX rows. {table} is our constant text.
MARKERS_SQL: Final = (
    "SELECT position, (envelope->'data'->>'version')::int AS version FROM {table}"
    " WHERE event_id = ANY(%(markers)s)"
)
MARKERS_PARAMS: Final = {"markers": list(CHAIN_VERSIONED_EVENT_IDS)}


def chain_at(markers: list[tuple[int, int]], position: int) -> int:
    """The chain version of the link at `position`, given the (position, version) of every
    `audit.chain_versioned` row in position order: the last at or before it, else 1."""
    found = bisect_right(markers, (position, float("inf")))
    return markers[found - 1][1] if found else FIRST_CHAIN_VERSION


def markers_of(rows: list[Any]) -> list[tuple[int, int]]:
    """MARKERS_SQL's rows (dicts or tuples) as sorted (position, version) pairs."""
    pairs = [(r["position"], r["version"]) if isinstance(r, dict) else (r[0], r[1]) for r in rows]
    return sorted((int(p), int(v)) for p, v in pairs)


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
