"""Horizon's HAL JSON resources: accounts, transactions, operations, ledgers, root and fee stats.

Field names and types follow Horizon's Go structs: amounts are 7-decimal strings, large integers
(sequence, fees) are strings, and every resource links to itself under the sandbox's own base URL
so that the SDK's `.next()` and `_links` navigation stay on the sandbox.
"""

from __future__ import annotations

import time
from typing import Any

from sandbox.chain.amounts import format_stroops
from sandbox.chain.history import LedgerRecord, OperationRecord, TransactionRecord, toid
from sandbox.chain.stellar_accounts import (
    BASE_FEE_STROOPS,
    BASE_RESERVE_STROOPS,
    Account,
    asset_type,
)
from sandbox.genesis import TOTAL_COINS_STROOPS

PROTOCOL_VERSION = 23
HORIZON_VERSION = "ledgerline-sandbox"
LEDGER_CAPACITY_TX_MAX = 1000


def timestamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _href(url: str, templated: bool = False) -> dict[str, Any]:
    return {"href": url, "templated": True} if templated else {"href": url}


def _balances_json(account: Account) -> list[dict[str, Any]]:
    balances: list[dict[str, Any]] = [
        {
            "balance": format_stroops(line.balance_stroops),
            "limit": format_stroops(line.limit_stroops),
            "buying_liabilities": "0.0000000",
            "selling_liabilities": "0.0000000",
            "last_modified_ledger": line.last_modified_ledger,
            "is_authorized": line.authorized,
            "is_authorized_to_maintain_liabilities": line.authorized,
            "is_clawback_enabled": False,
            "asset_type": asset_type(line.asset_code),
            "asset_code": line.asset_code,
            "asset_issuer": line.asset_issuer,
        }
        for line in account.trustlines.values()
    ]
    # Horizon lists the native balance last.
    balances.append(
        {
            "balance": format_stroops(account.balance_stroops),
            "buying_liabilities": "0.0000000",
            "selling_liabilities": "0.0000000",
            "asset_type": "native",
        }
    )
    return balances


def account_json(account: Account, base: str) -> dict[str, Any]:
    url = f"{base}/accounts/{account.account_id}"
    balances = _balances_json(account)
    signers = [
        {"weight": weight, "key": key, "type": "ed25519_public_key"}
        for key, weight in account.signers.items()
    ]
    signers.append(
        {"weight": account.master_weight, "key": account.account_id, "type": "ed25519_public_key"}
    )
    links = {
        "self": _href(url),
        **{
            name: _href(f"{url}/{name}{{?cursor,limit,order}}", templated=True)
            for name in ("transactions", "operations", "payments", "effects", "offers", "trades")
        },
        "data": _href(f"{url}/data/{{key}}", templated=True),
    }
    document: dict[str, Any] = {
        "_links": links,
        "id": account.account_id,
        "account_id": account.account_id,
        "sequence": str(account.sequence),
        "sequence_ledger": account.sequence_ledger,
        "sequence_time": str(account.sequence_time_s),
        "subentry_count": account.subentry_count,
        "last_modified_ledger": account.last_modified_ledger,
        "last_modified_time": timestamp(account.last_modified_time_s),
        "thresholds": {
            "low_threshold": account.low_threshold,
            "med_threshold": account.med_threshold,
            "high_threshold": account.high_threshold,
        },
        "flags": {
            "auth_required": account.auth_required,
            "auth_revocable": account.auth_revocable,
            "auth_immutable": False,
            "auth_clawback_enabled": False,
        },
        "balances": balances,
        "signers": signers,
        # Always present: the SDK's memo-required check indexes it.
        "data": dict(account.data),
        "num_sponsoring": 0,
        "num_sponsored": 0,
        "paging_token": account.account_id,
    }
    if account.home_domain:
        document["home_domain"] = account.home_domain
    return document


def transaction_json(record: TransactionRecord, base: str) -> dict[str, Any]:
    url = f"{base}/transactions/{record.hash}"
    document: dict[str, Any] = {
        "_links": {
            "self": _href(url),
            "account": _href(f"{base}/accounts/{record.source_account}"),
            "ledger": _href(f"{base}/ledgers/{record.ledger}"),
            "operations": _href(f"{url}/operations{{?cursor,limit,order}}", templated=True),
            "effects": _href(f"{url}/effects{{?cursor,limit,order}}", templated=True),
            "precedes": _href(f"{base}/transactions?order=asc&cursor={record.id}"),
            "succeeds": _href(f"{base}/transactions?order=desc&cursor={record.id}"),
            "transaction": _href(url),
        },
        "id": record.hash,
        "paging_token": str(record.id),
        "successful": record.successful,
        "hash": record.hash,
        "ledger": record.ledger,
        "created_at": timestamp(record.created_at_s),
        "source_account": record.source_account,
        "source_account_sequence": str(record.source_account_sequence),
        "fee_account": record.fee_account,
        "fee_charged": str(record.fee_charged),
        "max_fee": str(record.max_fee),
        "operation_count": record.operation_count,
        "envelope_xdr": record.envelope_xdr,
        "result_xdr": record.result_xdr,
        "memo_type": record.memo_type,
        "signatures": list(record.signatures),
    }
    if record.memo is not None:
        document["memo"] = record.memo
    if record.memo_bytes is not None:
        document["memo_bytes"] = record.memo_bytes
    if record.min_time_s is not None and record.max_time_s is not None:
        document["valid_after"] = timestamp(record.min_time_s)
        if record.max_time_s:
            document["valid_before"] = timestamp(record.max_time_s)
        document["preconditions"] = {
            "timebounds": {"min_time": str(record.min_time_s), "max_time": str(record.max_time_s)}
        }
    return document


