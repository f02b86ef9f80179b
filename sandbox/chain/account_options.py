"""`set_options`, `manage_data` and `bump_sequence`: an account's keys, thresholds and data.

Only ed25519 signers are simulated (no pre-auth or hash-x keys), and of the account flags only
`auth_required` and `auth_revocable`. Extra signers and data entries are subentries, so adding one
needs a base reserve of spare balance, exactly as on the network.
"""

from __future__ import annotations

import base64
from typing import Any

from stellar_sdk import StrKey, xdr

from sandbox.chain.ledger_state import LedgerDelta
from sandbox.chain.operation_outcome import ApplyContext, OperationOutcome
from sandbox.chain.stellar_accounts import BASE_RESERVE_STROOPS, SIGNERS_MAX, Account
from sandbox.chain.transaction_results import OP_SUCCESS

WEIGHT_MAX = 255
DATA_NAME_LENGTH_MAX = 64
FLAG_AUTH_REQUIRED, FLAG_AUTH_REVOCABLE = 1, 2
_SUPPORTED_FLAGS = FLAG_AUTH_REQUIRED | FLAG_AUTH_REVOCABLE
_KNOWN_FLAGS = 0xF


def validate_manage_data(op: xdr.ManageDataOp) -> str | None:
    name = op.data_name.string64
    if not 0 < len(name) <= DATA_NAME_LENGTH_MAX:
        return "op_data_invalid_name"
    return None


def validate_bump_sequence(op: xdr.BumpSequenceOp) -> str | None:
    return "op_bad_seq" if op.bump_to.sequence_number.int64 < 0 else None


def validate_set_options(op: xdr.SetOptionsOp) -> str | None:
    weights = (op.master_weight, op.low_threshold, op.med_threshold, op.high_threshold)
    if any(w is not None and w.uint32 > WEIGHT_MAX for w in weights):
        return "op_threshold_out_of_range"
    set_flags = op.set_flags.uint32 if op.set_flags else 0
    clear_flags = op.clear_flags.uint32 if op.clear_flags else 0
    if set_flags & clear_flags:
        return "op_bad_flags"
    if (set_flags | clear_flags) & ~_KNOWN_FLAGS:
        return "op_unknown_flag"
    if (set_flags | clear_flags) & ~_SUPPORTED_FLAGS or op.inflation_dest is not None:
        return "op_not_supported"
    if op.signer is not None:
        if op.signer.key.type != xdr.SignerKeyType.SIGNER_KEY_TYPE_ED25519:
            return "op_not_supported"
        if op.signer.weight.uint32 > WEIGHT_MAX:
            return "op_bad_signer"
    return None


def apply_manage_data(
    delta: LedgerDelta, op: xdr.ManageDataOp, source: str, context: ApplyContext
) -> OperationOutcome:
    name = op.data_name.string64.decode("utf-8", errors="replace")
    value = base64.b64encode(op.data_value.data_value).decode() if op.data_value else None
    outcome = OperationOutcome(
        code=OP_SUCCESS,
        type="manage_data",
        details={"name": name, "value": value or ""},
        participants=[source],
    )
    account = _source(delta, source)
    if value is None:
        if name not in account.data:
            outcome.code = "op_data_name_not_found"
            return outcome
        del account.data[name]
        account.subentry_count -= 1
    else:
        if name not in account.data:
            if not _can_add_subentry(account):
                outcome.code = "op_low_reserve"
                return outcome
            account.subentry_count += 1
        account.data[name] = value
    account.touch(context.ledger, context.close_time_s)
    return outcome


def apply_set_options(
    delta: LedgerDelta, op: xdr.SetOptionsOp, source: str, context: ApplyContext
) -> OperationOutcome:
    details: dict[str, Any] = {}
    outcome = OperationOutcome(
        code=OP_SUCCESS, type="set_options", details=details, participants=[source]
    )
    account = _source(delta, source)
    if op.signer is not None:
        assert op.signer.key.ed25519 is not None
        key = StrKey.encode_ed25519_public_key(op.signer.key.ed25519.uint256)
        weight = op.signer.weight.uint32
        details.update(signer_key=key, signer_weight=weight)
        outcome.code = _change_signer(account, key, weight)
        if outcome.code != OP_SUCCESS:
            return outcome
    _set_thresholds(account, op, details)
    if op.home_domain is not None:
        account.home_domain = op.home_domain.string32.decode("utf-8", errors="replace")
        details["home_domain"] = account.home_domain
    for flags, value in ((op.set_flags, True), (op.clear_flags, False)):
        if flags is not None and flags.uint32:
            if flags.uint32 & FLAG_AUTH_REQUIRED:
                account.auth_required = value
            if flags.uint32 & FLAG_AUTH_REVOCABLE:
                account.auth_revocable = value
            details["set_flags" if value else "clear_flags"] = [flags.uint32]
    account.touch(context.ledger, context.close_time_s)
    return outcome


def apply_bump_sequence(
    delta: LedgerDelta, op: xdr.BumpSequenceOp, source: str, context: ApplyContext
) -> OperationOutcome:
    bump_to = op.bump_to.sequence_number.int64
    account = _source(delta, source)
    if bump_to > account.sequence:
        account.sequence = bump_to
        account.sequence_ledger = context.ledger
        account.sequence_time_s = context.close_time_s
        account.touch(context.ledger, context.close_time_s)
    return OperationOutcome(
        code=OP_SUCCESS,
        type="bump_sequence",
        details={"bump_to": str(bump_to)},
        participants=[source],
    )


def _change_signer(account: Account, key: str, weight: int) -> str:
    if key == account.account_id:
        return "op_bad_signer"
    if weight == 0:
        if key in account.signers:
            del account.signers[key]
            account.subentry_count -= 1
        return OP_SUCCESS
    if key not in account.signers:
        if len(account.signers) >= SIGNERS_MAX:
            return "op_too_many_signers"
        if not _can_add_subentry(account):
            return "op_low_reserve"
        account.subentry_count += 1
    account.signers[key] = weight
    return OP_SUCCESS


def _set_thresholds(account: Account, op: xdr.SetOptionsOp, details: dict[str, Any]) -> None:
    if op.master_weight is not None:
        account.master_weight = op.master_weight.uint32
        details["master_key_weight"] = account.master_weight
    if op.low_threshold is not None:
        account.low_threshold = op.low_threshold.uint32
        details["low_threshold"] = account.low_threshold
    if op.med_threshold is not None:
        account.med_threshold = op.med_threshold.uint32
        details["med_threshold"] = account.med_threshold
    if op.high_threshold is not None:
        account.high_threshold = op.high_threshold.uint32
        details["high_threshold"] = account.high_threshold


def _can_add_subentry(account: Account) -> bool:
    return account.balance_stroops >= (2 + account.subentry_count + 1) * BASE_RESERVE_STROOPS


def _source(delta: LedgerDelta, source: str) -> Account:
    account = delta.account(source)
    assert account is not None, "operation sources are checked at validation"
    return account
