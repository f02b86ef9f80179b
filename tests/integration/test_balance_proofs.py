"""The Merkle sum tree over users' balances as of a position is exact: its root sum is what the
books owe users (every user:*:available + user:*:reserved, folded from the event store) at every
position, each leaf is its user's balance then, and each user's proof leads to the root."""

from __future__ import annotations

import pytest

from application.balance_proofs import BalanceProofs, UserNotInTreeError
from application.trial_balance import fold
from domain.balance_tree import salt_for, verifies
from domain.errors import ValidationError
from interfaces.services import Services
from tests.integration.test_as_of import generated_log

pytestmark = pytest.mark.integration


def owed_to_users(balances: dict[str, int]) -> dict[str, int]:
    """available + reserved per user, from a fold's balances by account name."""
    owed: dict[str, int] = {}
    for account, stroops in balances.items():
        kind, _, rest = account.partition(":")
        user_id, _, side = rest.partition(":")
        if kind == "user" and side in ("available", "reserved"):
            owed[user_id] = owed.get(user_id, 0) + stroops
    return owed


def test_the_tree_at_every_position_commits_to_what_the_fold_owes_each_user(
    fresh_services: Services,
) -> None:
    generated_log(fresh_services, [(5_000, 1_000), (7, 7), (123_456, 999_999), (42, 1)])
    proofs = fresh_services.use_cases.balance_proofs
    books = fresh_services.views.ledger_entries
    ledger = fresh_services.resources.ledger
    secret = fresh_services.settings.audit_proof_secret.encode()
    head = books.position()
    assert head > 4
    for position in range(head + 1):
        owed = owed_to_users(fold(ledger, position).balances)
        tree = proofs.tree_at(position)
        assert tree.root.sum_stroops == sum(owed.values())
        assert len(tree) == len(owed)
        for user_id, stroops in owed.items():
            proof = proofs.proof(user_id, position)
            assert proof.leaf.balance_stroops == stroops
            assert proof.leaf.salt == salt_for(secret, position, user_id)
            assert verifies(proof, tree.root)
    # A user whose balance went back to zero is still a leaf; a stranger is in none.
    assert 0 in owed_to_users(fold(ledger, head).balances).values()
    with pytest.raises(UserNotInTreeError):
        proofs.proof("usr_nobody", head)


def test_a_position_past_the_books_is_refused_and_built_trees_are_reused(
    fresh_services: Services,
) -> None:
    generated_log(fresh_services, [(9_000, 4_000)])
    proofs = BalanceProofs(fresh_services.views.ledger_entries, b"k" * 32, trees_cached_max=2)
    head = fresh_services.views.ledger_entries.position()
    with pytest.raises(ValidationError, match="past position"):
        proofs.tree_at(head + 1)
    first = proofs.tree_at(head)
    assert proofs.tree_at(head) is first
    proofs.tree_at(head - 1)
    proofs.tree_at(head - 2)  # evicts the least recently used: `head`
    assert proofs.tree_at(head) is not first
    assert proofs.tree_at(head).root == first.root
