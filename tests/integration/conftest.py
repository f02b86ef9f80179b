from __future__ import annotations

from collections.abc import Iterator

import pytest

from interfaces.bootstrap import build_services, ensure_projections
from interfaces.services import Services
from sandbox.server import SandboxServer
from tests.support.stack import settings_for_tests


@pytest.fixture(scope="session")
def services(database_url: str, redis_url: str, sandbox: SandboxServer) -> Iterator[Services]:
    """Services on the session's shared database (tests use unique data)."""
    built = build_services(settings_for_tests(sandbox), database_url, redis_url)
    ensure_projections(built)
    yield built
    built.close()


@pytest.fixture
def fresh_services(
    database_factory: object, redis_url: str, sandbox: SandboxServer
) -> Iterator[Services]:
    """Services on a brand-new, empty database, for tests about the whole log."""
    built = build_services(settings_for_tests(sandbox), database_factory(), redis_url)  # type: ignore[operator]
    yield built
    built.close()
