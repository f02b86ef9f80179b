"""The composition root: settings in, every application, adapter and view out.

Nothing else in the code base constructs clients or pools; processes (API, runner, worker, CLI)
call `build_services` once and close what it returns when they stop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from dramatiq.brokers.redis import RedisBroker

from application.api_keys import ApiKeys
from application.balances import Balances
from application.deposits import Deposits
from application.disputes import Disputes
from application.escrow_saga import EscrowSaga
from application.ledger import Ledger
from application.orders import OrderLimits, Orders
from application.ports import EscrowProvider, StellarNetwork, WalletKeys
from application.reconciliation import Reconciler
from application.sagas import Sagas
from application.users import Users
from application.wallets import WalletPolicy, Wallets
from application.withdrawals import WithdrawalLimits, Withdrawals
from domain import identifiers
from domain.users import PLATFORM_EXTERNAL_USER_ID, User
from domain.wallets import ACTIVE, Wallet, wallet_id_for
from infrastructure.observability.actor_telemetry import ActorTelemetry
from infrastructure.observability.metrics import PrometheusInstruments
from infrastructure.postgres.database import Pool, connection_pool, migrate, schema_lock
from infrastructure.postgres.event_store import event_store_env
from infrastructure.postgres.feed_cursors import FeedCursors
from infrastructure.postgres.idempotency import IdempotencyStore
from infrastructure.redis.broker import RetryPolicy, redis_broker
from infrastructure.redis.rate_limit import RedisRateLimiter
from infrastructure.stellar.horizon import HorizonNetwork
from infrastructure.stellar.keys import StellarKeys
from infrastructure.stellar.unconfigured import NotConfigured
from infrastructure.stellar.vault import Vault, VaultKey
from infrastructure.trustless_work.client import TrustlessWorkClient
from interfaces.event_channels import EventChannels, build_event_channels
from interfaces.settings import Settings
from interfaces.workers.saga_messages import PARK_SAGA
from projections.api_keys.view import ApiKeysView
from projections.balances.view import BalancesView
from projections.deposits.view import DepositsView
from projections.disputes.view import DisputesView
from projections.ledger_entries.view import LedgerEntriesView
from projections.orders.view import OrdersView
from projections.registry import all_projections
from projections.sagas.view import SagasView
from projections.store import ProjectionStore
from projections.users.view import UsersView
from projections.wallets.view import WalletsView
from projections.withdrawals.view import WithdrawalsView

HOURS_S = 3600


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Views:
    users: UsersView
    balances: BalancesView
    ledger_entries: LedgerEntriesView
    api_keys: ApiKeysView
    wallets: WalletsView
    withdrawals: WithdrawalsView
    deposits: DepositsView
    sagas: SagasView
    orders: OrdersView
    disputes: DisputesView


@dataclass
class Services:
    settings: Settings
    database_url: str
    redis_url: str
    clock: Callable[[], datetime]
    ledger: Ledger
    pool: Pool
    redis: redis.Redis
    network: StellarNetwork
    escrow_provider: EscrowProvider
    keys: WalletKeys
    vault: Vault | None
    users: Users
    balances: Balances
    api_keys: ApiKeys
    wallets: Wallets
    withdrawals: Withdrawals
    deposits: Deposits
    orders: Orders
    disputes: Disputes
    escrows: EscrowSaga
    reconciler: Reconciler
    sagas: Sagas
    idempotency: IdempotencyStore
    limiter: RedisRateLimiter
    cursors: FeedCursors
    views: Views
    projections: dict[str, ProjectionStore]
    channels: EventChannels

    def close(self) -> None:
        self.ledger.close()
        self.pool.close()
        self.redis.close()
        if isinstance(self.network, HorizonNetwork):
            self.network.close()
        if isinstance(self.escrow_provider, TrustlessWorkClient):
            self.escrow_provider.close()

    def platform_address(self) -> str | None:
        """The platform's wallet, once active (it funds wallets on mainnet)."""
        user_id = identifiers.public_id(identifiers.USER, User.create_id(PLATFORM_EXTERNAL_USER_ID))
        wallet = self.ledger.get(Wallet, wallet_id_for(user_id))
        return wallet.address if wallet is not None and wallet.status == ACTIVE else None


