"""The Horizon simulator: the HTTP routes a custodial wallet and stellar-sdk use, over one chain.

Handlers only translate: they parse Horizon's query and form conventions, call the chain or the
faucet, and render Horizon's resources and problem documents. Event streams of the feeds are
served by plain ASGI (`payments_stream`) because they need to hold and, under a fault, drop the
connection; everything else is a Litestar app.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs

import msgspec
from litestar import Litestar, Request, Response, get, post, route
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException
from litestar.params import FromPath
from stellar_sdk import StrKey

from sandbox.chain.chain import Chain
from sandbox.chain.envelopes import (
    MalformedEnvelopeError,
    UnsupportedEnvelopeError,
    decode_envelope,
)
from sandbox.chain.transaction_results import transaction_result_xdr
from sandbox.chain.transactions import (
    REJECTED,
    SUCCESS,
    ForcedResult,
    SubmissionOutcome,
)
from sandbox.faucet import AlreadyFundedError, Faucet
from sandbox.faults.fault_gate import FaultRenderer, FaultResponse
from sandbox.faults.fault_rules import FaultRule, active_fault
from sandbox.horizon.horizon_feeds import Feed, feed_for_path, feed_records
from sandbox.horizon.horizon_problems import (
    PROBLEM_MEDIA_TYPE,
    HorizonProblem,
    bad_request,
    not_found,
    rate_limit_exceeded,
    server_problem,
    submission_timeout,
    transaction_failed,
    transaction_malformed,
    unsupported_media_type,
)
from sandbox.horizon.horizon_resources import (
    account_json,
    fee_stats_json,
    ledger_json,
    operation_json,
    page_json,
    root_json,
    transaction_json,
)
from sandbox.horizon.paging import page_links, parse_list_request
from sandbox.horizon.payments_stream import serve_stream, wants_event_stream

HAL_MEDIA_TYPE = "application/hal+json; charset=utf-8"
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"

# Handlers see a request whose user, auth and state types the sandbox does not use.
AnyRequest = Request[Any, Any, Any]


def base_url(scope: Any) -> str:
    """The sandbox's own Horizon URL as this client reached it, for `_links`."""
    host = "127.0.0.1"
    for name, value in scope.get("headers", []):
        if name == b"host":
            host = value.decode("latin-1")
    return f"{scope.get('scheme', 'http')}://{host}{scope.get('root_path', '')}"


def _hal(document: dict[str, Any], status: int = 200) -> Response[bytes]:
    return Response(msgspec.json.encode(document), status_code=status, media_type=HAL_MEDIA_TYPE)


def _forced_result(fault: FaultRule | None) -> ForcedResult | None:
    if fault is None:
        return None
    if fault.mode == "force_tx_result":
        return ForcedResult(tx_code=fault.result_code)
    if fault.mode == "force_op_result":
        return ForcedResult(op_code=fault.result_code, op_index=fault.op_index)
    return None


def _ingest_delay_s(fault: FaultRule | None) -> float:
    return fault.lag_ms / 1000 if fault is not None and fault.mode == "ingest_lag" else 0.0


@get("/", sync_to_thread=False)
def root(request: AnyRequest, chain: NamedDependency[Chain]) -> Response[bytes]:
    latest = chain.latest_ledger()
    ingested = chain.ledger(chain.ingested_ledger())
    return _hal(root_json(base_url(request.scope), latest, ingested, chain.network_passphrase))


@get("/accounts/{account_id:str}", sync_to_thread=False)
def account(
    account_id: FromPath[str], request: AnyRequest, chain: NamedDependency[Chain]
) -> Response[bytes]:
    found = chain.account(account_id)
    if found is None:
        raise not_found()
    return _hal(account_json(found, base_url(request.scope)))


@get(
    [
        "/payments",
        "/operations",
        "/transactions",
        "/accounts/{account_id:str}/payments",
        "/accounts/{account_id:str}/operations",
        "/accounts/{account_id:str}/transactions",
    ],
    sync_to_thread=False,
)
def feed_page(request: AnyRequest, chain: NamedDependency[Chain]) -> Response[bytes]:
    feed = feed_for_path(request.url.path.removeprefix(request.scope.get("root_path", "")))
    if feed is None:
        raise not_found()
    if feed.account is not None and not chain.knows_account(feed.account):
        raise not_found()
    params = {key: value for key, value in request.query_params.items()}
    list_request = parse_list_request(params, chain.ingested_ledger())
    base = base_url(request.scope)
    records = feed_records(chain, feed, list_request, base)
    url = base + request.url.path.removeprefix(request.scope.get("root_path", ""))
    links = page_links(url, list_request, [token for token, _ in records])
    return _hal(page_json([record for _, record in records], links))


