"""`change_trust`: adding, re-limiting and removing a trustline to an issued asset.

A new trustline is one subentry and so raises the account's minimum balance by a base reserve;
removal needs a zero balance. Whether a new line is authorised follows the issuer's
`auth_required` flag (the sandbox USDC issuer leaves it off, like Circle's testnet issuer is
assumed to).
"""

from __future__ import annotations

from stellar_sdk import Asset, xdr

from sandbox.chain.amounts import format_stroops
from sandbox.chain.ledger_state import LedgerDelta
from sandbox.chain.operation_outcome import ApplyContext, OperationOutcome
from sandbox.chain.stellar_accounts import (
    BASE_RESERVE_STROOPS,
    SUBENTRIES_MAX,
    Account,
    Trustline,
    asset_key,
)
from sandbox.chain.transaction_results import OP_SUCCESS


def validate_change_trust(op: xdr.ChangeTrustOp) -> str | None:
    if op.limit.int64 < 0 or op.line.type == xdr.AssetType.ASSET_TYPE_NATIVE:
        return "op_malformed"
    if op.line.type == xdr.AssetType.ASSET_TYPE_POOL_SHARE:
        # Liquidity pools are deliberately out of scope.
        return "op_not_supported"
    try:
        Asset.from_xdr_object(op.line)
    except ValueError:
        return "op_malformed"
    return None


def apply_change_trust(
    delta: LedgerDelta, op: xdr.ChangeTrustOp, source: str, context: ApplyContext
) -> OperationOutcome:
    asset = Asset.from_xdr_object(op.line)
    issuer = asset.issuer
    assert issuer is not None, "native lines are refused at validation"
    limit = op.limit.int64
    details = {
        "asset_type": asset.type,
        "asset_code": asset.code,
        "asset_issuer": issuer,
        "limit": format_stroops(limit),
        "trustee": issuer,
        "trustor": source,
    }
    outcome = OperationOutcome(
        code=OP_SUCCESS, type="change_trust", details=details, participants=[source, issuer]
    )
    if issuer == source:
        outcome.code = "op_self_not_allowed"
        return outcome
    account = delta.account(source)
    assert account is not None, "operation sources are checked at validation"
    outcome.code = _change_line(delta, account, asset.code, issuer, limit, context.ledger)
    if outcome.code == OP_SUCCESS:
        account.touch(context.ledger, context.close_time_s)
    return outcome


def _change_line(
    delta: LedgerDelta, account: Account, code: str, issuer: str, limit: int, ledger: int
) -> str:
    """Removes (limit 0), re-limits or opens the trustline; every check precedes the change."""
    key = asset_key(code, issuer)
    line = account.trustlines.get(key)
    if limit == 0:
        if line is None or line.balance_stroops > 0:
            return "op_invalid_limit"
        del account.trustlines[key]
        account.subentry_count -= 1
        return OP_SUCCESS
    if line is not None:
        if limit < line.balance_stroops:
            return "op_invalid_limit"
        line.limit_stroops, line.last_modified_ledger = limit, ledger
        return OP_SUCCESS
    issuer_account = delta.peek_account(issuer)
    if issuer_account is None:
        return "op_no_issuer"
    if account.subentry_count >= SUBENTRIES_MAX:
        return "op_too_many_subentries"
    if account.balance_stroops < (2 + account.subentry_count + 1) * BASE_RESERVE_STROOPS:
        return "op_low_reserve"
    account.trustlines[key] = Trustline(
        asset_code=code,
        asset_issuer=issuer,
        limit_stroops=limit,
        authorized=not issuer_account.auth_required,
        last_modified_ledger=ledger,
    )
    account.subentry_count += 1
    return OP_SUCCESS
