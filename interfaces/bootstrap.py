"""The composition root: settings in, every use case, view and resource out (the types are in
`interfaces/services.py`).

Nothing else in the code base constructs clients or pools; processes (API, runner, worker, CLI)
call `build_services` once and close what it returns when they stop. Whatever the builder opens
it registers on one exit stack, so closing is one call and a build that fails halfway closes
what it had opened.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any, Final

import redis
from dramatiq.brokers.redis import RedisBroker

from application.airtm_links import AirtmLinks
from application.airtm_notices import AirtmNotices
from application.api_keys import ApiKeys
from application.audit_anchors import AuditAnchors
from application.balance_proofs import BalanceProofs
from application.balances import Balances
from application.chain_versions import ChainVersions
from application.deposits import Deposits
from application.disputes import Disputes
from application.escrow_saga import EscrowSaga
from application.fiat_reconciliation import FiatReconciler, FiatSources
from application.fiat_withdrawals import FiatWithdrawals
from application.incoming_webhooks import IncomingWebhooks
from application.ledger import Ledger
from application.orders import OrderLimits, Orders
from application.reconciliation import Reconciler, ReconciliationSources
from application.reserves import Reserves, ReserveSources
from application.sagas import Sagas
from application.stellar_payments import StellarPayments
from application.topups import TopUpLimits, TopUps
from application.users import Users
from application.wallets import WalletPolicy, Wallets, platform_address
from application.webhook_deliveries import DeliveryLimits, WebhookDeliveries
from application.webhooks import WebhookEndpoints
from application.withdrawals import WithdrawalLimits, Withdrawals
from domain import identifiers
from domain.users import platform_user_id
from infrastructure.airtm.client import AirtmClient
from infrastructure.airtm.disabled import FiatNotEnabled
from infrastructure.observability.actor_telemetry import ActorTelemetry
from infrastructure.observability.metrics import PrometheusInstruments
from infrastructure.postgres.database import Pool, connection_pool, migrate, schema_lock
from infrastructure.postgres.event_store import event_store_env
from infrastructure.postgres.feed_cursors import FeedCursors
from infrastructure.postgres.idempotency import IdempotencyStore
from infrastructure.redis.broker import RetryPolicy, redis_broker
from infrastructure.redis.key_generation import RedisKeyGeneration
from infrastructure.redis.rate_limit import RedisRateLimiter
from infrastructure.redis.slots import Slots
from infrastructure.stellar.horizon import HorizonNetwork
from infrastructure.stellar.keys import StellarKeys
from infrastructure.stellar.unconfigured import NotConfigured
from infrastructure.stellar.vault import Vault, VaultKey
from infrastructure.trustless_work.client import TrustlessWorkClient
from infrastructure.webhooks.deliveries import DeliveryLog
from infrastructure.webhooks.secrets import SealedWebhookSecrets
from infrastructure.webhooks.sender import WebhookSender
from interfaces.services import Resources, Services, UseCases, Views
from interfaces.settings import Settings
from projections.api_keys.view import ApiKeysView
from projections.audit_anchors.view import AuditAnchorsView
from projections.balances.view import BalancesView
from projections.deposits.view import DepositsView
from projections.disputes.view import DisputesView
from projections.event_feed.audit_log import AuditLogView
from projections.event_feed.view import FeedView
from projections.ledger_entries.view import LedgerEntriesView
from projections.orders.view import OrdersView
from projections.registry import all_projections
from projections.sagas.view import SagasView
from projections.store import ProjectionStore
from projections.topups.view import TopUpsView
from projections.users.view import UsersView
from projections.wallets.view import WalletsView
from projections.webhook_endpoints.view import WebhookEndpointsView
from projections.withdrawals.view import PendingFiatWithdrawals, WithdrawalsView

HOURS_S: Final = 3600
REDIS_TIMEOUT_S: Final = 5


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_services(
    settings: Settings, database_url: str, redis_url: str, *, pool_size_max: int = 10
) -> Services:
    with ExitStack() as opened:
        pool = connection_pool(database_url, size_max=pool_size_max, name="ledgerline")
        opened.callback(pool.close)
        with schema_lock(database_url):
            migrate(pool)
            ledger = Ledger(env=event_store_env(database_url))
            opened.callback(ledger.close)
            ledger.instruments = PrometheusInstruments()
        cache = redis.Redis.from_url(
            redis_url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
        )
        opened.callback(cache.close)
        network = _network(settings, opened)
        vault_keys = _vault_keys(settings)
        vault = Vault(pool, *vault_keys) if vault_keys else None
        idempotency = IdempotencyStore(pool, cache, settings.idempotency_ttl_hours * HOURS_S)
        opened.callback(idempotency.close)  # before the cache closes (callbacks run reversed)
        resources = Resources(
            database_url=database_url,
            redis_url=redis_url,
            redis_timeout_s=REDIS_TIMEOUT_S,
            clock=utc_now,
            ledger=ledger,
            pool=pool,
            redis=cache,
            network=network,
            escrow_provider=_escrow_provider(settings, opened),
            fiat_provider=_fiat_provider(settings, opened),
            keys=(
                StellarKeys(vault, network)
                if vault is not None
                else NotConfigured("the wallet vault (WALLET_ENCRYPTION_KEY)")
            ),
            vault=vault,
            webhook_secrets=SealedWebhookSecrets(pool, *vault_keys) if vault_keys else None,
            idempotency=idempotency,
            limiter=RedisRateLimiter(cache),
            cursors=FeedCursors(pool),
            deliveries=DeliveryLog(pool),
            slots=Slots(cache, settings.broker_namespace),
            projections={p.name: ProjectionStore(p, pool, ledger) for p in all_projections()},
        )
        views = _views(pool, settings.currency, resources.projections)
        sender = WebhookSender(
            settings.webhook_timeout_ms / 1000,
            private_targets_allowed=settings.webhook_private_targets_allowed,
        )
        opened.callback(sender.close)
        # Handing the stack over: from here on what was opened is the caller's to close.
        return Services(
            settings=settings,
            use_cases=_use_cases(settings, resources, views, sender),
            views=views,
            resources=resources,
            closing=opened.pop_all(),
        )


def _vault_keys(settings: Settings) -> tuple[VaultKey, list[VaultKey]] | None:
    """The vault's current key and the previous ones it still reads with (wallet seeds and
    webhook secrets are sealed under the same keys)."""
    if not settings.wallet_encryption_key:
        return None
    return (
        VaultKey.from_hex(settings.wallet_encryption_key),
        [VaultKey.from_hex(k) for k in settings.wallet_encryption_keys_previous],
    )


def _network(settings: Settings, opened: ExitStack) -> Any:
    if not (settings.stellar_horizon_url and settings.stellar_usdc_issuer):
        return NotConfigured("Horizon (STELLAR_HORIZON_URL, STELLAR_USDC_ISSUER)")
    network = HorizonNetwork(
        settings.stellar_horizon_url,
        settings.network_passphrase,
        f"USDC:{settings.stellar_usdc_issuer}",
        settings.friendbot_url,
    )
    opened.callback(network.close)
    return network


def _escrow_provider(settings: Settings, opened: ExitStack) -> Any:
    if not settings.trustless_api_url or not settings.trustless_api_key:
        return NotConfigured("Trustless Work (TRUSTLESS_API_URL, TRUSTLESS_API_KEY)")
    client = TrustlessWorkClient(
        settings.trustless_api_url, settings.trustless_api_key, settings.trustless_timeout_s
    )
    opened.callback(client.close)
    return client


def _fiat_provider(settings: Settings, opened: ExitStack) -> Any:
    if not settings.airtm_enabled:
        return FiatNotEnabled()
    assert settings.airtm_api_url  # both have defaults
    assert settings.airtm_checkout_url
    client = AirtmClient(
        base_url=settings.airtm_api_url,
        checkout_base_url=settings.airtm_checkout_url,
        api_key=str(settings.airtm_api_key),
        api_secret=str(settings.airtm_api_secret),
        webhook_secret=str(settings.airtm_webhook_secret),
        timeout_s=settings.airtm_timeout_s,
    )
    opened.callback(client.close)
    return client


def public_api_url(settings: Settings) -> str:
    """Where AirTM sends payers back (the top-up callback): PUBLIC_BASE_URL, else the API's
    own address."""
    base = settings.public_base_url or f"http://{settings.host}:{settings.port}"
    return f"{base.rstrip('/')}/api/v1"


def _use_cases(
    settings: Settings, resources: Resources, views: Views, sender: WebhookSender
) -> UseCases:
    ledger, clock = resources.ledger, resources.clock
    keys, network = resources.keys, resources.network
    wallets = Wallets(
        ledger,
        keys,
        network,
        WalletPolicy(settings.stellar_network, lambda: platform_address(ledger)),
        clock,
    )
    fiat = resources.fiat_provider
    airtm_links = AirtmLinks(ledger, fiat)
    fiat_withdrawals = FiatWithdrawals(ledger, fiat, airtm_links, settings.airtm_withdrawal_fee_bps)
    withdrawals = Withdrawals(
        ledger,
        keys,
        network,
        WithdrawalLimits(settings.withdrawal_min_stroops, settings.withdrawal_max_stroops),
        clock,
        fiat_withdrawals if settings.airtm_enabled else None,
    )
    topups = TopUps(
        ledger,
        fiat,
        airtm_links,
        TopUpLimits(settings.topup_min_stroops, settings.topup_max_stroops),
        public_api_url(settings),
    )
    incoming = IncomingWebhooks(ledger)
    orders = Orders(
        ledger,
        clock,
        OrderLimits(
            settings.order_min_stroops, settings.order_max_stroops, settings.platform_fee_bps
        ),
        due_orders=views.orders,
    )
    sagas = Sagas()
    sagas.register(identifiers.WALLET, wallets.park, wallets.retry)
    sagas.register(identifiers.WITHDRAWAL, withdrawals.park, withdrawals.retry)
    sagas.register(identifiers.ORDER, orders.park, orders.retry)
    sagas.register(identifiers.TOPUP, topups.park, topups.retry)
    audit_anchors = AuditAnchors(ledger, keys, network, lambda: platform_address(ledger), clock)
    sagas.register(identifiers.ANCHOR, audit_anchors.park, audit_anchors.retry)
    provider = resources.escrow_provider
    webhooks = WebhookEndpoints(
        ledger,
        resources.webhook_secrets,
        ledger.head_position,
        private_targets_allowed=settings.webhook_private_targets_allowed,
    )
    return UseCases(
        users=Users(ledger, settings.currency, wallets.open_for),
        balances=Balances(ledger),
        api_keys=ApiKeys(ledger, clock, settings.master_key, RedisKeyGeneration(resources.redis)),
        wallets=wallets,
        withdrawals=withdrawals,
        deposits=Deposits(ledger, keys, network, settings.currency),
        orders=orders,
        disputes=Disputes(ledger),
        escrows=EscrowSaga(ledger, provider, keys, network, clock),
        reconciler=Reconciler(
            ledger,
            network,
            provider,
            ReconciliationSources(
                wallets=views.wallets,
                escrows=views.orders,
                sagas=views.sagas,
                balances=views.ledger_entries,
                balances_progress=resources.projections["ledger_entries"],
            ),
        ),
        sagas=sagas,
        webhooks=webhooks,
        webhook_deliveries=WebhookDeliveries(
            ledger,
            webhooks,
            sender,
            resources.slots,
            resources.deliveries,
            DeliveryLimits(
                retries_max=settings.webhook_retries_max,
                disable_after_failures=settings.webhook_disable_after_failures,
                in_flight_per_endpoint=settings.webhook_in_flight_per_endpoint,
                timeout_s=settings.webhook_timeout_ms / 1000,
                # A slow receiver may hold at most half this process's worker threads.
                threads_max=max(settings.worker_threads // 2, 1),
            ),
        ),
        incoming_webhooks=incoming,
        airtm_links=airtm_links,
        topups=topups,
        airtm_notices=AirtmNotices(ledger, fiat, topups, fiat_withdrawals, incoming),
        fiat_reconciler=FiatReconciler(
            ledger,
            fiat,
            topups,
            fiat_withdrawals,
            FiatSources(topups=views.topups, withdrawals=PendingFiatWithdrawals(resources.pool)),
        ),
        payment_providers={
            "crypto": StellarPayments(ledger, network),
            **({"airtm": fiat} if settings.airtm_enabled else {}),
        },
        chain_versions=ChainVersions(ledger),
        audit_anchors=audit_anchors,
        balance_proofs=BalanceProofs(views.ledger_entries, settings.audit_proof_secret.encode()),
        reserves=Reserves(
            ReserveSources(
                books=views.ledger_entries,
                wallets=views.wallets,
                escrows=views.orders,
                network=network,
                escrow_provider=provider,
                platform_user_id=platform_user_id,
            ),
            clock,
        ),
    )


def _views(pool: Pool, currency: str, stores: dict[str, ProjectionStore]) -> Views:
    return Views(
        users=UsersView(pool, currency),
        balances=BalancesView(pool),
        ledger_entries=LedgerEntriesView(pool, stores["ledger_entries"].position),
        api_keys=ApiKeysView(pool),
        wallets=WalletsView(pool),
        withdrawals=WithdrawalsView(pool),
        deposits=DepositsView(pool),
        sagas=SagasView(pool),
        orders=OrdersView(pool),
        disputes=DisputesView(pool),
        feed=FeedView(pool),
        audit_log=AuditLogView(pool),
        webhook_endpoints=WebhookEndpointsView(pool),
        topups=TopUpsView(pool),
        audit_anchors=AuditAnchorsView(pool),
    )


def ensure_projections(services: Services) -> None:
    """Creates any read model that does not exist yet, so queries never hit a missing table."""
    for store in services.resources.projections.values():
        store.ensure()


def build_broker(services: Services) -> RedisBroker:
    """The saga broker; callers declare actors on it (workers) or only enqueue (runner)."""
    settings = services.settings
    return redis_broker(
        services.resources.redis_url,
        RetryPolicy(
            retries_max=settings.saga_retries_max,
            backoff_min_ms=settings.saga_backoff_min_ms,
            backoff_max_ms=settings.saga_backoff_max_ms,
            step_time_limit_ms=settings.saga_step_time_limit_ms,
            heartbeat_timeout_ms=settings.broker_heartbeat_timeout_ms,
            maintenance_chance=settings.broker_maintenance_chance,
        ),
        namespace=settings.broker_namespace,
        observers=[ActorTelemetry()],
    )
