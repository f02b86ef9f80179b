"""Use case: the Merkle sum tree over every user's balance as of a position, and a user's
inclusion proof in it (`domain/balance_tree.py` defines the tree and its hashes).

A user's balance in the tree is what the books owe them as of the position: their `available`
plus their `reserved`, read in one query off the ledger-entries read model (every statement line
stores its account's balance after it, so the balance as of P is the last line at or before P).
Each leaf's salt is `salt_for(secret, position, user id)`: only the service can derive it, it
differs at every position, and it is handed to the user with their proof.

Building a tree reads every user's balance, so built trees are kept per position in a bounded
LRU cache: the proofs of many users at one anchor are cut from one tree.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Final

from application.ports import UserBalancesAsOf
from domain.balance_tree import BalanceTree, InclusionProof, Leaf, salt_for
from domain.errors import NotFoundError, ValidationError

# Trees kept built, by position: a few anchors being proven at once (one tree holds a leaf and
# its path's nodes per user, so memory grows with users times this).
TREES_CACHED_MAX: Final = 8


class UserNotInTreeError(NotFoundError):
    """No posting had touched the user's accounts by that position: they are in no leaf."""

    code = "USER_NOT_IN_BALANCE_TREE"


class BalanceProofs:
    def __init__(
        self, books: UserBalancesAsOf, secret: bytes, trees_cached_max: int = TREES_CACHED_MAX
    ) -> None:
        if not secret:
            raise ValueError("the balance proofs need a non-empty secret (AUDIT_PROOF_SECRET)")
        self._books = books
        self._secret = secret
        self._cached_max = trees_cached_max
        self._trees: OrderedDict[int, BalanceTree] = OrderedDict()
        self._lock = threading.Lock()

    def tree_at(self, position: int) -> BalanceTree:
        """Every user's available + reserved stroops as of `position`, one leaf per user with a
        posting at or before it. Refused (ValidationError) for a position past what the books
        have reached, where the tree could not be exact yet: a caller anchoring the head waits
        for the ledger-entries read model first."""
        if position < 0:
            raise ValidationError(f"position {position} is negative", field="position")
        with self._lock:
            tree = self._trees.get(position)
            if tree is not None:
                self._trees.move_to_end(position)
                return tree
        reached = self._books.position()
        if position > reached:
            raise ValidationError(
                f"position {position} is past position {reached}, the last the books have reached",
                field="position",
            )
        balances = self._books.user_balances_as_of(position)
        tree = BalanceTree(
            Leaf(user_id, stroops, salt_for(self._secret, position, user_id))
            for user_id, stroops in balances.items()
        )
        with self._lock:
            self._trees[position] = tree
            self._trees.move_to_end(position)
            while len(self._trees) > self._cached_max:
                self._trees.popitem(last=False)
        return tree

    def proof(self, user_id: str, position: int) -> InclusionProof:
        """The user's leaf and path in the tree as of `position`; UserNotInTreeError when no
        posting had touched their accounts by then."""
        found = self.tree_at(position).proof(user_id)
        if found is None:
            raise UserNotInTreeError(
                f"user {user_id} had no balance in the books as of position {position}",
                userId=user_id,
                position=position,
            )
        return found
