"""The submission pipeline: replay, validate, then apply a transaction atomically into a new ledger.

Order follows Horizon and core: a hash already in history replays its stored result; otherwise the
source, time bounds, fee, sequence, signatures, operations and fee reserve are checked, and any
failure there rejects the transaction with nothing stored, charged or consumed. A transaction that
passes always closes a ledger: the fee is charged and the sequence consumed even when an operation
then fails, in which case every operation's effect is rolled back and `tx_failed` is stored.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from stellar_sdk import xdr

from sandbox.chain.envelopes import DecodedTransaction, memo_fields
from sandbox.chain.history import (
    ContractFailure,
    History,
    LedgerRecord,
    OperationRecord,
    TransactionRecord,
    toid,
)
from sandbox.chain.ledger_state import LedgerDelta, LedgerEntries
from sandbox.chain.operation_outcome import (
    ApplyContext,
    ContractRuntime,
    OperationOutcome,
)
from sandbox.chain.operations import (
    apply_operation,
    operation_source,
    threshold_of,
    validate_operation,
)
from sandbox.chain.signatures import SignatureCheck
from sandbox.chain.stellar_accounts import BASE_FEE_STROOPS
from sandbox.chain.transaction_results import (
    OP_SUCCESS,
    TX_FAILED,
    TX_SUCCESS,
    transaction_result_xdr,
)
from sandbox.clock import LedgerClock

SUCCESS, FAILED, REJECTED = "success", "failed", "rejected"
# One transaction per ledger, so every transaction is the first (TOID tx index 1) of its ledger.
TX_INDEX_IN_LEDGER = 1


@dataclass(frozen=True)
class ForcedResult:
    """An injected outcome: a rejection code, or one operation's failure code at apply time."""

    tx_code: str | None = None
    op_code: str | None = None
    op_index: int = 0
    contract_failure: ContractFailure | None = None


@dataclass(frozen=True)
class SubmissionOutcome:
    status: str
    hash: str
    envelope_xdr: str
    tx_code: str
    op_codes: list[str]
    result_xdr: str
    record: TransactionRecord | None = None
    replayed: bool = False

    @property
    def applied(self) -> bool:
        return self.record is not None


def outcome_of(record: TransactionRecord, replayed: bool) -> SubmissionOutcome:
    return SubmissionOutcome(
        status=SUCCESS if record.successful else FAILED,
        hash=record.hash,
        envelope_xdr=record.envelope_xdr,
        tx_code=record.tx_code,
        op_codes=list(record.op_codes),
        result_xdr=record.result_xdr,
        record=record,
        replayed=replayed,
    )


def minimum_fee(decoded: DecodedTransaction) -> int:
    """Inclusion fee (100 per operation, no surge pricing) plus any Soroban resource fee."""
    return BASE_FEE_STROOPS * len(decoded.operations) + (decoded.soroban_resource_fee or 0)


