"""The audit hash chain over the event feed, and the canonical JSON it hashes (docs/audit.md).

canonical(envelope) is JSON with keys sorted by code point at every level, no whitespace
(separators "," and ":"), non-ASCII characters written as themselves, encoded as UTF-8; NaN and
infinities are refused. It is the one text form of an envelope: stored, streamed, signed, served.

Every stored event is a link, published or internal, so removing, reordering or altering any one
breaks every hash from it on. hash(n) = hex(sha256(raw 32-byte hash(n-1) || bytes(n))), with
hash(before the first event) = 32 zero bytes; what bytes(n) are depends on the link's chain
version, which the log itself records (domain/audit_chain.py):

- version 1 (every link before the log's first `audit.chain_versioned`): canonical(chained(n)),
  chained(n) being envelope(n) without UNCHAINED_KEYS.
- version 2: RFC 8785 (JCS) of envelope(n) restricted to CHAINED_KEYS_V2 (postings included),
  the envelope as served: `jcs` below, byte for byte the stock `rfc8785.dumps` of it with every
  number read as a double (tests/unit/test_audit_chain.py).

A link once written (and exported) has to recompute the same forever: neither formula may
change for stored events, and a new one comes as a new version from a recorded position on.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Final

import msgspec
import rfc8785

from domain.audit_chain import FIRST_CHAIN_VERSION

GENESIS_HASH: Final = "0" * 64
# Version 1: envelope keys added to the wire after chain rows were already written and
# exported ride beside the chained subset; `ledgerline audit verify` checks them against the
# store.
UNCHAINED_KEYS: Final = frozenset({"postings"})
# Version 2: every key the envelope has. A key added to envelopes later is outside it (so links
# already written keep recomputing) until a later version names it.
CHAINED_KEYS_V2: Final = frozenset(
    {
        "id",
        "eventId",
        "type",
        "occurredAt",
        "aggregateType",
        "aggregateId",
        "version",
        "data",
        "metadata",
        "postings",
    }
)
CHAIN_VERSIONS: Final = frozenset({FIRST_CHAIN_VERSION, 2})
# RFC 8785 numbers are IEEE 754 doubles: integers beyond this are written as the double
# nearest them, which is how any JCS implementation reads them from the served text.
_SAFE_INTEGER_MAX: Final = 2**53 - 1
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
# For plain values (see `_plain`: strings, booleans, null, safe integers, lists, objects keyed
# by strings) msgspec's sorted encoding is canonical()'s text byte for byte, at a seventh of the
# cost (tests/unit/test_audit_chain.py); everything else takes the standard library's.
_SORTED: Final = msgspec.json.Encoder(order="sorted")


def canonical(envelope: dict[str, Any]) -> str:
    """The one text form of an envelope: what is stored, signed, streamed and exported."""
    return canonical_of(envelope)[0]


def canonical_of(value: Any) -> tuple[str, bool]:
    """canonical(value), and whether value is plain — its canonical text is then its JCS form
    too, so `link_of` need not look at it again."""
    return _canonical_known(value, _plain(value))


def _canonical_known(value: Any, plain: bool) -> tuple[str, bool]:
    """canonical_of(value), `plain` being what `_plain` says of it (or of a value holding it):
    a lone surrogate makes the text no JCS after all."""
    if plain:
        try:
            return _SORTED.encode(value).decode(), True
        except UnicodeEncodeError:
            pass  # a lone surrogate: the standard library writes it as it is
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ), False


def chained(envelope: dict[str, Any]) -> dict[str, Any]:
    """The subset of an envelope a version 1 link covers."""
    return {key: value for key, value in envelope.items() if key not in UNCHAINED_KEYS}


def chained_v2(envelope: dict[str, Any]) -> dict[str, Any]:
    """The subset of an envelope a version 2 link covers (today: all of it)."""
    if CHAINED_KEYS_V2.issuperset(envelope):
        return envelope
    return {key: value for key, value in envelope.items() if key in CHAINED_KEYS_V2}


def link(previous_hash: str, canonical_envelope: str) -> str:
    """The version 1 link whose predecessor's hash is `previous_hash`, over the canonical text
    of the chained subset."""
    return link_bytes(previous_hash, canonical_envelope.encode("utf-8"))


def link_bytes(previous_hash: str, payload: bytes) -> str:
    """The link over `payload`, whatever version's bytes they are."""
    return hashlib.sha256(bytes.fromhex(previous_hash) + payload).hexdigest()


