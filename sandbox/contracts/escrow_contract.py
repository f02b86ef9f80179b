"""The escrow contracts' rules: one function per contract entry point, for both kinds.

Each function checks its rules in the contract's order, raising the documented
`EscrowContractError` before anything changes, then authorises the acting role and moves tokens
through the environment. The caller runs it on a ledger delta, so a trap halfway (a payout to an
account without a trustline) rolls everything back, as a failed Soroban call does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sandbox.contracts.escrow_abi import encode_escrow
from sandbox.contracts.escrow_errors import EscrowContractError
from sandbox.contracts.escrow_fees import distribution_split, release_split
from sandbox.contracts.escrow_model import (
    MILESTONES_MAX,
    MULTI_RELEASE,
    PLATFORM_FEE_BPS_MAX,
    SINGLE_RELEASE,
    Escrow,
    Milestone,
)


class EscrowEnvironment(Protocol):
    """What a running escrow contract may do: authorise an address and move its token."""

    def require_auth(self, address: str) -> None: ...

    def balance(self) -> int: ...

    def transfer(self, source: str, destination: str, amount: int) -> None: ...


def initialize(escrow: Escrow, env: EscrowEnvironment, deployer: str) -> None:
    _check_properties(escrow)
    env.require_auth(deployer)


def fund_escrow(escrow: Escrow, env: EscrowEnvironment, args: dict[str, Any]) -> None:
    amount = args["amount"]
    if amount <= 0:
        raise _error(escrow, "AmountCannotBeZero")
    expected: Escrow = args["expected_escrow"]
    if escrow.kind == SINGLE_RELEASE and _differs(expected, escrow):
        raise _error(escrow, "EscrowPropertiesMismatch")
    env.require_auth(args["signer"])
    env.transfer(args["signer"], escrow.contract_id, amount)


def change_milestone_status(escrow: Escrow, env: EscrowEnvironment, args: dict[str, Any]) -> None:
    if args["service_provider"] != escrow.role("serviceProvider"):
        raise _error(escrow, "OnlyServiceProviderChangeMilstoneStatus")
    milestone = _milestone(escrow, args["milestone_index"])
    if escrow.released or milestone.released:
        raise _error(escrow, "EscrowAlreadyReleased")
    if escrow.resolved or milestone.resolved:
        raise _error(escrow, "EscrowAlreadyResolved")
    env.require_auth(args["service_provider"])
    milestone.status = args["new_status"]
    if args["new_evidence"] is not None:
        milestone.evidence = args["new_evidence"]


def approve_milestone(escrow: Escrow, env: EscrowEnvironment, args: dict[str, Any]) -> None:
    if args["approver"] != escrow.role("approver"):
        raise _error(escrow, "OnlyApproverChangeMilstoneFlag")
    milestone = _milestone(escrow, args["milestone_index"])
    if milestone.approved:
        raise _error(escrow, "MilestoneHasAlreadyBeenApproved")
    if not milestone.status:
        raise _error(escrow, "EmptyMilestoneStatus")
    env.require_auth(args["approver"])
    milestone.approved = True


def release_funds(escrow: Escrow, env: EscrowEnvironment, args: dict[str, Any]) -> None:
    if escrow.released:
        raise _error(escrow, "EscrowAlreadyReleased")
    if escrow.resolved:
        raise _error(escrow, "EscrowAlreadyResolved")
    if args["release_signer"] != escrow.role("releaseSigner"):
        raise _error(escrow, "OnlyReleaseSignerCanReleaseEarnings")
    if not escrow.milestones:
        raise _error(escrow, "NoMilestoneDefined")
    if not all(milestone.approved for milestone in escrow.milestones):
        raise _error(escrow, "EscrowNotCompleted")
    if escrow.disputed:
        raise _error(escrow, "EscrowOpenedForDisputeResolution")
    if env.balance() < escrow.amount_stroops:
        raise _error(escrow, "EscrowBalanceNotEnoughToSendEarnings")
    env.require_auth(args["release_signer"])
    escrow.released = True
    _pay_release(escrow, env, escrow.amount_stroops, escrow.role("receiver"), args)


def release_milestone_funds(escrow: Escrow, env: EscrowEnvironment, args: dict[str, Any]) -> None:
    if args["release_signer"] != escrow.role("releaseSigner"):
        raise _error(escrow, "OnlyReleaseSignerCanReleaseEarnings")
    milestone = _milestone(escrow, args["milestone_index"])
    if milestone.released:
        raise _error(escrow, "EscrowAlreadyReleased")
    if milestone.resolved:
        raise _error(escrow, "EscrowAlreadyResolved")
    if milestone.disputed:
        raise _error(escrow, "EscrowOpenedForDisputeResolution")
    if not milestone.approved:
        raise _error(escrow, "EscrowNotCompleted")
    if env.balance() < milestone.amount_stroops:
        raise _error(escrow, "EscrowBalanceNotEnoughToSendEarnings")
    env.require_auth(args["release_signer"])
    milestone.released = True
    _pay_release(escrow, env, milestone.amount_stroops, milestone.receiver, args)


def dispute_escrow(escrow: Escrow, env: EscrowEnvironment, args: dict[str, Any]) -> None:
    if escrow.released:
        raise _error(escrow, "EscrowAlreadyReleased")
    if escrow.resolved:
        raise _error(escrow, "EscrowAlreadyResolved")
    if escrow.disputed:
        raise _error(escrow, "EscrowAlreadyInDispute")
    _check_may_dispute(escrow, args["signer"])
    env.require_auth(args["signer"])
    escrow.disputed = True


def dispute_milestone(escrow: Escrow, env: EscrowEnvironment, args: dict[str, Any]) -> None:
    milestone = _milestone(escrow, args["milestone_index"])
    if milestone.released:
        raise _error(escrow, "EscrowAlreadyReleased")
    if milestone.resolved:
        raise _error(escrow, "EscrowAlreadyResolved")
    if milestone.disputed:
        raise _error(escrow, "EscrowAlreadyInDispute")
    _check_may_dispute(escrow, args["signer"])
    env.require_auth(args["signer"])
    milestone.disputed = True


def resolve_dispute(escrow: Escrow, env: EscrowEnvironment, args: dict[str, Any]) -> None:
    _check_resolver(escrow, args["dispute_resolver"])
    if escrow.resolved:
        raise _error(escrow, "EscrowAlreadyResolved")
    if not escrow.disputed:
        raise _error(escrow, "EscrowNotInDispute")
    total = _distribution_total(escrow, args["distributions"])
    balance = env.balance()
    if balance < total:
        raise _error(escrow, "InsufficientFundsForResolution")
    if total != balance:
        raise _error(escrow, "DistributionsMustEqualEscrowBalance")
    env.require_auth(args["dispute_resolver"])
    escrow.resolved, escrow.disputed = True, False
    _pay_distributions(escrow, env, args)


def resolve_milestone_dispute(escrow: Escrow, env: EscrowEnvironment, args: dict[str, Any]) -> None:
    _check_resolver(escrow, args["dispute_resolver"])
    milestone = _milestone(escrow, args["milestone_index"])
    if milestone.resolved:
        raise _error(escrow, "EscrowAlreadyResolved")
    if not milestone.disputed:
        raise _error(escrow, "EscrowNotInDispute")
    total = _distribution_total(escrow, args["distributions"])
    if total > milestone.amount_stroops or total > env.balance():
        raise _error(escrow, "InsufficientFundsForResolution")
    env.require_auth(args["dispute_resolver"])
    milestone.resolved, milestone.disputed = True, False
    _pay_distributions(escrow, env, args)


def withdraw_remaining_funds(escrow: Escrow, env: EscrowEnvironment, args: dict[str, Any]) -> None:
    _check_resolver(escrow, args["dispute_resolver"])
    if escrow.kind == SINGLE_RELEASE:
        processed = escrow.released or escrow.resolved or escrow.disputed
    else:
        processed = all(m.released or m.resolved or m.disputed for m in escrow.milestones)
    if not processed:
        raise _error(escrow, "EscrowNotFullyProcessed")
    total = _distribution_total(escrow, args["distributions"])
    if total > env.balance():
        raise _error(escrow, "InsufficientFundsForResolution")
    env.require_auth(args["dispute_resolver"])
    _pay_distributions(escrow, env, args)


def update_escrow(escrow: Escrow, env: EscrowEnvironment, args: dict[str, Any]) -> None:
    """Replaces the properties; once funded, only appending milestones is allowed."""
    new: Escrow = args["escrow_properties"]
    if args["platform_address"] != escrow.role("platformAddress"):
        raise _error(escrow, "OnlyPlatformAddressExecuteThisFunction")
    if escrow.disputed or any(m.disputed for m in escrow.milestones):
        raise _error(escrow, "EscrowOpenedForDisputeResolution")
    if new.role("platformAddress") != escrow.role("platformAddress"):
        raise _error(escrow, "PlatformAddressCannotBeChanged")
    if any(m.approved for m in escrow.milestones):
        raise _error(escrow, "MilestoneApprovedCantChangeEscrowProperties")
    _check_properties(new)
    if env.balance() > 0 and not _only_appends_milestones(escrow, new):
        raise _error(escrow, "EscrowHasFunds")
    env.require_auth(args["platform_address"])
    for name in ("engagement_id", "title", "description", "roles", "platform_fee_bps"):
        setattr(escrow, name, getattr(new, name))
    escrow.milestones, escrow.amount_stroops = new.milestones, new.amount_stroops
    escrow.receiver_memo = new.receiver_memo


ENTRY_POINTS: dict[str, Callable[[Escrow, EscrowEnvironment, dict[str, Any]], None]] = {
    "fund_escrow": fund_escrow,
    "change_milestone_status": change_milestone_status,
    "approve_milestone": approve_milestone,
    "release_funds": release_funds,
    "release_milestone_funds": release_milestone_funds,
    "dispute_escrow": dispute_escrow,
    "dispute_milestone": dispute_milestone,
    "resolve_dispute": resolve_dispute,
    "resolve_milestone_dispute": resolve_milestone_dispute,
    "withdraw_remaining_funds": withdraw_remaining_funds,
    "update_escrow": update_escrow,
}
# Which entry points each contract kind exports (the other kind's are missing functions).
KIND_ENTRY_POINTS = {
    SINGLE_RELEASE: frozenset(ENTRY_POINTS)
    - {"release_milestone_funds", "dispute_milestone", "resolve_milestone_dispute"},
    MULTI_RELEASE: frozenset(ENTRY_POINTS) - {"release_funds", "dispute_escrow", "resolve_dispute"},
}


def _check_properties(escrow: Escrow) -> None:
    if not escrow.milestones:
        raise _error(escrow, "NoMilestoneDefined")
    if len(escrow.milestones) > MILESTONES_MAX:
        raise _error(escrow, "TooManyMilestones")
    if escrow.kind == SINGLE_RELEASE and escrow.amount_stroops <= 0:
        raise _error(escrow, "AmountCannotBeZero")
    if escrow.kind == MULTI_RELEASE and any(m.amount_stroops <= 0 for m in escrow.milestones):
        raise _error(escrow, "AmountCannotBeZero")
    if escrow.platform_fee_bps > PLATFORM_FEE_BPS_MAX:
        raise _error(escrow, "PlatformFeeTooHigh")
    flags = [escrow.disputed, escrow.released, escrow.resolved]
    for m in escrow.milestones:
        flags += [m.approved, m.disputed, m.released, m.resolved]
    if any(flags):
        raise _error(escrow, "FlagsMustBeFalse")


def _only_appends_milestones(old: Escrow, new: Escrow) -> bool:
    prefix = new.milestones[: len(old.milestones)]
    unchanged = (
        new.engagement_id == old.engagement_id
        and new.title == old.title
        and new.description == old.description
        and new.roles == old.roles
        and new.platform_fee_bps == old.platform_fee_bps
        and new.amount_stroops == old.amount_stroops
    )
    return unchanged and prefix == old.milestones


def _milestone(escrow: Escrow, index: int) -> Milestone:
    if not escrow.milestones:
        raise _error(escrow, "NoMilestoneDefined")
    if not 0 <= index < len(escrow.milestones):
        raise _error(escrow, "InvalidMileStoneIndex")
    return escrow.milestones[index]


def _check_may_dispute(escrow: Escrow, signer: str) -> None:
    if signer == escrow.role("disputeResolver"):
        raise _error(escrow, "DisputeResolverCannotDisputeTheEscrow")
    if not escrow.holds_role(signer):
        raise _error(escrow, "UnauthorizedToChangeDisputeFlag")


def _check_resolver(escrow: Escrow, resolver: str) -> None:
    if resolver != escrow.role("disputeResolver"):
        raise _error(escrow, "OnlyDisputeResolverCanExecuteThisFunction")


def _distribution_total(escrow: Escrow, distributions: list[tuple[str, int]]) -> int:
    if any(amount <= 0 for _, amount in distributions):
        raise _error(escrow, "AmountsToBeTransferredShouldBePositive")
    total = sum(amount for _, amount in distributions)
    if total <= 0:
        raise _error(escrow, "TotalAmountCannotBeZero")
    return total


def _pay_release(
    escrow: Escrow, env: EscrowEnvironment, amount: int, receiver: str, args: dict[str, Any]
) -> None:
    split = release_split(amount, escrow.platform_fee_bps)
    contract = escrow.contract_id
    for destination, stroops in (
        (args["trustless_work_address"], split.trustless_work_stroops),
        (escrow.role("platformAddress"), split.platform_stroops),
        (receiver, split.receiver_stroops),
    ):
        if stroops > 0:
            env.transfer(contract, destination, stroops)


def _pay_distributions(escrow: Escrow, env: EscrowEnvironment, args: dict[str, Any]) -> None:
    split = distribution_split(args["distributions"], escrow.platform_fee_bps)
    contract = escrow.contract_id
    payouts = [
        (args["trustless_work_address"], split.trustless_work_stroops),
        (escrow.role("platformAddress"), split.platform_stroops),
        *split.net_stroops,
    ]
    for destination, stroops in payouts:
        if stroops > 0:
            env.transfer(contract, destination, stroops)


def _differs(expected: Escrow, stored: Escrow) -> bool:
    return encode_escrow(expected).to_xdr() != encode_escrow(stored).to_xdr()


def _error(escrow: Escrow, rule: str) -> EscrowContractError:
    return EscrowContractError(escrow.kind, rule)