@get("/transactions/{tx_hash:str}", sync_to_thread=False)
def transaction(
    tx_hash: FromPath[str], request: AnyRequest, chain: NamedDependency[Chain]
) -> Response[bytes]:
    record = chain.ingested_transaction(tx_hash.lower())
    if record is None:
        raise not_found()
    return _hal(transaction_json(record, base_url(request.scope)))


@get("/operations/{operation_id:str}", sync_to_thread=False)
def operation(
    operation_id: FromPath[str], request: AnyRequest, chain: NamedDependency[Chain]
) -> Response[bytes]:
    record = chain.ingested_operation(int(operation_id)) if operation_id.isdigit() else None
    if record is None:
        raise not_found()
    return _hal(operation_json(record, base_url(request.scope)))


@get("/ledgers", sync_to_thread=False)
def ledgers(request: AnyRequest, chain: NamedDependency[Chain]) -> Response[bytes]:
    params = {key: value for key, value in request.query_params.items()}
    list_request = parse_list_request(params, chain.ingested_ledger())
    base = base_url(request.scope)
    records = chain.ledgers_page(list_request.query)
    rendered = [
        ledger_json(record, base, chain.fee_pool_stroops(record.sequence)) for record in records
    ]
    tokens = [int(item["paging_token"]) for item in rendered]
    return _hal(page_json(rendered, page_links(f"{base}/ledgers", list_request, tokens)))


@get("/ledgers/{sequence:int}", sync_to_thread=False)
def ledger(
    sequence: FromPath[int], request: AnyRequest, chain: NamedDependency[Chain]
) -> Response[bytes]:
    if not 1 <= sequence <= chain.ingested_ledger():
        raise not_found()
    record = chain.ledger(sequence)
    return _hal(ledger_json(record, base_url(request.scope), chain.fee_pool_stroops(sequence)))


@get("/fee_stats", sync_to_thread=False)
def fee_stats(chain: NamedDependency[Chain]) -> Response[bytes]:
    return _hal(fee_stats_json(chain.ingested_ledger()))


@post("/transactions", status_code=200)
async def submit_transaction(request: AnyRequest, chain: NamedDependency[Chain]) -> Response[bytes]:
    """Synchronous submission: 200 with the transaction, or a transaction_failed problem."""
    outcome = _submit(await _form_tx(request), chain)
    if outcome.status != SUCCESS:
        raise transaction_failed(outcome)
    assert outcome.record is not None
    return _hal(transaction_json(outcome.record, base_url(request.scope)))


@post("/transactions_async", status_code=201)
async def submit_transaction_async(
    request: AnyRequest, chain: NamedDependency[Chain]
) -> Response[bytes]:
    """Core's verdict without waiting for ingestion: PENDING, DUPLICATE or ERROR."""
    outcome = _submit(await _form_tx(request), chain)
    if outcome.replayed:
        return _hal({"tx_status": "DUPLICATE", "hash": outcome.hash}, 409)
    if outcome.status == REJECTED:
        body = {"tx_status": "ERROR", "hash": outcome.hash, "error_result_xdr": outcome.result_xdr}
        return _hal(body, 400)
    return _hal({"tx_status": "PENDING", "hash": outcome.hash}, 201)


@route("/friendbot", http_method=["GET", "POST"], status_code=200)
async def friendbot(request: AnyRequest, faucet: NamedDependency[Faucet]) -> Response[bytes]:
    """Creates the account with 10,000 XLM (or tops it up); 400 when already funded."""
    address = request.query_params.get("addr", "")
    if not StrKey.is_valid_ed25519_public_key(address):
        raise bad_request("addr", "addr must be a valid Stellar account id (G…)")
    try:
        outcome = faucet.fund_xlm(address)
    except AlreadyFundedError as error:
        raise HorizonProblem(400, "bad_request", "Bad Request", str(error)) from error
    if outcome.status != SUCCESS:
        raise transaction_failed(outcome)
    assert outcome.record is not None
    return _hal(transaction_json(outcome.record, base_url(request.scope)))


async def _form_tx(request: AnyRequest) -> str:
    content_type = request.headers.get("content-type", "")
    if content_type and not content_type.startswith(FORM_MEDIA_TYPE):
        raise unsupported_media_type()
    form = parse_qs((await request.body()).decode("utf-8", errors="replace"))
    values = form.get("tx")
    if not values or not values[0].strip():
        raise bad_request("tx", "tx is required: a base64 TransactionEnvelope")
    return values[0].strip()


