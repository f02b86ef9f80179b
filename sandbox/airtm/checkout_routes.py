"""AirTM's hosted checkout, where a payer confirms or cancels a payin (`/payin/{id}`).

The real page is a web app the payer logs in to; here `GET /payin/{id}` describes the payin as
JSON and `POST /payin/{id}` with `{"action": "confirm" | "cancel", "email": …}` (JSON or a
form) is the click: it answers 303 to the partner's `confirmationUri` or `cancelUri` with
`?code=<the payin's code>`, as V2 documents. Once a payin is no longer CREATED the page answers
409 ("the URL will no longer function").
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import msgspec
from litestar import Litestar, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException
from litestar.params import FromPath

from sandbox.airtm.airtm_model import AirtmError, number_from_cents
from sandbox.airtm.airtm_routes import error_body
from sandbox.airtm.airtm_service import AirtmService

_JSON = msgspec.json.Encoder(decimal_format="number")
AnyRequest = Request[Any, Any, Any]


def _json(document: Any, status: int = 200) -> Response[bytes]:
    return Response(_JSON.encode(document), status_code=status, media_type="application/json")


@get("/payin/{payin_id:str}")
async def checkout_page(
    payin_id: FromPath[str], request: AnyRequest, airtm: NamedDependency[AirtmService]
) -> Response[bytes]:
    airtm.tick()
    payin = airtm.payin(payin_id)
    return _json(
        {
            "payinId": payin.payin_id,
            "code": payin.code,
            "status": payin.status,
            "amount": number_from_cents(payin.amount_cents),
            "description": payin.description,
            "actions": {"method": "POST", "url": str(request.url), "body": ["action", "email"]},
        }
    )


@post("/payin/{payin_id:str}", status_code=303)
async def checkout_click(
    payin_id: FromPath[str], request: AnyRequest, airtm: NamedDependency[AirtmService]
) -> Response[bytes]:
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form: Any = {key: values[0] for key, values in parse_qs(raw.decode()).items()}
    else:
        try:
            form = json.loads(raw or b"{}")
        except ValueError as error:
            raise AirtmError(400, "VALIDATION_ERROR", "expected {action, email}") from error
    if not isinstance(form, dict):
        raise AirtmError(400, "VALIDATION_ERROR", "expected {action, email}")
    location = airtm.checkout(payin_id, str(form.get("action", "")), form.get("email"))
    return Response(b"", status_code=303, headers={"location": location})


def _handle_airtm(_: AnyRequest, error: AirtmError) -> Response[bytes]:
    return _json(error_body(error.code, error.message, **error.data), error.status)


def _handle_http(_: AnyRequest, error: HTTPException) -> Response[bytes]:
    return _json(error_body("NOT_FOUND", str(error.detail)), error.status_code)


def create_checkout_app(airtm: AirtmService) -> Litestar:
    return Litestar(
        route_handlers=[checkout_page, checkout_click],
        dependencies={"airtm": Provide(lambda: airtm, use_cache=True, sync_to_thread=False)},
        exception_handlers={AirtmError: _handle_airtm, HTTPException: _handle_http},
        openapi_config=None,
        logging_config=None,
    )
