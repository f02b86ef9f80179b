"""What a fiat provider's report does to the books: one function per kind, shared by every way
a report arrives — the saga's own calls, webhooks, refreshes and reconciliation.

A report only ever moves an aggregate forward, so reports that come twice, late or out of order
change nothing the second time. Money moves exactly when a state is first recorded: a payin's
net amount is credited `external:airtm → available` when the top-up first SUCCEEDS; a payout's
hold leaves `reserved` (to `external:airtm`, and the enterprise fee to `platform:airtm_fees`)
when it first COMPLETES, and returns to `available` when it first FAILS or is CANCELED. A
report that contradicts what the books recorded (a settled top-up the provider now calls failed)
is returned as a contradiction, for reconciliation to report as drift — never applied.
"""

from __future__ import annotations

from typing import Final

from application.payment_providers import (
    PAYIN_AWAITING_CONFIRMATION,
    PAYIN_CANCELED,
    PAYIN_FAILED,
    PAYIN_PROCESSING,
    PAYIN_SUCCEEDED,
    PAYOUT_AWAITING_RECIPIENT,
    PAYOUT_CANCELED,
    PAYOUT_COMPLETED,
    PAYOUT_FAILED,
    PAYOUT_IN_FLIGHT,
    Payin,
    Payout,
)
from domain.accounts import Account
from domain.errors import InvalidStateError
from domain.money import Amount
from domain.postings import EXTERNAL_AIRTM
from domain.topups import CREATED, TopUp
from domain.withdrawals import Withdrawal

# Fees the platform charges on fiat withdrawals sit in its AirTM balance, not its wallet.
PLATFORM_AIRTM_FEES: Final = "platform:airtm_fees"
TOPUP_SOURCE: Final = "topup"


def settle_payin(topup: TopUp, account: Account, payin: Payin) -> str | None:
    """Moves `topup` to where the provider says its payin is; the contradiction, if any."""
    if payin.code != topup.public_id:
        return f"the payin {payin.payin_id} belongs to {payin.code}, not {topup.public_id}"
    if topup.status == CREATED and payin.status != PAYIN_FAILED:
        topup.await_confirmation(payin.payin_id, payin.checkout_uri, payin.fee_stroops)
    try:
        if payin.status == PAYIN_PROCESSING:
            topup.start_processing()
        elif payin.status == PAYIN_SUCCEEDED:
            if topup.succeed(payin.net_stroops, payin.fee_stroops):
                account.credit(
                    Amount(payin.net_stroops, topup.currency),
                    source=TOPUP_SOURCE,
                    source_id=topup.public_id,
                    counterparty=EXTERNAL_AIRTM,
                    note=f"AirTM payin {payin.payin_id}",
                )
        elif payin.status == PAYIN_FAILED:
            topup.fail(payin.failure_reason or "the payin failed at the provider", "PAYIN_FAILED")
        elif payin.status == PAYIN_CANCELED:
            topup.cancel(payin.failure_reason)
    except InvalidStateError as refused:
        return f"{topup.public_id} is {topup.status} but AirTM reports {payin.status}: {refused}"
    if payin.status in (PAYIN_AWAITING_CONFIRMATION, PAYIN_PROCESSING):
        return None
    expected = {
        PAYIN_SUCCEEDED: ("SUCCEEDED",),
        PAYIN_FAILED: ("FAILED",),
        PAYIN_CANCELED: ("CANCELED", "FAILED"),  # canceled after confirming is a failure here
    }
    if payin.status in expected and not topup.status.endswith(expected[payin.status]):
        return f"{topup.public_id} is {topup.status} but AirTM reports {payin.status}"
    return None


def settle_payout(withdrawal: Withdrawal, account: Account, payout: Payout) -> str | None:
    """Moves a fiat `withdrawal` to where the provider says its payout is."""
    if payout.code and payout.code != withdrawal.public_id:
        return f"the payout {payout.payout_id} belongs to {payout.code}"
    withdrawal.record_payout(
        payout.payout_id,
        payout.provider_fee_stroops,
        payout.enterprise_fee_stroops,
        payout.net_stroops,
    )
    try:
        if payout.status == PAYOUT_IN_FLIGHT:
            withdrawal.payout_in_flight()
        elif payout.status == PAYOUT_AWAITING_RECIPIENT:
            withdrawal.await_recipient(payout.reason_code, payout.reason)
        elif payout.status == PAYOUT_COMPLETED:
            if withdrawal.complete_payout(payout.net_stroops, payout.provider_fee_stroops):
                _spend_hold(withdrawal, account)
        elif payout.status in (PAYOUT_FAILED, PAYOUT_CANCELED):
            canceled = payout.status == PAYOUT_CANCELED
            reason = payout.reason or f"the payout was {payout.status.lower()} at the provider"
            if withdrawal.fail_payout(reason, payout.reason_code, canceled=canceled):
                account.release_reservation(
                    hold_ref=withdrawal.public_id,
                    reason="withdrawal_canceled" if canceled else "withdrawal_failed",
                )
    except InvalidStateError as refused:
        return (
            f"{withdrawal.public_id} is {withdrawal.status} but AirTM reports "
            f"{payout.status}: {refused}"
        )
    return None


def _spend_hold(withdrawal: Withdrawal, account: Account) -> None:
    fee = withdrawal.enterprise_fee_stroops or 0
    paid = withdrawal.amount_stroops - fee
    account.spend_reservation(
        Amount(paid, withdrawal.currency),
        hold_ref=withdrawal.public_id,
        reason="withdrawal_completed",
        counterparty=EXTERNAL_AIRTM,
    )
    if fee:
        account.spend_reservation(
            Amount(fee, withdrawal.currency),
            hold_ref=withdrawal.public_id,
            reason="withdrawal_fee",
            counterparty=PLATFORM_AIRTM_FEES,
        )
