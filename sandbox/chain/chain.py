"""The one in-memory chain both simulators share: entries, history and the submit entry point.

All state changes go through `submit` (a signed envelope) under one re-entrant lock, so Horizon,
Trustless Work, the control API and in-process test code observe a single serial history. Readers
get copies, never live entries. Listeners (payment streams) are told after every new ledger.
"""

from __future__ import annotations

import bisect
import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from stellar_sdk import Account as SourceAccount
from stellar_sdk import Keypair, TransactionBuilder, xdr
from stellar_sdk.operation import ChangeTrust, CreateAccount, Operation

from sandbox.chain.envelopes import decode_envelope
from sandbox.chain.history import (
    History,
    LedgerRecord,
    OperationRecord,
    PageQuery,
    TransactionRecord,
)
from sandbox.chain.ledger_state import LedgerDelta, LedgerEntries
from sandbox.chain.operation_outcome import ApplyContext, OperationOutcome
from sandbox.chain.stellar_accounts import Account, asset_key
from sandbox.chain.transactions import (
    ForcedResult,
    SubmissionOutcome,
    TransactionProcessor,
)
from sandbox.clock import LedgerClock
from sandbox.contracts.contract_runtime import EscrowRuntime
from sandbox.contracts.escrow_model import Escrow
from sandbox.contracts.stellar_asset_contract import (
    StellarAssetContract,
    asset_contract_id,
    is_contract_address,
)
from sandbox.genesis import (
    FEE_WALLET_STARTING_BALANCE,
    ISSUER_STARTING_BALANCE,
    SandboxKeys,
    genesis_ledger,
)

SNAPSHOT_FORMAT = 1
T = TypeVar("T")


@dataclass
class ChainSnapshot:
    """Everything needed to restore the chain: what `--state-file` saves."""

    network_passphrase: str
    seed: int
    usdc_issuer: str
    clock_offset_s: float
    entries: LedgerEntries
    history: History
    format: int = SNAPSHOT_FORMAT
    extra: dict[str, str] = field(default_factory=dict)


