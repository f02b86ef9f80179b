"""The Merkle sum tree over users' balances: one root that commits to every user's balance and
to their total, so a user can check offline that their balance is counted in what was anchored.

A leaf is `sha256(0x00 || salt(32) || balance(16, big-endian) || user id (UTF-8))` carrying its
balance as its sum; a node is `sha256(0x01 || left hash || left sum(16) || right hash ||
right sum(16))` carrying the sum of both. Both children's sums are inside the parent's hash, so
no sum on a path can be altered without changing the root, and sums are never negative, so no
sibling can hide a negative balance that shrinks the total. Leaves are ordered by user id; a
level's last node, when alone, rises unchanged. Each leaf's salt is secret to its user (derived
per anchor, so leaves at two anchors cannot be linked), so a path reveals its siblings' sums but
not whose balances they are.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

LEAF_TAG: Final = b"\x00"
NODE_TAG: Final = b"\x01"
SALT_BYTES: Final = 32
# 16 bytes hold any total of int64 stroop balances over more users than will ever exist.
SUM_BYTES: Final = 16
SUM_MAX: Final = 2 ** (8 * SUM_BYTES) - 1
# The root of a tree with no users: a fixed, documented value rather than an error.
EMPTY_ROOT_HASH: Final = hashlib.sha256(b"ledgerline.balance-tree.empty").digest()

Side = Literal["left", "right"]


@dataclass(frozen=True, slots=True)
class Node:
    """One node of the tree: its hash and the sum of the balances under it, in stroops."""

    hash: bytes
    sum_stroops: int


@dataclass(frozen=True, slots=True)
class Sibling:
    """One step of a path: the node beside ours, and on which side of ours it sits."""

    side: Side
    node: Node


@dataclass(frozen=True, slots=True)
class Leaf:
    """A user's balance as the tree commits to it."""

    user_id: str
    balance_stroops: int
    salt: bytes

    def node(self) -> Node:
        return Node(leaf_hash(self.user_id, self.balance_stroops, self.salt), self.balance_stroops)


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """What a user needs to check their leaf against a root: the leaf and the path up."""

    leaf: Leaf
    path: tuple[Sibling, ...]


def _sum_bytes(sum_stroops: int) -> bytes:
    if not 0 <= sum_stroops <= SUM_MAX:
        raise ValueError(f"a balance tree sum must be within 0..2^128-1, not {sum_stroops}")
    return sum_stroops.to_bytes(SUM_BYTES, "big")


def leaf_hash(user_id: str, balance_stroops: int, salt: bytes) -> bytes:
    if len(salt) != SALT_BYTES:
        raise ValueError(f"a leaf's salt is {SALT_BYTES} bytes, not {len(salt)}")
    payload = LEAF_TAG + salt + _sum_bytes(balance_stroops) + user_id.encode("utf-8")
    return hashlib.sha256(payload).digest()


def parent(left: Node, right: Node) -> Node:
    payload = (
        NODE_TAG
        + left.hash
        + _sum_bytes(left.sum_stroops)
        + right.hash
        + _sum_bytes(right.sum_stroops)
    )
    return Node(hashlib.sha256(payload).digest(), left.sum_stroops + right.sum_stroops)


def salt_for(secret: bytes, position: int, user_id: str) -> bytes:
    """The salt of a user's leaf in the tree as of `position`: only the secret's holder (the
    service) can derive it, and it differs at every anchor."""
    message = f"{position}:{user_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).digest()


class BalanceTree:
    """The tree over a set of leaves, built once; its root and any user's inclusion proof."""

    def __init__(self, leaves: Iterable[Leaf]) -> None:
        ordered = sorted(leaves, key=lambda leaf: leaf.user_id)
        ids = [leaf.user_id for leaf in ordered]
        if len(set(ids)) != len(ids):
            raise ValueError("a balance tree holds one leaf per user")
        self._leaves = ordered
        self._index = {user_id: at for at, user_id in enumerate(ids)}
        self._levels: list[list[Node]] = [[leaf.node() for leaf in ordered]]
        while len(self._levels[-1]) > 1:
            self._levels.append(_level_above(self._levels[-1]))

    @property
    def root(self) -> Node:
        top = self._levels[-1]
        return top[0] if top else Node(EMPTY_ROOT_HASH, 0)

    def __len__(self) -> int:
        return len(self._leaves)

    def proof(self, user_id: str) -> InclusionProof | None:
        """The path from a user's leaf to the root, or None for a user not in the tree."""
        at = self._index.get(user_id)
        if at is None:
            return None
        path: list[Sibling] = []
        for level in self._levels[:-1]:
            beside = at ^ 1
            if beside < len(level):
                side: Side = "left" if beside < at else "right"
                path.append(Sibling(side, level[beside]))
            at //= 2
        return InclusionProof(self._leaves[self._index[user_id]], tuple(path))


def _level_above(level: Sequence[Node]) -> list[Node]:
    above = [parent(level[at], level[at + 1]) for at in range(0, len(level) - 1, 2)]
    if len(level) % 2:
        above.append(level[-1])
    return above


def root_of(proof: InclusionProof) -> Node:
    """The root a proof's path leads to; a forged balance or sibling leads elsewhere."""
    node = proof.leaf.node()
    for step in proof.path:
        if step.node.sum_stroops < 0:
            raise ValueError("a sibling's sum is never negative")
        node = parent(step.node, node) if step.side == "left" else parent(node, step.node)
    return node


def verifies(proof: InclusionProof, root: Node) -> bool:
    """Whether the proof leads to exactly this root hash and total."""
    try:
        reached = root_of(proof)
    except ValueError:
        return False
    return reached.hash == root.hash and reached.sum_stroops == root.sum_stroops
