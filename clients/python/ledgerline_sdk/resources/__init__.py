"""The API's resources for the synchronous client. `async_resources` is the same code for the
asynchronous client, made from these modules by `clients/python/unasync.py` (a test keeps them
equal): edit these.

Writes take an optional `idempotency_key` (one is made per call otherwise, and reused by its
retries); asynchronous commands take `wait_s` (`Prefer: wait`), answering the settled resource
when it settles in time. `list` returns one page; `iterate` walks every page.
"""

from __future__ import annotations

from ledgerline_sdk.resources.balances import Balances
from ledgerline_sdk.resources.deposits import Deposits
from ledgerline_sdk.resources.disputes import Disputes
from ledgerline_sdk.resources.keys import Keys
from ledgerline_sdk.resources.orders import Orders
from ledgerline_sdk.resources.topups import TopUps
from ledgerline_sdk.resources.users import Users
from ledgerline_sdk.resources.wallets import Wallets
from ledgerline_sdk.resources.webhook_endpoints import WebhookEndpoints
from ledgerline_sdk.resources.withdrawals import Withdrawals

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
