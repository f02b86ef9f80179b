"""A withdrawal's statuses, saga steps and refusals: shared by the aggregate
(`domain/withdrawals.py`) and its fiat payout rules (`domain/fiat_payouts.py`).

The status strings are on the wire and in stored events; never rename one.
"""

from __future__ import annotations

from typing import Final

from domain.errors import InvalidStateError, NotFoundError

CREATED: Final = "WITHDRAWAL_CREATED"
COMMITTED: Final = "WITHDRAWAL_COMMITTED"
PENDING: Final = "WITHDRAWAL_PENDING"
COMPLETED: Final = "WITHDRAWAL_COMPLETED"
FAILED: Final = "WITHDRAWAL_FAILED"
CANCELED: Final = "WITHDRAWAL_CANCELED"
PENDING_USER_ACTION: Final = "WITHDRAWAL_PENDING_USER_ACTION"
TERMINAL: Final = frozenset({COMPLETED, FAILED, CANCELED})

STEP_PAY: Final = "pay"
# A fiat withdrawal's steps at the provider.
STEP_CREATE_PAYOUT: Final = "create_payout"
STEP_COMMIT_PAYOUT: Final = "commit_payout"
FIAT_DESTINATION_TYPES: Final = ("bank", "airtm_balance")


class WithdrawalNotFoundError(NotFoundError):
    code = "WITHDRAWAL_NOT_FOUND"


class WithdrawalNotCancelableError(InvalidStateError):
    code = "WITHDRAWAL_NOT_COMMITTABLE"  # OFFER-HUB's name for this refusal, kept on the wire