class TransactionProcessor:
    """Runs the pipeline against the chain's entries and history; callers hold the chain lock."""

    def __init__(
        self,
        entries: LedgerEntries,
        history: History,
        clock: LedgerClock,
        contracts: ContractRuntime,
        network_passphrase: str,
    ):
        self._entries = entries
        self._history = history
        self._clock = clock
        self._contracts = contracts
        self._passphrase = network_passphrase

    def submit(
        self,
        decoded: DecodedTransaction,
        forced: ForcedResult | None = None,
        ingest_delay_s: float = 0.0,
    ) -> SubmissionOutcome:
        known = self._history.transactions.get(decoded.hash_hex)
        if known is not None:
            return outcome_of(known, replayed=True)
        if forced is not None and forced.tx_code is not None:
            return self._rejected(decoded, forced.tx_code, [])
        rejection = self._rejection(decoded)
        if rejection is not None:
            return self._rejected(decoded, *rejection)
        record = self._apply(decoded, forced, ingest_delay_s)
        return outcome_of(record, replayed=False)

    def _rejected(
        self, decoded: DecodedTransaction, tx_code: str, op_codes: list[str]
    ) -> SubmissionOutcome:
        op_types = [op.body.type for op in decoded.operations] if op_codes else None
        result_xdr = transaction_result_xdr(
            BASE_FEE_STROOPS * len(decoded.operations), tx_code, op_types, op_codes or None
        )
        return SubmissionOutcome(
            status=REJECTED,
            hash=decoded.hash_hex,
            envelope_xdr=decoded.envelope_xdr,
            tx_code=tx_code,
            op_codes=op_codes,
            result_xdr=result_xdr,
        )

    def _rejection(self, decoded: DecodedTransaction) -> tuple[str, list[str]] | None:
        source = self._entries.peek_account(decoded.source)
        if source is None:
            return "tx_no_source_account", []
        if not decoded.operations:
            return "tx_missing_operation", []
        if not _soroban_shape_is_valid(decoded):
            return "tx_malformed", []
        close_time = self._clock.close_time_s(self._history.latest_ledger().closed_at_s)
        bounds = decoded.time_bounds()
        if bounds is not None:
            min_time, max_time = bounds
            if min_time and close_time < min_time:
                return "tx_too_early", []
            if max_time and close_time > max_time:
                return "tx_too_late", []
        if decoded.fee < minimum_fee(decoded):
            return "tx_insufficient_fee", []
        if decoded.sequence != source.sequence + 1:
            return "tx_bad_seq", []
        signatures = SignatureCheck(decoded.hash, decoded.signatures)
        if not signatures.satisfies(source, "low"):
            return "tx_bad_auth", []
        op_codes = self._operation_rejections(decoded, signatures)
        if op_codes is not None:
            return TX_FAILED, op_codes
        if signatures.has_unused_signatures():
            return "tx_bad_auth_extra", []
        if source.available_stroops() < decoded.fee:
            return "tx_insufficient_balance", []
        return None

    def _operation_rejections(
        self, decoded: DecodedTransaction, signatures: SignatureCheck
    ) -> list[str] | None:
        codes: list[str] = []
        for op in decoded.operations:
            code = validate_operation(op)
            if code is None:
                op_source = self._entries.peek_account(operation_source(op, decoded.source))
                if op_source is None:
                    code = "op_no_source_account"
                elif not signatures.satisfies(op_source, threshold_of(op)):
                    code = "op_bad_auth"
            codes.append(code or OP_SUCCESS)
        return codes if any(code != OP_SUCCESS for code in codes) else None

    def _apply(
        self, decoded: DecodedTransaction, forced: ForcedResult | None, ingest_delay_s: float
    ) -> TransactionRecord:
        previous = self._history.latest_ledger()
        context = ApplyContext(
            ledger=previous.sequence + 1,
            close_time_s=self._clock.close_time_s(previous.closed_at_s),
            tx_source=decoded.source,
            tx_hash=decoded.hash_hex,
            network_passphrase=self._passphrase,
        )
        delta = LedgerDelta(self._entries)
        fee_charged = min(decoded.fee, minimum_fee(decoded))
        source = delta.account(decoded.source)
        assert source is not None
        assert source.balance_stroops >= fee_charged, "the fee reserve was checked"
        source.balance_stroops -= fee_charged
        source.sequence = decoded.sequence
        source.sequence_ledger = context.ledger
        source.sequence_time_s = context.close_time_s
        source.touch(context.ledger, context.close_time_s)
        outcomes = self._apply_operations(delta, decoded, context, forced)
        delta.commit()
        record = self._record(decoded, context, outcomes, fee_charged)
        self._history.append(
            _ledger_record(previous, context, record, self._clock.now_s() + ingest_delay_s),
            record,
            _operation_records(record, decoded, context, outcomes),
        )
        return record

    def _apply_operations(
        self,
        delta: LedgerDelta,
        decoded: DecodedTransaction,
        context: ApplyContext,
        forced: ForcedResult | None,
    ) -> list[OperationOutcome]:
        operations_delta = delta.child()
        outcomes: list[OperationOutcome] = []
        for index, op in enumerate(decoded.operations):
            op_delta = operations_delta.child()
            op_source = operation_source(op, decoded.source)
            outcome = apply_operation(op_delta, op, op_source, context, self._contracts)
            if forced is not None and index == forced.op_index:
                if forced.contract_failure is not None:
                    outcome.code, outcome.failure = "function_trapped", forced.contract_failure
                elif forced.op_code is not None:
                    outcome.code = forced.op_code
            if outcome.succeeded:
                op_delta.commit()
            outcomes.append(outcome)
        if all(outcome.succeeded for outcome in outcomes):
            operations_delta.commit()
        return outcomes

    def _record(
        self,
        decoded: DecodedTransaction,
        context: ApplyContext,
        outcomes: list[OperationOutcome],
        fee_charged: int,
    ) -> TransactionRecord:
        successful = all(outcome.succeeded for outcome in outcomes)
        tx_code = TX_SUCCESS if successful else TX_FAILED
        op_codes = [outcome.code for outcome in outcomes]
        op_types = [op.body.type for op in decoded.operations]
        participants = [decoded.source]
        for outcome in outcomes:
            participants.extend(p for p in outcome.participants if p not in participants)
        bounds = decoded.time_bounds()
        return TransactionRecord(
            hash=decoded.hash_hex,
            id=toid(context.ledger, TX_INDEX_IN_LEDGER),
            ledger=context.ledger,
            created_at_s=context.close_time_s,
            source_account=decoded.source,
            source_account_sequence=decoded.sequence,
            fee_account=decoded.source,
            fee_charged=fee_charged,
            max_fee=decoded.fee,
            operation_count=len(outcomes),
            envelope_xdr=decoded.envelope_xdr,
            result_xdr=transaction_result_xdr(fee_charged, tx_code, op_types, op_codes),
            successful=successful,
            tx_code=tx_code,
            op_codes=op_codes,
            signatures=[_signature_text(s) for s in decoded.signatures],
            min_time_s=bounds[0] if bounds else None,
            max_time_s=bounds[1] if bounds else None,
            operation_ids=[
                toid(context.ledger, TX_INDEX_IN_LEDGER, i + 1) for i in range(len(outcomes))
            ],
            participants=participants,
            contract_ids=sorted({cid for outcome in outcomes for cid in outcome.contract_ids}),
            contract_failure=next((o.failure for o in outcomes if o.failure is not None), None),
            **memo_fields(decoded.transaction.memo),
        )


