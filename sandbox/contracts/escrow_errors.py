"""The Trustless Work V1 contract errors: numeric code, name and the `message` the API returns.

The single-release table is the Sep 2025 contract's (`stellar-tw.md` §A.6); the multi-release table
is that contract kind's own numbering and wording. Rules are written once with single-release names
and resolved per kind through `_MULTI_RELEASE_NAMES`. `EscrowNotFullyProcessed` is the one entry
the V1 tables lack (withdraw-remaining-funds before any terminal state); its codes are ours.
"""

from __future__ import annotations

_SINGLE_RELEASE: dict[str, tuple[int, str]] = {
    "AmountCannotBeZero": (1, "Amount cannot be equal to or less than zero"),
    "EscrowAlreadyInitialized": (2, "Escrow already initialized"),
    "EscrowNotFound": (3, "Escrow not found"),
    "OnlyReleaseSignerCanReleaseEarnings": (
        4,
        "Only the release signer can release the escrow earnings",
    ),
    "EscrowNotCompleted": (5, "The escrow must be completed to release earnings"),
    "EscrowBalanceNotEnoughToSendEarnings": (
        6,
        "The escrow balance must be equal to the amount of earnings defined for the escrow",
    ),
    "OnlyPlatformAddressExecuteThisFunction": (
        7,
        "Only the platform address should be able to execute this function",
    ),
    "OnlyServiceProviderChangeMilstoneStatus": (
        8,
        "Only the service provider can change milestone status",
    ),
    "NoMilestoneDefined": (9, "Escrow initialized without milestone"),
    "InvalidMileStoneIndex": (10, "Invalid milestone index"),
    "OnlyApproverChangeMilstoneFlag": (11, "Only the approver can change milestone flag"),
    "OnlyDisputeResolverCanExecuteThisFunction": (
        12,
        "Only the dispute resolver can execute this function",
    ),
    "EscrowAlreadyInDispute": (13, "Escrow already in dispute"),
    "EscrowNotInDispute": (14, "Escrow not in dispute"),
    "InsufficientFundsForResolution": (15, "Insufficient funds for resolution"),
    "EscrowOpenedForDisputeResolution": (16, "Escrow has been opened for dispute resolution"),
    "MilestoneApprovedCantChangeEscrowProperties": (
        22,
        "You can't change the escrow properties after the milestone is approved",
    ),
    "EscrowHasFunds": (23, "Escrow has funds"),
    "EscrowAlreadyResolved": (24, "This escrow is already resolved"),
    "TooManyEscrowsRequested": (25, "You have requested too many escrows"),
    "UnauthorizedToChangeDisputeFlag": (26, "You are not authorized to change the dispute flag"),
    "TooManyMilestones": (27, "Cannot define more than 10 milestones in an escrow"),
    "MilestoneHasAlreadyBeenApproved": (
        29,
        "You cannot approve a milestone that has already been approved previously",
    ),
    "EmptyMilestoneStatus": (30, "The milestone status cannot be empty"),
    "PlatformFeeTooHigh": (31, "The platform fee cannot exceed 99%"),
    "FlagsMustBeFalse": (
        32,
        "All flags (approved, disputed, released) must be false in order to execute this function.",
    ),
    "EscrowPropertiesMismatch": (
        33,
        "The provided escrow properties do not match the stored escrow.",
    ),
    "EscrowAlreadyReleased": (35, "The escrow funds have been released."),
    "PlatformAddressCannotBeChanged": (
        37,
        "The platform address of the escrow cannot be changed.",
    ),
    "AmountsToBeTransferredShouldBePositive": (
        38,
        "None of the amounts to be transferred should be less or equal than 0.",
    ),
    "DistributionsMustEqualEscrowBalance": (
        39,
        "The sum of distributions must equal the current escrow balance when resolving an "
        "escrow dispute.",
    ),
    "DisputeResolverCannotDisputeTheEscrow": (
        40,
        "The dispute resolver cannot dispute the escrow.",
    ),
    "TotalAmountCannotBeZero": (
        41,
        "The total amount to be distributed cannot be equal to zero.",
    ),
    "EscrowNotFullyProcessed": (
        42,
        "The escrow must be released, resolved or in dispute before withdrawing remaining funds.",
    ),
}

