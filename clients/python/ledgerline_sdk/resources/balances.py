"""A user's balance: read, credited, debited, and proved (the balance tree's inclusion proof).

The asynchronous twin of this module is made from it by `clients/python/unasync.py`.
"""

from __future__ import annotations

from ledgerline_sdk import models as m
from ledgerline_sdk.resources._base import _body, _Resource
from ledgerline_sdk.transport import Call


class Balances(_Resource):
    def get(self, user_id: str) -> m.UserBalance:
        path = f"/users/{user_id}/balance"
        return self._send(Call("GET", path, m.UserBalance, reads_models=True))

    def proof(self, user_id: str, anchor: int) -> m.BalanceProof:
        """The user's leaf and path in the balance tree at the anchored position `anchor`;
        check it offline with `proof.verifies(root_hash, root_sum)` against the anchored root."""
        path = f"/users/{user_id}/balance/proof"
        params = {"anchor": str(anchor)}
        return self._send(Call("GET", path, m.BalanceProof, params=params, reads_models=True))

    def credit(
        self,
        user_id: str,
        amount: str,
        *,
        reason: str,
        reference: str | None = None,
        idempotency_key: str | None = None,
    ) -> m.BalanceOperation:
        """A manual credit (admin scope)."""
        return self._adjust(user_id, "credit", amount, reason, reference, idempotency_key)

    def debit(
        self,
        user_id: str,
        amount: str,
        *,
        reason: str,
        reference: str | None = None,
        idempotency_key: str | None = None,
    ) -> m.BalanceOperation:
        """A manual debit (admin scope); InsufficientFundsError beyond what is available."""
        return self._adjust(user_id, "debit", amount, reason, reference, idempotency_key)

    def _adjust(
        self,
        user_id: str,
        direction: str,
        amount: str,
        reason: str,
        reference: str | None,
        idempotency_key: str | None,
    ) -> m.BalanceOperation:
        body = _body(amount=amount, reason=reason, reference=reference)
        path = f"/users/{user_id}/balance/{direction}"
        return self._send(
            Call("POST", path, m.BalanceOperation, body=body, idempotency_key=idempotency_key)
        )
