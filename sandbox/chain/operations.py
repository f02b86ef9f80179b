"""Operations: the stateless checks a node runs before accepting a transaction, and applying each.

`validate_operation` mirrors core's checkValid: a malformed operation rejects the whole transaction
before it reaches a ledger. `apply_operation` runs one operation against a child delta and reports
Horizon's result code; the caller drops the delta when the code is not `op_success`, so an
operation either happens completely or not at all.
"""

from __future__ import annotations

from typing import TypeVar

from stellar_sdk import xdr

from sandbox.chain import account_options, payment_operations, trust_operations
from sandbox.chain.ledger_state import LedgerDelta
from sandbox.chain.operation_outcome import (
    ApplyContext,
    ContractRuntime,
    OperationOutcome,
    account_id_of,
)

T = TypeVar("T")

# The threshold an operation's source must reach: Stellar's low / medium / high levels.
THRESHOLD_LOW, THRESHOLD_MEDIUM, THRESHOLD_HIGH = "low", "med", "high"


def operation_source(op: xdr.Operation, tx_source: str) -> str:
    return account_id_of(op.source_account) if op.source_account else tx_source


def threshold_of(op: xdr.Operation) -> str:
    """The signing level an operation needs; set_options that touches keys needs high."""
    body = op.body
    if body.type == xdr.OperationType.BUMP_SEQUENCE:
        return THRESHOLD_LOW
    if body.type == xdr.OperationType.SET_OPTIONS:
        options = present(body.set_options_op)
        touches_keys = (
            options.master_weight is not None
            or options.low_threshold is not None
            or options.med_threshold is not None
            or options.high_threshold is not None
            or options.signer is not None
        )
        return THRESHOLD_HIGH if touches_keys else THRESHOLD_MEDIUM
    return THRESHOLD_MEDIUM


def present(value: T | None) -> T:
    """The arm of an XDR union that its discriminant says is there."""
    assert value is not None, "the union's discriminant names this arm"
    return value


def validate_operation(op: xdr.Operation) -> str | None:
    """Core's stateless checks: a code means the transaction is rejected, nothing charged."""
    body, kind = op.body, op.body.type
    if kind == xdr.OperationType.CREATE_ACCOUNT:
        return payment_operations.validate_create_account(present(body.create_account_op))
    if kind == xdr.OperationType.PAYMENT:
        return payment_operations.validate_payment(present(body.payment_op))
    if kind == xdr.OperationType.CHANGE_TRUST:
        return trust_operations.validate_change_trust(present(body.change_trust_op))
    if kind == xdr.OperationType.MANAGE_DATA:
        return account_options.validate_manage_data(present(body.manage_data_op))
    if kind == xdr.OperationType.SET_OPTIONS:
        return account_options.validate_set_options(present(body.set_options_op))
    if kind == xdr.OperationType.BUMP_SEQUENCE:
        return account_options.validate_bump_sequence(present(body.bump_sequence_op))
    if kind == xdr.OperationType.INVOKE_HOST_FUNCTION:
        return _validate_invoke(present(body.invoke_host_function_op))
    return "op_not_supported"


def apply_operation(
    delta: LedgerDelta,
    op: xdr.Operation,
    source: str,
    context: ApplyContext,
    contracts: ContractRuntime,
) -> OperationOutcome:
    body, kind = op.body, op.body.type
    if kind == xdr.OperationType.CREATE_ACCOUNT:
        create = present(body.create_account_op)
        return payment_operations.apply_create_account(delta, create, source, context)
    if kind == xdr.OperationType.PAYMENT:
        return payment_operations.apply_payment(delta, present(body.payment_op), source, context)
    if kind == xdr.OperationType.CHANGE_TRUST:
        trust = present(body.change_trust_op)
        return trust_operations.apply_change_trust(delta, trust, source, context)
    if kind == xdr.OperationType.MANAGE_DATA:
        data = present(body.manage_data_op)
        return account_options.apply_manage_data(delta, data, source, context)
    if kind == xdr.OperationType.SET_OPTIONS:
        options = present(body.set_options_op)
        return account_options.apply_set_options(delta, options, source, context)
    if kind == xdr.OperationType.BUMP_SEQUENCE:
        bump = present(body.bump_sequence_op)
        return account_options.apply_bump_sequence(delta, bump, source, context)
    if kind == xdr.OperationType.INVOKE_HOST_FUNCTION:
        function = present(body.invoke_host_function_op).host_function
        return contracts.invoke(delta, source, function, context)
    raise AssertionError(f"unsupported operations are rejected at validation: {kind}")


def _validate_invoke(op: xdr.InvokeHostFunctionOp) -> str | None:
    function = op.host_function
    if function.type != xdr.HostFunctionType.HOST_FUNCTION_TYPE_INVOKE_CONTRACT:
        # Uploading Wasm and creating contracts directly are not simulated.
        return "op_not_supported"
    return None
