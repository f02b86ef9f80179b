"""Wire types for a user's inclusion proof in the Merkle sum tree over balances (docs/audit.md,
"Proofs of reserves and of inclusion"): hashes in lowercase hex, sums and the balance as
decimal strings like every amount on the wire."""

from __future__ import annotations

from typing import Annotated, Literal

from domain.balance_tree import InclusionProof, Node
from domain.money import format_stroops
from interfaces.http.schemas.wire import AmountText, Body, UserId, described

Sha256Hex = Annotated[str, described(pattern=r"^[0-9a-f]{64}$", examples=["5be1a0c4" * 8])]


class TreeNodeBody(Body):
    hash: Sha256Hex
    sum: AmountText


class PathStepBody(Body):
    side: Literal["left", "right"]
    hash: Sha256Hex
    sum: AmountText


class BalanceProofBody(Body):
    user_id: UserId
    position: int
    balance: AmountText
    salt: Sha256Hex
    leaf_hash: Sha256Hex
    path: list[PathStepBody]
    root: TreeNodeBody


def _node(node: Node) -> TreeNodeBody:
    return TreeNodeBody(node.hash.hex(), format_stroops(node.sum_stroops))


def balance_proof_body(proof: InclusionProof, position: int, root: Node) -> BalanceProofBody:
    leaf = proof.leaf
    return BalanceProofBody(
        user_id=leaf.user_id,
        position=position,
        balance=format_stroops(leaf.balance_stroops),
        salt=leaf.salt.hex(),
        leaf_hash=leaf.node().hash.hex(),
        path=[
            PathStepBody(step.side, step.node.hash.hex(), format_stroops(step.node.sum_stroops))
            for step in proof.path
        ],
        root=_node(root),
    )
