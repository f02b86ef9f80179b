"""The API's resources for the asynchronous client: made from `resources/__init__.py` by
`clients/python/unasync.py`. Do not edit: edit `resources/__init__.py` and run
`python clients/python/unasync.py`.
"""

from __future__ import annotations

from ledgerline_sdk.async_resources.balances import Balances
from ledgerline_sdk.async_resources.deposits import Deposits
from ledgerline_sdk.async_resources.disputes import Disputes
from ledgerline_sdk.async_resources.keys import Keys
from ledgerline_sdk.async_resources.orders import Orders
from ledgerline_sdk.async_resources.topups import TopUps
from ledgerline_sdk.async_resources.users import Users
from ledgerline_sdk.async_resources.wallets import Wallets
from ledgerline_sdk.async_resources.webhook_endpoints import WebhookEndpoints
from ledgerline_sdk.async_resources.withdrawals import Withdrawals

__all__ = [
    "Balances",
    "Deposits",
    "Disputes",
    "Keys",
    "Orders",
    "TopUps",
    "Users",
    "Wallets",
    "WebhookEndpoints",
    "Withdrawals",
]
