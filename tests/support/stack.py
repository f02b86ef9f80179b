"""The service as tests run it: real PostgreSQL and Redis, the sandbox for Stellar and Trustless
Work, the Litestar app on uvicorn over loopback HTTP, the runner's loops and the saga workers in
threads."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import dramatiq
import httpx
import uvicorn
from dramatiq.brokers.redis import RedisBroker

from interfaces.bootstrap import build_broker, build_services, ensure_projections
from interfaces.cli.worker import IDLE_POLL_MAX_MS
from interfaces.http.app import create_app
from interfaces.http.edge.server import HTTP_PARSER, HttpServer, server_options
from interfaces.services import Services
from interfaces.settings import Settings, load_settings
from interfaces.workers.actors import declare_actors
from interfaces.workers.loops import default_runner
from interfaces.workers.runner import Runner
from sandbox.app import DEFAULT_AIRTM_API_KEY, DEFAULT_AIRTM_API_SECRET
from sandbox.server import SandboxServer
from tests.support.capture import SESSION
from tests.support.waiting import wait_until

MASTER_KEY = "ohk_master_" + "t" * 48
TRUSTLESS_WEBHOOK_SECRET = "tw-webhook-secret-for-tests"
WORKER_THREADS = 4


def settings_for_tests(sandbox: SandboxServer | None = None, **environ: str) -> Settings:
    base = {
        "LEDGERLINE_MASTER_KEY": MASTER_KEY,
        "WALLET_ENCRYPTION_KEY": "ab" * 32,
        "RATE_LIMIT_PER_MINUTE": "100000",
        "LOG_LEVEL": "WARNING",
        # Fast, bounded saga retries: tests exercise exhaustion in seconds, not minutes.
        "SAGA_RETRIES_MAX": "4",
        "SAGA_BACKOFF_MIN_MS": "50",
        "SAGA_BACKOFF_MAX_MS": "400",
        "SAGA_STEP_TIME_LIMIT_MS": "30000",
        "RECONCILE_INTERVAL_S": "3600",
        "AUTO_RELEASE_INTERVAL_S": "1",
        # No anchors unless a test asks for them (tests/e2e/test_audit_anchors.py): other tests'
        # logs stay exactly what their own commands wrote.
        "AUDIT_ANCHOR_EVERY_EVENTS": "10000000",
        "AUDIT_ANCHOR_INTERVAL_S": "604800",
        # A hung provider call gives up quickly, so the saga retries within the test's time.
        "TRUSTLESS_TIMEOUT_S": "3",
        # A killed worker's unacknowledged messages come back within seconds.
        "BROKER_HEARTBEAT_TIMEOUT_MS": "3000",
        "BROKER_MAINTENANCE_CHANCE": "1000000",
        # Each stack its own queues, so workers never take another test database's messages.
        "LEDGERLINE_BROKER_NAMESPACE": f"ledgerline-test-{uuid.uuid4().hex[:8]}",
        # Event feed: heartbeats every second; webhook retries fast and bounded.
        "SSE_HEARTBEAT_S": "1",
        "WEBHOOK_RETRIES_MAX": "4",
        "WEBHOOK_BACKOFF_MIN_MS": "50",
        "WEBHOOK_BACKOFF_MAX_MS": "400",
        "WEBHOOK_TIMEOUT_MS": "3000",
        "WEBHOOK_DISABLE_AFTER_FAILURES": "2",
        # The workers below run WORKER_THREADS threads: webhooks may use half, one endpoint one.
        "WORKER_THREADS": str(WORKER_THREADS),
        "WEBHOOK_IN_FLIGHT_PER_ENDPOINT": "1",
        "TRUSTLESS_WEBHOOK_SECRET": TRUSTLESS_WEBHOOK_SECRET,
    }
    if sandbox is not None:
        base.update(
            STELLAR_NETWORK="sandbox",
            STELLAR_HORIZON_URL=sandbox.horizon_url,
            STELLAR_USDC_ISSUER=sandbox.chain.usdc.issuer,
            TRUSTLESS_API_URL=sandbox.trustless_work_url,
            TRUSTLESS_API_KEY=sandbox.api_key,
            LEDGERLINE_SANDBOX_URL=sandbox.url,
        )
    base.update(environ)
    return load_settings(base)


def airtm_environ(sandbox: SandboxServer) -> dict[str, str]:
    """The fiat ramp on, pointed at the sandbox's AirTM (its URLs default from the sandbox's)."""
    return {
        "PAYMENT_PROVIDERS": "crypto,airtm",
        "AIRTM_API_KEY": DEFAULT_AIRTM_API_KEY,
        "AIRTM_API_SECRET": DEFAULT_AIRTM_API_SECRET,
        "AIRTM_WEBHOOK_SECRET": sandbox.airtm_webhooks.secret,
        "AIRTM_TIMEOUT_S": "3",
        "AIRTM_RECONCILE_INTERVAL_S": "3600",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ApiServer:
    """The app on uvicorn in a background thread, on a free loopback port, configured as
    `ledgerline serve` configures it (with `parser` as its HTTP parser)."""

    def __init__(
        self, services: Services, port: int | None = None, parser: str = HTTP_PARSER
    ) -> None:
        self.port = port or free_port()  # a restart passes the port it had
        app = create_app(services)
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="on",
            **server_options(parser),
        )
        self._server = HttpServer(config, app)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def start(self) -> ApiServer:
        self._thread.start()
        wait_until(lambda: self._server.started, message="uvicorn to start")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


class Workers:
    """Dramatiq workers in this process, on the stack's own broker and queues."""

    def __init__(self, services: Services, broker: RedisBroker) -> None:
        declare_actors(broker, services)
        self._worker = dramatiq.Worker(
            broker, worker_threads=WORKER_THREADS, worker_timeout=IDLE_POLL_MAX_MS
        )

    def start(self) -> Workers:
        self._worker.start()
        return self

    def stop(self) -> None:
        self._worker.stop(timeout=10_000)


