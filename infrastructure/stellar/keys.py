"""Wallets' keys, as the `WalletKeys` port: make keypairs (sealed into the vault at once) and
sign transactions for them. The only module where a secret seed is ever unsealed, and only for
the moment of signing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from stellar_sdk import Account, Asset, Keypair, TransactionBuilder, TransactionEnvelope

from application.ports import StellarNetwork
from domain.chain import SignedEnvelope
from domain.errors import InvalidStateError
from domain.money import Amount
from infrastructure.stellar.vault import Vault

BASE_FEE_STROOPS: Final = 100


class StellarKeys:
    def __init__(self, vault: Vault, network: StellarNetwork) -> None:
        self._vault = vault
        self._network = network

    def create(self, user_id: str) -> str:
        keypair = Keypair.random()
        self._vault.store(keypair.public_key, user_id, keypair.secret)
        return str(keypair.public_key)

    def owner_of(self, address: str) -> str | None:
        return self._vault.owner_of(address)

    def sign_payment(
        self,
        step: str,
        source: str,
        destination: str,
        amount_stroops: int,
        asset: str,
        valid_until: datetime,
        memo_hash: bytes | None = None,
    ) -> SignedEnvelope:
        builder = self._builder(source).append_payment_op(
            destination=destination, asset=_asset(asset), amount=Amount(amount_stroops).to_wire()
        )
        if memo_hash is not None:
            builder.add_hash_memo(memo_hash)
        return self._sign(step, source, builder, valid_until)

    def sign_change_trust(
        self, step: str, address: str, asset: str, valid_until: datetime
    ) -> SignedEnvelope:
        builder = self._builder(address).append_change_trust_op(asset=_asset(asset))
        return self._sign(step, address, builder, valid_until)

    def sign_create_account(
        self,
        step: str,
        funder: str,
        destination: str,
        starting_xlm_stroops: int,
        valid_until: datetime,
    ) -> SignedEnvelope:
        builder = self._builder(funder).append_create_account_op(
            destination=destination, starting_balance=Amount(starting_xlm_stroops).to_wire()
        )
        return self._sign(step, funder, builder, valid_until)

    def sign_anchor(
        self,
        step: str,
        source: str,
        memo_hash: bytes,
        data: Sequence[tuple[str, bytes]],
        valid_until: datetime,
    ) -> SignedEnvelope:
        builder = self._builder(source)
        for name, value in data:
            builder.append_manage_data_op(data_name=name, data_value=value)
        builder.add_hash_memo(memo_hash)
        return self._sign(step, source, builder, valid_until)

    def sign_xdr(self, step: str, address: str, unsigned_xdr: str) -> SignedEnvelope:
        envelope = TransactionEnvelope.from_xdr(unsigned_xdr, self._network.passphrase)
        envelope.sign(Keypair.from_secret(self._vault.open(address)))
        bounds = envelope.transaction.preconditions
        max_time = bounds.time_bounds.max_time if bounds and bounds.time_bounds else 0
        return SignedEnvelope(
            step=step,
            xdr=envelope.to_xdr(),
            hash=envelope.hash_hex(),
            valid_until=datetime.fromtimestamp(max_time).astimezone()
            if max_time
            else datetime.max.astimezone(),
        )

    def _builder(self, source: str) -> TransactionBuilder:
        account = self._network.account(source)
        if account is None:
            raise InvalidStateError("the source wallet is not on chain", address=source)
        return TransactionBuilder(
            source_account=Account(source, account.sequence),
            network_passphrase=self._network.passphrase,
            base_fee=BASE_FEE_STROOPS,
        )

    def _sign(
        self, step: str, source: str, builder: TransactionBuilder, valid_until: datetime
    ) -> SignedEnvelope:
        builder.add_time_bounds(0, int(valid_until.timestamp()))
        envelope = builder.build()
        envelope.sign(Keypair.from_secret(self._vault.open(source)))
        return SignedEnvelope(step, envelope.to_xdr(), envelope.hash_hex(), valid_until)


def _asset(asset: str) -> Asset:
    if asset == "native":
        return Asset.native()
    code, issuer = asset.split(":")
    return Asset(code, issuer)
