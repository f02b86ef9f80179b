"""How money enters and leaves through a payment provider, as ports the adapters implement.

OFFER-HUB put its two providers behind one interface; so do we. Every provider says how a user
deposits (`deposit_instructions`) and which withdrawal destinations it pays out to. The crypto
provider is the user's own Stellar wallet (deposits arrive on chain, withdrawals are the
withdrawal saga's payments). A fiat provider (AirTM) adds what a ramp needs: user eligibility,
payins (top-ups) a user confirms at the provider, payouts created then committed, status lookups
by the provider's id or by *our* reference (`code`: the top-up's or withdrawal's public id, which
the provider keeps unique — the key that makes every create exactly-once), and verification of
the webhooks it sends. Statuses come back normalised to the constants below; amounts are stroops
of USDC, one USD being one USDC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Protocol

from domain.errors import DomainError, ValidationError

CRYPTO: Final = "crypto"
AIRTM: Final = "airtm"
PROVIDER_NAMES: Final = (CRYPTO, AIRTM)

# Withdrawal destinations: a Stellar address, a bank account, the user's AirTM wallet.
DESTINATION_CRYPTO: Final = "crypto"
DESTINATION_BANK: Final = "bank"
DESTINATION_AIRTM_BALANCE: Final = "airtm_balance"
FIAT_DESTINATIONS: Final = (DESTINATION_BANK, DESTINATION_AIRTM_BALANCE)

# A payin, as the provider reports it.
PAYIN_AWAITING_CONFIRMATION: Final = "AWAITING_CONFIRMATION"
PAYIN_PROCESSING: Final = "PROCESSING"
PAYIN_SUCCEEDED: Final = "SUCCEEDED"
PAYIN_FAILED: Final = "FAILED"
PAYIN_CANCELED: Final = "CANCELED"
# A payout, as the provider reports it.
PAYOUT_CREATED: Final = "CREATED"
PAYOUT_IN_FLIGHT: Final = "IN_FLIGHT"
PAYOUT_AWAITING_RECIPIENT: Final = "AWAITING_RECIPIENT"
PAYOUT_COMPLETED: Final = "COMPLETED"
PAYOUT_FAILED: Final = "FAILED"
PAYOUT_CANCELED: Final = "CANCELED"
# A status this code does not know: nothing is decided on it.
UNKNOWN: Final = "UNKNOWN"


class ProviderNotEnabledError(ValidationError):
    code = "PROVIDER_NOT_ENABLED"


class NoticeRejectedError(DomainError):
    """A webhook whose signature does not verify (or is stale): it is never acted on."""

    code = "INVALID_SIGNATURE"


@dataclass(frozen=True, slots=True)
class DepositInstructions:
    provider: str
    method: str  # "stellar_address" or "redirect_uri"
    instructions: str
    address: str | None = None
    confirmation_uri: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderUser:
    user_id: str
    email: str
    active: bool
    verified: bool

    @property
    def ineligibility(self) -> str | None:
        """Why the user may not transact (None when they may)."""
        if not self.active:
            return "USER_INACTIVE"
        return None if self.verified else "USER_NOT_VERIFIED"


@dataclass(frozen=True, slots=True)
class PayinRequest:
    code: str  # our reference: the top-up's public id
    amount_stroops: int
    description: str
    confirmation_uri: str  # where the provider sends the payer back (our callback)
    cancel_uri: str


@dataclass(frozen=True, slots=True)
class Payin:
    payin_id: str
    code: str
    status: str
    amount_stroops: int
    fee_stroops: int
    net_stroops: int
    checkout_uri: str  # where the payer confirms it
    payer_id: str | None = None
    failure_reason: str | None = None


@dataclass(frozen=True, slots=True)
class PayoutRequest:
    code: str  # our reference: the withdrawal's public id
    recipient_email: str
    gross_stroops: int
    enterprise_fee_stroops: int
    notes: str
    destination_type: str
    destination_ref: str | None


@dataclass(frozen=True, slots=True)
class Payout:
    payout_id: str
    code: str
    status: str
    gross_stroops: int
    amount_stroops: int  # what leaves the platform's provider balance (gross - enterprise fee)
    net_stroops: int  # what the recipient receives
    provider_fee_stroops: int
    enterprise_fee_stroops: int
    reason_code: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderNotice:
    """A verified webhook: its delivery id (the same on every retry), its type and the payin or
    payout it carries."""

    notice_id: str
    event_type: str
    payin: Payin | None = None
    payout: Payout | None = None


class PaymentProvider(Protocol):
    name: str
    destination_types: tuple[str, ...]

    def deposit_instructions(self, user_id: str) -> DepositInstructions:
        """How `user_id` puts money in through this provider."""


class FiatProvider(PaymentProvider, Protocol):
    """A fiat ramp. Lookups answer None for what the provider does not know; refusals raise
    ProviderError, outages ProviderUnavailableError / ProviderTimeoutError."""

    checkout_base_url: str

    def find_user(self, email: str) -> ProviderUser | None: ...

    def create_payin(self, request: PayinRequest) -> Payin:
        """Creates the payin for `request.code`, or answers the one that code already made."""

    def find_payin(self, code: str) -> Payin | None: ...

    def payin(self, payin_id: str) -> Payin: ...

    def cancel_payin(self, payin_id: str) -> Payin:
        """Cancels an unconfirmed payin; answers it as it now is (it may have moved on)."""

    def create_payout(self, request: PayoutRequest) -> Payout:
        """Creates (uncommitted) the payout for `request.code`, or answers the existing one."""

    def find_payout(self, code: str) -> Payout | None: ...

    def payout(self, payout_id: str) -> Payout: ...

    def commit_payout(self, payout_id: str) -> Payout:
        """Commits a created payout (a committed one is left alone); answers it as it is."""

    def cancel_payout(self, payout_id: str) -> Payout: ...

    def verify_notice(self, body: bytes, headers: Mapping[str, str]) -> ProviderNotice:
        """The webhook, once its signature verifies; raises NoticeRejectedError otherwise."""
