"""Verify a balance proof (`GET /users/{id}/balance/proof`) with nothing but the standard library
(docs/audit.md, "Proofs of reserves and of inclusion").

Usage: python verify_balance_proof.py PROOF.json [ROOT_HASH [ROOT_SUM]] — PROOF.json is the
API's answer (or its `data`); ROOT_HASH and ROOT_SUM, when given, are the root anchored on
Stellar (`GET /audit/anchors`). Exits 0 when the leaf and its path lead to the root with every
sum consistent, else 1 naming what does not. Deliberately free of Ledgerline imports.
"""

import hashlib
import json
import re
import sys

SUM_BYTES = 16  # sums and balances: unsigned, big-endian, in stroops (10^-7)
AMOUNT = re.compile(r"(0|[1-9][0-9]*)(?:\.([0-9]{1,7}))?")


def stroops(text: str) -> int:
    match = AMOUNT.fullmatch(text)  # no sign: a sum is never negative
    if match is None:
        raise ValueError(f"not a non-negative amount: {text!r}")
    return int(match[1]) * 10**7 + int((match[2] or "").ljust(7, "0"))


def node(left: tuple[bytes, int], right: tuple[bytes, int]) -> tuple[bytes, int]:
    body = b"\x01" + left[0] + left[1].to_bytes(SUM_BYTES, "big")
    body += right[0] + right[1].to_bytes(SUM_BYTES, "big")
    return hashlib.sha256(body).digest(), left[1] + right[1]


def check(proof: dict, root_hash: str | None, root_sum: str | None) -> str | None:
    """None when the proof holds, else what is wrong."""
    balance, salt = stroops(proof["balance"]), bytes.fromhex(proof["salt"])
    body = b"\x00" + salt + balance.to_bytes(SUM_BYTES, "big") + proof["userId"].encode()
    reached = hashlib.sha256(body).digest(), balance
    if len(salt) != 32 or reached[0].hex() != proof["leafHash"]:
        return "the leaf does not hash to leafHash (user id, balance or salt altered)"
    for step in proof["path"]:
        sibling = bytes.fromhex(step["hash"]), stroops(step["sum"])
        if step["side"] not in ("left", "right") or len(sibling[0]) != 32:
            return "a path step is malformed"
        reached = node(sibling, reached) if step["side"] == "left" else node(reached, sibling)
    claimed = (proof["root"]["hash"], stroops(proof["root"]["sum"]))
    if (reached[0].hex(), reached[1]) != claimed:
        return "the path does not lead to the proof's root"
    if root_hash is not None and root_hash.lower() != claimed[0]:
        return "the proof's root is not the anchored root"
    if root_sum is not None and stroops(root_sum) != claimed[1]:
        return "the proof's root sum is not the anchored sum"
    return None


def main(argv: list[str]) -> int:
    with open(argv[0], encoding="utf-8") as file:
        answer = json.load(file)
    proof = answer.get("data", answer)
    extra = [*argv[1:3], None, None]
    try:
        problem = check(proof, extra[0], extra[1])
    except (KeyError, TypeError, ValueError, OverflowError) as malformed:
        problem = f"malformed proof: {malformed}"
    if problem:
        print(f"proof fails: {problem}")
        return 1
    print(
        f"proof holds: {proof['userId']} has {proof['balance']} in the tree at position"
        f" {proof['position']}, root {proof['root']['hash']} sum {proof['root']['sum']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
