"""What the composition root hands a process, by kind: the use cases (`UseCases`), the read
models' query views (`Views`), and the clients and stores the edges drive themselves
(`Resources`). Types only; `interfaces/bootstrap.py` builds them.

Edges import this module, never the builder, so the root stays on top of the edge floor. An
edge takes the few members it uses (a controller's dependencies, an actor's use case), not the
whole `Services`, which only the processes' entry points hold.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime

import redis

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
from application.fiat_reconciliation import FiatReconciler
from application.incoming_webhooks import IncomingWebhooks
from application.ledger import Ledger
from application.orders import Orders
from application.payment_providers import FiatProvider, PaymentProvider
from application.ports import EscrowProvider, StellarNetwork, WalletKeys
from application.reconciliation import Reconciler
from application.reserves import Reserves
from application.sagas import Sagas
from application.topups import TopUps
from application.users import Users
from application.wallets import Wallets
from application.webhook_deliveries import WebhookDeliveries
from application.webhooks import WebhookEndpoints
from application.withdrawals import Withdrawals
from infrastructure.postgres.database import Pool
from infrastructure.postgres.feed_cursors import FeedCursors
from infrastructure.postgres.idempotency import IdempotencyStore
from infrastructure.redis.rate_limit import RedisRateLimiter
from infrastructure.redis.slots import Slots
from infrastructure.stellar.vault import Vault
from infrastructure.webhooks.deliveries import DeliveryLog
from infrastructure.webhooks.secrets import SealedWebhookSecrets
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
from projections.sagas.view import SagasView
from projections.store import ProjectionStore
from projections.topups.view import TopUpsView
from projections.users.view import UsersView
from projections.wallets.view import WalletsView
from projections.webhook_endpoints.view import WebhookEndpointsView
from projections.withdrawals.view import WithdrawalsView


@dataclass(frozen=True)
class UseCases:
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
    webhooks: WebhookEndpoints
    webhook_deliveries: WebhookDeliveries
    incoming_webhooks: IncomingWebhooks
    # The fiat ramp; with PAYMENT_PROVIDERS=crypto they answer PROVIDER_NOT_ENABLED.
    airtm_links: AirtmLinks
    topups: TopUps
    airtm_notices: AirtmNotices
    fiat_reconciler: FiatReconciler
    # The providers PAYMENT_PROVIDERS enables, by name (`crypto`, `airtm`).
    payment_providers: dict[str, PaymentProvider]
    # Which formula the audit chain links with, recorded once per log (domain/audit_chain.py).
    chain_versions: ChainVersions
    # The Merkle sum tree over users' balances and their inclusion proofs (docs/audit.md).
    balance_proofs: BalanceProofs
    # Anchors of the audit chain on Stellar (docs/audit.md).
    audit_anchors: AuditAnchors
    # What the books owe by class of holder against what the chain holds (GET /audit/reserves).
    reserves: Reserves


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
    feed: FeedView
    audit_log: AuditLogView
    webhook_endpoints: WebhookEndpointsView
    topups: TopUpsView
    audit_anchors: AuditAnchorsView


@dataclass(frozen=True)
class Resources:
    database_url: str
    redis_url: str
    # Every Redis client's socket timeout (a call that waits longer counts as an outage).
    redis_timeout_s: float
    clock: Callable[[], datetime]
    ledger: Ledger
    pool: Pool
    redis: redis.Redis
    network: StellarNetwork
    escrow_provider: EscrowProvider
    fiat_provider: FiatProvider  # AirTM, or a stand-in refusing every use when it is off
    keys: WalletKeys
    vault: Vault | None  # None without WALLET_ENCRYPTION_KEY
    # None without WALLET_ENCRYPTION_KEY (endpoints then cannot be registered).
    webhook_secrets: SealedWebhookSecrets | None
    idempotency: IdempotencyStore
    limiter: RedisRateLimiter
    cursors: FeedCursors
    deliveries: DeliveryLog
    slots: Slots
    # Every read model's store (position, catch-up, rebuild), by projection name.
    projections: dict[str, ProjectionStore]


@dataclass(frozen=True)
class Services:
    settings: Settings
    use_cases: UseCases
    views: Views
    resources: Resources
    # What the builder opened, closed in reverse order by `close`.
    closing: ExitStack = field(default_factory=ExitStack, repr=False, compare=False)

    def close(self) -> None:
        self.closing.close()
