"""The sandbox control API (`/sandbox/…`): mint, fund, faults, clock, reset and a state dump.

These routes exist only in the sandbox and need no key; they are how a developer or a test drives
what the real networks would not let them (mint USDC, inject failures, move time). Money on the
wire is a decimal string as on Horizon; minting is a real issuer payment, so a missing trustline
is the chain's own `op_no_trust`.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar, Request, Response, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException
from litestar.params import FromPath

from sandbox.chain.amounts import AmountError, format_stroops, parse_stroops
from sandbox.chain.chain import Chain
from sandbox.chain.transactions import SUCCESS, SubmissionOutcome
from sandbox.faucet import AlreadyFundedError, Faucet
from sandbox.faults.fault_rules import FaultRegistry, FaultRule
from sandbox.horizon.horizon_resources import timestamp
from sandbox.trustless_work.escrow_service import EscrowService
from sandbox.trustless_work.escrow_views import escrow_json

# Handlers see a request whose user, auth and state types the sandbox does not use.
AnyRequest = Request[Any, Any, Any]


class ControlError(Exception):
    def __init__(self, status: int, error: str, **details: Any):
        super().__init__(error)
        self.status = status
        self.body = {"error": error, **details}


def _json(document: Any, status: int = 200) -> Response[bytes]:
    return Response(
        msgspec.json.encode(document), status_code=status, media_type="application/json"
    )


async def _object(request: AnyRequest) -> dict[str, Any]:
    try:
        body = msgspec.json.decode(await request.body() or b"{}")
    except msgspec.DecodeError as error:
        raise ControlError(400, "invalid_json", detail=str(error)) from error
    if not isinstance(body, dict):
        raise ControlError(400, "invalid_json", detail="the body must be a JSON object")
    return body


def _outcome(outcome: SubmissionOutcome) -> dict[str, Any]:
    document: dict[str, Any] = {
        "hash": outcome.hash,
        "successful": outcome.status == SUCCESS,
        "result_codes": {"transaction": outcome.tx_code, "operations": outcome.op_codes},
    }
    if outcome.record is not None:
        document["ledger"] = outcome.record.ledger
    return document


@post("/mint", status_code=200)
async def mint(
    request: AnyRequest, chain: NamedDependency[Chain], faucet: NamedDependency[Faucet]
) -> Response[bytes]:
    """Pays USDC from the issuer: `{address, amount}` with amount a decimal string."""
    body = await _object(request)
    address, amount = body.get("address"), body.get("amount")
    if not isinstance(address, str) or not isinstance(amount, str | int):
        raise ControlError(400, "invalid_request", detail="expected {address, amount}")
    try:
        stroops = parse_stroops(str(amount))
        outcome = faucet.mint_usdc(address, stroops)
    except (AmountError, ValueError) as error:
        raise ControlError(400, "invalid_request", detail=str(error)) from error
    document = _outcome(outcome)
    document.update(address=address, amount=format_stroops(stroops))
    if outcome.status != SUCCESS:
        raise ControlError(400, _first_failure(outcome), **document)
    document["balance"] = format_stroops(chain.usdc_balance(address))
    return _json(document)


@post("/fund", status_code=200)
async def fund(request: AnyRequest, faucet: NamedDependency[Faucet]) -> Response[bytes]:
    """Friendbot without Horizon: `{address}` gets 10,000 XLM."""
    address = (await _object(request)).get("address")
    if not isinstance(address, str):
        raise ControlError(400, "invalid_request", detail="expected {address}")
    try:
        outcome = faucet.fund_xlm(address)
    except AlreadyFundedError as error:
        raise ControlError(400, "already_funded", detail=str(error)) from error
    except ValueError as error:
        raise ControlError(400, "invalid_request", detail=str(error)) from error
    if outcome.status != SUCCESS:
        raise ControlError(400, _first_failure(outcome), **_outcome(outcome))
    return _json(_outcome(outcome))


@post("/faults", status_code=201)
async def inject_faults(
    request: AnyRequest, faults: NamedDependency[FaultRegistry]
) -> Response[bytes]:
    """Adds one rule, or `{rules: [...], seed?}`; a seed replaces all rules and reseeds."""
    body = await _object(request)
    batch = "rules" in body or "seed" in body
    rules = body.get("rules", []) if batch else [body]
    seed = body.get("seed")
    if not isinstance(rules, list) or (seed is not None and not isinstance(seed, int)):
        raise ControlError(400, "invalid_fault", detail="expected {rules: [...], seed?: int}")
    try:
        parsed = [msgspec.convert(rule, FaultRule) for rule in rules]
    except msgspec.ValidationError as error:
        raise ControlError(400, "invalid_fault", detail=str(error)) from error
    if seed is not None:
        faults.clear(seed=seed)
    return _json({"ids": [faults.inject(rule) for rule in parsed], "seed": faults.seed}, 201)


@get("/faults")
async def list_faults(faults: NamedDependency[FaultRegistry]) -> Response[bytes]:
    fired = [{"id": f.fault_id, "request": f.request, "mode": f.mode} for f in faults.fired()]
    return _json({"seed": faults.seed, "active": faults.active(), "fired": fired})


@delete("/faults", status_code=200)
async def clear_faults(
    request: AnyRequest, faults: NamedDependency[FaultRegistry]
) -> Response[bytes]:
    seed = request.query_params.get("seed")
    faults.clear(seed=int(seed) if seed and seed.lstrip("-").isdigit() else None)
    return _json({"cleared": True, "seed": faults.seed})


@delete("/faults/{fault_id:str}", status_code=200)
async def remove_fault(
    fault_id: FromPath[str], faults: NamedDependency[FaultRegistry]
) -> Response[bytes]:
    if not faults.remove(fault_id):
        raise ControlError(404, "unknown_fault", id=fault_id)
    return _json({"removed": fault_id})


@post("/clock", status_code=200)
async def advance_clock(request: AnyRequest, chain: NamedDependency[Chain]) -> Response[bytes]:
    """Moves the ledger clock forward by `advance_s` seconds (time bounds, deadlines)."""
    advance_s = (await _object(request)).get("advance_s")
    if not isinstance(advance_s, int | float) or advance_s < 0:
        raise ControlError(400, "invalid_request", detail="advance_s must be a non-negative number")
    now_s = chain.advance_time(float(advance_s))
    return _json({"now": timestamp(now_s), "offset_s": chain.clock.offset_s})


@post("/reset", status_code=200)
async def reset(
    chain: NamedDependency[Chain],
    escrows: NamedDependency[EscrowService],
    faults: NamedDependency[FaultRegistry],
) -> Response[bytes]:
    """Wipes the chain back to genesis (same seed and keys), TW's index and all faults."""
    chain.reset()
    escrows.reset()
    faults.clear()
    return _json({"reset": True, "ledger": chain.latest_ledger().sequence})