def link_of(
    previous_hash: str,
    envelope: dict[str, Any],
    version: int = FIRST_CHAIN_VERSION,
    text: str | None = None,
    plain: bool | None = None,
) -> str:
    """The link of a whole envelope under chain `version`. `text`, when given, is
    canonical(envelope), already made: hashed as it is when it is that version's bytes;
    `plain`, when given with it, is what `canonical_of` said of the envelope."""
    if version == FIRST_CHAIN_VERSION:
        if text is not None and UNCHAINED_KEYS.isdisjoint(envelope):
            return link(previous_hash, text)
        # A subset of a plain envelope is plain: the feed's money events (postings set aside)
        # are not walked a second time.
        subset = chained(envelope)
        known = plain is True and text is not None
        return link(previous_hash, _canonical_known(subset, known or _plain(subset))[0])
    if version != 2:
        raise ValueError(f"chain version {version} is not known to this code")
    subset = chained_v2(envelope)
    if subset is not envelope:
        return link_bytes(previous_hash, jcs(subset))
    return link_bytes(previous_hash, jcs(subset, text, plain if text is not None else None))


def jcs(value: Any, text: str | None = None, plain: bool | None = None) -> bytes:
    """RFC 8785 canonical JSON of `value`, numbers read as doubles, a lone surrogate (which no
    stored event can hold) written as its `\\udxxx` escape as ECMAScript does. `text`, when
    given, is canonical(value), and `plain`, when given, whether `_plain(value)`.

    canonical() is JCS already when `value` holds no float, no integer beyond ±(2^53 − 1) and
    no object whose keys code point order and UTF-16 order could sort apart (a key above
    U+FFFF): that is every envelope Ledgerline writes itself, so only client metadata with such
    values takes the slower, general path."""
    if _plain(value) if plain is None else plain:
        try:
            return (canonical(value) if text is None else text).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: the general path escapes it
    return jcs_general(value)


def _plain(value: Any) -> bool:
    """Whether canonical(value) is its JCS form (see `jcs`), without recursion limits beyond
    the value's own depth. Scalars are checked where they are found and only containers are
    queued: the feed asks this of every envelope it writes."""
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is dict:
            for key in item:
                if type(key) is not str or not (key.isascii() or max(key) <= "\uffff"):
                    return False
            members = item.values()
        elif kind is list:
            members = item
        else:
            members = (item,)
        for member in members:
            kind = type(member)
            if kind is str or kind is bool or member is None:
                continue
            if kind is int:
                if -_SAFE_INTEGER_MAX <= member <= _SAFE_INTEGER_MAX:
                    continue
                return False
            if kind is dict or kind is list:
                pending.append(member)
                continue
            return False
    return True


def jcs_general(value: Any) -> bytes:
    """JCS for any JSON value (see `jcs`): numbers and key order exactly as `rfc8785.dumps`."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts).encode("utf-8")


def _write(value: Any, parts: list[str]) -> None:
    if value is None or isinstance(value, bool):
        parts.append(json.dumps(value))
    elif isinstance(value, int):
        parts.append(_integer(value))
    elif isinstance(value, float):
        parts.append(rfc8785.dumps(value).decode())
    elif isinstance(value, str):
        parts.append(_string(value))
    elif isinstance(value, list | tuple):
        parts.append("[")
        for index, item in enumerate(value):
            if index:
                parts.append(",")
            _write(item, parts)
        parts.append("]")
    elif isinstance(value, dict):
        # Keys as the served text spells them (json.dumps turns numbers, booleans and null
        # into strings), sorted by their UTF-16 code units.
        items = [(k if isinstance(k, str) else json.dumps(k), v) for k, v in value.items()]
        items.sort(key=lambda kv: kv[0].encode("utf-16-be", "surrogatepass"))
        parts.append("{")
        for index, (key, item) in enumerate(items):
            if index:
                parts.append(",")
            parts.append(_string(key))
            parts.append(":")
            _write(item, parts)
        parts.append("}")
    else:
        raise TypeError(f"{type(value).__name__} is not JSON")


def _integer(number: int) -> str:
    if -_SAFE_INTEGER_MAX <= number <= _SAFE_INTEGER_MAX:
        return str(number)
    try:
        return rfc8785.dumps(float(number)).decode()
    except OverflowError:
        # Beyond every double (only possible in client metadata): no JCS form exists, so the
        # exact digits, as served.
        return str(number)


def _string(text: str) -> str:
    # json.dumps escapes exactly what RFC 8785 does (quote, backslash, controls, the short
    # forms \b \f \n \r \t, the rest as lower-case \u00xx) and writes everything else as is.
    written = json.dumps(text, ensure_ascii=False)
    if _SURROGATE.search(written) is None:
        return written
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", written)