def operation_json(
    record: OperationRecord, base: str, transaction: TransactionRecord | None = None
) -> dict[str, Any]:
    url = f"{base}/operations/{record.id}"
    document: dict[str, Any] = {
        "_links": {
            "self": _href(url),
            "transaction": _href(f"{base}/transactions/{record.transaction_hash}"),
            "effects": _href(f"{url}/effects"),
            "succeeds": _href(f"{base}/effects?order=desc&cursor={record.id}"),
            "precedes": _href(f"{base}/effects?order=asc&cursor={record.id}"),
        },
        "id": str(record.id),
        "paging_token": str(record.id),
        "transaction_successful": record.successful,
        "source_account": record.source_account,
        "type": record.type,
        "type_i": record.type_i,
        "created_at": timestamp(record.created_at_s),
        "transaction_hash": record.transaction_hash,
        **record.details,
    }
    if transaction is not None:
        document["transaction"] = transaction_json(transaction, base)
    return document


def ledger_json(record: LedgerRecord, base: str, fee_pool_stroops: int) -> dict[str, Any]:
    url = f"{base}/ledgers/{record.sequence}"
    return {
        "_links": {
            "self": _href(url),
            "transactions": _href(f"{url}/transactions{{?cursor,limit,order}}", templated=True),
            "operations": _href(f"{url}/operations{{?cursor,limit,order}}", templated=True),
            "payments": _href(f"{url}/payments{{?cursor,limit,order}}", templated=True),
            "effects": _href(f"{url}/effects{{?cursor,limit,order}}", templated=True),
        },
        "id": record.hash,
        "paging_token": str(toid(record.sequence)),
        "hash": record.hash,
        "prev_hash": record.prev_hash,
        "sequence": record.sequence,
        "successful_transaction_count": record.successful_transaction_count,
        "failed_transaction_count": record.failed_transaction_count,
        "operation_count": record.operation_count,
        "tx_set_operation_count": record.operation_count,
        "closed_at": timestamp(record.closed_at_s),
        "total_coins": format_stroops(TOTAL_COINS_STROOPS),
        "fee_pool": format_stroops(fee_pool_stroops),
        "base_fee_in_stroops": BASE_FEE_STROOPS,
        "base_reserve_in_stroops": BASE_RESERVE_STROOPS,
        "max_tx_set_size": LEDGER_CAPACITY_TX_MAX,
        "protocol_version": PROTOCOL_VERSION,
    }


def root_json(
    base: str, latest: LedgerRecord, ingested: LedgerRecord, passphrase: str
) -> dict[str, Any]:
    return {
        "_links": {
            "account": _href(f"{base}/accounts/{{account_id}}", templated=True),
            "fee_stats": _href(f"{base}/fee_stats"),
            "friendbot": _href(f"{base}/friendbot{{?addr}}", templated=True),
            "ledger": _href(f"{base}/ledgers/{{sequence}}", templated=True),
            "ledgers": _href(f"{base}/ledgers{{?cursor,limit,order}}", templated=True),
            "operations": _href(
                f"{base}/operations{{?cursor,limit,order,include_failed}}", templated=True
            ),
            "payments": _href(
                f"{base}/payments{{?cursor,limit,order,include_failed}}", templated=True
            ),
            "self": _href(f"{base}/"),
            "transaction": _href(f"{base}/transactions/{{hash}}", templated=True),
            "transactions": _href(f"{base}/transactions{{?cursor,limit,order}}", templated=True),
        },
        "horizon_version": HORIZON_VERSION,
        "core_version": "ledgerline-sandbox (no stellar-core)",
        "ingest_latest_ledger": ingested.sequence,
        "history_latest_ledger": ingested.sequence,
        "history_latest_ledger_closed_at": timestamp(ingested.closed_at_s),
        "history_elder_ledger": 1,
        "core_latest_ledger": latest.sequence,
        "network_passphrase": passphrase,
        "current_protocol_version": PROTOCOL_VERSION,
        "supported_protocol_version": PROTOCOL_VERSION,
        "core_supported_protocol_version": PROTOCOL_VERSION,
    }


def fee_stats_json(last_ledger: int) -> dict[str, Any]:
    """No surge pricing in the sandbox: every percentile is the base fee."""
    keys = (
        "max",
        "min",
        "mode",
        "p10",
        "p20",
        "p30",
        "p40",
        "p50",
        "p60",
        "p70",
        "p80",
        "p90",
        "p95",
        "p99",
    )
    flat = {key: str(BASE_FEE_STROOPS) for key in keys}
    return {
        "last_ledger": str(last_ledger),
        "last_ledger_base_fee": str(BASE_FEE_STROOPS),
        "ledger_capacity_usage": "0.00",
        "fee_charged": flat,
        "max_fee": dict(flat),
    }


def page_json(records: list[dict[str, Any]], links: dict[str, str]) -> dict[str, Any]:
    return {
        "_links": {name: _href(url) for name, url in links.items()},
        "_embedded": {"records": records},
    }