@get("/state")
async def state(
    chain: NamedDependency[Chain],
    escrows: NamedDependency[EscrowService],
    faults: NamedDependency[FaultRegistry],
) -> Response[bytes]:
    return _json(state_document(chain, escrows, faults))


def state_document(chain: Chain, escrows: EscrowService, faults: FaultRegistry) -> dict[str, Any]:
    """Supply, accounts and escrows, with amounts as 7-decimal strings."""
    keys = chain.keys
    minted, burned = chain.usdc_issued()
    supply = chain.usdc_supply()
    accounts = _accounts_json(chain)
    escrow_items = []
    for escrow in chain.escrows():
        document = escrow_json(escrow, *escrows.trustline_of(escrow))
        document.update(
            contractId=escrow.contract_id,
            type=escrow.kind,
            status=escrow.status(),
            balance=format_stroops(chain.escrow_balance(escrow.contract_id)),
        )
        escrow_items.append(document)
    return {
        "network_passphrase": chain.network_passphrase,
        "seed": keys.seed,
        "ledger": chain.latest_ledger().sequence,
        "usdc": {
            "code": chain.usdc.code,
            "issuer": chain.usdc.issuer,
            "contract_id": chain.usdc.contract_id,
            "supply": format_stroops(supply),
            "minted": format_stroops(minted),
            "burned": format_stroops(burned),
            "conserved": supply == minted - burned,
        },
        "trustless_work_fee_address": keys.trustless_work_fee.public_key,
        "escrow_factory_id": keys.escrow_factory_id,
        "accounts": accounts,
        "escrows": escrow_items,
        "faults": faults.active(),
    }


def _accounts_json(chain: Chain) -> list[dict[str, Any]]:
    keys = chain.keys
    roles = {
        keys.root.public_key: "network_root",
        keys.usdc_issuer.public_key: "usdc_issuer",
        keys.trustless_work_fee.public_key: "trustless_work_fee",
    }
    accounts = []
    for account in sorted(chain.accounts(), key=lambda a: a.account_id):
        line = account.trustline(chain.usdc.code, chain.usdc.issuer)
        accounts.append(
            {
                "id": account.account_id,
                "role": roles.get(account.account_id),
                "xlm": format_stroops(account.balance_stroops),
                "usdc": format_stroops(line.balance_stroops) if line else None,
                "sequence": str(account.sequence),
                "subentry_count": account.subentry_count,
            }
        )
    return accounts


def _first_failure(outcome: SubmissionOutcome) -> str:
    failing = [code for code in outcome.op_codes if code != "op_success"]
    return failing[0] if failing else outcome.tx_code


def _control_error(_: AnyRequest, error: ControlError) -> Response[bytes]:
    return _json(error.body, error.status)


def _http_error(_: AnyRequest, error: HTTPException) -> Response[bytes]:
    return _json(
        {"error": "not_found" if error.status_code == 404 else str(error.detail)}, error.status_code
    )


def create_control_app(
    chain: Chain, faucet: Faucet, faults: FaultRegistry, escrows: EscrowService
) -> Litestar:
    def provide(value: Any) -> Provide:
        return Provide(lambda: value, use_cache=True, sync_to_thread=False)

    return Litestar(
        route_handlers=[
            mint,
            fund,
            inject_faults,
            list_faults,
            clear_faults,
            remove_fault,
            advance_clock,
            reset,
            state,
        ],
        dependencies={
            "chain": provide(chain),
            "faucet": provide(faucet),
            "faults": provide(faults),
            "escrows": provide(escrows),
        },
        exception_handlers={ControlError: _control_error, HTTPException: _http_error},
        openapi_config=None,
        logging_config=None,
    )
