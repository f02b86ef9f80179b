"""Everything the bench imports from the service's own packages, in one module.

The bench drives the service from outside (processes, HTTP, SQL) wherever it can; only the
read-side measures need its code: building the log through the application layer, decoding it
with `Ledger.read`, and rebuilding read models through their projection stores. If a package
moves, this is the one file to fix (the embedded servers in `stack.py` aside).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from application.context import CommandContext
from application.ledger import Ledger
from domain.accounts import Account, account_id_for
from domain.deposits import Deposit
from domain.errors import DomainError
from domain.money import Amount
from domain.orders import Order
from domain.postings import EXTERNAL_ADJUSTMENTS, EXTERNAL_STELLAR
from domain.users import User
from domain.wallets import Wallet
from domain.withdrawals import Withdrawal
from interfaces.bootstrap import build_services, ensure_projections
from interfaces.cli.environment import settle_heap
from interfaces.services import Services
from interfaces.settings import load_settings
from projections.rebuild import REBUILD_PAGE_SIZE, rebuild_together

__all__ = [
    "EXTERNAL_ADJUSTMENTS",
    "EXTERNAL_STELLAR",
    "REBUILD_PAGE_SIZE",
    "Account",
    "Amount",
    "CommandContext",
    "Deposit",
    "DomainError",
    "Ledger",
    "Order",
    "Services",
    "User",
    "Wallet",
    "Withdrawal",
    "account_id_for",
    "open_services",
    "projection_stores",
    "read_log",
    "rebuild_every_store",
    "settle_heap",
]


def open_services(environ: dict[str, str]) -> Services:
    """The service's composition root on `environ` (DATABASE_URL, REDIS_URL, keys), with every
    read model created, as a `ledgerline` command would build it."""
    settings = load_settings(environ)
    services = build_services(settings, environ["DATABASE_URL"], environ["REDIS_URL"])
    ensure_projections(services)
    return services


def projection_stores(services: Services) -> dict[str, Any]:
    """Every read model's store by name, in the order `projections rebuild --all` takes them."""
    return dict(services.resources.projections)


def rebuild_every_store(
    services: Services, stores: list[Any], progress: Callable[[int], None]
) -> int:
    """What `ledgerline projections rebuild --all` does: one pass over the log into every
    store's `__next` schema, then the swaps; an interruption drops what was built aside."""
    return rebuild_together(stores, services.resources.ledger, progress)


def read_log(ledger: Ledger, after: int, limit: int) -> list[tuple[int, Any]]:
    """One page of decoded events after `after`: what every log follower reads."""
    return ledger.read(after=after, limit=limit)
