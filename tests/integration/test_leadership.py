"""A second runner is a hot standby: it takes over a loop when the leader dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from infrastructure.postgres.leadership import Leadership, held_locks, lock_key
from interfaces.services import Services
from interfaces.workers.loops import default_loops, runner_of
from tests.support.processes import PROCESS_START_TIMEOUT_S
from tests.support.stack import process_environment
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


def test_only_one_session_leads_a_loop_at_a_time(database_url: str) -> None:
    first, second = Leadership(database_url, "test:solo"), Leadership(database_url, "test:solo")
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
        first.release()
        assert second.try_acquire()
    finally:
        first.release()
        second.release()


def test_a_leader_whose_session_the_server_ended_knows_at_once_without_a_round_trip_per_step(
    database_url: str, services: Services
) -> None:
    leader, standby = Leadership(database_url, "test:ended"), Leadership(database_url, "test:ended")
    try:
        assert leader.try_acquire()
        assert leader.try_acquire()  # still held: looked at its socket, sent nothing
        pid = leader._conn.info.backend_pid  # type: ignore[union-attr]
        with services.resources.pool.connection() as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        # Well within PROBE_INTERVAL_S: the closed socket, not the periodic probe, tells it.
        wait_until(lambda: not leader.try_acquire(), timeout_s=2, message="the leader to notice")
        assert not leader.is_leader
        assert standby.try_acquire()
    finally:
        leader.release()
        standby.release()


def test_a_standby_runner_takes_over_within_seconds_when_the_leader_is_killed(
    fresh_services: Services,
) -> None:
    # A database of its own: no other runner of the test session may lead its loops.
    services = fresh_services
    leader = subprocess.Popen(  # the leader is a real `ledgerline runner` process
        [sys.executable, "-m", "interfaces.cli", "runner"],
        env={**os.environ, **process_environment(services)},
    )
    key = lock_key("projection:users")
    try:

        def held() -> bool:
            assert leader.poll() is None, "the runner subprocess exited"
            with services.resources.pool.connection() as conn:
                return key in held_locks(conn)

        wait_until(held, timeout_s=PROCESS_START_TIMEOUT_S, message="the subprocess runner to lead")
        standby = runner_of(services, default_loops(services))
        standby.start()
        try:
            assert not standby.leading["projection:users"]
            leader.send_signal(signal.SIGKILL)
            leader.wait(timeout=10)
            wait_until(
                lambda: standby.leading["projection:users"],
                timeout_s=10,
                message="the standby to take over",
            )
        finally:
            standby.stop()
    finally:
        if leader.poll() is None:
            leader.kill()
            leader.wait()
