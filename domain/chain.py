"""Facts about Stellar transactions that sagas record before acting on them.

A signed envelope is recorded in an event *before* it is submitted, so a retry after any crash
resubmits or looks up that same envelope instead of signing a second transaction for the step.
Every envelope carries a deadline (its time bounds): once the deadline has passed and the hash is
not on chain, the envelope can never land, and only then may the step sign again.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from domain.errors import ValidationError

_ADDRESS: Final = re.compile(r"G[A-Z2-7]{55}")
MEMO_HASH_BYTES: Final = 32


@dataclass(frozen=True, slots=True)
class SignedEnvelope:
    step: str
    xdr: str
    hash: str
    valid_until: datetime

    def as_record(self) -> dict[str, str]:
        return {
            "step": self.step,
            "xdr": self.xdr,
            "hash": self.hash,
            "validUntil": self.valid_until.isoformat(),
        }

    @classmethod
    def from_record(cls, record: dict[str, str]) -> SignedEnvelope:
        return cls(
            record["step"],
            record["xdr"],
            record["hash"],
            datetime.fromisoformat(record["validUntil"]),
        )


def check_address(address: str, field: str = "address") -> str:
    """A Stellar account address (G…, 56 characters of base32); the checksum is the adapter's."""
    if not isinstance(address, str) or not _ADDRESS.fullmatch(address):
        raise ValidationError("not a Stellar account address (G…, 56 characters)", field=field)
    return address


def memo_hash_of(public_id: str) -> bytes:
    """The MEMO_HASH that ties a transaction to the aggregate it acts for: SHA-256 of its public
    id (`wd_…`), so anyone holding the id can find the transaction on chain, and a step can
    tell, before it signs anything, whether the chain already holds its transaction."""
    digest = hashlib.sha256(public_id.encode()).digest()
    assert len(digest) == MEMO_HASH_BYTES
    return digest
