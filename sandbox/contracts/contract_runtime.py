"""The sandbox's Soroban stand-in: runs `invoke_contract` calls on the escrow factory and escrows.

There is no Wasm here. The factory's `deploy` and each escrow entry point are Python functions
(`escrow_contract`) fed by the decoded call arguments, so a signed Trustless Work transaction has
the same effect whether it is submitted through `send-transaction` or straight to Horizon. The
invoker (the operation's source) is the only address that counts as authorised, which is what
source-account credentials give a real contract. A trap leaves a `ContractFailure` on the result.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

from stellar_sdk import Address, Network, StrKey, xdr

from sandbox.chain.history import ContractFailure
from sandbox.chain.ledger_state import LedgerDelta
from sandbox.chain.operation_outcome import ApplyContext, OperationOutcome
from sandbox.chain.transaction_results import OP_SUCCESS
from sandbox.contracts import escrow_contract
from sandbox.contracts.escrow_abi import INITIALIZE_FUNCTION, AbiError, decode_arguments
from sandbox.contracts.escrow_errors import EscrowContractError
from sandbox.contracts.escrow_model import Escrow
from sandbox.contracts.stellar_asset_contract import StellarAssetContract, TokenError

AssetResolver = Callable[[str], StellarAssetContract | None]
_SCVAL_TYPE_NAMES = {
    xdr.SCValType.SCV_ADDRESS: "Address",
    xdr.SCValType.SCV_SYMBOL: "Sym",
    xdr.SCValType.SCV_I128: "I128",
    xdr.SCValType.SCV_U32: "U32",
    xdr.SCValType.SCV_STRING: "String",
    xdr.SCValType.SCV_VEC: "Vec",
    xdr.SCValType.SCV_MAP: "Map",
    xdr.SCValType.SCV_BYTES: "Bytes",
    xdr.SCValType.SCV_VOID: "Void",
    xdr.SCValType.SCV_BOOL: "B",
}


class HostError(Exception):
    """A failure raised by the host rather than by contract code (auth, storage, types)."""

    def __init__(self, name: str, message: str):
        self.name = name
        self.message = message
        super().__init__(message)


def contract_id_for(deployer: str, salt: bytes, network_passphrase: str) -> str:
    """Soroban's contract id for a deployer address and salt on this network."""
    preimage = xdr.HashIDPreimage(
        xdr.EnvelopeType.ENVELOPE_TYPE_CONTRACT_ID,
        contract_id=xdr.HashIDPreimageContractID(
            network_id=xdr.Hash(Network(network_passphrase).network_id()),
            contract_id_preimage=xdr.ContractIDPreimage(
                xdr.ContractIDPreimageType.CONTRACT_ID_PREIMAGE_FROM_ADDRESS,
                from_address=xdr.ContractIDPreimageFromAddress(
                    address=Address(deployer).to_xdr_sc_address(),
                    salt=xdr.Uint256(salt),
                ),
            ),
        ),
    )
    return StrKey.encode_contract(hashlib.sha256(preimage.to_xdr_bytes()).digest())


class _Environment:
    """One escrow call's view of the host: the invoker is authorised, the token is the SAC."""

    def __init__(
        self, delta: LedgerDelta, invoker: str, escrow: Escrow, token: StellarAssetContract
    ):
        self._delta, self._invoker, self._escrow, self._token = delta, invoker, escrow, token

    def require_auth(self, address: str) -> None:
        if address != self._invoker:
            raise HostError(
                "Auth", f"Error(Auth, InvalidAction): {address} did not authorize this call"
            )

    def balance(self) -> int:
        return self._token.balance(self._delta, self._escrow.contract_id)

    def transfer(self, source: str, destination: str, amount: int) -> None:
        self._token.transfer(self._delta, source, destination, amount)


