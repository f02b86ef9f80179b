"""The audit hash chain over the event feed, and the canonical JSON it hashes.

canonical(envelope) is JSON with keys sorted by code point at every level, no whitespace
(separators "," and ":"), non-ASCII characters written as themselves, encoded as UTF-8; NaN and
infinities are refused. hash(n) = hex(sha256(raw 32-byte hash(n-1) || canonical(chained(n)))),
where chained(n) is envelope(n) without UNCHAINED_KEYS, with hash(before the first event) = 32
zero bytes. Every stored event is a link, published or internal, so removing, reordering or
altering any one breaks every hash from it on. The chained subset must never change for stored
events: a link once written (and exported) has to recompute the same forever.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

GENESIS_HASH: Final = "0" * 64
# Envelope keys added to the wire after chain rows were already written and exported: hashing
# them would change every money event's link, so they ride beside the chained subset. `postings`
# restates the event's double entry; `ledgerline audit verify` checks it against the store.
UNCHAINED_KEYS: Final = frozenset({"postings"})


def canonical(envelope: dict[str, Any]) -> str:
    """The one text form of an envelope: what is stored, signed, streamed and exported."""
    return json.dumps(
        envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def chained(envelope: dict[str, Any]) -> dict[str, Any]:
    """The subset of an envelope its chain link covers."""
    return {key: value for key, value in envelope.items() if key not in UNCHAINED_KEYS}


def link(previous_hash: str, canonical_envelope: str) -> str:
    """The hash of the link whose predecessor's hash is `previous_hash`, over the canonical
    text of the chained subset."""
    payload = bytes.fromhex(previous_hash) + canonical_envelope.encode("utf-8")
    return hashlib.sha256(payload).hexdigest()


def link_of(previous_hash: str, envelope: dict[str, Any]) -> str:
    """The link of a whole envelope: its chained subset, canonical, hashed after its predecessor."""
    return link(previous_hash, canonical(chained(envelope)))
