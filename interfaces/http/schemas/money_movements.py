"""Wire types for wallets, deposits, withdrawals, sagas and reconciliations."""

from __future__ import annotations

from typing import Any

from application.reconciliation import ReconciliationReport
from domain.money import Amount, format_stroops
from domain.wallets import ACTIVE
from domain.withdrawals import Withdrawal
from interfaces.http.edge.responses import iso
from interfaces.http.schemas.wire import AwareDatetime, Body, Request  # noqa: F401
from projections.deposits.view import DepositRow
from projections.sagas.view import SagaRow
from projections.wallets.view import WalletRow
from projections.withdrawals.view import WithdrawalRow


class WalletBalanceBody(Body):
    usdc: str | None
    xlm: str


class WalletBody(Body):
    id: str
    user_id: str
    public_key: str
    type: str
    provider: str
    network: str
    status: str
    is_active: bool
    is_primary: bool
    balance: WalletBalanceBody | None
    parked_step: str | None
    created_at: str | None
    activated_at: str | None


def wallet_body(row: WalletRow, balance: WalletBalanceBody | None) -> WalletBody:
    return WalletBody(
        id=row.wallet_id,
        user_id=row.user_id,
        public_key=row.address,
        type="INVISIBLE",
        provider="STELLAR",
        network=row.network,
        status=row.status,
        is_active=row.status == ACTIVE,
        is_primary=True,
        balance=balance,
        parked_step=row.parked_step,
        created_at=iso(row.created_at),
        activated_at=iso(row.activated_at),
    )


class AssetBody(Body):
    code: str
    issuer: str


class DepositInstructionsBody(Body):
    provider: str
    method: str
    address: str
    asset: AssetBody
    network: str
    wallet_status: str
    instructions: str


class WalletTransactionBody(Body):
    id: str
    type: str
    from_: str | None
    to: str | None
    amount: str | None
    asset: str
    created_at: str | None
    hash: str | None
    successful: bool


def wallet_transaction_body(record: dict[str, Any]) -> WalletTransactionBody:
    kind = str(record.get("type"))
    asset = (
        "XLM"
        if record.get("asset_type", "native") == "native"
        else (f"{record.get('asset_code')}:{record.get('asset_issuer')}")
    )
    return WalletTransactionBody(
        id=str(record.get("id")),
        type=kind,
        from_=record.get("from") or record.get("funder") or record.get("source_account"),
        to=record.get("to") or record.get("account"),
        amount=record.get("amount") or record.get("starting_balance"),
        asset=asset,
        created_at=record.get("created_at"),
        hash=record.get("transaction_hash"),
        successful=bool(record.get("transaction_successful", True)),
    )


class DepositBody(Body):
    id: str
    user_id: str
    address: str
    from_: str
    amount: str
    currency: str
    transaction_hash: str
    operation_id: str
    chain_time: str | None
    credited_at: str | None


def deposit_body(row: DepositRow) -> DepositBody:
    return DepositBody(
        id=row.deposit_id,
        user_id=row.user_id,
        address=row.address,
        from_=row.from_address,
        amount=Amount(row.amount_stroops, row.currency).to_wire(),
        currency=row.currency,
        transaction_hash=row.transaction_hash,
        operation_id=row.operation_id,
        chain_time=iso(row.chain_time),
        credited_at=iso(row.credited_at),
    )


class CreateWithdrawalRequest(Request):
    user_id: str
    amount: str
    destination_ref: str
    destination_type: str = "crypto"
    currency: str | None = None
    description: str | None = None
    commit: bool | None = None  # OFFER-HUB's flag; crypto withdrawals always commit


class CancelRequest(Request):
    reason: str | None = None


class WithdrawalBody(Body):
    id: str
    user_id: str
    amount: str
    fee: str
    currency: str
    status: str
    destination_type: str
    destination_ref: str
    description: str | None
    stellar_transaction_hash: str | None
    failure_reason: str | None
    error_code: str | None
    parked: bool
    created_at: str | None
    updated_at: str | None


def withdrawal_body(source: Withdrawal | WithdrawalRow) -> WithdrawalBody:
    if isinstance(source, Withdrawal):
        ident, created, updated = source.public_id, source.created_on, source.modified_on
        parked, hash_ = source.parked_step is not None, source.transaction_hash
    else:
        ident, created, updated = source.withdrawal_id, source.created_at, source.updated_at
        parked, hash_ = source.parked_step is not None, source.stellar_transaction_hash
    return WithdrawalBody(
        id=ident,
        user_id=source.user_id,
        amount=Amount(source.amount_stroops, source.currency).to_wire(),
        fee=Amount(0, source.currency).to_wire(),
        currency=source.currency,
        status=source.status,
        destination_type=source.destination_type,
        destination_ref=source.destination_ref,
        description=source.description,
        stellar_transaction_hash=hash_,
        failure_reason=source.failure_reason,
        error_code=source.error_code,
        parked=parked,
        created_at=iso(created),
        updated_at=iso(updated),
    )


class SagaBody(Body):
    id: str
    kind: str
    user_id: str | None
    status: str
    step: str | None
    outcome: str | None
    reason: str | None
    started_at: str | None
    updated_at: str | None


def saga_body(row: SagaRow) -> SagaBody:
    return SagaBody(
        id=row.saga_id,
        kind=row.kind,
        user_id=row.user_id,
        status=row.status,
        step=row.step,
        outcome=row.outcome,
        reason=row.reason,
        started_at=iso(row.started_at),
        updated_at=iso(row.updated_at),
    )


class SagaRetriedBody(Body):
    id: str
    status: str


class DriftBody(Body):
    subject: str
    ledger_account: str
    ledger_balance: str
    chain_balance: str


class ReconciliationBody(Body):
    id: str
    checked: int
    skipped: int
    drifts: list[DriftBody]


def reconciliation_body(report: ReconciliationReport) -> ReconciliationBody:
    return ReconciliationBody(
        id=report.reconciliation_id,
        checked=report.checked,
        skipped=report.skipped,
        drifts=[
            DriftBody(
                d.subject,
                d.ledger_account,
                format_stroops(d.ledger_stroops),
                format_stroops(d.chain_stroops),
            )
            for d in report.drifts
        ],
    )
