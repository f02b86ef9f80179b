"""Verify a `ledgerline audit export` on your own machine, against the export alone (docs/audit.md).

Usage: python verify_export.py EXPORT.jsonl — exits 0 naming the head, or 1 naming the first
position whose link does not recompute. Deliberately free of Ledgerline imports. Version 1 links
need only the standard library; version 2 links (RFC 8785) need the stock `rfc8785` package
(`pip install rfc8785`), imported only when the export holds one.

A line's chain version is the export's word only for its first line (like its previousHash);
after that it changes only at an `audit.chain_versioned` event, to the version that event names.
"""

import hashlib
import json
import sys

UNCHAINED_KEYS = {"postings"}  # version 1 sets them aside
CHAINED_KEYS_V2 = {"id", "eventId", "type", "occurredAt", "aggregateType", "aggregateId",
                   "version", "data", "metadata", "postings"}  # fmt: skip


def chained_bytes(version, text):
    """The bytes a link of `version` hashes, from the export line's text."""
    if version == 1:
        body = {k: v for k, v in json.loads(text)["envelope"].items() if k not in UNCHAINED_KEYS}
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    import rfc8785  # only version 2 needs it

    envelope = json.loads(text, parse_int=float)["envelope"]  # JSON numbers are doubles
    return rfc8785.dumps({k: v for k, v in envelope.items() if k in CHAINED_KEYS_V2})


def main(path):
    previous = version = None
    with open(path, encoding="utf-8") as export:
        for text in export:
            line = json.loads(text)
            envelope = line["envelope"]
            if previous is None:
                previous, version = line["previousHash"], line.get("chain", 1)
            if envelope["type"] == "audit.chain_versioned":
                version = envelope["data"]["version"]
            if version not in (1, 2):
                print(f"chain version {version} at position {line['position']} is unknown here")
                return 1
            data = chained_bytes(version, text)
            digest = hashlib.sha256(bytes.fromhex(previous) + data).hexdigest()
            if (line["previousHash"], line["hash"], line.get("chain", 1)) != (
                previous,
                digest,
                version,
            ):
                print(f"chain breaks at position {line['position']}")
                return 1
            previous = digest
    print(f"chain intact, head {previous}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
