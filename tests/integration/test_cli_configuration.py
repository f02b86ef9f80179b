"""Every `ledgerline` command refuses bad configuration with a message naming what to fix and
a non-zero exit status, never a traceback, and never prints a URL that may hold a password."""

from __future__ import annotations

import pytest
from click.testing import CliRunner, Result

from interfaces.cli.environment import EXIT_CONFIG, EXIT_UNAVAILABLE
from interfaces.cli.main import cli
from interfaces.services import Services
from tests.support.stack import free_port, process_environment

pytestmark = pytest.mark.integration
PASSWORD = "hunter2-not-for-logs"


def ledgerline(services: Services, *args: str, **environ: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={**process_environment(services), **environ})


def test_an_unreachable_database_is_named_and_its_password_is_not(
    fresh_services: Services,
) -> None:
    url = f"postgresql://ledgerline:{PASSWORD}@127.0.0.1:{free_port()}/ledgerline"
    result = ledgerline(fresh_services, "projections", "status", DATABASE_URL=url)
    assert result.exit_code == EXIT_UNAVAILABLE
    assert "cannot reach PostgreSQL at DATABASE_URL" in result.output
    assert PASSWORD not in result.output
    assert "Traceback" not in result.output


def test_an_unreachable_redis_is_named_and_its_password_is_not(fresh_services: Services) -> None:
    url = f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0"
    result = ledgerline(fresh_services, "projections", "status", REDIS_URL=url)
    assert result.exit_code == EXIT_UNAVAILABLE
    assert "cannot reach Redis at REDIS_URL" in result.output
    assert PASSWORD not in result.output


@pytest.mark.parametrize(
    ("variable", "value"),
    [("PORT", "eighty"), ("LOG_FORMAT", "xml"), ("DATABASE_URL", "mysql://db/x")],
)
def test_a_bad_setting_is_named_with_exit_status_2(
    fresh_services: Services, variable: str, value: str
) -> None:
    result = ledgerline(fresh_services, "projections", "status", **{variable: value})
    assert result.exit_code == EXIT_CONFIG
    assert variable in result.output
    assert "Traceback" not in result.output


def test_a_bad_web_concurrency_is_refused_before_anything_starts(
    fresh_services: Services,
) -> None:
    result = ledgerline(fresh_services, "serve", WEB_CONCURRENCY="0")
    assert result.exit_code == EXIT_CONFIG
    assert "WEB_CONCURRENCY" in result.output


def test_operator_commands_work_on_a_database_no_process_has_used_yet(
    fresh_services: Services,
) -> None:
    # fresh_services migrated the database but created no read model: no API or runner ran.
    listed = ledgerline(fresh_services, "sagas", "list")
    assert listed.exit_code == 0, listed.output
    assert "no sagas" in listed.output
    status = ledgerline(fresh_services, "projections", "status")
    assert status.exit_code == 0, status.output