def _submit(envelope_xdr: str, chain: Chain) -> SubmissionOutcome:
    fault = active_fault.get()
    try:
        return chain.submit(envelope_xdr, _forced_result(fault), _ingest_delay_s(fault))
    except MalformedEnvelopeError as error:
        raise transaction_malformed(envelope_xdr) from error
    except UnsupportedEnvelopeError as error:
        result_xdr = transaction_result_xdr(0, "tx_not_supported")
        extras = {
            "envelope_xdr": envelope_xdr,
            "result_xdr": result_xdr,
            "result_codes": {"transaction": "tx_not_supported"},
        }
        raise HorizonProblem(
            400, "transaction_failed", "Transaction Failed", str(error), extras
        ) from error


def _problem_response(_: AnyRequest, problem: HorizonProblem) -> Response[bytes]:
    return Response(
        msgspec.json.encode(problem.body()),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=problem.headers,
    )


def _http_exception(request: AnyRequest, error: HTTPException) -> Response[bytes]:
    if error.status_code in (404, 405):
        return _problem_response(request, not_found())
    if error.status_code < 500:
        return _problem_response(request, bad_request("request", str(error.detail)))
    return _problem_response(request, server_problem(error.status_code))


def _unexpected(request: AnyRequest, error: Exception) -> Response[bytes]:
    """A bug in the sandbox still answers in Horizon's format (and is visible in the log)."""
    logging.getLogger(__name__).exception("Horizon simulator error", exc_info=error)
    return _problem_response(request, server_problem(500))


def create_horizon_app(chain: Chain, faucet: Faucet) -> Any:
    """The Horizon ASGI app: feed streams as plain ASGI, the rest as Litestar routes."""
    rest = Litestar(
        route_handlers=[
            root,
            account,
            feed_page,
            transaction,
            operation,
            ledgers,
            ledger,
            fee_stats,
            submit_transaction,
            submit_transaction_async,
            friendbot,
        ],
        dependencies={
            "chain": Provide(lambda: chain, use_cache=True, sync_to_thread=False),
            "faucet": Provide(lambda: faucet, use_cache=True, sync_to_thread=False),
        },
        exception_handlers={
            HorizonProblem: _problem_response,
            HTTPException: _http_exception,
            Exception: _unexpected,
        },
        openapi_config=None,
        logging_config=None,
    )

    async def horizon(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and wants_event_stream(scope):
            path = scope["path"].removeprefix(scope.get("root_path", ""))
            feed: Feed | None = feed_for_path(path)
            if feed is not None:
                await serve_stream(
                    scope,
                    receive,
                    send,
                    chain=chain,
                    feed=feed,
                    base=base_url(scope),
                    fault=active_fault.get(),
                )
                return
        await rest(scope, receive, send)

    return horizon


def horizon_handler_modes(method: str, path: str, scope: Any) -> frozenset[str]:
    """Handler-level fault modes each Horizon route carries out."""
    if method == "POST" and path.rstrip("/") in ("/transactions", "/transactions_async"):
        return frozenset({"force_tx_result", "force_op_result", "ingest_lag"})
    if method == "GET" and wants_event_stream(scope) and feed_for_path(path) is not None:
        return frozenset({"sse_disconnect"})
    return frozenset()


def horizon_fault_renderer(chain: Chain) -> FaultRenderer:
    def render(response: FaultResponse) -> tuple[dict[str, Any], dict[str, Any]]:
        rule = response.rule
        if rule.mode == "rate_limit":
            problem = rate_limit_exceeded(rule.retry_after_s)
        elif rule.mode == "timeout_before_apply":
            problem = submission_timeout(None, None)
        elif rule.mode == "timeout_after_apply":
            problem = _timeout_after_submit(chain, response)
        elif response.status >= 500:
            problem = server_problem(response.status, rule.problem)
        else:
            slug = rule.problem or "bad_request"
            problem = HorizonProblem(
                response.status, slug, slug.replace("_", " ").title(), "Injected by the sandbox."
            )
        problem.status = response.status
        return problem.asgi_messages()

    return render


def _timeout_after_submit(chain: Chain, response: FaultResponse) -> HorizonProblem:
    """Horizon's 504 names the transaction's hash so the client can poll before resubmitting."""
    if response.path.rstrip("/") not in ("/transactions", "/transactions_async"):
        return submission_timeout(None, None)
    values = parse_qs(response.request_body.decode("utf-8", errors="replace")).get("tx", [""])
    try:
        decoded = decode_envelope(values[0].strip(), chain.network_passphrase)
    except (MalformedEnvelopeError, UnsupportedEnvelopeError):
        return submission_timeout(None, None)
    return submission_timeout(decoded.hash_hex, decoded.envelope_xdr)
