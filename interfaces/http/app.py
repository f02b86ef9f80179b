"""The Litestar application: routes under /api/v1, the edge middleware, one error table, and
the OpenAPI document with its offline docs page at /api/v1/docs (interfaces/http/contract/)."""

from __future__ import annotations

from typing import Final

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.openapi.config import OpenAPIConfig

from infrastructure.observability.exposition import Exposition
from infrastructure.redis.rate_limit import LoopRateLimiter
from interfaces.http.accounts import AccountsController, TransactionsController
from interfaces.http.admin import AdminController
from interfaces.http.api_keys import ApiKeysController, me_alias
from interfaces.http.audit import AuditController
from interfaces.http.audit_anchors import AuditAnchorsController
from interfaces.http.balance_proofs import BalanceProofsController
from interfaces.http.commit_signal import CommitSignal
from interfaces.http.contract.docs_page import DocumentPlugin, SwaggerPage
from interfaces.http.contract.document import Contract
from interfaces.http.disputes import DisputesController
from interfaces.http.edge.admission import ROUTE_SCOPES, Gate, KeyUsage
from interfaces.http.edge.dependencies import app_dependencies
from interfaces.http.edge.errors import EXCEPTION_HANDLERS
from interfaces.http.edge.handler_threads import use_handler_threads
from interfaces.http.edge.middleware import BODY_BYTES_MAX, EdgeMiddleware
from interfaces.http.edge.query import QueryMiddleware
from interfaces.http.edge.telemetry import TelemetryMiddleware
from interfaces.http.events import EventsController
from interfaces.http.health import VERSION, HealthController
from interfaces.http.incoming_webhooks import IncomingWebhooksController
from interfaces.http.live_feed import LiveFeed
from interfaces.http.metrics import METRICS_PATH, metrics_route, shared_state
from interfaces.http.orders import OrdersController
from interfaces.http.reserves import ReservesController
from interfaces.http.topups import AirtmLinksController, TopUpsController
from interfaces.http.users import UsersController
from interfaces.http.wallets import WalletsController
from interfaces.http.webhook_endpoints import WebhookEndpointsController
from interfaces.http.withdrawals import DepositsController, WithdrawalsController
from interfaces.services import Services
from interfaces.workers.loops import DEFAULT_LOG_CHANNEL

API_PREFIX: Final = "/api/v1"
DOCS_PATH: Final = f"{API_PREFIX}/docs"


def create_app(services: Services) -> Litestar:
    resources = services.resources
    gate = Gate(
        api_keys=services.use_cases.api_keys,
        usage=KeyUsage(resources.pool),
        limiter=resources.limiter,
        idempotency=resources.idempotency,
        default_limit_per_minute=services.settings.rate_limit_per_minute,
        # Opened on the server's loop at startup, closed at shutdown (its client is the loop's).
        loop_limiter=LoopRateLimiter(resources.redis_url, resources.redis_timeout_s),
    )
    api = Router(
        path=API_PREFIX,
        route_handlers=[
            HealthController,
            ApiKeysController,
            me_alias,
            UsersController,
            BalanceProofsController,
            AirtmLinksController,
            TopUpsController,
            WalletsController,
            WithdrawalsController,
            DepositsController,
            OrdersController,
            DisputesController,
            AdminController,
            EventsController,
            AuditController,
            ReservesController,
            AuditAnchorsController,
            AccountsController,
            TransactionsController,
            WebhookEndpointsController,
            IncomingWebhooksController,
        ],
    )
    # One LISTEN per process: it wakes the feed reader and the waits of read-your-writes.
    channel = getattr(resources.ledger.recorder, "channel_name", DEFAULT_LOG_CHANNEL)
    signal = CommitSignal(resources.database_url, channel)
    live_feed = LiveFeed(
        services.views.feed, resources.slots, services.settings, resources.ledger, signal
    )
    contract = Contract()
    edge = EdgeMiddleware(gate)
    query = QueryMiddleware()
    # Keys, rate limits, idempotency and query checks are for callers; docs are read and
    # /metrics is scraped.
    edge.should_bypass_for_scope = query.should_bypass_for_scope = lambda scope: (
        scope["path"].startswith(DOCS_PATH) or scope["path"] == METRICS_PATH
    )
    app = Litestar(
        route_handlers=[api, metrics_route(Exposition(shared_state(services)))],
        middleware=[TelemetryMiddleware(), edge, query],
        dependencies=app_dependencies(services, signal),
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        openapi_config=OpenAPIConfig(
            title="Ledgerline",
            version=VERSION,
            path=DOCS_PATH,
            use_handler_docstrings=True,
            render_plugins=[SwaggerPage(contract, DOCS_PATH), DocumentPlugin(contract)],
        ),
        request_max_body_size=BODY_BYTES_MAX,
        state=State({"live_feed": live_feed, "contract": contract}),
        on_startup=[use_handler_threads, gate.open_on_loop, live_feed.start],
        on_shutdown=[live_feed.stop, gate.close_on_loop],
        # Logging is the process's (infrastructure/observability/logs.py); Litestar must not
        # reconfigure it.
        logging_config=None,
    )
    check_route_scopes(app)
    return app


def check_route_scopes(app: Litestar) -> None:
    """Refuses to start when a route under /api/v1 does not declare a known scope."""
    for route in app.routes:
        if not route.path.startswith(API_PREFIX) or route.path.startswith(DOCS_PATH):
            continue
        for handler in getattr(route, "route_handlers", ()):
            if set(getattr(handler, "http_methods", ())) == {"OPTIONS"}:
                continue  # Litestar's automatic OPTIONS answer; it carries no data
            declared = handler.opt.get("scope")
            if declared not in ROUTE_SCOPES:
                raise RuntimeError(f"{route.path} does not declare a known scope: {declared!r}")
