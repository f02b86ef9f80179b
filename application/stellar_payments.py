"""The crypto provider behind the `PaymentProvider` port: the user's own invisible Stellar
wallet. Deposits are USDC payments into it (credited by the deposit monitor), withdrawals to a
Stellar address are the withdrawal saga's payments (`withdrawal_payments.py`)."""

from __future__ import annotations

from application.ledger import Ledger
from application.payment_providers import CRYPTO, DESTINATION_CRYPTO, DepositInstructions
from application.ports import StellarNetwork
from domain.wallets import ACTIVE, Wallet, wallet_id_for


class StellarPayments:
    name: str = CRYPTO
    destination_types: tuple[str, ...] = (DESTINATION_CRYPTO,)

    def __init__(self, ledger: Ledger, network: StellarNetwork) -> None:
        self._ledger = ledger
        self._network = network

    def deposit_instructions(self, user_id: str) -> DepositInstructions:
        wallet = self._ledger.require(Wallet, wallet_id_for(user_id))
        code, _, issuer = self._network.usdc_asset.partition(":")
        waiting = "" if wallet.status == ACTIVE else " The wallet is still being activated."
        return DepositInstructions(
            provider=CRYPTO,
            method="stellar_address",
            address=wallet.address,
            instructions=(
                f"Send {code} (issuer {issuer}) on Stellar to {wallet.address}; it is credited "
                f"once the payment is in a ledger.{waiting}"
            ),
        )
