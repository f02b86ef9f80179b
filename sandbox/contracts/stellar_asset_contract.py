"""The Stellar Asset Contract (SAC) for issued assets: token transfers between G- and C-addresses.

G-addresses hold the asset in their trustline and need one (and authorisation) to send or
receive; C-addresses (escrow contracts) hold a contract balance. The issuer mints by sending and
burns by receiving. Errors carry the SAC's own error codes and host messages, so a payout to a
wallet without a trustline traps the calling contract exactly as on Soroban.
"""

from __future__ import annotations

from stellar_sdk import Asset, StrKey

from sandbox.chain.amounts import format_stroops
from sandbox.chain.ledger_state import LedgerDelta
from sandbox.chain.stellar_accounts import Trustline, asset_key, asset_type

_SAC_ERRORS = {
    "AccountMissingError": (6, "account entry is missing"),
    "BalanceError": (10, "balance is not sufficient to spend"),
    "BalanceDeauthorizedError": (11, "balance is deauthorized"),
    "OverflowError": (12, "balance exceeds the trustline limit"),
    "TrustlineMissingError": (13, "trustline entry is missing for account"),
}


class TokenError(Exception):
    """A SAC transfer trapped; `contract_id` is the asset contract that raised it."""

    def __init__(self, contract_id: str, name: str, address: str):
        self.contract_id = contract_id
        self.name = name
        self.code, detail = _SAC_ERRORS[name]
        self.message = f"{detail}: {address}"
        super().__init__(f"Error(Contract, #{self.code}) {self.message}")


def asset_contract_id(code: str, issuer: str, network_passphrase: str) -> str:
    return Asset(code, issuer).contract_id(network_passphrase)


def is_contract_address(address: str) -> bool:
    return StrKey.is_valid_contract(address)


class StellarAssetContract:
    """One issued asset's SAC, operating on a ledger delta."""

    def __init__(self, code: str, issuer: str, contract_id: str):
        self.code = code
        self.issuer = issuer
        self.contract_id = contract_id
        self.key = asset_key(code, issuer)

    def balance(self, delta: LedgerDelta, address: str) -> int:
        if is_contract_address(address):
            return delta.contract_balance(address, self.key)
        account = delta.peek_account(address)
        line = account.trustline(self.code, self.issuer) if account else None
        return line.balance_stroops if line else 0

    def transfer(self, delta: LedgerDelta, source: str, destination: str, amount: int) -> None:
        assert amount > 0, "contracts only move positive amounts"
        self._debit(delta, source, amount)
        self._credit(delta, destination, amount)
        kind = "mint" if source == self.issuer else "burn" if destination == self.issuer else None
        delta.balance_changes.append(
            {
                "asset_type": asset_type(self.code),
                "asset_code": self.code,
                "asset_issuer": self.issuer,
                "type": kind or "transfer",
                "from": source,
                "to": destination,
                "amount": format_stroops(amount),
            }
        )

    def _debit(self, delta: LedgerDelta, source: str, amount: int) -> None:
        if is_contract_address(source):
            held = delta.contract_balance(source, self.key)
            if held < amount:
                raise TokenError(self.contract_id, "BalanceError", source)
            delta.set_contract_balance(source, self.key, held - amount)
        elif source == self.issuer:
            delta.record_mint(self.key, amount)
        else:
            line = self._line(delta, source)
            if line.balance_stroops < amount:
                raise TokenError(self.contract_id, "BalanceError", source)
            line.balance_stroops -= amount

    def _credit(self, delta: LedgerDelta, destination: str, amount: int) -> None:
        if is_contract_address(destination):
            held = delta.contract_balance(destination, self.key)
            delta.set_contract_balance(destination, self.key, held + amount)
        elif destination == self.issuer:
            delta.record_burn(self.key, amount)
        else:
            line = self._line(delta, destination)
            if line.balance_stroops + amount > line.limit_stroops:
                raise TokenError(self.contract_id, "OverflowError", destination)
            line.balance_stroops += amount

    def _line(self, delta: LedgerDelta, address: str) -> Trustline:
        account = delta.account(address)
        if account is None:
            raise TokenError(self.contract_id, "AccountMissingError", address)
        line = account.trustline(self.code, self.issuer)
        if line is None:
            raise TokenError(self.contract_id, "TrustlineMissingError", address)
        if not line.authorized:
            raise TokenError(self.contract_id, "BalanceDeauthorizedError", address)
        return line
