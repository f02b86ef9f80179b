"""The Trustless Work V1 simulator: the REST routes of the escrow API over the shared chain.

Every request needs `x-api-key` (401) and is counted against the per-key limit (429). Write
routes validate their body, build through `EscrowService` and answer
`201 {status: "SUCCESS", unsignedTransaction}`; `helper/send-transaction` submits the signed XDR.
Errors are NestJS-shaped: `{statusCode, message, error}`. Both `/escrow/{type}/X` and the
versioned `/escrow/{type}/v1/X` paths are served.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Litestar, Request, Response, get, post, route
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException
from litestar.params import FromPath

from sandbox.chain.amounts import decimal_from_stroops
from sandbox.contracts.escrow_errors import EscrowContractError
from sandbox.contracts.escrow_model import ESCROW_KINDS
from sandbox.faults.fault_gate import FaultResponse
from sandbox.faults.fault_rules import active_fault
from sandbox.trustless_work.escrow_queries import EscrowFilter, filter_escrows
from sandbox.trustless_work.escrow_requests import (
    RequestValidationError,
    UnknownActionError,
    parse_action,
    parse_deploy,
)
from sandbox.trustless_work.escrow_service import EscrowService, TrustlessWorkError
from sandbox.trustless_work.escrow_views import escrow_json, indexed_escrow_json
from sandbox.trustless_work.request_limit import RateLimiter

API_KEY_HEADER = "x-api-key"
BALANCES_MAX = 20
_JSON = msgspec.json.Encoder(decimal_format="number")
_SEND_MODES = frozenset(
    {"force_tx_result", "force_op_result", "contract_error", "ingest_lag", "indexer_lag"}
)

# Handlers see a request whose user, auth and state types the sandbox does not use.
AnyRequest = Request[Any, Any, Any]


def nest_error(status: int, message: str | list[str], failed: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "statusCode": status,
        "message": message,
        "error": HTTPStatus(status).phrase,
    }
    if failed:
        body["status"] = "FAILED"
    return body


def _json(
    document: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response[bytes]:
    return Response(
        _JSON.encode(document), status_code=status, media_type="application/json", headers=headers
    )


async def _body(request: AnyRequest) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw or b"{}", parse_float=Decimal)
    except ValueError as error:
        raise RequestValidationError([f"Body is not valid JSON: {error}"]) from error


def _kind(kind: str) -> str:
    if kind not in ESCROW_KINDS:
        raise UnknownActionError(kind)
    return kind


def _built(xdr: str) -> Response[bytes]:
    return _json({"status": "SUCCESS", "unsignedTransaction": xdr}, 201)


@post("/deployer/{kind:str}")
async def deploy(
    kind: FromPath[str], request: AnyRequest, service: NamedDependency[EscrowService]
) -> Response[bytes]:
    """Deploys and initializes an escrow; the `signer` signs the returned XDR."""
    call = parse_deploy(_kind(kind), await _body(request))
    return _built(service.build(call, active_fault.get()))


@route(
    ["/escrow/{kind:str}/{action:str}", "/escrow/{kind:str}/v1/{action:str}"],
    http_method=["POST", "PUT"],
)
async def escrow_action(
    kind: FromPath[str],
    action: FromPath[str],
    request: AnyRequest,
    service: NamedDependency[EscrowService],
) -> Response[bytes]:
    """Builds one escrow action (fund, milestone status, approve, release, dispute, resolve…)."""
    if (request.method == "PUT") != (action == "update-escrow"):
        raise UnknownActionError(action)
    call = parse_action(_kind(kind), action, await _body(request))
    return _built(service.build(call, active_fault.get()))


@post("/helper/send-transaction")
async def send_transaction(
    request: AnyRequest, service: NamedDependency[EscrowService]
) -> Response[bytes]:
    """Submits a signed XDR; idempotent by transaction hash."""
    body = await _body(request)
    signed = body.get("signedXdr") if isinstance(body, dict) else None
    if not isinstance(signed, str) or not signed:
        raise RequestValidationError(["signedXdr must be a non-empty string"])
    return _json(service.send(signed, active_fault.get()), 201)


@route(["/indexer/update-from-txHash", "/indexer/update-from-txhash"], http_method=["POST", "PUT"])
async def update_from_tx_hash(
    request: AnyRequest, service: NamedDependency[EscrowService]
) -> Response[bytes]:
    body = await _body(request)
    tx_hash = body.get("txHash") if isinstance(body, dict) else None
    if not isinstance(tx_hash, str) or not tx_hash:
        raise RequestValidationError(["txHash must be a non-empty string"])
    service.index_transaction(tx_hash)
    return _json(
        {"status": "SUCCESS", "message": "The escrow has been updated from the transaction."}, 201
    )


@get(["/escrow/{kind:str}/get-escrow", "/escrow/{kind:str}/v1/get-escrow"])
async def get_escrow(
    kind: FromPath[str], request: AnyRequest, service: NamedDependency[EscrowService]
) -> Response[bytes]:
    """On-chain read of one escrow (`contractId`)."""
    contract_id = request.query_params.get("contractId", "")
    found = service.on_chain(contract_id)
    if found is None or found.escrow.kind != _kind(kind):
        raise TrustlessWorkError(
            service.contract_error_status, EscrowContractError(kind, "EscrowNotFound").message
        )
    document = escrow_json(found.escrow, found.trustline_address, found.trustline_symbol)
    document.update(contractId=contract_id, balance=decimal_from_stroops(found.balance_stroops))
    return _json(document)


@get(
    [
        "/escrow/{kind:str}/get-multiple-escrow-balance",
        "/escrow/{kind:str}/v1/get-multiple-escrow-balance",
    ]
)
async def get_balances(
    kind: FromPath[str], request: AnyRequest, service: NamedDependency[EscrowService]
) -> Response[bytes]:
    addresses = _list_param(request, "addresses")
    if len(addresses) > BALANCES_MAX:
        raise TrustlessWorkError(
            service.contract_error_status,
            EscrowContractError(_kind(kind), "TooManyEscrowsRequested").message,
        )
    result = []
    for address in addresses:
        found = service.on_chain(address)
        if found is None:
            raise TrustlessWorkError(
                service.contract_error_status, EscrowContractError(kind, "EscrowNotFound").message
            )
        result.append({"address": address, "balance": decimal_from_stroops(found.balance_stroops)})
    return _json(result)


@get("/helper/get-escrow-by-contract-ids")
async def get_by_contract_ids(
    request: AnyRequest, service: NamedDependency[EscrowService]
) -> Response[bytes]:
    validate = request.query_params.get("validateOnChain", "false").lower() == "true"
    items = []
    for contract_id in _list_param(request, "contractIds"):
        found = service.on_chain(contract_id) if validate else service.indexed_one(contract_id)
        if found is not None:
            items.append(found)
    return _json([_indexed(item) for item in items])


@get(["/helper/get-escrows-by-role", "/helper/get-escrows-by-signer"])
async def get_by_role(
    request: AnyRequest, service: NamedDependency[EscrowService]
) -> Response[bytes]:
    params = {key: value for key, value in request.query_params.items()}
    by_signer = request.url.path.endswith("get-escrows-by-signer")
    escrow_filter = EscrowFilter.from_params(params, by_signer)
    items = service.indexed()
    if params.get("validateOnChain", "false").lower() == "true":
        items = [fresh for item in items if (fresh := service.on_chain(item.escrow.contract_id))]
    return _json([_indexed(item) for item in filter_escrows(items, escrow_filter)])


def _indexed(item: Any) -> dict[str, Any]:
    return indexed_escrow_json(
        item.escrow, item.balance_stroops, item.trustline_address, item.trustline_symbol
    )


def _list_param(request: AnyRequest, name: str) -> list[str]:
    """Arrays arrive as `name[]=a&name[]=b` (axios), `name=a&name=b`, or comma-separated."""
    values: list[str] = []
    for key in (name, f"{name}[]"):
        for value in request.query_params.getall(key, []):
            values.extend(part for part in value.split(",") if part)
    return values


def _error_response(status: int, message: str | list[str], failed: bool = False) -> Response[bytes]:
    return _json(nest_error(status, message, failed), status)


def _handle_tw_error(_: AnyRequest, error: TrustlessWorkError) -> Response[bytes]:
    return _error_response(error.status, error.message, error.failed)


def _handle_validation(_: AnyRequest, error: RequestValidationError) -> Response[bytes]:
    return _error_response(400, error.messages)


def _handle_unknown(request: AnyRequest, _: Exception) -> Response[bytes]:
    path = request.url.path.removeprefix(request.scope.get("root_path", ""))
    return _error_response(404, f"Cannot {request.method} {path}")


def _handle_http(request: AnyRequest, error: HTTPException) -> Response[bytes]:
    if error.status_code in (404, 405):
        return _handle_unknown(request, error)
    return _error_response(error.status_code, str(error.detail))


def _handle_unexpected(_: AnyRequest, error: Exception) -> Response[bytes]:
    logging.getLogger(__name__).exception("Trustless Work simulator error", exc_info=error)
    return _error_response(500, "Internal server error")


def _gatekeeper(api_key: str, limiter: RateLimiter) -> Any:
    async def before_request(request: AnyRequest) -> Response[bytes] | None:
        presented = request.headers.get(API_KEY_HEADER, "")
        if presented != api_key:
            return _error_response(401, "Unauthorized")
        retry_after_s = limiter.acquire(presented)
        if retry_after_s is not None:
            return _json(
                nest_error(429, "ThrottlerException: Too Many Requests"),
                429,
                {"Retry-After": str(retry_after_s)},
            )
        return None

    return before_request


def create_trustless_work_app(
    service: EscrowService, api_key: str, limiter: RateLimiter
) -> Litestar:
    return Litestar(
        route_handlers=[
            deploy,
            escrow_action,
            send_transaction,
            update_from_tx_hash,
            get_escrow,
            get_balances,
            get_by_contract_ids,
            get_by_role,
        ],
        dependencies={"service": Provide(lambda: service, use_cache=True, sync_to_thread=False)},
        before_request=_gatekeeper(api_key, limiter),
        exception_handlers={
            TrustlessWorkError: _handle_tw_error,
            RequestValidationError: _handle_validation,
            UnknownActionError: _handle_unknown,
            HTTPException: _handle_http,
            Exception: _handle_unexpected,
        },
        openapi_config=None,
        logging_config=None,
    )


def trustless_work_handler_modes(method: str, path: str, scope: Any) -> frozenset[str]:
    if method == "POST" and path.rstrip("/") == "/helper/send-transaction":
        return _SEND_MODES
    if method in ("POST", "PUT") and path.startswith(("/deployer/", "/escrow/")):
        return frozenset({"contract_error"})
    return frozenset()


def render_trustless_work_fault(response: FaultResponse) -> tuple[dict[str, Any], dict[str, Any]]:
    rule = response.rule
    headers: dict[str, str] = {}
    if rule.mode == "rate_limit":
        status, message = 429, "ThrottlerException: Too Many Requests"
        headers["Retry-After"] = str(rule.retry_after_s)
    elif rule.mode == "timeout_after_apply":
        status = rule.status or 500
        message = (
            "The transaction may not be complete yet: resultMetaXdr is not available. "
            "Check the escrow before retrying."
        )
    elif rule.mode == "timeout_before_apply":
        status, message = 504, "Gateway Timeout"
    else:
        status = response.status
        message = "Internal server error" if status == 500 else HTTPStatus(status).phrase
    body = _JSON.encode(nest_error(status, message))
    raw_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return (
        {"type": "http.response.start", "status": status, "headers": raw_headers},
        {"type": "http.response.body", "body": body},
    )
