"""What applying one operation needs (its context) and what it yields (code, record, movements).

Operation modules share these types so the dispatcher, the classic operations and the contract
runtime agree on one shape; an outcome whose code is not `op_success` means its delta is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from stellar_sdk import MuxedAccount, StrKey, xdr

from sandbox.chain.history import ContractFailure
from sandbox.chain.ledger_state import LedgerDelta
from sandbox.chain.transaction_results import OP_SUCCESS


@dataclass(frozen=True)
class ApplyContext:
    ledger: int
    close_time_s: int
    tx_source: str
    tx_hash: str
    network_passphrase: str
    # A dry run (Trustless Work's simulation): the caller discards the delta afterwards.
    simulation: bool = False


@dataclass
class OperationOutcome:
    code: str
    type: str
    details: dict[str, Any]
    participants: list[str] = field(default_factory=list)
    is_payment: bool = False
    contract_ids: list[str] = field(default_factory=list)
    failure: ContractFailure | None = None

    @property
    def succeeded(self) -> bool:
        return self.code == OP_SUCCESS


class ContractRuntime(Protocol):
    """Executes `invoke_host_function` operations (the sandbox's Soroban stand-in)."""

    def invoke(
        self,
        delta: LedgerDelta,
        invoker: str,
        host_function: xdr.HostFunction,
        context: ApplyContext,
    ) -> OperationOutcome: ...


def account_id_of(muxed: xdr.MuxedAccount) -> str:
    return MuxedAccount.from_xdr_object(muxed).account_id


def public_key_of(account: xdr.AccountID) -> str:
    assert account.account_id.ed25519 is not None, "account ids are ed25519 keys"
    return StrKey.encode_ed25519_public_key(account.account_id.ed25519.uint256)
