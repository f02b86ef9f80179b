"""Wire entries for deposits and reconciliation runs."""

from __future__ import annotations

from typing import Any

from domain import identifiers
from domain.deposits import Deposit
from domain.reconciliations import Reconciliation
from projections.event_feed.catalogue import Payload, entry, iso_utc, originator, wire

DEP = identifiers.DEPOSIT
REC = identifiers.RECONCILIATION


@entry(Deposit.Received, "deposit.received", "Deposit", prefix=DEP)
def _received(e: Any) -> Payload:
    return {
        "depositId": originator(e, DEP),
        "userId": e.user_id,
        "address": e.address,
        "from": e.from_address,
        "amount": wire(e.amount_stroops, e.currency),
        "currency": e.currency,
        "transactionHash": e.transaction_hash,
        "operationId": e.operation_id,
        "chainTime": iso_utc(e.chain_time),
    }


@entry(Reconciliation.Started, "reconciliation.started", "Reconciliation", prefix=REC, public=False)
def _started(e: Any) -> Payload:
    return {"reconciliationId": originator(e, REC), "trigger": e.trigger}


@entry(Reconciliation.DriftDetected, "reconciliation.drift_detected", "Reconciliation", prefix=REC)
def _drift(e: Any) -> Payload:
    return {
        "reconciliationId": originator(e, REC),
        "subject": e.subject,
        "ledgerAccount": e.ledger_account,
        "ledgerBalance": wire(e.ledger_stroops),
        "chainBalance": wire(e.chain_stroops),
        "difference": wire(abs(e.chain_stroops - e.ledger_stroops)),
        "direction": "chain_above_ledger"
        if e.chain_stroops > e.ledger_stroops
        else "ledger_above_chain",
    }


@entry(Reconciliation.Completed, "reconciliation.completed", "Reconciliation", prefix=REC)
def _completed(e: Any) -> Payload:
    return {
        "reconciliationId": originator(e, REC),
        "checked": e.checked,
        "skipped": e.skipped,
        "drifted": e.drifted,
    }