def _soroban_shape_is_valid(decoded: DecodedTransaction) -> bool:
    """Soroban transactions carry exactly one host-function operation and their resource data."""
    invokes = [
        op for op in decoded.operations if op.body.type == xdr.OperationType.INVOKE_HOST_FUNCTION
    ]
    has_soroban_data = decoded.soroban_resource_fee is not None
    if not invokes:
        return not has_soroban_data
    return len(decoded.operations) == 1 and has_soroban_data


def _ledger_record(
    previous: LedgerRecord, context: ApplyContext, record: TransactionRecord, visible_at_s: float
) -> LedgerRecord:
    ledger_hash = hashlib.sha256(bytes.fromhex(previous.hash) + bytes.fromhex(record.hash))
    return LedgerRecord(
        sequence=context.ledger,
        hash=ledger_hash.hexdigest(),
        prev_hash=previous.hash,
        closed_at_s=context.close_time_s,
        successful_transaction_count=1 if record.successful else 0,
        failed_transaction_count=0 if record.successful else 1,
        operation_count=record.operation_count if record.successful else 0,
        visible_at_s=visible_at_s,
    )


def _operation_records(
    record: TransactionRecord,
    decoded: DecodedTransaction,
    context: ApplyContext,
    outcomes: list[OperationOutcome],
) -> list[OperationRecord]:
    records = []
    for index, (op, outcome) in enumerate(zip(decoded.operations, outcomes, strict=True)):
        op_source = operation_source(op, decoded.source)
        participants = [op_source, *(p for p in outcome.participants if p != op_source)]
        records.append(
            OperationRecord(
                id=record.operation_ids[index],
                transaction_hash=record.hash,
                ledger=context.ledger,
                created_at_s=context.close_time_s,
                source_account=op_source,
                type=outcome.type,
                type_i=op.body.type.value,
                successful=record.successful,
                details=outcome.details,
                participants=[p for p in dict.fromkeys(participants) if p.startswith("G")],
                is_payment=outcome.is_payment,
            )
        )
    return records


def _signature_text(signature: xdr.DecoratedSignature) -> str:
    return base64.b64encode(signature.signature.signature).decode()
