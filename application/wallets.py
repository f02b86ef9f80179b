"""Use cases for invisible wallets: open one with each user, look it up, and the operator's park
and retry of its activation saga (`wallet_activation.py`: fund the account with XLM, then trust
USDC, one step per call; `advance` here is its door for the workers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.context import CommandContext
from application.ledger import Ledger
from application.ports import StellarNetwork, WalletKeys
from application.wallet_activation import WalletActivation
from domain.users import platform_user_id
from domain.wallets import ACTIVE, Wallet, WalletNotFoundError, wallet_id_for


def platform_address(ledger: Ledger) -> str | None:
    """The platform's wallet address, once its wallet is active (it funds new wallets on
    mainnet); None before `ledgerline bootstrap` has created and activated it."""
    wallet = ledger.get(Wallet, wallet_id_for(platform_user_id()))
    return wallet.address if wallet is not None and wallet.status == ACTIVE else None


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
        # The activation saga is its own room; this door stays for the workers that ask for it.
        self._activation = WalletActivation(ledger, keys, network, policy, clock)

    def open_for(self, user_id: str) -> Wallet:
        """A new wallet for `user_id` (not yet saved): its keypair is sealed in the vault now."""
        address = self._keys.create(user_id)
        return Wallet(user_id=user_id, address=address, network=self._policy.network)

    def get(self, user_id: str) -> Wallet:
        missing = WalletNotFoundError("this user has no wallet", userId=user_id)
        return self._ledger.require(Wallet, wallet_id_for(user_id), missing)

    def advance(self, wallet_id: UUID, context: CommandContext) -> None:
        """Performs the wallet's current activation step once (idempotent)."""
        self._activation.advance(wallet_id, context)

    def park(self, wallet_id: UUID, reason: str, context: CommandContext) -> None:
        """Parks the activation at its current step (nothing when it finished meanwhile)."""
        self._ledger.change(
            Wallet,
            wallet_id,
            lambda wallet: wallet.park(wallet.step, reason) if wallet.step else None,
            context=context,
            outcome=lambda wallet, position: None,
        )

    def retry(self, wallet_id: UUID, context: CommandContext) -> int:
        return self._ledger.change(
            Wallet,
            wallet_id,
            Wallet.retry,
            context=context,
            outcome=lambda wallet, position: position or 0,
        )
