"""The API's resources for the asynchronous client: made from `resources/wallets.py` by
`clients/python/unasync.py`. Do not edit: edit `resources/wallets.py` and run
`python clients/python/unasync.py`.
"""

from __future__ import annotations

from ledgerline_sdk import models as m
from ledgerline_sdk.async_resources._base import _Resource
from ledgerline_sdk.transport import Call


class Wallets(_Resource):
    async def get(self, user_id: str) -> m.Wallet:
        return await self._send(
            Call("GET", f"/users/{user_id}/wallet", m.Wallet, reads_models=True)
        )

    async def deposit_instructions(self, user_id: str) -> m.DepositInstructions:
        path = f"/users/{user_id}/wallet/deposit"
        return await self._send(Call("GET", path, m.DepositInstructions, reads_models=True))
