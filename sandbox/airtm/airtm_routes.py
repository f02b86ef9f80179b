"""The AirTM Enterprise API V2 simulator: payins, payouts and user lookups over REST.

Every request needs HTTP Basic auth with the sandbox's API key and secret (401 otherwise).
Errors are V2-shaped: `{code, message, data}`. Before answering, the backend applies whatever
status changes are due on the sandbox clock, so a read never lags the clock. Routes, relative
to the mount (the real API's `/v2`): `POST|GET /payins/{id}`, `DELETE /payins/{id}`,
`GET /payins/by-code/{code}`, `POST /payouts`, `GET|DELETE /payouts/{id}`,
`GET /payouts/by-code/{code}`, `POST /payouts/{id}/commit` (204), `GET /users/{email}`.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import msgspec
from litestar import Litestar, Request, Response, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException
from litestar.params import FromPath

from sandbox.airtm.airtm_model import AirtmError
from sandbox.airtm.airtm_requests import parse_payin, parse_payout
from sandbox.airtm.airtm_service import AirtmService
from sandbox.airtm.airtm_views import payin_json, payout_json, user_json
from sandbox.faults.fault_gate import FaultResponse

_JSON = msgspec.json.Encoder(decimal_format="number")
AnyRequest = Request[Any, Any, Any]


def error_body(code: str, message: str, **data: Any) -> dict[str, Any]:
    return {"code": code, "message": message, "data": data}


def _json(document: Any, status: int = 200) -> Response[bytes]:
    return Response(_JSON.encode(document), status_code=status, media_type="application/json")


async def _body(request: AnyRequest) -> Any:
    try:
        return json.loads(await request.body() or b"{}", parse_float=Decimal)
    except ValueError as error:
        raise AirtmError(400, "VALIDATION_ERROR", f"The body is not JSON: {error}") from error


@post("/payins", status_code=200)
async def create_payin(
    request: AnyRequest, airtm: NamedDependency[AirtmService]
) -> Response[bytes]:
    return _json(payin_json(airtm.create_payin(parse_payin(await _body(request)))))


@get("/payins/{payin_id:str}")
async def get_payin(
    payin_id: FromPath[str], airtm: NamedDependency[AirtmService]
) -> Response[bytes]:
    return _json(payin_json(airtm.payin(payin_id)))


@get("/payins/by-code/{code:str}")
async def get_payin_by_code(
    code: FromPath[str], airtm: NamedDependency[AirtmService]
) -> Response[bytes]:
    return _json(payin_json(airtm.payin_by_code(unquote(code))))


@delete("/payins/{payin_id:str}", status_code=200)
async def cancel_payin(
    payin_id: FromPath[str], airtm: NamedDependency[AirtmService]
) -> Response[bytes]:
    return _json(payin_json(airtm.cancel_payin(payin_id)))


@post("/payouts", status_code=200)
async def create_payout(
    request: AnyRequest, airtm: NamedDependency[AirtmService]
) -> Response[bytes]:
    return _json(payout_json(airtm.create_payout(parse_payout(await _body(request)))))


@get("/payouts/{payout_id:str}")
async def get_payout(
    payout_id: FromPath[str], airtm: NamedDependency[AirtmService]
) -> Response[bytes]:
    return _json(payout_json(airtm.payout(payout_id)))


@get("/payouts/by-code/{code:str}")
async def get_payout_by_code(
    code: FromPath[str], airtm: NamedDependency[AirtmService]
) -> Response[bytes]:
    return _json(payout_json(airtm.payout_by_code(unquote(code))))


@delete("/payouts/{payout_id:str}", status_code=200)
async def cancel_payout(
    payout_id: FromPath[str], airtm: NamedDependency[AirtmService]
) -> Response[bytes]:
    return _json(payout_json(airtm.cancel_payout(payout_id)))


@post("/payouts/{payout_id:str}/commit", status_code=204)
async def commit_payout(payout_id: FromPath[str], airtm: NamedDependency[AirtmService]) -> None:
    """V2 answers an empty 204 once the payout is committed."""
    airtm.commit_payout(payout_id)


@get("/users/{email:str}")
async def get_user(email: FromPath[str], airtm: NamedDependency[AirtmService]) -> Response[bytes]:
    return _json(user_json(airtm.user(unquote(email))))


def _handle_airtm(_: AnyRequest, error: AirtmError) -> Response[bytes]:
    return _json(error_body(error.code, error.message, **error.data), error.status)


def _handle_http(request: AnyRequest, error: HTTPException) -> Response[bytes]:
    if error.status_code in (404, 405):
        return _json(error_body("NOT_FOUND", f"Cannot {request.method} {request.url.path}"), 404)
    return _json(error_body("BAD_REQUEST", str(error.detail)), error.status_code)


def _handle_unexpected(_: AnyRequest, error: Exception) -> Response[bytes]:
    logging.getLogger(__name__).exception("AirTM simulator error", exc_info=error)
    return _json(error_body("INTERNAL_ERROR", "Internal server error"), 500)


def _gatekeeper(airtm: AirtmService) -> Any:
    expected = (
        "Basic "
        + base64.b64encode(f"{airtm.config.api_key}:{airtm.config.api_secret}".encode()).decode()
    )

    async def before_request(request: AnyRequest) -> Response[bytes] | None:
        presented = request.headers.get("authorization", "")
        if not hmac.compare_digest(presented.encode(), expected.encode()):
            return _json(error_body("UNAUTHORIZED", "Invalid API credentials"), 401)
        airtm.tick()
        return None

    return before_request


def create_airtm_app(airtm: AirtmService) -> Litestar:
    return Litestar(
        route_handlers=[
            create_payin,
            get_payin,
            get_payin_by_code,
            cancel_payin,
            create_payout,
            get_payout,
            get_payout_by_code,
            cancel_payout,
            commit_payout,
            get_user,
        ],
        dependencies={"airtm": Provide(lambda: airtm, use_cache=True, sync_to_thread=False)},
        before_request=_gatekeeper(airtm),
        exception_handlers={
            AirtmError: _handle_airtm,
            HTTPException: _handle_http,
            Exception: _handle_unexpected,
        },
        openapi_config=None,
        logging_config=None,
    )


def airtm_handler_modes(method: str, path: str, scope: Any) -> frozenset[str]:
    """AirTM's routes take only the gate's faults (errors, timeouts, hangs, drops)."""
    return frozenset()


def render_airtm_fault(response: FaultResponse) -> tuple[dict[str, Any], dict[str, Any]]:
    rule = response.rule
    headers = [(b"content-type", b"application/json")]
    if rule.mode == "rate_limit":
        status, code, message = 429, "RATE_LIMITED", "Too many requests"
        headers.append((b"retry-after", str(rule.retry_after_s).encode()))
    elif rule.mode in ("timeout_before_apply", "timeout_after_apply"):
        status, code, message = response.status, "GATEWAY_TIMEOUT", "The request timed out"
    else:
        status, code, message = response.status, "INTERNAL_ERROR", "Internal server error"
    body = _JSON.encode(error_body(code, message))
    headers.append((b"content-length", str(len(body)).encode()))
    return (
        {"type": "http.response.start", "status": status, "headers": headers},
        {"type": "http.response.body", "body": body},
    )