class EscrowRuntime:
    """Executes calls on the Trustless Work factory (deploy) and on deployed escrows."""

    def __init__(self, factory_id: str, wasm_kinds: dict[bytes, str], assets: AssetResolver):
        self.factory_id = factory_id
        self._wasm_kinds = wasm_kinds
        self._assets = assets

    def invoke(
        self,
        delta: LedgerDelta,
        invoker: str,
        host_function: xdr.HostFunction,
        context: ApplyContext,
    ) -> OperationOutcome:
        call = host_function.invoke_contract
        assert call is not None, "only invoke_contract passes validation"
        contract_id = Address.from_xdr_sc_address(call.contract_address).address
        function = call.function_name.sc_symbol.decode("utf-8", errors="replace")
        args = list(call.args)
        outcome = OperationOutcome(
            code=OP_SUCCESS,
            type="invoke_host_function",
            details=_details(call, contract_id),
            participants=[invoker],
            contract_ids=[contract_id],
        )
        call_delta = delta.child()
        try:
            if contract_id == self.factory_id and function == "deploy":
                outcome.contract_ids = [self._deploy(call_delta, invoker, args, context)]
            else:
                self._call(call_delta, invoker, contract_id, function, args, context)
        except EscrowContractError as error:
            outcome.failure = ContractFailure(contract_id, error.code, error.name, error.message)
        except TokenError as error:
            outcome.failure = ContractFailure(
                error.contract_id, error.code, error.name, error.message
            )
        except (HostError, AbiError) as error:
            name = error.name if isinstance(error, HostError) else "UnexpectedType"
            outcome.failure = ContractFailure(contract_id, 0, name, str(error))
        if outcome.failure is not None:
            outcome.code = "function_trapped"
            return outcome
        call_delta.commit()
        changes = call_delta.balance_changes
        outcome.details["asset_balance_changes"] = changes
        outcome.is_payment = bool(changes)
        for change in changes:
            for address in (change["from"], change["to"]):
                if address.startswith("G") and address not in outcome.participants:
                    outcome.participants.append(address)
        return outcome

    def _deploy(
        self, delta: LedgerDelta, invoker: str, args: list[xdr.SCVal], context: ApplyContext
    ) -> str:
        if len(args) < 2 or args[1].type != xdr.SCValType.SCV_BYTES:
            raise AbiError("deploy needs a wasm hash")
        kind = self._wasm_kinds.get(bytes(args[1].bytes.sc_bytes) if args[1].bytes else b"")
        if kind is None:
            raise HostError("MissingValue", "Error(Storage, MissingValue): unknown Wasm hash")
        values = decode_arguments("deploy", kind, args)
        if values["init_fn"] != INITIALIZE_FUNCTION:
            raise HostError("MissingValue", "Error(WasmVm, MissingValue): unknown init function")
        contract_id = contract_id_for(
            values["deployer"], values["salt"], context.network_passphrase
        )
        escrow: Escrow = values["init_args"]
        escrow.contract_id = contract_id
        if delta.peek_escrow(contract_id) is not None:
            raise EscrowContractError(kind, "EscrowAlreadyInitialized")
        token = self._token(escrow)
        escrow.deployer = values["deployer"]
        escrow.created_at_s = escrow.updated_at_s = context.close_time_s
        escrow_contract.initialize(
            escrow, _Environment(delta, invoker, escrow, token), escrow.deployer
        )
        delta.put_escrow(escrow)
        return contract_id

    def _call(
        self,
        delta: LedgerDelta,
        invoker: str,
        contract_id: str,
        function: str,
        args: list[xdr.SCVal],
        context: ApplyContext,
    ) -> None:
        escrow = delta.escrow(contract_id)
        if escrow is None:
            raise HostError("MissingValue", "Error(Storage, MissingValue): contract not found")
        if function not in escrow_contract.KIND_ENTRY_POINTS[escrow.kind]:
            raise HostError("MissingValue", f"Error(WasmVm, MissingValue): no function {function}")
        values = decode_arguments(function, escrow.kind, args)
        if function == "update_escrow":
            self._token(values["escrow_properties"])
        escrow_contract.ENTRY_POINTS[function](
            escrow, _Environment(delta, invoker, escrow, self._token(escrow)), values
        )
        escrow.updated_at_s = context.close_time_s

    def _token(self, escrow: Escrow) -> StellarAssetContract:
        token = self._assets(escrow.trustline_address)
        if token is None:
            raise HostError(
                "MissingValue",
                "Error(Storage, MissingValue): the trustline is not an asset contract",
            )
        escrow.asset_code, escrow.asset_issuer = token.code, token.issuer
        return token


def _details(call: xdr.InvokeContractArgs, contract_id: str) -> dict[str, Any]:
    """Horizon's invoke_host_function fields; parameters start with the contract and function."""
    values = [
        xdr.SCVal(xdr.SCValType.SCV_ADDRESS, address=call.contract_address),
        xdr.SCVal(xdr.SCValType.SCV_SYMBOL, sym=call.function_name),
        *call.args,
    ]
    parameters = [
        {
            "value": base64.b64encode(value.to_xdr_bytes()).decode(),
            "type": _SCVAL_TYPE_NAMES.get(value.type, value.type.name),
        }
        for value in values
    ]
    return {
        "function": "HostFunctionTypeHostFunctionTypeInvokeContract",
        "parameters": parameters,
        "address": contract_id,
        "salt": "",
        "asset_balance_changes": [],
    }
