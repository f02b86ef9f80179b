"""Wire entries for wallets and their activation saga. Signed envelopes stay internal."""

from __future__ import annotations

from typing import Any

from domain import identifiers
from domain.wallets import Wallet
from projections.event_feed.catalogue import Payload, entry, iso_utc, originator

WAL = identifiers.WALLET


def _wallet(e: Any) -> Payload:
    return {"walletId": originator(e, WAL), "userId": e.user_id, "address": e.address}


@entry(Wallet.Created, "wallet.created", "Wallet", prefix=WAL)
def _created(e: Any) -> Payload:
    return {**_wallet(e), "type": "INVISIBLE", "provider": "STELLAR", "network": e.network}


@entry(Wallet.EnvelopeSigned, "wallet.transaction_signed", "Wallet", prefix=WAL, public=False)
def _signed(e: Any) -> Payload:
    return {**_wallet(e), "step": e.envelope["step"], "transactionHash": e.envelope["hash"]}


@entry(Wallet.EnvelopeVoided, "wallet.transaction_voided", "Wallet", prefix=WAL, public=False)
def _voided(e: Any) -> Payload:
    return {**_wallet(e), "step": e.step, "transactionHash": e.hash, "reason": e.reason}


@entry(Wallet.Funded, "wallet.funded", "Wallet", prefix=WAL)
def _funded(e: Any) -> Payload:
    return {**_wallet(e), "method": e.method, "transactionHash": e.transaction_hash}


@entry(Wallet.Activated, "user.stellar_linked", "User", aggregate_id=lambda e: str(e.user_id))
def _activated(e: Any) -> Payload:
    return {
        "userId": e.user_id,
        "stellarAddress": e.address,
        "walletId": originator(e, WAL),
        "linkedAt": iso_utc(e.activated_at),
        "transactionHash": e.transaction_hash,
    }


@entry(Wallet.Parked, "wallet.activation_parked", "Wallet", prefix=WAL)
def _parked(e: Any) -> Payload:
    return {**_wallet(e), "step": e.step, "reason": e.reason}


@entry(Wallet.Retried, "wallet.activation_retried", "Wallet", prefix=WAL)
def _retried(e: Any) -> Payload:
    return {**_wallet(e), "step": e.step}