@dataclass
class Stack:
    services: Services
    server: ApiServer
    runner: Runner | None
    workers: Workers | None
    sandbox: SandboxServer | None
    broker: RedisBroker | None
    clients: list[httpx.Client] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def client(self, key: str | None = MASTER_KEY, **headers: str) -> httpx.Client:
        auth = {"Authorization": f"Bearer {key}"} if key else {}
        client = httpx.Client(
            base_url=self.base_url,
            headers={**auth, **headers},
            timeout=60,
            event_hooks={"response": [SESSION.record_response]},
        )
        self.clients.append(client)
        return client

    def caught_up(self) -> None:
        """Waits until every read model has applied the whole log."""
        head = self.services.resources.ledger.head_position()
        for store in self.services.resources.projections.values():
            wait_until(lambda s=store: s.position() >= head, message=f"{store.name} to catch up")

    def restart_runner(self) -> Runner:
        """Stops the runner (if running) and starts a fresh one, as a process restart would."""
        if self.runner is not None:
            self.runner.stop()
        self.runner = default_runner(self.services, self.broker)
        self.runner.start()
        return self.runner

    def key(self, *scopes: str, **fields: Any) -> str:
        """Issues an API key with `scopes` through the API and returns its token."""
        response = self.client().post(
            "/auth/api-keys",
            json={"name": f"test {'+'.join(scopes)}", "scopes": list(scopes), **fields},
        )
        assert response.status_code == 201, response.text
        token = str(response.json()["data"]["key"])
        SESSION.tokens.append(token)
        return token


@contextmanager
def running_stack(
    database_url: str,
    redis_url: str,
    sandbox: SandboxServer | None = None,
    *,
    with_runner: bool = True,
    with_workers: bool = True,
    **environ: str,
) -> Iterator[Stack]:
    services = build_services(settings_for_tests(sandbox, **environ), database_url, redis_url)
    ensure_projections(services)
    server = ApiServer(services).start()
    broker = build_broker(services) if sandbox else None
    workers = Workers(services, broker).start() if with_workers and broker else None
    runner = None
    if with_runner:
        runner = default_runner(services, broker)
        runner.start()
    stack = Stack(services, server, runner, workers, sandbox, broker)
    try:
        yield stack
    finally:
        for client in stack.clients:
            client.close()
        if stack.runner:  # the one running now: a test may have restarted or stopped it
            stack.runner.stop()
        if stack.workers:
            stack.workers.stop()
        if broker:
            broker.close()
        server.stop()
        services.close()


def process_environment(services: Services) -> dict[str, str]:
    """Environment for a real `ledgerline …` subprocess joining this stack's services."""
    settings = services.settings
    environ = {
        "DATABASE_URL": services.resources.database_url,
        "REDIS_URL": services.resources.redis_url,
        "LEDGERLINE_MASTER_KEY": MASTER_KEY,
        "WALLET_ENCRYPTION_KEY": str(settings.wallet_encryption_key),
        "LOG_LEVEL": "WARNING",
        "STELLAR_NETWORK": settings.stellar_network,
        "LEDGERLINE_BROKER_NAMESPACE": settings.broker_namespace,
        "SAGA_RETRIES_MAX": str(settings.saga_retries_max),
        "SAGA_BACKOFF_MIN_MS": str(settings.saga_backoff_min_ms),
        "SAGA_BACKOFF_MAX_MS": str(settings.saga_backoff_max_ms),
        "RECONCILE_INTERVAL_S": str(settings.reconcile_interval_s),
        "AUTO_RELEASE_INTERVAL_S": str(settings.auto_release_interval_s),
        "AUDIT_ANCHOR_EVERY_EVENTS": str(settings.audit_anchor_every_events),
        "AUDIT_ANCHOR_INTERVAL_S": str(settings.audit_anchor_interval_s),
        "TRUSTLESS_TIMEOUT_S": str(settings.trustless_timeout_s),
        "BROKER_HEARTBEAT_TIMEOUT_MS": str(settings.broker_heartbeat_timeout_ms),
        "BROKER_MAINTENANCE_CHANCE": str(settings.broker_maintenance_chance),
        "WORKER_THREADS": str(settings.worker_threads),
        "RATE_LIMIT_PER_MINUTE": str(settings.rate_limit_per_minute),
        "PAYMENT_PROVIDERS": ",".join(settings.payment_providers),
        "AIRTM_TIMEOUT_S": str(settings.airtm_timeout_s),
    }
    optional = {
        "STELLAR_HORIZON_URL": settings.stellar_horizon_url,
        "STELLAR_USDC_ISSUER": settings.stellar_usdc_issuer,
        "TRUSTLESS_API_URL": settings.trustless_api_url,
        "TRUSTLESS_API_KEY": settings.trustless_api_key,
        "AIRTM_API_URL": settings.airtm_api_url,
        "AIRTM_CHECKOUT_URL": settings.airtm_checkout_url,
        "AIRTM_API_KEY": settings.airtm_api_key,
        "AIRTM_API_SECRET": settings.airtm_api_secret,
        "AIRTM_WEBHOOK_SECRET": settings.airtm_webhook_secret,
        "PUBLIC_BASE_URL": settings.public_base_url,
    }
    environ.update({k: v for k, v in optional.items() if v})
    return environ
