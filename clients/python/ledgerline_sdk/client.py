"""The clients: `Ledgerline` (sync) and `AsyncLedgerline` (async), on httpx.

    with Ledgerline(api_key, "http://127.0.0.1:4000") as client:
        user = client.users.create("alice")
        client.balances.credit(user.id, "25.50", reason="welcome")
        client.balances.get(user.id).available   # "25.50": reads see this client's writes

`last_position` is the highest log position this client's writes reached; reads send it as
`X-Min-Position` (turn that off with `read_your_writes=False`).
"""

from __future__ import annotations

from types import TracebackType

import httpx

from ledgerline_sdk import async_resources as ar
from ledgerline_sdk import resources as r
from ledgerline_sdk import webhooks
from ledgerline_sdk.events import AsyncEvents, Events
from ledgerline_sdk.transport import AsyncSender, Core, Retries, SyncSender

DEFAULT_BASE_URL = "http://127.0.0.1:4000"
TIMEOUT_S = 30.0


class Webhooks:
    """Outgoing webhook endpoints, and verifying what they deliver."""

    verify = staticmethod(webhooks.verify)

    def __init__(self, endpoints: r.WebhookEndpoints) -> None:
        self.endpoints = endpoints


class AsyncWebhooks:
    verify = staticmethod(webhooks.verify)

    def __init__(self, endpoints: ar.WebhookEndpoints) -> None:
        self.endpoints = endpoints


class Ledgerline:
    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout_s: float = TIMEOUT_S,
        retries: Retries | None = None,
        read_your_writes: bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._core = Core(api_key, base_url, retries or Retries(), read_your_writes)
        self._http = httpx.Client(
            base_url=self._core.base_url,
            headers=self._core.headers(),
            timeout=timeout_s,
            transport=transport,
        )
        sender = SyncSender(self._core, self._http)
        self.users = r.Users(sender)
        self.balances = r.Balances(sender)
        self.wallets = r.Wallets(sender)
        self.orders = r.Orders(sender)
        self.disputes = r.Disputes(sender)
        self.withdrawals = r.Withdrawals(sender)
        self.topups = r.TopUps(sender)
        self.deposits = r.Deposits(sender)
        self.keys = r.Keys(sender)
        self.webhooks = Webhooks(r.WebhookEndpoints(sender))
        self.events = Events(self._core, self._http)

    @property
    def last_position(self) -> int:
        return self._core.position

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Ledgerline:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncLedgerline:
    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout_s: float = TIMEOUT_S,
        retries: Retries | None = None,
        read_your_writes: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._core = Core(api_key, base_url, retries or Retries(), read_your_writes)
        self._http = httpx.AsyncClient(
            base_url=self._core.base_url,
            headers=self._core.headers(),
            timeout=timeout_s,
            transport=transport,
        )
        sender = AsyncSender(self._core, self._http)
        self.users = ar.Users(sender)
        self.balances = ar.Balances(sender)
        self.wallets = ar.Wallets(sender)
        self.orders = ar.Orders(sender)
        self.disputes = ar.Disputes(sender)
        self.withdrawals = ar.Withdrawals(sender)
        self.topups = ar.TopUps(sender)
        self.deposits = ar.Deposits(sender)
        self.keys = ar.Keys(sender)
        self.webhooks = AsyncWebhooks(ar.WebhookEndpoints(sender))
        self.events = AsyncEvents(self._core, self._http)

    @property
    def last_position(self) -> int:
        return self._core.position

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncLedgerline:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
