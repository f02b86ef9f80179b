"""Wire entries for withdrawals (OFFER-HUB's names; signed envelopes stay internal)."""

from __future__ import annotations

from typing import Any

from domain import identifiers
from domain.withdrawals import Withdrawal
from projections.event_feed.catalogue import Payload, entry, iso_utc, originator, wire

WD = identifiers.WITHDRAWAL


def _withdrawal(e: Any) -> Payload:
    return {
        "withdrawalId": originator(e, WD),
        "userId": e.user_id,
        "amount": wire(e.amount_stroops, e.currency),
        "currency": e.currency,
    }


@entry(Withdrawal.Created, "withdrawal.created", "Withdrawal", prefix=WD)
def _created(e: Any) -> Payload:
    return {
        **_withdrawal(e),
        "destinationType": e.destination_type,
        "destinationRef": e.destination_ref,
        "description": e.description,
    }


@entry(Withdrawal.Committed, "withdrawal.committed", "Withdrawal", prefix=WD)
def _committed(e: Any) -> Payload:
    return {
        **_withdrawal(e),
        "committedBalance": wire(e.reserved_after_stroops, e.currency),
        "availableBalance": wire(e.available_after_stroops, e.currency),
    }


@entry(Withdrawal.EnvelopeSigned, "withdrawal.pending", "Withdrawal", prefix=WD)
def _pending(e: Any) -> Payload:
    return {**_withdrawal(e), "stellarTransactionHash": e.transaction_hash, "airtmPayoutId": None}


@entry(
    Withdrawal.EnvelopeVoided,
    "withdrawal.transaction_voided",
    "Withdrawal",
    prefix=WD,
    public=False,
)
def _voided(e: Any) -> Payload:
    return {**_withdrawal(e), "stellarTransactionHash": e.transaction_hash, "reason": e.reason}


@entry(Withdrawal.Completed, "withdrawal.completed", "Withdrawal", prefix=WD)
def _completed(e: Any) -> Payload:
    return {
        **_withdrawal(e),
        "completedAt": iso_utc(e.timestamp),
        "stellarTransactionHash": e.transaction_hash,
        "ledger": e.ledger,
        "airtmPayoutId": None,
    }


@entry(Withdrawal.Failed, "withdrawal.failed", "Withdrawal", prefix=WD)
def _failed(e: Any) -> Payload:
    return {
        **_withdrawal(e),
        "reason": e.reason,
        "errorCode": e.error_code,
        "stellarTransactionHash": e.transaction_hash,
        "airtmPayoutId": None,
    }


@entry(Withdrawal.Canceled, "withdrawal.canceled", "Withdrawal", prefix=WD)
def _canceled(e: Any) -> Payload:
    return {
        **_withdrawal(e),
        "canceledBy": e.canceled_by,
        "reason": e.reason,
        "refundedToBalance": True,
    }


@entry(Withdrawal.Parked, "withdrawal.pending_user_action", "Withdrawal", prefix=WD)
def _parked(e: Any) -> Payload:
    return {
        **_withdrawal(e),
        "actionRequired": "operator_retry",
        "actionUrl": None,
        "step": e.step,
        "reason": e.reason,
    }


@entry(Withdrawal.Retried, "withdrawal.retried", "Withdrawal", prefix=WD)
def _retried(e: Any) -> Payload:
    return {**_withdrawal(e), "step": e.step}


# -- the fiat ramp: the same wire names as the crypto path's states, with AirTM's facts --------


def _payout(e: Any) -> Payload:
    return {**_withdrawal(e), "airtmPayoutId": e.payout_id, "stellarTransactionHash": None}


@entry(Withdrawal.PayoutCreated, "withdrawal.payout_created", "Withdrawal", prefix=WD,
       public=False)  # fmt: skip
def _payout_created(e: Any) -> Payload:
    return {
        **_payout(e),
        "fee": wire(e.enterprise_fee_stroops, e.currency),
        "providerFee": wire(e.provider_fee_stroops, e.currency),
        "netAmount": wire(e.net_stroops, e.currency),
    }


@entry(Withdrawal.PayoutPending, "withdrawal.pending", "Withdrawal", prefix=WD)
def _payout_pending(e: Any) -> Payload:
    return _payout(e)


@entry(Withdrawal.AwaitingRecipient, "withdrawal.pending_user_action", "Withdrawal", prefix=WD)
def _awaiting_recipient(e: Any) -> Payload:
    return {
        **_payout(e),
        "actionRequired": "recipient_action",
        "actionUrl": None,
        "reasonCode": e.reason_code,
        "reason": e.reason,
    }


@entry(Withdrawal.PayoutCompleted, "withdrawal.completed", "Withdrawal", prefix=WD)
def _payout_completed(e: Any) -> Payload:
    return {
        **_payout(e),
        "completedAt": iso_utc(e.timestamp),
        "ledger": None,
        "fee": wire(e.enterprise_fee_stroops, e.currency),
        "providerFee": wire(e.provider_fee_stroops, e.currency),
        "netAmount": wire(e.net_stroops, e.currency),
    }


@entry(Withdrawal.PayoutFailed, "withdrawal.failed", "Withdrawal", prefix=WD)
def _payout_failed(e: Any) -> Payload:
    return {**_payout(e), "reason": e.reason, "errorCode": e.error_code}


@entry(Withdrawal.PayoutCanceled, "withdrawal.canceled", "Withdrawal", prefix=WD)
def _payout_canceled(e: Any) -> Payload:
    return {**_payout(e), "canceledBy": "provider", "reason": e.reason, "refundedToBalance": True}
