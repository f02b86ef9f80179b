"""The balance tree: every user's proof leads to the root, the root's sum is every balance, and
nothing forged in a proof leads there."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.balance_tree import (
    EMPTY_ROOT_HASH,
    BalanceTree,
    Leaf,
    Node,
    salt_for,
    verifies,
)
from domain.money import STROOPS_MAX

pytestmark = pytest.mark.unit

SECRET = b"test secret"

balances = st.dictionaries(
    st.text(min_size=1, max_size=12), st.integers(min_value=0, max_value=STROOPS_MAX), max_size=40
)


def tree_of(by_user: dict[str, int], position: int = 7) -> BalanceTree:
    return BalanceTree(
        Leaf(user, balance, salt_for(SECRET, position, user)) for user, balance in by_user.items()
    )


@given(balances)
def test_every_users_proof_leads_to_the_root_and_the_root_sums_every_balance(
    by_user: dict[str, int],
) -> None:
    tree = tree_of(by_user)
    assert tree.root.sum_stroops == sum(by_user.values())
    for user, balance in by_user.items():
        proof = tree.proof(user)
        assert proof is not None
        assert proof.leaf.balance_stroops == balance
        assert verifies(proof, tree.root)


@given(balances.filter(bool), st.data())
def test_a_forged_balance_in_a_proof_does_not_verify(
    by_user: dict[str, int], data: st.DataObject
) -> None:
    tree = tree_of(by_user)
    user = data.draw(st.sampled_from(sorted(by_user)))
    proof = tree.proof(user)
    assert proof is not None
    forged_balance = data.draw(
        st.integers(min_value=0, max_value=STROOPS_MAX).filter(lambda b: b != by_user[user])
    )
    forged = dataclasses.replace(
        proof, leaf=dataclasses.replace(proof.leaf, balance_stroops=forged_balance)
    )
    assert not verifies(forged, tree.root)


@given(balances.filter(lambda b: len(b) >= 2), st.data())
def test_a_sibling_whose_sum_is_shifted_does_not_verify(
    by_user: dict[str, int], data: st.DataObject
) -> None:
    tree = tree_of(by_user)
    user = data.draw(st.sampled_from(sorted(by_user)))
    proof = tree.proof(user)
    assert proof is not None and proof.path
    at = data.draw(st.integers(min_value=0, max_value=len(proof.path) - 1))
    step = proof.path[at]
    shifted = dataclasses.replace(
        step, node=Node(step.node.hash, step.node.sum_stroops + data.draw(st.sampled_from([-1, 1])))
    )
    path = (*proof.path[:at], shifted, *proof.path[at + 1 :])
    assert not verifies(dataclasses.replace(proof, path=path), tree.root)


def test_salts_differ_per_anchor_so_leaves_cannot_be_linked_across_anchors() -> None:
    assert salt_for(SECRET, 1, "usr_a") != salt_for(SECRET, 2, "usr_a")
    assert tree_of({"usr_a": 5}, position=1).root != tree_of({"usr_a": 5}, position=2).root


def test_a_user_outside_the_tree_has_no_proof_and_an_empty_tree_has_the_documented_root() -> None:
    assert tree_of({"usr_a": 5}).proof("usr_b") is None
    empty = tree_of({})
    assert empty.root == Node(EMPTY_ROOT_HASH, 0)
    assert len(empty) == 0


def test_a_negative_balance_cannot_be_a_leaf() -> None:
    with pytest.raises(ValueError, match="sum"):
        tree_of({"usr_a": -1})
