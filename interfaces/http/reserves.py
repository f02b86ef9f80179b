"""`GET /audit/reserves?asOf=…` (audit scope): the proof of reserves — per class of holder (user
wallets, escrow contracts, the platform wallet), what the books hold for it as of a position
against what the chain holds for it now, and whether each class is covered.

The use case (`application/reserves.py`) reads the books off the ledger-entries read model and
the chain through the Horizon and Trustless Work adapters; Horizon or Trustless Work failing is
a 503 with Retry-After.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from application.reserves import Reserves
from domain.api_keys import AUDIT
from interfaces.http.accounts import AsOf, as_of_position
from interfaces.http.edge.admission import scope
from interfaces.http.edge.dependencies import Provided, Respond
from interfaces.http.edge.read_your_writes import ReadYourWrites
from interfaces.http.edge.responses import Envelope
from interfaces.http.schemas.reserves import ReservesBody, reserves_body
from projections.event_feed.view import FeedView
from projections.ledger_entries.view import LedgerEntriesView


class ReservesController(Controller):
    path = "/audit/reserves"
    tags = ["audit"]

    @get("/", opt=scope(AUDIT), sync_to_thread=True, operation_id="getReserves")
    def reserves(
        self,
        request: Request[Any, Any, Any],
        reserves: Provided[Reserves],
        ledger_entries_view: Provided[LedgerEntriesView],
        feed_view: Provided[FeedView],
        read_your_writes: Provided[ReadYourWrites],
        respond: Respond,
        as_of: AsOf = None,
    ) -> Response[Envelope[ReservesBody]]:
        """Per class (`users`, `escrows`, `platform`): what the books hold for it as of `asOf`
        (default: as far as they have reached), the part held off chain (the fiat ramp), what
        its wallets or contracts hold on chain now, the surplus (negative: a shortfall) and
        whether it is covered. 503 RESERVES_UNAVAILABLE with Retry-After when Horizon or
        Trustless Work cannot be read."""
        read_your_writes.wait(request, "ledger_entries", "wallets", "orders")
        position = as_of_position(as_of, feed_view, ledger_entries_view)
        return respond.ok(reserves_body(reserves.as_of(position)))
