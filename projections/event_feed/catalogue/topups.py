"""Wire entries for top-ups (OFFER-HUB's `topup.*` names; the cancel request stays internal)."""

from __future__ import annotations

from typing import Any

from domain import identifiers
from domain.topups import TopUp
from projections.event_feed.catalogue import Payload, entry, originator, wire

TOP = identifiers.TOPUP


def _topup(e: Any) -> Payload:
    return {
        "topupId": originator(e, TOP),
        "userId": e.user_id,
        "amount": wire(e.amount_stroops, e.currency),
        "currency": e.currency,
    }


@entry(TopUp.Created, "topup.created", "TopUp", prefix=TOP)
def _created(e: Any) -> Payload:
    return {**_topup(e), "provider": e.provider, "description": e.description}


@entry(TopUp.AwaitingConfirmation, "topup.awaiting_confirmation", "TopUp", prefix=TOP)
def _awaiting(e: Any) -> Payload:
    return {
        **_topup(e),
        "airtmPayinId": e.payin_id,
        "confirmationUri": e.confirmation_uri,
        "fee": wire(e.fee_stroops, e.currency),
    }


@entry(TopUp.Processing, "topup.processing", "TopUp", prefix=TOP)
def _processing(e: Any) -> Payload:
    return {**_topup(e), "airtmPayinId": e.payin_id}


@entry(TopUp.Succeeded, "topup.succeeded", "TopUp", prefix=TOP)
def _succeeded(e: Any) -> Payload:
    return {
        **_topup(e),
        "airtmPayinId": e.payin_id,
        "credited": wire(e.credited_stroops, e.currency),
        "fee": wire(e.fee_stroops, e.currency),
    }


@entry(TopUp.Failed, "topup.failed", "TopUp", prefix=TOP)
def _failed(e: Any) -> Payload:
    return {**_topup(e), "airtmPayinId": e.payin_id, "reason": e.reason, "errorCode": e.error_code}


@entry(TopUp.CancelRequested, "topup.cancel_requested", "TopUp", prefix=TOP, public=False)
def _cancel_requested(e: Any) -> Payload:
    return {**_topup(e), "canceledBy": e.canceled_by, "reason": e.reason}


@entry(TopUp.Canceled, "topup.canceled", "TopUp", prefix=TOP)
def _canceled(e: Any) -> Payload:
    return {
        **_topup(e),
        "airtmPayinId": e.payin_id,
        "canceledBy": e.canceled_by,
        "reason": e.reason,
    }


@entry(TopUp.Parked, "topup.parked", "TopUp", prefix=TOP, public=False)
def _parked(e: Any) -> Payload:
    return {**_topup(e), "step": e.step, "reason": e.reason}


@entry(TopUp.Retried, "topup.retried", "TopUp", prefix=TOP, public=False)
def _retried(e: Any) -> Payload:
    return {**_topup(e), "step": e.step}
