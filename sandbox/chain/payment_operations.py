"""`create_account` and `payment`: moving XLM and issued assets between accounts.

The checks run in core's order (destination first, then the source) and every check happens
before any balance changes. An issuer paying its own asset mints it and an issuer receiving it
burns it; both are recorded so total supply can be audited against minted minus burned.
"""

from __future__ import annotations

from typing import Any

from stellar_sdk import Asset, xdr

from sandbox.chain.amounts import INT64_MAX, format_stroops
from sandbox.chain.ledger_state import LedgerDelta
from sandbox.chain.operation_outcome import (
    ApplyContext,
    OperationOutcome,
    account_id_of,
    public_key_of,
)
from sandbox.chain.stellar_accounts import BASE_RESERVE_STROOPS, Account, asset_key
from sandbox.chain.transaction_results import OP_SUCCESS

# A new account needs two base reserves (1 XLM) unless sponsored, which we do not simulate.
STARTING_BALANCE_MIN_STROOPS = 2 * BASE_RESERVE_STROOPS


def validate_create_account(op: xdr.CreateAccountOp) -> str | None:
    if op.starting_balance.int64 < 0:
        return "op_malformed"
    return None


def validate_payment(op: xdr.PaymentOp) -> str | None:
    if op.amount.int64 <= 0:
        return "op_malformed"
    try:
        Asset.from_xdr_object(op.asset)
    except ValueError:
        return "op_malformed"
    return None


def apply_create_account(
    delta: LedgerDelta, op: xdr.CreateAccountOp, source: str, context: ApplyContext
) -> OperationOutcome:
    destination = public_key_of(op.destination)
    starting = op.starting_balance.int64
    details = {
        "starting_balance": format_stroops(starting),
        "funder": source,
        "account": destination,
    }
    outcome = OperationOutcome(
        code=OP_SUCCESS,
        type="create_account",
        details=details,
        participants=[source, destination],
        is_payment=True,
    )
    if delta.peek_account(destination) is not None:
        outcome.code = "op_already_exists"
    elif starting < STARTING_BALANCE_MIN_STROOPS:
        outcome.code = "op_low_reserve"
    else:
        funder = delta.account(source)
        assert funder is not None, "operation sources are checked at validation"
        if funder.available_stroops() < starting:
            outcome.code = "op_underfunded"
        else:
            funder.balance_stroops -= starting
            funder.touch(context.ledger, context.close_time_s)
            delta.add_account(new_account(destination, starting, context))
    return outcome


def new_account(account_id: str, balance_stroops: int, context: ApplyContext) -> Account:
    """A fresh account: sequence is the creating ledger shifted into the high 32 bits."""
    return Account(
        account_id=account_id,
        balance_stroops=balance_stroops,
        sequence=context.ledger << 32,
        sequence_ledger=context.ledger,
        sequence_time_s=context.close_time_s,
        last_modified_ledger=context.ledger,
        last_modified_time_s=context.close_time_s,
    )


def apply_payment(
    delta: LedgerDelta, op: xdr.PaymentOp, source: str, context: ApplyContext
) -> OperationOutcome:
    destination = account_id_of(op.destination)
    asset = Asset.from_xdr_object(op.asset)
    amount = op.amount.int64
    details: dict[str, Any] = {"asset_type": asset.type}
    if not asset.is_native():
        details.update(asset_code=asset.code, asset_issuer=asset.issuer)
    details.update({"from": source, "to": destination, "amount": format_stroops(amount)})
    outcome = OperationOutcome(
        code=OP_SUCCESS,
        type="payment",
        details=details,
        participants=[source, destination],
        is_payment=True,
    )
    if asset.is_native():
        outcome.code = _pay_native(delta, source, destination, amount, context)
    else:
        assert asset.issuer is not None
        outcome.code = pay_issued(delta, source, destination, asset.code, asset.issuer, amount)
        if outcome.code == OP_SUCCESS:
            for account_id in {source, destination}:
                found = delta.account(account_id)
                if found is not None:
                    found.touch(context.ledger, context.close_time_s)
    return outcome


def _pay_native(
    delta: LedgerDelta, source: str, destination: str, amount: int, context: ApplyContext
) -> str:
    receiver = delta.account(destination)
    if receiver is None:
        return "op_no_destination"
    payer = delta.account(source)
    assert payer is not None, "operation sources are checked at validation"
    if payer.available_stroops() < amount:
        return "op_underfunded"
    if receiver.balance_stroops + amount > INT64_MAX:
        return "op_line_full"
    payer.balance_stroops -= amount
    receiver.balance_stroops += amount
    payer.touch(context.ledger, context.close_time_s)
    receiver.touch(context.ledger, context.close_time_s)
    return OP_SUCCESS


def pay_issued(
    delta: LedgerDelta, source: str, destination: str, code: str, issuer: str, amount: int
) -> str:
    """Moves an issued asset between G-accounts; shared by classic payments and the SAC."""
    key = asset_key(code, issuer)
    receiver = delta.account(destination)
    if receiver is None:
        return "op_no_destination"
    receiver_line = None
    if destination != issuer:
        receiver_line = receiver.trustline(code, issuer)
        if receiver_line is None:
            return "op_no_trust"
        if not receiver_line.authorized:
            return "op_not_authorized"
        if receiver_line.balance_stroops + amount > receiver_line.limit_stroops:
            return "op_line_full"
    payer_line = None
    if source != issuer:
        payer = delta.account(source)
        assert payer is not None, "operation sources are checked at validation"
        payer_line = payer.trustline(code, issuer)
        if payer_line is None:
            return "op_src_no_trust"
        if not payer_line.authorized:
            return "op_src_not_authorized"
        if payer_line.balance_stroops < amount:
            return "op_underfunded"
    if payer_line is not None:
        payer_line.balance_stroops -= amount
    else:
        delta.record_mint(key, amount)
    if receiver_line is not None:
        receiver_line.balance_stroops += amount
    else:
        delta.record_burn(key, amount)
    return OP_SUCCESS
