"""The AirTM part of the control API (`/sandbox/airtm/…`): what only a sandbox lets you do.

Make or change AirTM users (eligibility is `status: active` and `verified: true`; a wallet
balance pays for payins), make a payin or payout fail when it settles, point the webhooks at a
URL, read every delivery attempt and the balances, and apply due status changes at once.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import msgspec
from litestar import Litestar, Request, Response, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException
from litestar.params import FromPath

from sandbox.airtm.airtm_model import AirtmError, AirtmUser, number_from_cents
from sandbox.airtm.airtm_routes import error_body
from sandbox.airtm.airtm_service import AirtmService
from sandbox.airtm.airtm_views import payin_json, payout_json, user_json
from sandbox.airtm.webhook_courier import WebhookCourier

_JSON = msgspec.json.Encoder(decimal_format="number")
AnyRequest = Request[Any, Any, Any]


def _json(document: Any, status: int = 200) -> Response[bytes]:
    return Response(_JSON.encode(document), status_code=status, media_type="application/json")


async def _object(request: AnyRequest) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}", parse_float=Decimal)
    except ValueError as error:
        raise AirtmError(400, "VALIDATION_ERROR", "the body must be JSON") from error
    if not isinstance(body, dict):
        raise AirtmError(400, "VALIDATION_ERROR", "the body must be a JSON object")
    return body


def _user(user: AirtmUser) -> dict[str, Any]:
    return {
        **user_json(user),
        "email": user.email,
        "balance": number_from_cents(user.balance_cents),
    }


@post("/users", status_code=201)
async def add_user(request: AnyRequest, airtm: NamedDependency[AirtmService]) -> Response[bytes]:
    """`{email, status?: active|inactive, verified?: bool, balance?: 100.5, firstName?, …}`."""
    return _json(_user(airtm.add_user(await _object(request))), 201)


@patch("/users/{email:str}")
async def change_user(
    email: FromPath[str], request: AnyRequest, airtm: NamedDependency[AirtmService]
) -> Response[bytes]:
    return _json(_user(airtm.update_user(unquote(email), await _object(request))))


@get("/users/{email:str}")
async def show_user(email: FromPath[str], airtm: NamedDependency[AirtmService]) -> Response[bytes]:
    return _json(_user(airtm.user(unquote(email))))


@post("/payins/{payin_id:str}/fail")
async def fail_payin(
    payin_id: FromPath[str], request: AnyRequest, airtm: NamedDependency[AirtmService]
) -> Response[bytes]:
    """The payin fails when it settles (after the payer confirmed it), with `{reason}`."""
    reason = str((await _object(request)).get("reason") or "")
    return _json(payin_json(airtm.fail_payin_when_settling(payin_id, reason)))


@post("/payouts/{payout_id:str}/fail")
async def fail_payout(
    payout_id: FromPath[str], request: AnyRequest, airtm: NamedDependency[AirtmService]
) -> Response[bytes]:
    reason = str((await _object(request)).get("reason") or "")
    return _json(payout_json(airtm.fail_payout_when_settling(payout_id, reason)))


@put("/webhook")
async def set_webhook(
    request: AnyRequest, courier: NamedDependency[WebhookCourier]
) -> Response[bytes]:
    """`{url}`: where webhooks go (null stops deliveries; queued ones wait)."""
    url = (await _object(request)).get("url")
    if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        raise AirtmError(400, "VALIDATION_ERROR", "url must be an http(s) URL or null")
    courier.url = url
    return _json({"url": courier.url})


@get("/webhook")
async def show_webhook(courier: NamedDependency[WebhookCourier]) -> Response[bytes]:
    return _json({"url": courier.url, "pending": courier.pending()})


@get("/deliveries")
async def deliveries(courier: NamedDependency[WebhookCourier]) -> Response[bytes]:
    return _json({"deliveries": courier.deliveries()})


@post("/tick")
async def tick(airtm: NamedDependency[AirtmService]) -> Response[bytes]:
    """Applies every status change due on the sandbox clock now."""
    return _json({"changed": airtm.tick()})


@get("/state")
async def state(airtm: NamedDependency[AirtmService]) -> Response[bytes]:
    return _json(state_document(airtm))


def state_document(airtm: AirtmService) -> dict[str, Any]:
    current = airtm.state
    return {
        "enterpriseBalance": number_from_cents(current.enterprise_balance_cents),
        "feesCollected": number_from_cents(current.fees_collected_cents),
        "bankTransfers": number_from_cents(current.bank_transfers_cents),
        "conserved": airtm.conserved(),
        "users": [_user(user) for user in current.users.values()],
        "payins": [payin_json(payin) for payin in current.payins.values()],
        "payouts": [payout_json(payout) for payout in current.payouts.values()],
    }


def _handle_airtm(_: AnyRequest, error: AirtmError) -> Response[bytes]:
    return _json(error_body(error.code, error.message, **error.data), error.status)


def _handle_http(_: AnyRequest, error: HTTPException) -> Response[bytes]:
    return _json(error_body("NOT_FOUND", str(error.detail)), error.status_code)


def create_airtm_control_app(airtm: AirtmService, courier: WebhookCourier) -> Litestar:
    def provide(value: Any) -> Provide:
        return Provide(lambda: value, use_cache=True, sync_to_thread=False)

    return Litestar(
        route_handlers=[
            add_user,
            change_user,
            show_user,
            fail_payin,
            fail_payout,
            set_webhook,
            show_webhook,
            deliveries,
            tick,
            state,
        ],
        dependencies={"airtm": provide(airtm), "courier": provide(courier)},
        exception_handlers={AirtmError: _handle_airtm, HTTPException: _handle_http},
        openapi_config=None,
        logging_config=None,
    )
