"""Use case: proof of reserves — what the books owe, by class of holder, against what the chain
holds for it (docs/audit.md, "Proofs of reserves and of inclusion").

Where the money sits (ARCHITECTURE §5, `application/reconciliation.py`): each user's USDC is in
their own wallet, except what crossed the fiat ramp (AirTM top-ups in, fiat withdrawals out,
`Account.off_chain`), which never touched it; an order's escrow is in its escrow contract; the
platform's fee income is in the platform's wallet, beside the platform user's own balance. So
three classes, each compared with its holders:

- `users`: every user's `available` + `reserved` but the platform's, less what crossed the fiat
  ramp, against the USDC of their wallets;
- `escrows`: every `escrow:{order}` against the balances of the deployed escrow contracts;
- `platform`: `platform:fees` and the platform user's own balance against the platform wallet.

The books are read as of a position (the ledger-entries read model: the last line at or before
it); the chain can only be read as it is now, so a class is covered when what its holders hold
now is at least what the books owed as of that position. Chain reads are bounded: a few at a
time, all within a deadline; Horizon or Trustless Work failing makes the whole answer
unavailable (503), never a partial one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeoutError
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Final, TypeVar

from application.ports import (
    BooksAsOf,
    EscrowDirectory,
    EscrowProvider,
    StellarNetwork,
    WalletDirectory,
)
from application.reconciliation import EscrowToCheck, escrow_pages
from domain.errors import ProviderError, ProviderUnavailableError, ValidationError
from domain.postings import PLATFORM_FEES

# Horizon and Trustless Work are read this many calls at a time.
CHAIN_READS_AT_ONCE: Final = 8
# Wallet addresses are taken from the read model this many at a time (bounded memory).
WALLET_BATCH: Final = 256
# Every chain read of one answer must be done within this; past it the answer is a 503.
CHAIN_READ_DEADLINE_S: Final = 30.0
# What Retry-After tells a client when the chain could not be read.
RESERVES_RETRY_AFTER_S: Final = 5

T = TypeVar("T")
R = TypeVar("R")

USERS: Final = "users"
ESCROWS: Final = "escrows"
PLATFORM: Final = "platform"


class ChainUnreadableError(ProviderUnavailableError):
    """Horizon or Trustless Work failed or did not answer in time: no reserves answer now."""

    code = "RESERVES_UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class ReserveClass:
    """One class of holder: what the books owe it as of the position (by ledger account, or
    `user:*:available` for all users' together), the part of that held off chain, and what
    its holders (`holders` wallets or contracts) hold on chain."""

    name: str
    owed_by_account: dict[str, int]
    off_chain_stroops: int
    on_chain_stroops: int
    holders: int

    @property
    def owed_stroops(self) -> int:
        return sum(self.owed_by_account.values())

    @property
    def expected_on_chain_stroops(self) -> int:
        return self.owed_stroops - self.off_chain_stroops

    @property
    def surplus_stroops(self) -> int:
        """What the chain holds beyond what it should; negative: a shortfall."""
        return self.on_chain_stroops - self.expected_on_chain_stroops

    @property
    def covered(self) -> bool:
        return self.surplus_stroops >= 0


@dataclass(frozen=True, slots=True)
class ReservesReport:
    asset: str
    position: int  # the books are as of this position
    observed_at: datetime  # the chain was read at this time
    classes: tuple[ReserveClass, ...]

    @property
    def covered(self) -> bool:
        return all(c.covered for c in self.classes)


@dataclass(frozen=True, slots=True)
class ReserveSources:
    """Where the answer comes from: the books as of a position, the wallets and escrows the
    read models know, and the chain through the Horizon and Trustless Work adapters."""

    books: BooksAsOf
    wallets: WalletDirectory
    escrows: EscrowDirectory
    network: StellarNetwork
    escrow_provider: EscrowProvider
    platform_user_id: Callable[[], str]


@dataclass
class _WalletsHeld:
    users_stroops: int = 0
    users: int = 0
    platform_stroops: int = 0
    platform: int = 0


class Reserves:
    def __init__(
        self,
        sources: ReserveSources,
        clock: Callable[[], datetime],
        deadline_s: float = CHAIN_READ_DEADLINE_S,
    ) -> None:
        self._sources = sources
        self._clock = clock
        self._deadline_s = deadline_s

    def as_of(self, position: int | None = None) -> ReservesReport:
        """The books as of `position` (default: as far as they have reached) against the chain
        now. ValidationError for a position past the books; ChainUnreadableError (503) when
        Horizon or Trustless Work fail or are slower than the deadline."""
        books = self._sources.books
        reached = books.position()
        position = reached if position is None else position
        if position > reached:
            raise ValidationError(
                f"asOf {position} is past position {reached}, the last the books have reached",
                field="asOf",
            )
        balances = books.balances_as_of(position)
        off_chain = books.off_chain_as_of(position)
        platform = self._sources.platform_user_id()
        observed_at = self._clock()
        wallets = self._wallets_held(platform)
        escrows_held, contracts = self._escrows_held()
        return ReservesReport(
            asset=self._sources.network.usdc_asset,
            position=position,
            observed_at=observed_at,
            classes=(
                ReserveClass(
                    USERS,
                    _users_owed(balances, platform),
                    sum(v for user, v in off_chain.items() if user != platform),
                    wallets.users_stroops,
                    wallets.users,
                ),
                ReserveClass(
                    ESCROWS,
                    {"escrow:*": sum(v for a, v in balances.items() if a.startswith("escrow:"))},
                    0,
                    escrows_held,
                    contracts,
                ),
                ReserveClass(
                    PLATFORM,
                    {
                        PLATFORM_FEES: balances.get(PLATFORM_FEES, 0),
                        **{
                            account: balances.get(account, 0)
                            for account in _user_accounts(platform)
                        },
                    },
                    off_chain.get(platform, 0),
                    wallets.platform_stroops,
                    wallets.platform,
                ),
            ),
        )

    def _wallets_held(self, platform: str) -> _WalletsHeld:
        """USDC in users' wallets (but the platform's) and in the platform's, read a batch of
        addresses at a time."""
        held = _WalletsHeld()
        with _ChainReads(self._deadline_s) as reads:
            for batch in _batched(self._sources.wallets.all(), WALLET_BATCH):
                usdc = reads.map(self._usdc_of, [w.address for w in batch])
                for wallet, stroops in zip(batch, usdc, strict=True):
                    if wallet.user_id == platform:
                        held.platform_stroops += stroops
                        held.platform += 1
                    else:
                        held.users_stroops += stroops
                        held.users += 1
        return held

    def _escrows_held(self) -> tuple[int, int]:
        """What the deployed escrow contracts hold, and how many there are."""
        held = contracts = 0
        with _ChainReads(self._deadline_s) as reads:
            for page in escrow_pages(self._sources.escrows):
                groups = [[e for e in page if e.multi_release == multi] for multi in (False, True)]
                for found in reads.map(self._escrow_balances, [g for g in groups if g]):
                    held += sum(found.values())
                contracts += len(page)
        return held, contracts

    def _usdc_of(self, address: str) -> int:
        account = self._sources.network.account(address)
        return (account.usdc_stroops or 0) if account is not None else 0

    def _escrow_balances(self, group: Sequence[EscrowToCheck]) -> dict[str, int]:
        ids = [e.contract_id for e in group]
        return self._sources.escrow_provider.balances(ids, group[0].multi_release)


class _ChainReads:
    """A bounded pool of chain reads sharing one deadline; any provider failure or the deadline
    passing becomes ChainUnreadableError."""

    def __init__(self, deadline_s: float) -> None:
        self._pool = ThreadPoolExecutor(CHAIN_READS_AT_ONCE, thread_name_prefix="reserves")
        self._deadline_s = deadline_s
        self._started: float | None = None

    def __enter__(self) -> _ChainReads:
        self._started = time.monotonic()
        return self

    def map(self, read: Callable[[T], R], items: Iterable[T]) -> list[R]:
        assert self._started is not None
        left_s = self._deadline_s - (time.monotonic() - self._started)
        try:
            return list(self._pool.map(read, items, timeout=max(left_s, 0.0)))
        except FuturesTimeoutError:
            raise ChainUnreadableError(
                f"the chain was not read within {self._deadline_s:g} s; retry later",
                retryAfter=RESERVES_RETRY_AFTER_S,
            ) from None
        except ProviderError as error:
            raise ChainUnreadableError(
                f"the chain could not be read ({error.message}); retry later",
                retryAfter=RESERVES_RETRY_AFTER_S,
            ) from None

    def __exit__(self, *exc: object) -> None:
        # Reads still running are bounded by the adapters' own timeouts; do not wait for them.
        self._pool.shutdown(wait=False, cancel_futures=True)


def _user_accounts(user_id: str) -> tuple[str, str]:
    return f"user:{user_id}:available", f"user:{user_id}:reserved"


def _users_owed(balances: dict[str, int], platform: str) -> dict[str, int]:
    owed = {"user:*:available": 0, "user:*:reserved": 0}
    for account, stroops in balances.items():
        kind, _, rest = account.partition(":")
        user_id, _, side = rest.partition(":")
        if kind == "user" and user_id != platform and side in ("available", "reserved"):
            owed[f"user:*:{side}"] += stroops
    return owed


def _batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
