"""Horizon's result-code strings (`tx_failed`, `op_underfunded`) read back from a transaction's
`result_xdr`, for transactions we only learn about by looking them up."""

from __future__ import annotations

from typing import Final

from stellar_sdk import xdr

_TX_RENAMED: Final = {"txNO_ACCOUNT": "tx_no_source_account"}
_OP_RENAMED: Final = {"opNO_ACCOUNT": "op_no_source_account", "ALREADY_EXIST": "already_exists"}
# Longest first: an operation's result codes are its own name followed by the code.
_OP_PREFIXES: Final = (
    "PATH_PAYMENT_STRICT_RECEIVE_",
    "PATH_PAYMENT_STRICT_SEND_",
    "INVOKE_HOST_FUNCTION_",
    "CREATE_ACCOUNT_",
    "BUMP_SEQUENCE_",
    "ACCOUNT_MERGE_",
    "CHANGE_TRUST_",
    "SET_OPTIONS_",
    "MANAGE_DATA_",
    "PAYMENT_",
)


def codes_of_result_xdr(result_xdr: str) -> tuple[str, ...]:
    """(transaction code, operation codes…); empty when the XDR cannot be read."""
    if not result_xdr:
        return ()
    try:
        result = xdr.TransactionResult.from_xdr(result_xdr)
    except (ValueError, TypeError, IndexError):
        return ()
    name = result.result.code.name
    codes = [_TX_RENAMED.get(name, "tx_" + name[2:].lower())]
    for op in result.result.results or ():
        codes.append(_operation_code(op))
    return tuple(codes)


def _operation_code(op: xdr.OperationResult) -> str:
    outer = op.code.name
    if op.code != xdr.OperationResultCode.opINNER or op.tr is None:
        return _OP_RENAMED.get(outer, "op_" + outer[2:].lower())
    for value in vars(op.tr).values():
        code = getattr(value, "code", None)
        if code is None or not type(code).__name__.endswith("ResultCode"):
            continue
        name = code.name
        rest = next((name[len(p) :] for p in _OP_PREFIXES if name.startswith(p)), name)
        if rest == "SUCCESS":
            return "op_success"
        return "op_" + _OP_RENAMED.get(rest, rest.lower())
    return "op_inner"
