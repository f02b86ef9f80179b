from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.server import SandboxServer
from tests.support.stack import Stack, running_stack


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The secret scan goes last but one, so it sees everything the other tests made appear;
    the rebuild of the suite's whole log goes last, since it stops the session's runner."""
    items.sort(
        key=lambda item: (
            item.fspath.basename == "test_rebuild_of_the_suites_log.py",
            item.fspath.basename == "test_secrets.py",
        )
    )


@pytest.fixture(scope="session")
def stack(database_url: str, redis_url: str, sandbox: SandboxServer) -> Iterator[Stack]:
    """The API on uvicorn, the runner and the saga workers, on the session's database and the
    session's sandbox; tests use unique data."""
    with running_stack(database_url, redis_url, sandbox) as running:
        yield running


@pytest.fixture
def isolated_stack(
    database_factory: object, redis_url: str, sandbox: SandboxServer
) -> Iterator[Stack]:
    """A stack on a brand-new database, for tests that stop loops or look at every wallet."""
    with running_stack(database_factory(), redis_url, sandbox) as running:  # type: ignore[operator]
        yield running
