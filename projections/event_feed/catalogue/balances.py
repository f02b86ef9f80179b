"""Wire entries for balances: the Account aggregate, reported under the user it belongs to."""

from __future__ import annotations

from typing import Any

from domain.accounts import Account
from domain.postings import user_available, user_reserved
from projections.event_feed.catalogue import Payload, delta, entry, wire


def _user(e: Any) -> str:
    return str(e.user_id)


def _money(e: Any) -> Payload:
    return {
        "userId": e.user_id,
        "amount": wire(e.amount_stroops, e.currency),
        "currency": e.currency,
    }


def _balances(e: Any, *, reserved: bool) -> Payload:
    out = {
        "previousAvailableBalance": wire(
            e.available_after_stroops - delta(e, user_available(e.user_id)), e.currency
        ),
        "newAvailableBalance": wire(e.available_after_stroops, e.currency),
    }
    if reserved:
        out["previousReservedBalance"] = wire(
            e.reserved_after_stroops - delta(e, user_reserved(e.user_id)), e.currency
        )
        out["newReservedBalance"] = wire(e.reserved_after_stroops, e.currency)
    return out


def _reference(hold_ref: str) -> Payload:
    refs: Payload = {"reference": hold_ref}
    if hold_ref.startswith("ord_"):
        refs["orderId"] = hold_ref
    elif hold_ref.startswith("wd_"):
        refs["withdrawalId"] = hold_ref
    return refs


@entry(Account.Opened, "account.opened", "Balance", aggregate_id=_user, public=False)
def _opened(e: Any) -> Payload:
    return {"userId": e.user_id, "currency": e.currency}


@entry(Account.Credited, "balance.credited", "Balance", aggregate_id=_user)
def _credited(e: Any) -> Payload:
    return {
        **_money(e),
        "source": e.source,
        "sourceId": e.source_id,
        "note": e.note,
        "transactionHash": e.transaction_hash,
        **_balances(e, reserved=False),
    }


@entry(Account.Debited, "balance.debited", "Balance", aggregate_id=_user)
def _debited(e: Any) -> Payload:
    return {
        **_money(e),
        "destination": e.destination,
        "destinationId": e.destination_id,
        "note": e.note,
        **_balances(e, reserved=False),
    }


@entry(Account.Reserved, "balance.reserved", "Balance", aggregate_id=_user)
def _reserved(e: Any) -> Payload:
    return {**_money(e), **_reference(e.hold_ref), **_balances(e, reserved=True)}


@entry(Account.Released, "balance.released", "Balance", aggregate_id=_user)
def _released(e: Any) -> Payload:
    return {
        **_money(e),
        "reason": e.reason,
        **_reference(e.hold_ref),
        **_balances(e, reserved=True),
    }