def build_services(
    settings: Settings, database_url: str, redis_url: str, *, pool_size_max: int = 10
) -> Services:
    pool = connection_pool(database_url, size_max=pool_size_max, name="ledgerline")
    with schema_lock(database_url):
        migrate(pool)
        ledger = Ledger(env=event_store_env(database_url))
        ledger.instruments = PrometheusInstruments()
    cache = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5)
    clock = utc_now
    network, vault, keys = _chain(settings, pool)
    services_ref: list[Services] = []
    wallets = Wallets(
        ledger,
        keys,
        network,
        WalletPolicy(settings.stellar_network, lambda: services_ref[0].platform_address()),
        clock,
    )
    withdrawals = Withdrawals(
        ledger,
        keys,
        network,
        WithdrawalLimits(settings.withdrawal_min_stroops, settings.withdrawal_max_stroops),
        clock,
    )
    orders = Orders(
        ledger,
        clock,
        OrderLimits(
            settings.order_min_stroops, settings.order_max_stroops, settings.platform_fee_bps
        ),
    )
    provider = _escrow_provider(settings)
    sagas = Sagas()
    sagas.register(identifiers.WALLET, wallets.park, wallets.retry)
    sagas.register(identifiers.WITHDRAWAL, withdrawals.park, withdrawals.retry)
    sagas.register(identifiers.ORDER, orders.park, orders.retry)
    services = Services(
        settings=settings,
        database_url=database_url,
        redis_url=redis_url,
        clock=clock,
        ledger=ledger,
        pool=pool,
        redis=cache,
        network=network,
        escrow_provider=provider,
        keys=keys,
        vault=vault,
        users=Users(ledger, settings.currency, wallets.open_for),
        balances=Balances(ledger),
        api_keys=ApiKeys(ledger, clock, settings.master_key),
        wallets=wallets,
        withdrawals=withdrawals,
        deposits=Deposits(ledger, keys, network, settings.currency),
        orders=orders,
        disputes=Disputes(ledger),
        escrows=EscrowSaga(ledger, provider, keys, network, clock),
        reconciler=Reconciler(ledger, network, provider),
        sagas=sagas,
        idempotency=IdempotencyStore(pool, cache, settings.idempotency_ttl_hours * HOURS_S),
        limiter=RedisRateLimiter(cache),
        cursors=FeedCursors(pool),
        views=_views(pool, settings.currency),
        projections={p.name: ProjectionStore(p, pool, ledger) for p in all_projections()},
        channels=build_event_channels(settings, pool, ledger, cache),
    )
    services_ref.append(services)
    return services


def _chain(settings: Settings, pool: Pool) -> tuple[Any, Vault | None, Any]:
    network: Any = NotConfigured("Horizon (STELLAR_HORIZON_URL, STELLAR_USDC_ISSUER)")
    if settings.stellar_horizon_url and settings.stellar_usdc_issuer:
        network = HorizonNetwork(
            settings.stellar_horizon_url,
            settings.network_passphrase,
            f"USDC:{settings.stellar_usdc_issuer}",
            settings.friendbot_url,
        )
    if not settings.wallet_encryption_key:
        return network, None, NotConfigured("the wallet vault (WALLET_ENCRYPTION_KEY)")
    vault = Vault(
        pool,
        VaultKey.from_hex(settings.wallet_encryption_key),
        [VaultKey.from_hex(k) for k in settings.wallet_encryption_keys_previous],
    )
    return network, vault, StellarKeys(vault, network)


def _escrow_provider(settings: Settings) -> Any:
    if not settings.trustless_api_url or not settings.trustless_api_key:
        return NotConfigured("Trustless Work (TRUSTLESS_API_URL, TRUSTLESS_API_KEY)")
    return TrustlessWorkClient(
        settings.trustless_api_url, settings.trustless_api_key, settings.trustless_timeout_s
    )


def _views(pool: Pool, currency: str) -> Views:
    return Views(
        users=UsersView(pool, currency),
        balances=BalancesView(pool),
        ledger_entries=LedgerEntriesView(pool),
        api_keys=ApiKeysView(pool),
        wallets=WalletsView(pool),
        withdrawals=WithdrawalsView(pool),
        deposits=DepositsView(pool),
        sagas=SagasView(pool),
        orders=OrdersView(pool),
        disputes=DisputesView(pool),
    )


def ensure_projections(services: Services) -> None:
    """Creates any read model that does not exist yet, so queries never hit a missing table."""
    for store in services.projections.values():
        store.ensure()


def build_broker(services: Services) -> RedisBroker:
    """The saga broker; callers declare actors on it (workers) or only enqueue (runner)."""
    settings = services.settings
    return redis_broker(
        services.redis_url,
        RetryPolicy(
            retries_max=settings.saga_retries_max,
            backoff_min_ms=settings.saga_backoff_min_ms,
            backoff_max_ms=settings.saga_backoff_max_ms,
            step_time_limit_ms=settings.saga_step_time_limit_ms,
            heartbeat_timeout_ms=settings.broker_heartbeat_timeout_ms,
            maintenance_chance=settings.broker_maintenance_chance,
        ),
        namespace=settings.broker_namespace,
        observers=[ActorTelemetry(parking_actors=frozenset({PARK_SAGA}))],
    )
