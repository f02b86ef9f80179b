"""Horizon's result-code strings and the `TransactionResult` XDR that carries them.

Codes are the exact strings Horizon puts in `extras.result_codes` (`tx_bad_seq`, `op_no_trust`,
`function_trapped`); the XDR is built from stellar-sdk's own types so clients decoding
`result_xdr` see what the network would send. A code we cannot express for an operation type is
a programming error, never silently mapped to something else.
"""

from __future__ import annotations

import hashlib
from typing import Any

from stellar_sdk import xdr

TX_SUCCESS = "tx_success"
TX_FAILED = "tx_failed"
OP_SUCCESS = "op_success"

TRANSACTION_CODES = {
    "tx_success": xdr.TransactionResultCode.txSUCCESS,
    "tx_failed": xdr.TransactionResultCode.txFAILED,
    "tx_too_early": xdr.TransactionResultCode.txTOO_EARLY,
    "tx_too_late": xdr.TransactionResultCode.txTOO_LATE,
    "tx_missing_operation": xdr.TransactionResultCode.txMISSING_OPERATION,
    "tx_bad_seq": xdr.TransactionResultCode.txBAD_SEQ,
    "tx_bad_auth": xdr.TransactionResultCode.txBAD_AUTH,
    "tx_insufficient_balance": xdr.TransactionResultCode.txINSUFFICIENT_BALANCE,
    "tx_no_source_account": xdr.TransactionResultCode.txNO_ACCOUNT,
    "tx_insufficient_fee": xdr.TransactionResultCode.txINSUFFICIENT_FEE,
    "tx_bad_auth_extra": xdr.TransactionResultCode.txBAD_AUTH_EXTRA,
    "tx_internal_error": xdr.TransactionResultCode.txINTERNAL_ERROR,
    "tx_not_supported": xdr.TransactionResultCode.txNOT_SUPPORTED,
    "tx_malformed": xdr.TransactionResultCode.txMALFORMED,
    "tx_soroban_invalid": xdr.TransactionResultCode.txSOROBAN_INVALID,
}
# Codes a transaction is refused with before it reaches a ledger (nothing charged or consumed).
REJECTION_CODES = frozenset(TRANSACTION_CODES) - {TX_SUCCESS, TX_FAILED}

# Codes any operation may carry in the outer OperationResult, whatever its type.
_OUTER_CODES = {
    "op_bad_auth": xdr.OperationResultCode.opBAD_AUTH,
    "op_no_source_account": xdr.OperationResultCode.opNO_ACCOUNT,
    "op_not_supported": xdr.OperationResultCode.opNOT_SUPPORTED,
    "op_too_many_subentries": xdr.OperationResultCode.opTOO_MANY_SUBENTRIES,
    "op_exceeded_work_limit": xdr.OperationResultCode.opEXCEEDED_WORK_LIMIT,
}

_T = xdr.OperationType
# operation type -> (OperationResultTr field, result class, code enum, enum prefix, renamed codes)
_INNER: dict[xdr.OperationType, tuple[str, Any, Any, str, dict[str, str]]] = {
    _T.CREATE_ACCOUNT: (
        "create_account_result",
        xdr.CreateAccountResult,
        xdr.CreateAccountResultCode,
        "CREATE_ACCOUNT_",
        {"op_already_exists": "ALREADY_EXIST"},
    ),
    _T.PAYMENT: ("payment_result", xdr.PaymentResult, xdr.PaymentResultCode, "PAYMENT_", {}),
    _T.CHANGE_TRUST: (
        "change_trust_result",
        xdr.ChangeTrustResult,
        xdr.ChangeTrustResultCode,
        "CHANGE_TRUST_",
        {},
    ),
    _T.MANAGE_DATA: (
        "manage_data_result",
        xdr.ManageDataResult,
        xdr.ManageDataResultCode,
        "MANAGE_DATA_",
        {"op_data_name_not_found": "NAME_NOT_FOUND", "op_data_invalid_name": "INVALID_NAME"},
    ),
    _T.SET_OPTIONS: (
        "set_options_result",
        xdr.SetOptionsResult,
        xdr.SetOptionsResultCode,
        "SET_OPTIONS_",
        {},
    ),
    _T.BUMP_SEQUENCE: (
        "bump_seq_result",
        xdr.BumpSequenceResult,
        xdr.BumpSequenceResultCode,
        "BUMP_SEQUENCE_",
        {},
    ),
    _T.INVOKE_HOST_FUNCTION: (
        "invoke_host_function_result",
        xdr.InvokeHostFunctionResult,
        xdr.InvokeHostFunctionResultCode,
        "INVOKE_HOST_FUNCTION_",
        {"function_trapped": "TRAPPED"},
    ),
}

SUPPORTED_OPERATION_TYPES = frozenset(_INNER)


def operation_result(op_type: xdr.OperationType, code: str) -> xdr.OperationResult:
    """The OperationResult XDR for one Horizon operation code on one operation type."""
    if code in _OUTER_CODES:
        return xdr.OperationResult(code=_OUTER_CODES[code])
    field_name, result_class, code_enum, prefix, renamed = _INNER[op_type]
    suffix = renamed.get(code) or code.removeprefix("op_").upper()
    inner_code = getattr(code_enum, prefix + suffix)
    if op_type == _T.INVOKE_HOST_FUNCTION and code == OP_SUCCESS:
        # The success arm carries the hash of the return value and events; ours is void.
        digest = hashlib.sha256(xdr.SCVal(xdr.SCValType.SCV_VOID).to_xdr_bytes()).digest()
        inner = result_class(code=inner_code, success=xdr.Hash(digest))
    else:
        inner = result_class(code=inner_code)
    tr = xdr.OperationResultTr(type=op_type, **{field_name: inner})
    return xdr.OperationResult(code=xdr.OperationResultCode.opINNER, tr=tr)


def is_known_operation_code(op_type: xdr.OperationType, code: str) -> bool:
    try:
        operation_result(op_type, code)
    except (AttributeError, KeyError):
        return False
    return True


def transaction_result_xdr(
    fee_charged: int,
    tx_code: str,
    op_types: list[xdr.OperationType] | None = None,
    op_codes: list[str] | None = None,
) -> str:
    """Base64 `TransactionResult`; operation results are present only for tx_success/tx_failed."""
    results = None
    if tx_code in (TX_SUCCESS, TX_FAILED):
        assert op_types is not None
        assert op_codes is not None
        results = [operation_result(t, c) for t, c in zip(op_types, op_codes, strict=True)]
    result = xdr.TransactionResult(
        fee_charged=xdr.Int64(fee_charged),
        result=xdr.TransactionResultResult(code=TRANSACTION_CODES[tx_code], results=results),
        ext=xdr.TransactionResultExt(0),
    )
    return result.to_xdr()
