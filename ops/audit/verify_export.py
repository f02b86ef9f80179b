"""Verify a `ledgerline audit export` with nothing but the standard library (docs/audit.md).

Usage: python verify_export.py EXPORT.jsonl — exits 0 naming the head, or 1 naming the first
position whose link does not recompute. Deliberately free of Ledgerline imports: an auditor runs
it on their own machine against the export alone.
"""

import hashlib
import json
import sys

UNCHAINED_KEYS = {"postings"}  # ride beside the chained subset (docs/audit.md)


def main(path: str) -> int:
    previous = None
    with open(path, encoding="utf-8") as export:
        for text in export:
            line = json.loads(text)
            previous = line["previousHash"] if previous is None else previous
            body = {k: v for k, v in line["envelope"].items() if k not in UNCHAINED_KEYS}
            canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            digest = hashlib.sha256(bytes.fromhex(previous) + canonical.encode()).hexdigest()
            if line["previousHash"] != previous or line["hash"] != digest:
                print(f"chain breaks at position {line['position']}")
                return 1
            previous = digest
    print(f"chain intact, head {previous}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
