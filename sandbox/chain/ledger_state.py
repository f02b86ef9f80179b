"""Ledger entries (accounts, contract balances, escrow storage) and the delta that changes them.

Every change to the chain goes through a `LedgerDelta`: entries are copied on first touch, the
operation works on the copies, and only `commit()` writes them back. A failed operation or
transaction simply drops its delta, so nothing is ever half-applied. Issued-asset supply is
tracked as minted minus burned, which lets anyone check that escrow moves conserve USDC.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from sandbox.chain.stellar_accounts import Account
from sandbox.contracts.escrow_model import Escrow


@dataclass
class LedgerEntries:
    accounts: dict[str, Account] = field(default_factory=dict)
    # contract id (C…) -> asset key -> stroops held by the contract through the asset's SAC.
    contract_balances: dict[str, dict[str, int]] = field(default_factory=dict)
    escrows: dict[str, Escrow] = field(default_factory=dict)
    minted_stroops: dict[str, int] = field(default_factory=dict)
    burned_stroops: dict[str, int] = field(default_factory=dict)

    def peek_account(self, account_id: str) -> Account | None:
        return self.accounts.get(account_id)

    def peek_contract_balance(self, contract_id: str, key: str) -> int:
        return self.contract_balances.get(contract_id, {}).get(key, 0)

    def peek_escrow(self, contract_id: str) -> Escrow | None:
        return self.escrows.get(contract_id)

    def store(self, delta: LedgerDelta) -> None:
        self.accounts.update(delta.changed_accounts)
        for (contract_id, key), stroops in delta.changed_contract_balances.items():
            self.contract_balances.setdefault(contract_id, {})[key] = stroops
        self.escrows.update(delta.changed_escrows)
        for key, stroops in delta.minted_stroops.items():
            self.minted_stroops[key] = self.minted_stroops.get(key, 0) + stroops
        for key, stroops in delta.burned_stroops.items():
            self.burned_stroops[key] = self.burned_stroops.get(key, 0) + stroops


class LedgerDelta:
    """Copy-on-write changes over the entries or over an enclosing delta (one per operation)."""

    def __init__(self, parent: LedgerEntries | LedgerDelta):
        self._parent = parent
        self.changed_accounts: dict[str, Account] = {}
        self.changed_contract_balances: dict[tuple[str, str], int] = {}
        self.changed_escrows: dict[str, Escrow] = {}
        self.minted_stroops: dict[str, int] = {}
        self.burned_stroops: dict[str, int] = {}
        # Asset movements in Horizon's `asset_balance_changes` shape, for invoke records.
        self.balance_changes: list[dict[str, Any]] = []

    def child(self) -> LedgerDelta:
        return LedgerDelta(self)

    def peek_account(self, account_id: str) -> Account | None:
        if account_id in self.changed_accounts:
            return self.changed_accounts[account_id]
        return self._parent.peek_account(account_id)

    def peek_contract_balance(self, contract_id: str, key: str) -> int:
        if (contract_id, key) in self.changed_contract_balances:
            return self.changed_contract_balances[(contract_id, key)]
        return self._parent.peek_contract_balance(contract_id, key)

    def peek_escrow(self, contract_id: str) -> Escrow | None:
        if contract_id in self.changed_escrows:
            return self.changed_escrows[contract_id]
        return self._parent.peek_escrow(contract_id)

    def account(self, account_id: str) -> Account | None:
        """The account, copied into this delta so it may be changed."""
        if account_id not in self.changed_accounts:
            found = self._parent.peek_account(account_id)
            if found is None:
                return None
            self.changed_accounts[account_id] = copy.deepcopy(found)
        return self.changed_accounts[account_id]

    def add_account(self, account: Account) -> None:
        assert self.peek_account(account.account_id) is None, "accounts are created once"
        self.changed_accounts[account.account_id] = account

    def contract_balance(self, contract_id: str, key: str) -> int:
        return self.peek_contract_balance(contract_id, key)

    def set_contract_balance(self, contract_id: str, key: str, stroops: int) -> None:
        assert stroops >= 0, "a contract balance never goes negative"
        self.changed_contract_balances[(contract_id, key)] = stroops

    def escrow(self, contract_id: str) -> Escrow | None:
        if contract_id not in self.changed_escrows:
            found = self._parent.peek_escrow(contract_id)
            if found is None:
                return None
            self.changed_escrows[contract_id] = copy.deepcopy(found)
        return self.changed_escrows[contract_id]

    def put_escrow(self, escrow: Escrow) -> None:
        self.changed_escrows[escrow.contract_id] = escrow

    def record_mint(self, key: str, stroops: int) -> None:
        self.minted_stroops[key] = self.minted_stroops.get(key, 0) + stroops

    def record_burn(self, key: str, stroops: int) -> None:
        self.burned_stroops[key] = self.burned_stroops.get(key, 0) + stroops

    def store(self, delta: LedgerDelta) -> None:
        self.changed_accounts.update(delta.changed_accounts)
        self.changed_contract_balances.update(delta.changed_contract_balances)
        self.changed_escrows.update(delta.changed_escrows)
        for key, stroops in delta.minted_stroops.items():
            self.record_mint(key, stroops)
        for key, stroops in delta.burned_stroops.items():
            self.record_burn(key, stroops)
        self.balance_changes.extend(delta.balance_changes)

    def commit(self) -> None:
        self._parent.store(self)
