"""A wallet's activation saga: fund its account with XLM, then make it trust USDC, one step per
call, each step's transaction on chain at most once.

A step needs no transaction of ours when the chain already has what it asks for (the account
exists, or already trusts USDC) or when Friendbot funds it (sandbox and testnet); `prepare`
records it done outright. Otherwise it signs the step's transaction and records its envelope
first (on mainnet the platform's wallet funds the account), `submit` settles that envelope, and
`conclude` records the step done once it is in a ledger. A step that cannot finish now raises
StepPending: the worker retries with backoff, and a step that exhausts its retries is parked
until an operator retries it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Protocol
from uuid import UUID

from application import sagas
from application.chain_steps import StepPending, deadline, needs_new_envelope, settle
from application.context import CommandContext
from application.ledger import Ledger
from application.ports import Outcome, StellarNetwork, Submission, WalletKeys
from domain.chain import SignedEnvelope
from domain.wallets import STEP_FUND, STEP_TRUST, Wallet

# What a new mainnet wallet is funded with by the platform: the 1 XLM minimum balance, 0.5 XLM
# for the USDC trustline's reserve, and fees for its first few hundred transactions.
MAINNET_STARTING_XLM_STROOPS: Final = 2 * 10**7
FRIENDBOT_NETWORKS: Final = frozenset({"sandbox", "testnet"})


class ActivationPolicy(Protocol):
    """Where wallets are activated (`wallets.WalletPolicy` is one)."""

    @property
    def network(self) -> str: ...  # sandbox | testnet | mainnet

    @property
    def platform_address(self) -> Callable[[], str | None]: ...  # funds wallets on mainnet


@dataclass(frozen=True, slots=True)
class PreparedActivation:
    """An activation step ready to submit: its envelope is recorded in the log."""

    wallet_id: UUID
    step: str
    envelope: SignedEnvelope


class WalletActivation:
    """The activation steps of every wallet (a `sagas.SagaStep`)."""

    def __init__(
        self,
        ledger: Ledger,
        keys: WalletKeys,
        network: StellarNetwork,
        policy: ActivationPolicy,
        clock: Callable[[], datetime],
    ) -> None:
        self._ledger = ledger
        self._keys = keys
        self._network = network
        self._policy = policy
        self._clock = clock

    def advance(self, wallet_id: UUID, context: CommandContext) -> None:
        """Performs the wallet's current activation step once (idempotent)."""
        sagas.advance(self, wallet_id, context)

    def prepare(self, wallet_id: UUID, context: CommandContext) -> PreparedActivation | None:
        wallet = self._ledger.get(Wallet, wallet_id)
        if wallet is None or wallet.step is None or wallet.parked_step is not None:
            return None
        if wallet.step == STEP_FUND:
            return self._prepare_funding(wallet, context)
        return self._prepare_trust(wallet, context)

    def submit(self, prepared: PreparedActivation) -> Submission:
        return settle(self._network, prepared.envelope, self._clock)

    def conclude(
        self, prepared: PreparedActivation, submission: Submission, context: CommandContext
    ) -> None:
        step = prepared.step
        if submission.outcome is Outcome.APPLIED:
            self._record(prepared.wallet_id, self._done(step, submission), context)
            return
        if submission.outcome is Outcome.UNKNOWN:
            raise StepPending(f"{step}: outcome unknown ({submission.detail})")
        # Failed in a ledger or rejected: this envelope is spent. Forget it so the retry signs a
        # fresh one; persistent failures exhaust the retries and park the wallet.
        codes = ",".join(submission.codes)
        self._record(prepared.wallet_id, lambda w: w.void_envelope(step, codes), context)
        if needs_new_envelope(submission):
            raise StepPending(f"{step}: stale envelope ({codes})")
        raise StepPending(f"{step}: {submission.outcome.value} {codes}")

    def _done(self, step: str, submission: Submission) -> Callable[[Wallet], None]:
        """What the step records once its transaction is in a ledger."""
        tx_hash = submission.transaction_hash
        if step == STEP_FUND:
            return lambda wallet: wallet.mark_funded("create_account", tx_hash)
        return lambda wallet: wallet.mark_active(tx_hash, self._clock())

    # -- preparing each step -------------------------------------------------------------------

    def _prepare_funding(
        self, wallet: Wallet, context: CommandContext
    ) -> PreparedActivation | None:
        if self._network.account(wallet.address) is not None:
            self._record(wallet.id, lambda w: w.mark_funded("existing", None), context)
            return None
        if self._policy.network in FRIENDBOT_NETWORKS:
            transaction_hash = self._network.friendbot(wallet.address)
            if self._network.account(wallet.address) is None:
                raise StepPending("Friendbot answered but the account is not visible yet")
            self._record(wallet.id, lambda w: w.mark_funded("friendbot", transaction_hash), context)
            return None
        funder = self._policy.platform_address()
        if funder is None:
            raise StepPending("no active platform wallet to fund mainnet wallets from")
        return self._signed(
            wallet.id,
            STEP_FUND,
            lambda w: self._keys.sign_create_account(
                STEP_FUND, funder, w.address, MAINNET_STARTING_XLM_STROOPS, deadline(self._clock())
            ),
            context,
        )

    def _prepare_trust(self, wallet: Wallet, context: CommandContext) -> PreparedActivation | None:
        account = self._network.account(wallet.address)
        if account is not None and account.trusts_usdc and wallet.envelope(STEP_TRUST) is None:
            self._record(wallet.id, lambda w: w.mark_active(None, self._clock()), context)
            return None
        return self._signed(
            wallet.id,
            STEP_TRUST,
            lambda w: self._keys.sign_change_trust(
                STEP_TRUST, w.address, self._network.usdc_asset, deadline(self._clock())
            ),
            context,
        )

    def _signed(
        self,
        wallet_id: UUID,
        step: str,
        sign: Callable[[Wallet], SignedEnvelope],
        context: CommandContext,
    ) -> PreparedActivation:
        """The step's recorded envelope, signed with `sign` and recorded unless one is."""

        def sign_once(wallet: Wallet) -> None:
            if wallet.envelope(step) is None:
                wallet.record_envelope(sign(wallet))

        envelope = self._ledger.change(
            Wallet,
            wallet_id,
            sign_once,
            context=context,
            outcome=lambda wallet, position: wallet.envelope(step),
        )
        assert envelope is not None
        return PreparedActivation(wallet_id, step, envelope)

    def _record(
        self, wallet_id: UUID, change: Callable[[Wallet], None], context: CommandContext
    ) -> None:
        self._ledger.change(
            Wallet, wallet_id, change, context=context, outcome=lambda wallet, position: None
        )
