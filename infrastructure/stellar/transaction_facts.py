"""A Horizon transaction record read back as the facts a step's guard matches on: its hash, its
envelope, whether it succeeded, when it closed, its MEMO_HASH and the contract functions it
invoked with their scalar arguments (`application.chain_recall`).

Decoding is forgiving: a record whose envelope this SDK cannot read still yields its hash,
outcome and memo (from Horizon's own fields), only without contract calls.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from stellar_sdk import Address, FeeBumpTransactionEnvelope, TransactionBuilder, scval, xdr
from stellar_sdk.operation import InvokeHostFunction, ManageData
from stellar_sdk.transaction import Transaction

from application.ports import ChainTransaction, ContractCall

log = logging.getLogger(__name__)


def transaction_facts(record: dict[str, Any], passphrase: str) -> ChainTransaction:
    transaction = _transaction(str(record.get("envelope_xdr", "")), passphrase)
    return ChainTransaction(
        transaction_hash=str(record["hash"]),
        envelope_xdr=str(record.get("envelope_xdr", "")),
        successful=bool(record.get("successful")),
        created_at=_time(str(record["created_at"])),
        stellar_ledger_sequence=record.get("ledger"),
        valid_until=_valid_until(record),
        memo_hash=_memo_hash(record),
        calls=tuple(_calls(transaction)) if transaction is not None else (),
        data=tuple(_data(transaction)) if transaction is not None else (),
    )


def _transaction(envelope_xdr: str, passphrase: str) -> Transaction | None:
    try:
        envelope = TransactionBuilder.from_xdr(envelope_xdr, passphrase)
    except Exception as error:  # an envelope this SDK does not know: keep Horizon's fields
        log.warning("could not decode an envelope from Horizon: %s", type(error).__name__)
        return None
    if isinstance(envelope, FeeBumpTransactionEnvelope):
        return envelope.transaction.inner_transaction_envelope.transaction
    return envelope.transaction


def _memo_hash(record: dict[str, Any]) -> bytes | None:
    if record.get("memo_type") != "hash" or not record.get("memo"):
        return None
    try:
        return base64.b64decode(str(record["memo"]), validate=True)
    except (binascii.Error, ValueError):
        return None


def _valid_until(record: dict[str, Any]) -> datetime | None:
    bounds = (record.get("preconditions") or {}).get("timebounds") or {}
    max_time = int(bounds.get("max_time") or 0)
    return datetime.fromtimestamp(max_time, UTC) if max_time else None


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _calls(transaction: Transaction) -> Iterator[ContractCall]:
    for operation in transaction.operations:
        if not isinstance(operation, InvokeHostFunction):
            continue
        function = operation.host_function
        if function.type != xdr.HostFunctionType.HOST_FUNCTION_TYPE_INVOKE_CONTRACT:
            continue
        invocation = function.invoke_contract
        assert invocation is not None
        arguments = [_native(argument) for argument in invocation.args]
        yield ContractCall(
            contract_id=Address.from_xdr_sc_address(invocation.contract_address).address,
            function=invocation.function_name.sc_symbol.decode(),
            integers=tuple(a for a in arguments if isinstance(a, int) and not isinstance(a, bool)),
            strings=tuple(_strings(arguments)),
        )


def _data(transaction: Transaction) -> Iterator[tuple[str, bytes | None]]:
    for operation in transaction.operations:
        if isinstance(operation, ManageData):
            value = operation.data_value
            yield operation.data_name, value.encode() if isinstance(value, str) else value


def _native(value: xdr.SCVal) -> Any:
    try:
        return scval.to_native(value)
    except (ValueError, TypeError, NotImplementedError):
        return None


def _strings(value: Any) -> Iterator[str]:
    """Every string anywhere in a decoded argument (symbols and strings decode as str or
    bytes; addresses as Address)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, bytes):
        try:
            yield value.decode()
        except UnicodeDecodeError:
            return
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
