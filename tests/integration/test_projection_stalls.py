"""A projection that cannot apply an event stops only itself, and says so: readiness names the
projection, the position and the error, the metrics export it, and the stall clears once the
projection moves past that event."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

import httpx
import pytest
from click.testing import CliRunner
from psycopg import Cursor

from application.context import CommandContext
from domain.users import User
from interfaces.bootstrap import ensure_projections
from interfaces.cli.main import cli
from interfaces.services import Services
from interfaces.workers.loops import default_loops, runner_of
from projections.projection import Projection, handles
from projections.stalls import EventNotAppliedError, Stalls
from projections.store import ProjectionStore
from tests.support.stack import ApiServer, process_environment
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
CONTEXT = CommandContext(request_id="projection-stalls")
POISON = "poison-"


class PickyProjection(Projection):
    """A read model whose handler raises on users whose external id starts with POISON, until
    it is fixed (as a deployed fix would)."""

    name = "picky"
    fixed: ClassVar[bool] = False
    ddl: ClassVar[tuple[str, ...]] = ("CREATE TABLE seen (user_id text PRIMARY KEY)",)

    @handles(User.Created)
    def _created(self, cursor: Cursor[Any], event: Any, position: int) -> None:
        if event.external_user_id.startswith(POISON) and not PickyProjection.fixed:
            raise ValueError(f"cannot apply {event.external_user_id}")
        cursor.execute("INSERT INTO seen (user_id) VALUES (%s)", (str(event.originator_id),))


def test_a_projection_that_cannot_apply_an_event_stops_only_itself_and_shows_it(
    fresh_services: Services,
) -> None:
    services = fresh_services
    resources = services.resources
    picky = ProjectionStore(PickyProjection(), resources.pool, resources.ledger)
    resources.projections[picky.name] = picky
    ensure_projections(services)
    users = services.use_cases.users
    fine = users.create_user(f"fine-{uuid.uuid4().hex}", None, "BOTH", CONTEXT)
    poisoned = users.create_user(f"{POISON}{uuid.uuid4().hex}", None, "BOTH", CONTEXT)
    users.create_user(f"after-{uuid.uuid4().hex}", None, "BOTH", CONTEXT)
    head = resources.ledger.head_position()
    assert fine.position is not None and poisoned.position is not None

    server = ApiServer(services).start()
    runner = runner_of(services, default_loops(services))
    runner.start()
    try:
        others = [s for s in resources.projections.values() if s is not picky]
        for store in others:
            wait_until(lambda s=store: s.position() >= head, message=f"{store.name} at the head")
        wait_until(lambda: picky.name in Stalls(resources.pool).all(), message="the stall")
        # The page holding the event rolled back whole: the projection waits before it.
        assert picky.position() < poisoned.position

        response = httpx.get(f"{server.base_url}/health/ready", timeout=10)
        projections = response.json()["data"]["projections"]
        stall = projections[picky.name]["stall"]
        # The user's creation is recorded with its account: its event is within that batch.
        assert fine.position < stall["position"] <= poisoned.position
        assert stall["error"].startswith("ValueError: cannot apply poison-")
        assert stall["since"]
        assert all(projections[s.name]["stall"] is None for s in others)
        assert all(projections[s.name]["lag"] == 0 for s in others)

        root = server.base_url.removesuffix("/api/v1")
        exposition = httpx.get(f"{root}/metrics", timeout=10).text
        assert (
            f'ledgerline_projection_stalled_position{{projection="{picky.name}"}} '
            f"{float(stall['position'])}" in exposition
        )
        assert 'ledgerline_projection_stalled_position{projection="users"} 0.0' in exposition

        PickyProjection.fixed = True
        wait_until(lambda: picky.position() >= head, timeout_s=30, message="picky to pass")
        wait_until(lambda: not Stalls(resources.pool).all(), message="the stall to clear")
        response = httpx.get(f"{server.base_url}/health/ready", timeout=10)
        assert response.json()["data"]["projections"][picky.name]["stall"] is None
    finally:
        PickyProjection.fixed = False
        runner.stop()
        server.stop()


def test_projections_status_names_the_event_a_stalled_read_model_cannot_apply(
    fresh_services: Services,
) -> None:
    services = fresh_services
    ensure_projections(services)
    stalls = Stalls(services.resources.pool)
    stalls.record(EventNotAppliedError("users", 7, ValueError("no\x00pe")))

    result = CliRunner().invoke(cli, ["projections", "status"], env=process_environment(services))
    assert result.exit_code == 0, result.output
    users = next(line for line in result.output.splitlines() if line.startswith("users "))
    assert users.endswith("(cannot apply position 7: ValueError: no\\u0000pe)")

    stalls.clear("users", 7)
    assert stalls.all() == {}
