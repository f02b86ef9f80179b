"""Trustless Work's backend: builds unsigned escrow transactions and submits signed ones.

Building simulates the call against the current chain (so a contract rule refuses it at once)
and returns an envelope whose source is the acting role's wallet. Submitting goes through the
same chain pipeline as Horizon: the chain verifies that the role's key signed, re-runs the
contract rules, moves the tokens, and stores the transaction where Horizon serves it. Success
bodies are remembered by hash, so resubmitting the same signed XDR answers the same body and
never applies twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec
from stellar_sdk import Account as SourceAccount
from stellar_sdk import Address, Asset, SorobanDataBuilder, StrKey, TransactionBuilder, xdr

from sandbox.chain.chain import Chain
from sandbox.chain.envelopes import decode_envelope
from sandbox.chain.history import ContractFailure
from sandbox.chain.transactions import FAILED, REJECTED, ForcedResult, SubmissionOutcome
from sandbox.contracts.escrow_abi import INITIALIZE_FUNCTION, encode_arguments
from sandbox.contracts.escrow_errors import EscrowContractError, escrow_error_from_code
from sandbox.contracts.escrow_model import SINGLE_RELEASE, Escrow
from sandbox.faults.fault_rules import FaultRule
from sandbox.trustless_work.escrow_indexer import EscrowIndex, IndexedEscrow
from sandbox.trustless_work.escrow_requests import EscrowCall
from sandbox.trustless_work.escrow_views import escrow_json

# TW does not publish its simulated resource fee or validity window; these are our constants.
RESOURCE_FEE_STROOPS = 50_000
TX_VALIDITY_S = 300
# TW's memory of envelopes it built and answers it gave; the oldest are forgotten first.
REMEMBERED_TRANSACTIONS_MAX = 100_000
SENT_MESSAGE = "The transaction has been successfully sent to the Stellar network."
_JSON = msgspec.json.Encoder(decimal_format="number")
T = TypeVar("T")


class TrustlessWorkError(Exception):
    """An error answer of the V1 API: HTTP status and the `message` clients read."""

    def __init__(self, status: int, message: str, failed: bool = False):
        super().__init__(message)
        self.status = status
        self.message = message
        self.failed = failed


@dataclass
class BuiltTransaction:
    """What TW remembers about an envelope it built (its internal queue, keyed by hash)."""

    kind: str
    function: str
    role: str
    signer: str
    contract_id: str


@dataclass
class TrustlessWorkState:
    index: EscrowIndex = field(default_factory=EscrowIndex)
    built: dict[str, BuiltTransaction] = field(default_factory=dict)
    responses: dict[str, str] = field(default_factory=dict)
    trustlines: dict[str, list[str]] = field(default_factory=dict)
    deploy_count: int = 0


class EscrowService:
    def __init__(self, chain: Chain, contract_error_status: int = 500):
        self.chain = chain
        self.contract_error_status = contract_error_status
        self.state = TrustlessWorkState()

    def reset(self) -> None:
        self.state = TrustlessWorkState()

    # Build ------------------------------------------------------------------------------------

    def build(self, call: EscrowCall, fault: FaultRule | None = None) -> str:
        """The unsigned envelope for a call; raises TrustlessWorkError when it cannot succeed."""
        signer = self.chain.account(call.signer)
        if signer is None:
            raise TrustlessWorkError(400, f"Account not found: {call.signer}")
        contract_id, values = self._arguments(call)
        if fault is not None and fault.mode == "contract_error":
            raise TrustlessWorkError(
                self.contract_error_status, self._forced(call.kind, fault).message
            )
        args = encode_arguments(call.function, call.kind, values)
        invocation = xdr.InvokeContractArgs(
            contract_address=Address(contract_id).to_xdr_sc_address(),
            function_name=xdr.SCSymbol(call.function.encode()),
            args=args,
        )
        host_function = xdr.HostFunction(
            xdr.HostFunctionType.HOST_FUNCTION_TYPE_INVOKE_CONTRACT, invoke_contract=invocation
        )
        simulated = self.chain.simulate(call.signer, host_function)
        if simulated.failure is not None:
            raise TrustlessWorkError(self.contract_error_status, simulated.failure.message)
        envelope = (
            TransactionBuilder(
                SourceAccount(call.signer, signer.sequence),
                network_passphrase=self.chain.network_passphrase,
                base_fee=100,
            )
            .append_invoke_contract_function_op(
                contract_id, call.function, args, auth=[_source_account_auth(invocation)]
            )
            .set_soroban_data(_soroban_data(contract_id))
            .add_time_bounds(0, int(self.chain.clock.now_s()) + TX_VALIDITY_S)
            .build()
        )
        target = simulated.contract_ids[0] if call.function == "deploy" else contract_id
        _remember(
            self.state.built,
            envelope.hash_hex(),
            BuiltTransaction(call.kind, call.function, call.role, call.signer, target),
        )
        if call.properties is not None:
            self.state.trustlines[target] = [call.trustline_address, call.trustline_symbol]
        return envelope.to_xdr()

    def _arguments(self, call: EscrowCall) -> tuple[str, dict[str, Any]]:
        values = dict(call.values)
        keys = self.chain.keys
        if call.properties is not None:
            call.properties.trustline_address = self._asset_contract(call)
        if call.function == "deploy":
            assert call.properties is not None
            self.state.deploy_count += 1
            salt = hashlib.sha256(
                f"{keys.seed}/{self.state.deploy_count}/{call.signer}/"
                f"{call.properties.engagement_id}".encode()
            ).digest()
            wasm = (
                keys.single_release_wasm if call.kind == SINGLE_RELEASE else keys.multi_release_wasm
            )
            values.update(
                deployer=call.signer,
                wasm_hash=wasm,
                salt=salt,
                init_fn=INITIALIZE_FUNCTION,
                init_args=call.properties,
                constructor_args=[],
            )
            return keys.escrow_factory_id, values
        assert call.contract_id is not None
        escrow = self.chain.escrow(call.contract_id)
        if escrow is None or escrow.kind != call.kind:
            raise TrustlessWorkError(
                self.contract_error_status, EscrowContractError(call.kind, "EscrowNotFound").message
            )
        values.setdefault("trustless_work_address", keys.trustless_work_fee.public_key)
        values.setdefault("expected_escrow", escrow)
        if call.properties is not None:
            values["escrow_properties"] = call.properties
        return call.contract_id, values

    def _asset_contract(self, call: EscrowCall) -> str:
        address = call.trustline_address
        if StrKey.is_valid_contract(address):
            contract_id = address
        else:
            contract_id = Asset(call.trustline_symbol, address).contract_id(
                self.chain.network_passphrase
            )
        if self.chain.asset_contract(contract_id) is None:
            raise TrustlessWorkError(
                400, f"trustline.address {address} is not an asset known to this network"
            )
        return contract_id

    def _forced(self, kind: str, fault: FaultRule) -> EscrowContractError:
        name = fault.contract_error or ""
        try:
            return (
                escrow_error_from_code(kind, int(name))
                if name.isdigit()
                else EscrowContractError(kind, name)
            )
        except KeyError as error:
            raise TrustlessWorkError(400, f"unknown {kind} contract error {name!r}") from error

    # Submit -----------------------------------------------------------------------------------

    def send(self, signed_xdr: str, fault: FaultRule | None = None) -> dict[str, Any]:
        try:
            tx_hash = decode_envelope(signed_xdr, self.chain.network_passphrase).hash_hex
        except ValueError as error:
            raise TrustlessWorkError(400, f"Invalid signed transaction XDR: {error}") from error
        cached = self.state.responses.get(tx_hash)
        if cached is not None:
            return dict(msgspec.json.decode(cached))
        built = self.state.built.get(tx_hash)
        outcome = self.chain.submit(
            signed_xdr,
            self._forced_result(built, fault),
            fault.lag_ms / 1000 if fault is not None and fault.mode == "ingest_lag" else 0.0,
        )
        if outcome.status == REJECTED:
            raise TrustlessWorkError(400, _rejection_message(outcome, built), failed=True)
        assert outcome.record is not None
        if outcome.status == FAILED:
            failure = outcome.record.contract_failure
            if failure is not None:
                raise TrustlessWorkError(self.contract_error_status, failure.message, failed=True)
            codes = ", ".join(outcome.op_codes)
            raise TrustlessWorkError(
                400, f"The transaction failed: tx_failed ({codes})", failed=True
            )
        lag_s = fault.lag_ms / 1000 if fault is not None and fault.mode == "indexer_lag" else 0.0
        for contract_id in outcome.record.contract_ids:
            self.index(contract_id, lag_s)
        body: dict[str, Any] = {"status": "SUCCESS", "message": SENT_MESSAGE}
        if built is not None and built.function == "deploy":
            escrow = self.chain.escrow(built.contract_id)
            assert escrow is not None
            body["contractId"] = built.contract_id
            body["escrow"] = escrow_json(escrow, *self.trustline_of(escrow))
        encoded = _JSON.encode(body).decode()
        _remember(self.state.responses, tx_hash, encoded)
        return dict(msgspec.json.decode(encoded))

    def _forced_result(
        self, built: BuiltTransaction | None, fault: FaultRule | None
    ) -> ForcedResult | None:
        if fault is None:
            return None
        if fault.mode == "force_tx_result":
            return ForcedResult(tx_code=fault.result_code)
        if fault.mode == "force_op_result":
            return ForcedResult(op_code=fault.result_code, op_index=fault.op_index)
        if fault.mode == "contract_error":
            kind = built.kind if built else SINGLE_RELEASE
            error = self._forced(kind, fault)
            contract = built.contract_id if built else ""
            return ForcedResult(
                contract_failure=ContractFailure(contract, error.code, error.name, error.message)
            )
        return None

    # Index and reads --------------------------------------------------------------------------

    def trustline_of(self, escrow: Escrow) -> tuple[str, str]:
        """The trustline as the deploy request gave it (issuer G… or SAC C…) and its symbol."""
        address, symbol = self.state.trustlines.get(
            escrow.contract_id, [escrow.asset_issuer, escrow.asset_code]
        )
        return address, symbol

    def index(self, contract_id: str, delay_s: float = 0.0) -> None:
        escrow = self.chain.escrow(contract_id)
        if escrow is None:
            return
        address, symbol = self.trustline_of(escrow)
        item = IndexedEscrow(escrow, self.chain.escrow_balance(contract_id), address, symbol)
        self.state.index.store(item, self.chain.clock.now_s(), delay_s)

    def index_transaction(self, tx_hash: str) -> int:
        """`/indexer/update-from-txHash`: indexes the escrows a chain transaction touched."""
        record = self.chain.transaction(tx_hash.lower())
        if record is None:
            raise TrustlessWorkError(404, f"Transaction {tx_hash} not found")
        for contract_id in record.contract_ids:
            self.index(contract_id)
        return len(record.contract_ids)

    def on_chain(self, contract_id: str) -> IndexedEscrow | None:
        escrow = self.chain.escrow(contract_id)
        if escrow is None:
            return None
        address, symbol = self.trustline_of(escrow)
        return IndexedEscrow(escrow, self.chain.escrow_balance(contract_id), address, symbol)

    def indexed(self) -> list[IndexedEscrow]:
        return self.state.index.all(self.chain.clock.now_s())

    def indexed_one(self, contract_id: str) -> IndexedEscrow | None:
        return self.state.index.get(contract_id, self.chain.clock.now_s())


def _remember(memory: dict[str, T], key: str, value: T) -> None:
    memory[key] = value
    while len(memory) > REMEMBERED_TRANSACTIONS_MAX:
        del memory[next(iter(memory))]


def _rejection_message(outcome: SubmissionOutcome, built: BuiltTransaction | None) -> str:
    code = outcome.tx_code
    if code in ("tx_bad_auth", "tx_bad_auth_extra") and built is not None:
        return (
            f"The transaction was rejected ({code}): it must be signed by the {built.role} "
            f"wallet {built.signer}."
        )
    if code == "tx_bad_seq":
        return (
            "The transaction was rejected (tx_bad_seq): its sequence number is stale; "
            "build it again."
        )
    if code == "tx_failed":
        return f"The transaction was rejected (tx_failed: {', '.join(outcome.op_codes)})."
    return f"The transaction was rejected ({code})."


def _source_account_auth(invocation: xdr.InvokeContractArgs) -> xdr.SorobanAuthorizationEntry:
    """The auth entry simulation returns when the invoker is the transaction source."""
    return xdr.SorobanAuthorizationEntry(
        credentials=xdr.SorobanCredentials(
            xdr.SorobanCredentialsType.SOROBAN_CREDENTIALS_SOURCE_ACCOUNT
        ),
        root_invocation=xdr.SorobanAuthorizedInvocation(
            function=xdr.SorobanAuthorizedFunction(
                xdr.SorobanAuthorizedFunctionType.SOROBAN_AUTHORIZED_FUNCTION_TYPE_CONTRACT_FN,
                contract_fn=invocation,
            ),
            sub_invocations=[],
        ),
    )


def _soroban_data(contract_id: str) -> xdr.SorobanTransactionData:
    instance = xdr.LedgerKey(
        xdr.LedgerEntryType.CONTRACT_DATA,
        contract_data=xdr.LedgerKeyContractData(
            contract=Address(contract_id).to_xdr_sc_address(),
            key=xdr.SCVal(xdr.SCValType.SCV_LEDGER_KEY_CONTRACT_INSTANCE),
            durability=xdr.ContractDataDurability.PERSISTENT,
        ),
    )
    return (
        SorobanDataBuilder()
        .set_resource_fee(RESOURCE_FEE_STROOPS)
        .set_read_write([instance])
        .build()
    )