_MULTI_RELEASE: dict[str, tuple[int, str]] = {
    "EscrowNotFunded": (1, "Escrow not funded"),
    "AmountCannotBeZero": (2, "Amount cannot be zero"),
    "EscrowAlreadyInitialized": (3, "Escrow already initialized"),
    "EscrowNotFound": (4, "Escrow not found"),
    "OnlyReleaseSignerCanReleaseEarnings": (
        5,
        "Only the release signer can release the escrow funds",
    ),
    "MilestoneNotCompleted": (6, "The milestone must be completed to release funds"),
    "EscrowBalanceNotEnoughToSendEarnings": (
        7,
        "The escrow balance must be equal to the amount of earnings defined for the escrow",
    ),
    "OnlyPlatformAddressExecuteThisFunction": (
        8,
        "Only the platform address should be able to execute this function",
    ),
    "OnlyServiceProviderChangeMilstoneStatus": (
        9,
        "Only the service provider can change milestone status",
    ),
    "NoMileStoneDefined": (10, "Escrow initialized without milestone"),
    "InvalidMileStoneIndex": (11, "Invalid milestone index"),
    "OnlyApproverChangeMilstoneFlag": (12, "Only the approver can change milestone flag"),
    "OnlyDisputeResolverCanExecuteThisFunction": (
        13,
        "Only the dispute resolver can execute this function",
    ),
    "MilestoneAlreadyInDispute": (14, "Milestone already in dispute"),
    "MilestoneNotInDispute": (15, "Milestone not in dispute"),
    "InsufficientFundsForResolution": (16, "Insufficient funds for resolution"),
    "MilestoneOpenedForDisputeResolution": (17, "Milestone has been opened for dispute resolution"),
    "MilestoneApprovedCantChangeEscrowProperties": (
        23,
        "You cannot change the properties of an escrow after one of the milestones has been "
        "marked as approved",
    ),
    "EscrowHasFunds": (24, "Escrow has funds"),
    "MilestoneAlreadyResolved": (25, "This milestone is already resolved"),
    "TooManyEscrowsRequested": (26, "You have requested too many escrows"),
    "UnauthorizedToChangeDisputeFlag": (27, "You are not authorized to change the dispute flag"),
    "TooManyMilestones": (28, "Cannot define more than 10 milestones in an escrow"),
    "CantReleaseAMilestoneInDispute": (29, "You cannot launch a milestone in dispute"),
    "MilestoneAlreadyReleased": (30, "This milestone is already released"),
    "MilestoneNotFound": (31, "Milestone not found"),
    "MilestoneHasAlreadyBeenApproved": (
        32,
        "You cannot approve a milestone that has already been approved previously",
    ),
    "EmptyMilestoneStatus": (33, "The milestone status cannot be empty"),
    "PlatformFeeTooHigh": (34, "The platform fee cannot exceed 99%"),
    "FlagsMustBeFalse": (
        35,
        "All flags (approved, disputed, released) must be false in order to execute this function.",
    ),
    "EscrowNotFullyProcessed": (
        36,
        "Every milestone must be released, resolved or in dispute before withdrawing remaining "
        "funds.",
    ),
}

# Single-release rule names -> the multi-release contract's name for the same condition.
_MULTI_RELEASE_NAMES = {
    "EscrowNotCompleted": "MilestoneNotCompleted",
    "EscrowAlreadyInDispute": "MilestoneAlreadyInDispute",
    "EscrowNotInDispute": "MilestoneNotInDispute",
    "EscrowOpenedForDisputeResolution": "CantReleaseAMilestoneInDispute",
    "EscrowAlreadyResolved": "MilestoneAlreadyResolved",
    "EscrowAlreadyReleased": "MilestoneAlreadyReleased",
    "NoMilestoneDefined": "NoMileStoneDefined",
    "DisputeResolverCannotDisputeTheEscrow": "UnauthorizedToChangeDisputeFlag",
    "AmountsToBeTransferredShouldBePositive": "AmountCannotBeZero",
    "TotalAmountCannotBeZero": "AmountCannotBeZero",
    "DistributionsMustEqualEscrowBalance": "InsufficientFundsForResolution",
}


class EscrowContractError(Exception):
    """A contract rule refused the call; `message` is what the V1 API puts in its body."""

    def __init__(self, kind: str, rule: str):
        multi = kind == "multi-release"
        name = _MULTI_RELEASE_NAMES.get(rule, rule) if multi else rule
        table = _MULTI_RELEASE if multi else _SINGLE_RELEASE
        self.kind = kind
        self.name = name
        self.code, self.message = table[name]
        super().__init__(f"Error(Contract, #{self.code}) {self.name}: {self.message}")


def escrow_error_names(kind: str) -> list[str]:
    return list(_MULTI_RELEASE if kind == "multi-release" else _SINGLE_RELEASE)


def escrow_error_from_code(kind: str, code: int) -> EscrowContractError:
    """The error a forced `contract_error` fault names by its numeric code."""
    table = _MULTI_RELEASE if kind == "multi-release" else _SINGLE_RELEASE
    for name, (known, _) in table.items():
        if known == code:
            return EscrowContractError(kind, name)
    raise KeyError(f"no {kind} contract error with code {code}")
