"""The escrow saga: each call of `advance` puts the order's next Trustless Work transaction on
chain exactly once and records what it did to the money.

A step asks Trustless Work to build the transaction, signs it with the acting party's wallet,
records the signed envelope in an event, and only then submits it through Trustless Work's
send-transaction. Whatever happens next — a crash, a 504, a redelivered message — the step comes
back with the recorded envelope (`chain_steps.settle`): Horizon is asked about its hash first,
and the same bytes are resubmitted only while they can still land. When the transaction is in a
ledger, its effect is recorded with the postings it moved (buyer → escrow → seller, buyer,
platform fees, protocol fee), exact to the stroop because the fee math is the contract's own.

Before a step signs anything new it reads the signer's history for a successful call of the
step's contract function on this escrow (and milestone) since the order last changed: a log
restored from a backup taken before a funding or a release was recorded then records the
transaction the chain holds instead of funding or releasing twice (`chain_recall`).

A funding that fails for good (refused, or failed in a ledger) marks the funding failed: the
money never left the buyer's reservation and funding can be asked again. Any other step that
fails raises, so the broker retries it with backoff and finally parks the saga for an operator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from application import chain_recall, sagas
from application.chain_steps import StepPending, needs_new_envelope, settle
from application.context import CommandContext
from application.ledger import Ledger
from application.ports import (
    ChainTransaction,
    EscrowCall,
    EscrowProvider,
    EscrowRefusedError,
    EscrowSubmission,
    EscrowTerms,
    Outcome,
    StellarNetwork,
    Submission,
    WalletKeys,
)
from domain.accounts import Account, account_id_for
from domain.chain import SignedEnvelope
from domain.disputes import Dispute, dispute_id_for
from domain.escrow_settlement import record_step
from domain.escrow_steps import (
    DEPLOY,
    FUND,
    Step,
    next_step,
)
from domain.order_states import BUYER, CLOSED, PLATFORM, SELLER, EscrowStatus
from domain.orders import Order
from domain.users import platform_user_id
from domain.wallets import ACTIVE, Wallet, wallet_id_for


@dataclass(frozen=True, slots=True)
class PreparedStep:
    """A step ready to submit: its envelope is recorded in the log."""

    order_id: UUID
    step: Step
    envelope: SignedEnvelope


class StepRefusedError(Exception):
    """Trustless Work or the chain refused the step; retried with backoff, then parked."""


class EscrowSaga:
    """The escrow steps of every order (a `sagas.SagaStep`)."""

    def __init__(
        self,
        ledger: Ledger,
        provider: EscrowProvider,
        keys: WalletKeys,
        network: StellarNetwork,
        clock: Callable[[], datetime],
    ) -> None:
        self._ledger = ledger
        self._provider = provider
        self._keys = keys
        self._network = network
        self._clock = clock

    def advance(self, order_uuid: UUID, context: CommandContext) -> None:
        """Performs the order's next step once (nothing when it waits, is parked or closed):
        prepare (plan, build, sign, record), submit, conclude (`sagas.advance`)."""
        sagas.advance(self, order_uuid, context)

    def prepare(self, order_uuid: UUID, context: CommandContext) -> PreparedStep | None:
        """The next step with its recorded envelope (signed and recorded now if it had none);
        None when the order waits, is parked, closed, or moved on meanwhile."""
        order = self._ledger.get(Order, order_uuid)
        if order is None or order.parked_step is not None:
            return None
        step = next_step(order)
        if step is None:
            return None
        envelope = order.envelope(step.name) or self._sign(order_uuid, step, context)
        return PreparedStep(order_uuid, step, envelope) if envelope is not None else None

    def submit(self, prepared: PreparedStep) -> EscrowSubmission:
        """What became of the step's envelope: looked up first, (re)submitted through Trustless
        Work only while it can still land."""
        sent: list[EscrowSubmission] = []

        def send(signed: SignedEnvelope) -> Submission:
            sent.append(self._provider.send(signed))
            return sent[-1].submission

        submission = settle(self._network, prepared.envelope, self._clock, send)
        contract_id = next((s.contract_id for s in reversed(sent) if s.contract_id), None)
        return EscrowSubmission(submission, contract_id)

    def conclude(
        self, prepared: PreparedStep, sent: EscrowSubmission, context: CommandContext
    ) -> None:
        """Records what the chain did, or raises so the broker retries the step later."""
        step, envelope, submission = prepared.step, prepared.envelope, sent.submission
        order_uuid = prepared.order_id
        if submission.outcome is Outcome.UNKNOWN:
            raise StepPending(f"{step.name}: outcome unknown ({submission.detail})")
        if submission.outcome is Outcome.APPLIED:
            contract_id = (
                sent.contract_id or self._indexed_contract(order_uuid)
                if step.action == DEPLOY
                else None
            )
            self._record(order_uuid, step, envelope, contract_id, context)
            return
        if needs_new_envelope(submission):
            self._void(order_uuid, envelope, ",".join(submission.codes), context)
            raise StepPending(f"{step.name}: stale envelope ({','.join(submission.codes)})")
        reason = submission.detail or f"{step.name} failed: {','.join(submission.codes)}"
        if step.action == FUND:
            self._funding_failed(order_uuid, envelope, reason, submission.error_code, context)
            return
        self._void(order_uuid, envelope, reason, context)
        raise StepRefusedError(reason)

    # -- sign and record the envelope ------------------------------------------------------------

    def _sign(self, order_uuid: UUID, step: Step, context: CommandContext) -> SignedEnvelope | None:
        """The step's envelope: built by Trustless Work, signed by the acting wallet, recorded.
        None when the order no longer plans this step (another worker moved it on)."""

        def sign_once(order: Order) -> None:
            if not _takes(order, step) or order.envelope(step.name) is not None:
                return
            parties = self._parties(order)
            call = self._call(order, step, parties)
            done = self._on_chain_already(order, step, call)
            if done is not None:  # done before the log was restored: record it, send nothing
                order.record_envelope(chain_recall.as_envelope(step.name, done))
                return
            try:
                unsigned = self._provider.build(call)
            except EscrowRefusedError as refused:
                if step.action != FUND:
                    raise StepRefusedError(str(refused)) from None
                order.funding_failed(str(refused), "ESCROW_REFUSED")
                return
            order.record_envelope(self._keys.sign_xdr(step.name, parties[step.signer], unsigned))

        return self._ledger.change(
            Order,
            order_uuid,
            sign_once,
            context=context,
            outcome=lambda order, position: (
                order.envelope(step.name) if _takes(order, step) else None
            ),
        )

    def _on_chain_already(
        self, order: Order, step: Step, call: EscrowCall
    ) -> ChainTransaction | None:
        """The step's transaction when the signer's history holds it but the log does not.
        A deploy is not looked for: repeated, it makes a second, empty contract that nothing
        uses, and moves no money."""
        if step.action == DEPLOY or call.contract_id is None:
            return None
        function = self._provider.contract_function(call)
        return chain_recall.recall(
            self._network,
            call.signer,
            order.modified_on,
            chain_recall.invokes(call.contract_id, function, step.index),
        )

    def _call(self, order: Order, step: Step, parties: dict[str, str]) -> EscrowCall:
        signer = parties[step.signer]
        if step.action == DEPLOY:
            return EscrowCall(
                step.action, order.multi_release, signer, terms=self._terms(order, parties)
            )
        return EscrowCall(
            step.action,
            order.multi_release,
            signer,
            contract_id=order.contract_id,
            index=step.index,
            amount_stroops=order.amount_stroops if step.action == FUND else None,
            distributions=tuple((parties[party], amount) for party, amount in step.distributions),
        )

    def _terms(self, order: Order, parties: dict[str, str]) -> EscrowTerms:
        code, issuer = self._network.usdc_asset.split(":")
        return EscrowTerms(
            engagement_id=order.public_id,
            title=order.title,
            description=order.description or order.title,
            amount_stroops=order.amount_stroops,
            platform_fee_bps=order.platform_fee_bps,
            roles={
                "approver": parties[BUYER],
                "serviceProvider": parties[SELLER],
                "platformAddress": parties[PLATFORM],
                "releaseSigner": parties[BUYER],
                "disputeResolver": parties[PLATFORM],
                "receiver": parties[SELLER],
            },
            milestones=tuple((m.title, m.amount_stroops) for m in order.milestones),
            asset_code=code,
            asset_issuer=issuer,
        )

    def _parties(self, order: Order) -> dict[str, str]:
        """Each party's wallet address (the platform's must be active to deploy or resolve)."""
        addresses = {}
        for party, user_id in (
            (BUYER, order.buyer_id),
            (SELLER, order.seller_id),
            (PLATFORM, platform_user_id()),
        ):
            wallet = self._ledger.get(Wallet, wallet_id_for(user_id))
            if wallet is None or wallet.status != ACTIVE:
                raise StepPending(f"the {party.lower()}'s wallet is not active")
            addresses[party] = wallet.address
        return addresses

    def _indexed_contract(self, order_uuid: UUID) -> str:
        """The deploy is on chain but its answer was lost: Trustless Work's index knows it."""
        order = self._ledger.require(Order, order_uuid)
        found = self._provider.find_contract(order.public_id, self._parties(order)[PLATFORM])
        if found is None:
            raise StepPending("deployed; waiting for the contract to be indexed")
        return found

    # -- record what the chain did ---------------------------------------------------------------

    def _record(
        self,
        order_uuid: UUID,
        step: Step,
        envelope: SignedEnvelope,
        contract_id: str | None,
        context: CommandContext,
    ) -> None:
        order = self._ledger.require(Order, order_uuid)
        touching = [account_id_for(order.buyer_id), account_id_for(order.seller_id)]
        if order.dispute_id is not None:
            touching.append(dispute_id_for(order.public_id))

        def record(order: Order) -> list[Aggregate]:
            if not _plans(order, step) or not order.progress.holds(envelope):
                return []  # recorded already (a redelivered message)
            accounts = {
                BUYER: self._account(order.buyer_id),
                SELLER: self._account(order.seller_id),
            }
            record_step(order, step, envelope.hash, contract_id, accounts, self._clock())
            changed: list[Aggregate] = [*accounts.values()]
            if order.status == CLOSED and order.dispute_id is not None:
                dispute = self._ledger.require(Dispute, dispute_id_for(order.public_id))
                dispute.resolve(
                    order.payouts.resolved.get(SELLER, 0),
                    order.payouts.resolved.get(BUYER, 0),
                    self._clock(),
                )
                changed.append(dispute)
            return changed

        self._ledger.change(
            Order,
            order_uuid,
            record,
            context=context,
            outcome=lambda order, position: None,
            touching=touching,
        )

    def _account(self, user_id: str) -> Account:
        account = self._ledger.get(Account, account_id_for(user_id))
        assert account is not None, f"user {user_id} has no account"
        return account

    # -- failures (each only while `envelope` is still its step's recorded envelope) --------

    def _funding_failed(
        self,
        order_uuid: UUID,
        envelope: SignedEnvelope,
        reason: str,
        error_code: str | None,
        context: CommandContext,
    ) -> None:
        def fail(order: Order) -> None:
            if order.progress.holds(envelope) and order.escrow_status == EscrowStatus.FUNDING:
                order.funding_failed(reason, error_code)

        self._ledger.change(
            Order, order_uuid, fail, context=context, outcome=lambda order, position: None
        )

    def _void(
        self, order_uuid: UUID, envelope: SignedEnvelope, reason: str, context: CommandContext
    ) -> None:
        def void(order: Order) -> None:
            if order.progress.holds(envelope):
                order.void_envelope(envelope.step, reason)

        self._ledger.change(
            Order, order_uuid, void, context=context, outcome=lambda order, position: None
        )


def _plans(order: Order, step: Step) -> bool:
    planned = next_step(order)
    return planned is not None and planned.name == step.name


def _takes(order: Order, step: Step) -> bool:
    """The order still takes `step`: not parked, and the step is still the one planned."""
    return order.parked_step is None and _plans(order, step)
