"""A user's invisible Stellar wallet.

The asynchronous twin of this module is made from it by `clients/python/unasync.py`.
"""

from __future__ import annotations

from ledgerline_sdk import models as m
from ledgerline_sdk.resources._base import _Resource
from ledgerline_sdk.transport import Call


class Wallets(_Resource):
    def get(self, user_id: str) -> m.Wallet:
        return self._send(Call("GET", f"/users/{user_id}/wallet", m.Wallet, reads_models=True))

    def deposit_instructions(self, user_id: str) -> m.DepositInstructions:
        path = f"/users/{user_id}/wallet/deposit"
        return self._send(Call("GET", path, m.DepositInstructions, reads_models=True))
