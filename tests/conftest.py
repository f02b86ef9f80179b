"""Test-wide fixtures: real PostgreSQL and Redis, embedded unless DATABASE_URL / REDIS_URL are set.

Each test session gets its own database (created fresh, dropped at the end), so runs never see
each other's log. Tests use unique data (ids, external ids) instead of truncating tables.
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from hypothesis import HealthCheck, settings
from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from infrastructure.embedded.postgres import EmbeddedPostgres
from infrastructure.embedded.redis import EmbeddedRedis
from sandbox.server import SandboxServer
from tests.support.capture import install_log_sink
from tests.support.traces import RecentSpans

ROOT = Path(__file__).resolve().parent.parent
TEST_VAR = ROOT / "var" / "test"

settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "dev",
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

_EXIT_STATUS = pytest.StashKey[int]()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Ends the run with pytest's own exit status once everything is reported and every
    fixture is torn down, without the interpreter's final teardown of C extensions.

    A whole-suite run once passed every test and then died in that teardown with glibc's
    "double free or corruption", turning a green run red (CI, exit 2 after 473 s): daemon
    threads of third-party clients still blocked in C code while modules are freed. Nothing of
    ours is left to run by then, so skipping it loses nothing."""
    status = config.stash.get(_EXIT_STATUS, None)
    if status is None:
        return
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


@pytest.fixture(scope="session", autouse=True)
def spans() -> RecentSpans:
    """The spans the in-process services finish, kept in memory. Installed here, not through
    configure_tracing, so a CLI command run in-process neither replaces nor stops it."""
    exporter = RecentSpans()
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: "ledgerline-tests"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


@pytest.fixture(scope="session", autouse=True)
def captured_logs() -> Iterator[None]:
    """Every in-process log record of the session, for the secret scan."""
    sink = install_log_sink()
    yield
    logging.getLogger().removeHandler(sink)


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A URL of a server we may create databases on (database part ignored)."""
    external = os.environ.get("DATABASE_URL")
    if external:
        yield external
        return
    server = EmbeddedPostgres(TEST_VAR / "pg", durable=False, database="postgres")
    server.start()
    try:
        yield server.url
    finally:  # a session that joined another's server leaves it running for that one
        server.stop_if_started_here()


def _database_url(server_url: str, name: str) -> str:
    """`server_url` with its database replaced, as a postgresql:// URL (what DATABASE_URL takes)."""
    params = psycopg.conninfo.conninfo_to_dict(server_url)
    user = quote(str(params.get("user", "postgres")))
    password = params.get("password")
    auth = f"{user}:{quote(str(password))}" if password else user
    host, port = params.get("host", "127.0.0.1"), params.get("port", "5432")
    return f"postgresql://{auth}@{host}:{port}/{name}"


@pytest.fixture(scope="session")
def database_factory(postgres_server_url: str) -> Iterator[object]:
    """Creates fresh databases on demand; drops them all at the end of the session."""
    created: list[str] = []

    def create() -> str:
        name = f"ledgerline_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(postgres_server_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return _database_url(postgres_server_url, name)

    yield create
    with psycopg.connect(postgres_server_url, autocommit=True) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(database_factory: object) -> str:
    """The session's shared database."""
    return database_factory()  # type: ignore[operator, no-any-return]


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    """One Stellar + Trustless Work sandbox for the session; tests use fresh wallets. Trustless
    Work's 50-per-minute limit is lifted (the suite runs hundreds of escrow steps a minute);
    the tests of 429 handling inject it as a fault."""
    seed = int(os.environ.get("SANDBOX_SEED", "7"))
    with SandboxServer(port=0, seed=seed, trustless_requests_per_window_max=100_000) as server:
        yield server


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    external = os.environ.get("REDIS_URL")
    if external:
        yield external
        return
    server = EmbeddedRedis(TEST_VAR / f"redis-{os.getpid()}", durable=False)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
