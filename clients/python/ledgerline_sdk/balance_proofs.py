"""The hashes of Ledgerline's Merkle sum tree over balances, as docs/audit.md specifies them, so
a user checks a balance proof offline (`BalanceProof.verifies`) without trusting the server:

- leaf: `sha256(0x00 || salt(32) || balance(16, big-endian) || user id (UTF-8))`, its sum the
  balance;
- node: `sha256(0x01 || left hash || left sum(16) || right hash || right sum(16))`, its sum
  both sums'.

Amounts are the API's decimal strings; sums are whole stroops (10^-7), never negative.
"""

from __future__ import annotations

import hashlib
import re
from typing import Final

SUM_BYTES: Final = 16
SALT_BYTES: Final = 32
HASH_BYTES: Final = 32  # SHA-256
STROOPS_PER_UNIT: Final = 10**7
_AMOUNT: Final = re.compile(r"(0|[1-9][0-9]*)(?:\.([0-9]{1,7}))?")


def stroops(amount: str) -> int:
    """A non-negative decimal amount (`"25.50"`) as stroops; ValueError for anything else."""
    match = _AMOUNT.fullmatch(amount)
    if match is None:
        raise ValueError(f"not a non-negative amount: {amount!r}")
    return int(match[1]) * STROOPS_PER_UNIT + int((match[2] or "").ljust(7, "0"))


def _sum(value: int) -> bytes:
    return value.to_bytes(SUM_BYTES, "big")  # OverflowError past 2^128 - 1


def leaf_hash(user_id: str, balance_stroops: int, salt: bytes) -> bytes:
    if len(salt) != SALT_BYTES:
        raise ValueError(f"a leaf's salt is {SALT_BYTES} bytes")
    return hashlib.sha256(b"\x00" + salt + _sum(balance_stroops) + user_id.encode()).digest()


def parent(left: tuple[bytes, int], right: tuple[bytes, int]) -> tuple[bytes, int]:
    """The node above two (hash, sum) nodes."""
    body = b"\x01" + left[0] + _sum(left[1]) + right[0] + _sum(right[1])
    return hashlib.sha256(body).digest(), left[1] + right[1]
