"""The anchor saga: the audit chain's head at a position, put on Stellar exactly once.

`start` records an anchor (the head hash at P and the balance tree's root at P). Its one step
then runs like every chain step (`sagas.advance`): `prepare` signs the platform wallet's
transaction — MEMO_HASH = the head hash, manage data = the position, the root and the sum — and
records the envelope before anything is submitted; before signing anew it reads the platform
wallet's history for a transaction with that memo (`chain_recall`), so a log restored from a
backup records the anchor the chain holds instead of sending a second one. `submit` settles the
recorded envelope (`chain_steps.settle`: looked up by hash first, the same bytes resubmitted only
while they can land). `conclude` records `audit.anchored` once it is in a ledger; an unknown
outcome is retried; a stale envelope is voided and signed again; a failed or refused one is
voided and retried until the retries are exhausted and the saga is parked for an operator.
An anchor moves no money.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application import chain_recall, sagas
from application.chain_steps import StepPending, deadline, needs_new_envelope, settle
from application.context import CommandContext
from application.ledger import Ledger
from application.ports import Outcome, StellarNetwork, Submission, WalletKeys
from domain.audit_anchors import (
    DATA_BALANCES_ROOT,
    DATA_BALANCES_SUM,
    DATA_POSITION,
    STEP_ANCHOR,
    AuditAnchor,
    anchor_id_for,
)
from domain.chain import SignedEnvelope


@dataclass(frozen=True, slots=True)
class AnchorPlan:
    """What an anchor commits to: the chain's head at `position` and the balance tree's root."""

    position: int
    head_hash: str
    balances_root: str
    balances_sum_stroops: int


@dataclass(frozen=True, slots=True)
class PreparedAnchor:
    anchor_id: UUID
    envelope: SignedEnvelope


def anchor_data(anchor: AuditAnchor) -> list[tuple[str, bytes]]:
    """The manage-data entries of an anchor's transaction, in the order they are written."""
    return [
        (DATA_POSITION, str(anchor.position).encode()),
        (DATA_BALANCES_ROOT, anchor.balances_root.encode()),
        (DATA_BALANCES_SUM, str(anchor.balances_sum_stroops).encode()),
    ]


class AuditAnchors:
    """Starts anchors and runs their step (a `sagas.SagaStep`)."""

    def __init__(
        self,
        ledger: Ledger,
        keys: WalletKeys,
        network: StellarNetwork,
        platform_address: Callable[[], str | None],
        clock: Callable[[], datetime],
    ) -> None:
        self._ledger = ledger
        self._keys = keys
        self._network = network
        self._platform_address = platform_address
        self._clock = clock

    def signer(self) -> str | None:
        """The platform wallet that sends anchors, None until it is active."""
        return self._platform_address()

    def start(self, plan: AnchorPlan, context: CommandContext) -> str | None:
        """Records a new anchor of `plan` and answers its public id; None when `position` is
        anchored already (a second start collides with the first) or there is no active
        platform wallet to sign with yet."""
        signer = self._platform_address()
        if signer is None:
            return None
        if self._ledger.get(AuditAnchor, anchor_id_for(plan.position)) is not None:
            return None
        anchor = AuditAnchor.start(
            plan.position, plan.head_hash, plan.balances_root, plan.balances_sum_stroops, signer
        )
        return self._ledger.commit(anchor, context=context, outcome=lambda _: anchor.public_id)

    def advance(self, anchor_id: UUID, context: CommandContext) -> None:
        """Puts the anchor on chain once (nothing when it is anchored or parked)."""
        sagas.advance(self, anchor_id, context)

    def prepare(self, anchor_id: UUID, context: CommandContext) -> PreparedAnchor | None:
        anchor = self._ledger.get(AuditAnchor, anchor_id)
        if anchor is None or anchor.step is None or anchor.parked_step is not None:
            return None
        envelope = anchor.envelope or self._sign(anchor_id, context)
        return None if envelope is None else PreparedAnchor(anchor_id, envelope)

    def submit(self, prepared: PreparedAnchor) -> Submission:
        return settle(self._network, prepared.envelope, self._clock)

    def conclude(
        self, prepared: PreparedAnchor, submission: Submission, context: CommandContext
    ) -> None:
        if submission.outcome is Outcome.APPLIED:

            def anchored(anchor: AuditAnchor) -> None:
                if anchor.step is not None:  # not concluded by another worker meanwhile
                    anchor.mark_anchored(
                        submission.transaction_hash,
                        submission.stellar_ledger_sequence,
                        self._clock(),
                    )

            self._record(prepared.anchor_id, anchored, context)
            return
        if submission.outcome is Outcome.UNKNOWN:
            raise StepPending(f"anchor: outcome unknown ({submission.detail})")
        # Failed in a ledger or refused: this envelope is spent. Forget it so the retry signs a
        # fresh one; a failure that persists exhausts the retries and parks the anchor.
        codes = ",".join(submission.codes) or submission.outcome.value

        def voided(anchor: AuditAnchor) -> None:
            if anchor.progress.holds(prepared.envelope):
                anchor.void_envelope(codes)

        self._record(prepared.anchor_id, voided, context)
        if needs_new_envelope(submission):
            raise StepPending(f"anchor: stale envelope ({codes})")
        raise StepPending(f"anchor: {submission.outcome.value} {codes} {submission.detail}")

    def park(self, anchor_id: UUID, reason: str, context: CommandContext) -> None:
        self._record(anchor_id, lambda anchor: anchor.park(reason), context)

    def retry(self, anchor_id: UUID, context: CommandContext) -> int:
        return self._ledger.change(
            AuditAnchor,
            anchor_id,
            AuditAnchor.retry,
            context=context,
            outcome=lambda anchor, position: position or 0,
        )

    def _sign(self, anchor_id: UUID, context: CommandContext) -> SignedEnvelope | None:
        """The step's recorded envelope, signing and recording one if there is none."""

        def sign_once(anchor: AuditAnchor) -> None:
            if anchor.step is None or anchor.envelope is not None:
                return
            memo_hash = bytes.fromhex(anchor.head_hash)
            sent = chain_recall.recall(
                self._network, anchor.signer, anchor.modified_on, chain_recall.pays_memo(memo_hash)
            )
            if sent is not None:  # on chain before the log was restored: record it, send none
                anchor.record_envelope(chain_recall.as_envelope(STEP_ANCHOR, sent))
                return
            anchor.record_envelope(
                self._keys.sign_anchor(
                    STEP_ANCHOR,
                    anchor.signer,
                    memo_hash,
                    anchor_data(anchor),
                    deadline(self._clock()),
                )
            )

        return self._ledger.change(
            AuditAnchor,
            anchor_id,
            sign_once,
            context=context,
            outcome=lambda anchor, _: anchor.envelope if anchor.step is not None else None,
        )

    def _record(
        self, anchor_id: UUID, change: Callable[[AuditAnchor], None], context: CommandContext
    ) -> None:
        self._ledger.change(
            AuditAnchor, anchor_id, change, context=context, outcome=lambda anchor, _: None
        )
