"""Use case: credit a USDC payment into one of our wallets, exactly once.

The deposit's id derives from the Stellar operation id; recording it and crediting the account
happen in one transaction, so however often the monitor replays a payment, it is credited once.
Payments of other assets, failed transactions and payments to addresses that are not ours are
ignored.
"""

from __future__ import annotations

from application.context import CommandContext
from application.ledger import Ledger
from application.ports import Payment, StellarNetwork, WalletKeys
from domain.accounts import Account, account_id_for
from domain.deposits import Deposit, deposit_id_for
from domain.money import Amount
from domain.postings import EXTERNAL_STELLAR


class Deposits:
    def __init__(
        self, ledger: Ledger, keys: WalletKeys, network: StellarNetwork, currency: str
    ) -> None:
        self._ledger = ledger
        self._keys = keys
        self._network = network
        self._currency = currency

    def is_ours(self, payment: Payment) -> bool:
        return (
            payment.successful
            and payment.asset == self._network.usdc_asset
            and payment.amount_stroops > 0
            and payment.from_address != payment.to_address
            and self._keys.owner_of(payment.to_address) is not None
        )

    def credit(self, payment: Payment, context: CommandContext) -> bool:
        """Credits `payment` if it is a USDC deposit to one of our wallets; True when this call
        credited it, False when it was not ours or already credited."""
        if not self.is_ours(payment):
            return False
        user_id = self._keys.owner_of(payment.to_address)
        assert user_id is not None
        deposit_uuid = deposit_id_for(payment.operation_id)

        def credit_once() -> bool:
            if self._ledger.get(Deposit, deposit_uuid) is not None:
                return False
            account = self._ledger.get(Account, account_id_for(user_id))
            if account is None:
                return False  # a wallet whose user never committed: nothing to credit
            deposit = Deposit(
                operation_id=payment.operation_id,
                user_id=user_id,
                address=payment.to_address,
                from_address=payment.from_address,
                amount_stroops=payment.amount_stroops,
                currency=self._currency,
                transaction_hash=payment.transaction_hash,
                chain_time=payment.created_at,
            )
            account.credit(
                Amount(payment.amount_stroops, self._currency),
                source="stellar_deposit",
                counterparty=EXTERNAL_STELLAR,
                source_id=deposit.public_id,
                transaction_hash=payment.transaction_hash,
            )
            return self._ledger.commit(deposit, account, context=context, outcome=lambda p: True)

        return self._ledger.run(credit_once, touching=[deposit_uuid, account_id_for(user_id)])
