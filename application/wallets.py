"""Use cases for invisible wallets: open one with each user, and drive its activation saga.

Each call of `advance` performs the wallet's current step once — fund the account with XLM, then
trust USDC — and records the outcome; the outbox relay calls it again for the next step. A step
that cannot finish now raises StepPending (the worker retries with backoff); a step that exhausts
its retries is parked until an operator retries it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID

from application.chain_steps import StepPending, deadline, needs_new_envelope, settle
from application.context import CommandContext
from application.ledger import Ledger
from application.ports import Outcome, StellarNetwork, WalletKeys
from domain.chain import SignedEnvelope
from domain.wallets import STEP_FUND, STEP_TRUST, Wallet, WalletNotFoundError, wallet_id_for

# What a new mainnet wallet is funded with by the platform: the 1 XLM minimum balance, 0.5 XLM
# for the USDC trustline's reserve, and fees for its first few hundred transactions.
MAINNET_STARTING_XLM_STROOPS: Final = 2 * 10**7
FRIENDBOT_NETWORKS: Final = frozenset({"sandbox", "testnet"})


@dataclass(frozen=True, slots=True)
class WalletPolicy:
    network: str  # sandbox | testnet | mainnet
    platform_address: Callable[[], str | None]  # funds new wallets on mainnet


class Wallets:
    def __init__(
        self,
        ledger: Ledger,
        keys: WalletKeys,
        network: StellarNetwork,
        policy: WalletPolicy,
        clock: Callable[[], datetime],
    ) -> None:
        self._ledger = ledger
        self._keys = keys
        self._network = network
        self._policy = policy
        self._clock = clock

    def open_for(self, user_id: str) -> Wallet:
        """A new wallet for `user_id` (not yet saved): its keypair is sealed in the vault now."""
        address = self._keys.create(user_id)
        return Wallet(user_id=user_id, address=address, network=self._policy.network)

    def get(self, user_id: str) -> Wallet:
        missing = WalletNotFoundError("this user has no wallet", userId=user_id)
        return self._ledger.require(Wallet, wallet_id_for(user_id), missing)

    def advance(self, wallet_id: UUID, context: CommandContext) -> None:
        """Performs the wallet's current activation step once (idempotent)."""
        wallet = self._ledger.get(Wallet, wallet_id)
        if wallet is None or wallet.step is None or wallet.parked_step is not None:
            return
        if wallet.step == STEP_FUND:
            self._fund(wallet, context)
        else:
            self._trust(wallet, context)

    def park(self, wallet_id: UUID, reason: str, context: CommandContext) -> None:
        """Parks the activation at its current step (nothing when it finished meanwhile)."""
        self._change(wallet_id, lambda w: w.park(w.step, reason) if w.step else None, context)

    def retry(self, wallet_id: UUID, context: CommandContext) -> int:
        return self._change(wallet_id, lambda w: w.retry(), context)

    # -- steps ------------------------------------------------------------------------------

    def _fund(self, wallet: Wallet, context: CommandContext) -> None:
        if self._network.account(wallet.address) is not None:
            self._change(wallet.id, lambda w: w.mark_funded("existing", None), context)
            return
        if self._policy.network in FRIENDBOT_NETWORKS:
            transaction_hash = self._network.friendbot(wallet.address)
            if self._network.account(wallet.address) is None:
                raise StepPending("Friendbot answered but the account is not visible yet")
            self._change(wallet.id, lambda w: w.mark_funded("friendbot", transaction_hash), context)
            return
        funder = self._policy.platform_address()
        if funder is None:
            raise StepPending("no active platform wallet to fund mainnet wallets from")
        self._submit_step(
            wallet,
            STEP_FUND,
            context,
            sign=lambda w: self._keys.sign_create_account(
                STEP_FUND, funder, w.address, MAINNET_STARTING_XLM_STROOPS, deadline(self._clock())
            ),
            applied=lambda w, tx: w.mark_funded("create_account", tx),
        )

    def _trust(self, wallet: Wallet, context: CommandContext) -> None:
        account = self._network.account(wallet.address)
        if account is not None and account.trusts_usdc and wallet.envelope(STEP_TRUST) is None:
            self._change(wallet.id, lambda w: w.mark_active(None, self._clock()), context)
            return
        self._submit_step(
            wallet,
            STEP_TRUST,
            context,
            sign=lambda w: self._keys.sign_change_trust(
                STEP_TRUST, w.address, self._network.usdc_asset, deadline(self._clock())
            ),
            applied=lambda w, tx: w.mark_active(tx, self._clock()),
        )

    def _submit_step(
        self,
        wallet: Wallet,
        step: str,
        context: CommandContext,
        sign: Callable[[Wallet], SignedEnvelope],
        applied: Callable[[Wallet, str], None],
    ) -> None:
        """Signs and records the step's envelope (unless one is recorded), then settles it."""

        def sign_once(current: Wallet) -> None:
            if current.envelope(step) is None:
                current.record_envelope(sign(current))

        envelope = self._ledger.change(
            Wallet,
            wallet.id,
            sign_once,
            context=context,
            outcome=lambda current, position: current.envelope(step),
        )
        assert envelope is not None
        submission = settle(self._network, envelope, self._clock)
        if submission.outcome is Outcome.APPLIED:
            self._change(wallet.id, lambda w: applied(w, submission.transaction_hash), context)
            return
        if submission.outcome is Outcome.UNKNOWN:
            raise StepPending(f"{step}: outcome unknown ({submission.detail})")
        # Failed in a ledger or rejected: this envelope is spent. Forget it so the retry signs a
        # fresh one; persistent failures exhaust the retries and park the wallet.
        self._change(
            wallet.id, lambda w: w.void_envelope(step, ",".join(submission.codes)), context
        )
        if needs_new_envelope(submission):
            raise StepPending(f"{step}: stale envelope ({','.join(submission.codes)})")
        raise StepPending(f"{step}: {submission.outcome.value} {','.join(submission.codes)}")

    def _change(
        self, wallet_id: UUID, change: Callable[[Wallet], None], context: CommandContext
    ) -> int:
        return self._ledger.change(
            Wallet, wallet_id, change, context=context, outcome=lambda w, position: position or 0
        )
