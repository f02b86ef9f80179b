"""Every read model the runner maintains, by name."""

from __future__ import annotations

from projections.api_keys.projection import ApiKeysProjection
from projections.audit_anchors.projection import AuditAnchorsProjection
from projections.balances.projection import BalancesProjection
from projections.deposits.projection import DepositsProjection
from projections.disputes.projection import DisputesProjection
from projections.event_feed.projection import EventFeedProjection
from projections.ledger_entries.projection import LedgerEntriesProjection
from projections.orders.projection import OrdersProjection
from projections.projection import Projection
from projections.sagas.projection import SagasProjection
from projections.topups.projection import TopUpsProjection
from projections.users.projection import UsersProjection
from projections.wallets.projection import WalletsProjection
from projections.webhook_endpoints.projection import WebhookEndpointsProjection
from projections.withdrawals.projection import WithdrawalsProjection


def all_projections() -> list[Projection]:
    return [
        UsersProjection(),
        BalancesProjection(),
        LedgerEntriesProjection(),
        EventFeedProjection(),
        ApiKeysProjection(),
        WalletsProjection(),
        WithdrawalsProjection(),
        DepositsProjection(),
        SagasProjection(),
        OrdersProjection(),
        DisputesProjection(),
        WebhookEndpointsProjection(),
        TopUpsProjection(),
        AuditAnchorsProjection(),
    ]
