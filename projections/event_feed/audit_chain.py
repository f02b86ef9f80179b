"""The audit hash chain over the event feed, and the canonical JSON it hashes.

canonical(envelope) is JSON with keys sorted by code point at every level, no whitespace
(separators "," and ":"), non-ASCII characters written as themselves, encoded as UTF-8; NaN and
infinities are refused. hash(n) = hex(sha256(raw 32-byte hash(n-1) || canonical(envelope(n)))),
with hash(before the first event) = 32 zero bytes. Every stored event is a link, published or
internal, so removing, reordering or altering any one breaks every hash from it on.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

GENESIS_HASH: Final = "0" * 64


def canonical(envelope: dict[str, Any]) -> str:
    """The one text form of an envelope: what is hashed, signed, streamed and exported."""
    return json.dumps(
        envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def link(previous_hash: str, canonical_envelope: str) -> str:
    """The hash of the link whose predecessor's hash is `previous_hash`."""
    payload = bytes.fromhex(previous_hash) + canonical_envelope.encode("utf-8")
    return hashlib.sha256(payload).hexdigest()