class Chain:
    def __init__(self, keys: SandboxKeys, clock: LedgerClock | None = None):
        self.keys = keys
        self.clock = clock or LedgerClock()
        self.lock = threading.RLock()
        self._listeners: list[Callable[[], None]] = []
        self._assets: dict[str, StellarAssetContract] = {}
        self.usdc = self._register_asset(keys.usdc.code, keys.usdc_issuer.public_key)
        self.runtime = EscrowRuntime(keys.escrow_factory_id, keys.wasm_kinds(), self.asset_contract)
        self._reset_state()

    @property
    def network_passphrase(self) -> str:
        return self.keys.network_passphrase

    def _reset_state(self) -> None:
        root, self.history = genesis_ledger(self.keys, int(self.clock.now_s()))
        self.entries = LedgerEntries(accounts={root.account_id: root})
        self._processor = TransactionProcessor(
            self.entries, self.history, self.clock, self.runtime, self.network_passphrase
        )
        self._bootstrap()

    def _bootstrap(self) -> None:
        """Creates the USDC issuer and the Trustless Work fee wallet with ordinary transactions."""
        root, fee_wallet = self.keys.root, self.keys.trustless_work_fee
        created = self.submit_as(
            root,
            [
                CreateAccount(self.keys.usdc_issuer.public_key, ISSUER_STARTING_BALANCE),
                CreateAccount(fee_wallet.public_key, FEE_WALLET_STARTING_BALANCE),
            ],
        )
        trusted = self.submit_as(fee_wallet, [ChangeTrust(self.keys.usdc)])
        assert created.status == trusted.status == "success", "genesis transactions apply"

    # Writes -----------------------------------------------------------------------------------

    def submit(
        self,
        envelope_xdr: str,
        forced: ForcedResult | None = None,
        ingest_delay_s: float = 0.0,
    ) -> SubmissionOutcome:
        """Submits a base64 envelope; raises MalformedEnvelopeError or UnsupportedEnvelopeError."""
        decoded = decode_envelope(envelope_xdr, self.network_passphrase)
        with self.lock:
            outcome = self._processor.submit(decoded, forced, ingest_delay_s)
        if outcome.applied and not outcome.replayed:
            self._notify()
        return outcome

    def submit_as(self, signer: Keypair, operations: list[Operation]) -> SubmissionOutcome:
        """Builds, signs and submits a transaction from a sandbox-held key (faucet, genesis)."""
        with self.lock:
            source = self.entries.accounts[signer.public_key]
            builder = TransactionBuilder(
                SourceAccount(signer.public_key, source.sequence),
                network_passphrase=self.network_passphrase,
                base_fee=100,
            )
            for operation in operations:
                builder.append_operation(operation)
            # No time bounds: the sandbox's clock may run ahead of the SDK's wall clock.
            envelope = builder.add_time_bounds(0, 0).build()
            envelope.sign(signer)
            return self.submit(envelope.to_xdr())

    def simulate(self, invoker: str, host_function: xdr.HostFunction) -> OperationOutcome:
        """Runs a contract call against current state and throws the result away."""
        with self.lock:
            latest = self.history.latest_ledger()
            context = ApplyContext(
                ledger=latest.sequence + 1,
                close_time_s=self.clock.close_time_s(latest.closed_at_s),
                tx_source=invoker,
                tx_hash="",
                network_passphrase=self.network_passphrase,
                simulation=True,
            )
            return self.runtime.invoke(LedgerDelta(self.entries), invoker, host_function, context)

    def reset(self) -> None:
        """Wipes the chain back to genesis, as a testnet reset does."""
        with self.lock:
            self._reset_state()
        self._notify()

    def advance_time(self, seconds: float) -> float:
        return self.clock.advance(seconds)

    # Listeners --------------------------------------------------------------------------------

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        with self.lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self.lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _notify(self) -> None:
        with self.lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener()

    # Assets -----------------------------------------------------------------------------------

    def _register_asset(self, code: str, issuer: str) -> StellarAssetContract:
        contract_id = asset_contract_id(code, issuer, self.network_passphrase)
        contract = StellarAssetContract(code, issuer, contract_id)
        self._assets[contract_id] = contract
        return contract

    def asset_contract(self, contract_id: str) -> StellarAssetContract | None:
        """The SAC for a contract id; any asset some trustline holds can be resolved."""
        with self.lock:
            if contract_id not in self._assets:
                for account in self.entries.accounts.values():
                    for line in account.trustlines.values():
                        self._register_asset(line.asset_code, line.asset_issuer)
            return self._assets.get(contract_id)

    # Reads ------------------------------------------------------------------------------------

    def account(self, account_id: str) -> Account | None:
        with self.lock:
            return copy.deepcopy(self.entries.accounts.get(account_id))

    def accounts(self) -> list[Account]:
        with self.lock:
            return copy.deepcopy(list(self.entries.accounts.values()))

    def xlm_balance(self, account_id: str) -> int:
        found = self.account(account_id)
        return found.balance_stroops if found else 0

    def usdc_balance(self, address: str) -> int:
        return self.asset_balance(address, self.usdc.code, self.usdc.issuer)

    def asset_balance(self, address: str, code: str, issuer: str) -> int:
        with self.lock:
            if is_contract_address(address):
                return self.entries.peek_contract_balance(address, asset_key(code, issuer))
            found = self.entries.accounts.get(address)
            line = found.trustline(code, issuer) if found else None
            return line.balance_stroops if line else 0

    def escrow(self, contract_id: str) -> Escrow | None:
        with self.lock:
            return copy.deepcopy(self.entries.escrows.get(contract_id))

    def escrows(self) -> list[Escrow]:
        with self.lock:
            return copy.deepcopy(list(self.entries.escrows.values()))

    def escrow_balance(self, contract_id: str) -> int:
        escrow = self.escrow(contract_id)
        if escrow is None:
            return 0
        return self.asset_balance(contract_id, escrow.asset_code, escrow.asset_issuer)

    def usdc_supply(self) -> int:
        """USDC held by every trustline and contract: must equal minted minus burned."""
        key = self.usdc.key
        with self.lock:
            in_wallets = sum(
                line.balance_stroops
                for account in self.entries.accounts.values()
                for line_key, line in account.trustlines.items()
                if line_key == key
            )
            in_contracts = sum(held.get(key, 0) for held in self.entries.contract_balances.values())
            return in_wallets + in_contracts

    def usdc_issued(self) -> tuple[int, int]:
        """(minted, burned) USDC stroops since genesis."""
        with self.lock:
            key = self.usdc.key
            return self.entries.minted_stroops.get(key, 0), self.entries.burned_stroops.get(key, 0)

    def latest_ledger(self) -> LedgerRecord:
        with self.lock:
            return copy.deepcopy(self.history.latest_ledger())

    def ledger(self, sequence: int) -> LedgerRecord:
        with self.lock:
            return copy.deepcopy(self.history.ledgers[sequence - 1])

    def ledgers_page(self, query: PageQuery) -> list[LedgerRecord]:
        with self.lock:
            return copy.deepcopy(self.history.page_ledgers(query))

    def transaction(self, tx_hash: str) -> TransactionRecord | None:
        """Any stored transaction, ingested or not (in-process view of the chain itself)."""
        with self.lock:
            return copy.deepcopy(self.history.transactions.get(tx_hash))

    def transactions(self, account: str | None = None) -> list[TransactionRecord]:
        with self.lock:
            records = [self.history.transactions[h] for h in self.history.transaction_order]
            return copy.deepcopy(
                [r for r in records if account is None or account in r.participants]
            )

    def payments(
        self, account: str | None = None, include_failed: bool = False
    ) -> list[OperationRecord]:
        with self.lock:
            return copy.deepcopy(
                [
                    op
                    for op in self.history.operations
                    if op.is_payment
                    and (include_failed or op.successful)
                    and (account is None or account in op.participants)
                ]
            )

    # Horizon's ingested view --------------------------------------------------------------------

    def ingested_ledger(self) -> int:
        with self.lock:
            return self.history.visible_ledger(self.clock.now_s())

    def pending_ingestion(self) -> bool:
        with self.lock:
            self.history.visible_ledger(self.clock.now_s())
            return self.history.pending_ingestion()

    def ingested_transaction(self, tx_hash: str) -> TransactionRecord | None:
        with self.lock:
            record = self.history.transactions.get(tx_hash)
            visible = self.history.visible_ledger(self.clock.now_s())
            return copy.deepcopy(record) if record and record.ledger <= visible else None

    def knows_account(self, account_id: str) -> bool:
        with self.lock:
            return account_id in self.entries.accounts or self.history.knows_account(account_id)

    def ingested_operation(self, operation_id: int) -> OperationRecord | None:
        with self.lock:
            visible = self.history.visible_ledger(self.clock.now_s())
            operations = self.history.operations
            index = bisect.bisect_left([op.id for op in operations], operation_id)
            if index < len(operations) and operations[index].id == operation_id:
                found = operations[index]
                return copy.deepcopy(found) if found.ledger <= visible else None
            return None

    def fee_pool_stroops(self, up_to_ledger: int) -> int:
        with self.lock:
            return sum(
                tx.fee_charged
                for tx in self.history.transactions.values()
                if tx.ledger <= up_to_ledger
            )

    def page(self, reader: Callable[[History], list[T]]) -> list[T]:
        """Runs a paging query on history under the lock (queries are read-only)."""
        with self.lock:
            return copy.deepcopy(reader(self.history))

    # Persistence ------------------------------------------------------------------------------

    def snapshot(self) -> ChainSnapshot:
        with self.lock:
            return ChainSnapshot(
                network_passphrase=self.network_passphrase,
                seed=self.keys.seed,
                usdc_issuer=self.keys.usdc_issuer.public_key,
                clock_offset_s=self.clock.offset_s,
                entries=copy.deepcopy(self.entries),
                history=copy.deepcopy(self.history),
            )

    def restore(self, snapshot: ChainSnapshot) -> None:
        if snapshot.format != SNAPSHOT_FORMAT:
            raise ValueError(f"state file format {snapshot.format} is not {SNAPSHOT_FORMAT}")
        if (snapshot.network_passphrase, snapshot.usdc_issuer) != (
            self.network_passphrase,
            self.keys.usdc_issuer.public_key,
        ):
            raise ValueError("state file belongs to another network passphrase or USDC issuer")
        with self.lock:
            self.entries = snapshot.entries
            self.history = snapshot.history
            self.history.ingested_ledger = 0
            if snapshot.clock_offset_s > self.clock.offset_s:
                self.clock.advance(snapshot.clock_offset_s - self.clock.offset_s)
            self._processor = TransactionProcessor(
                self.entries, self.history, self.clock, self.runtime, self.network_passphrase
            )
        self._notify()
