"""Every process stops gracefully on SIGTERM: work in flight finishes within a bound, nothing
accepted is lost, leadership is released at once, and the exit status says all went well."""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest

from domain.money import Amount
from infrastructure.postgres.leadership import held_locks
from interfaces.cli.serve import GRACEFUL_SHUTDOWN_S
from interfaces.cli.worker import STOP_TIMEOUT_MS
from interfaces.workers.runner import RUNNER_STOP_S
from sandbox.faults.fault_rules import HORIZON_SUBMIT
from tests.support.money import (
    active_user,
    funded_user,
    usdc_payments,
    wait_balance,
    wait_withdrawal,
    withdraw,
)
from tests.support.processes import ledgerline_process, worker_process
from tests.support.sse import EventStreamClient
from tests.support.stack import MASTER_KEY, Stack, free_port
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
LOAD_THREADS = 4
ACCEPTED_BEFORE_SIGTERM = 20
CREDIT = Amount.parse("0.01")
# Beyond each process's own bound: the interpreter's exit and a loaded machine's scheduling.
EXIT_SLACK_S = 10


class CreditLoad:
    """Threads crediting one user until the server stops listening. Each request has its own
    connection: a refused one was never read, and one reset without an answer was still
    waiting in the listen backlog when the server closed it (the ledger shows which)."""

    def __init__(self, base_url: str, user_id: str) -> None:
        self._url = f"{base_url}/api/v1/users/{user_id}/balance/credit"
        self._done = threading.Event()
        self._lock = threading.Lock()
        self.outcomes: Counter[str] = Counter()
        self.unexpected: list[str] = []
        self._threads = [threading.Thread(target=self._run) for _ in range(LOAD_THREADS)]

    def start(self) -> CreditLoad:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._done.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {MASTER_KEY}", "Connection": "close"}
        with httpx.Client(headers=headers, timeout=60) as client:
            while not self._done.is_set():
                try:
                    response = client.post(
                        self._url,
                        json={"amount": CREDIT.to_wire(), "reason": "load"},
                        headers={"Idempotency-Key": uuid.uuid4().hex},
                    )
                except httpx.ConnectError:
                    self._count("refused")
                    time.sleep(0.05)
                    continue
                except (httpx.ReadError, httpx.RemoteProtocolError):
                    self._count("unanswered")
                    continue
                if response.is_success:
                    self._count("accepted")
                else:
                    self._count(f"status {response.status_code}", response.text)

    def _count(self, outcome: str, detail: str | None = None) -> None:
        with self._lock:
            self.outcomes[outcome] += 1
            if detail is not None:
                self.unexpected.append(f"{outcome}: {detail}")


def test_the_api_answers_every_request_it_accepted_before_it_exits_on_sigterm(
    isolated_stack: Stack, tmp_path: Path
) -> None:
    stack = isolated_stack
    user_id, _ = active_user(stack, prefix="sigterm-api")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"

    def listening(_: bytes) -> bool:
        try:
            return httpx.get(f"{base_url}/api/v1/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    with ledgerline_process(
        stack, ["serve"], tmp_path, listening, HOST="127.0.0.1", PORT=str(port)
    ) as api:
        load = CreditLoad(base_url, user_id).start()
        try:
            wait_until(
                lambda: load.outcomes["accepted"] >= ACCEPTED_BEFORE_SIGTERM,
                timeout_s=60,
                message="the API to accept load",
            )
            api.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            api.wait(timeout=GRACEFUL_SHUTDOWN_S + EXIT_SLACK_S)
            exited_after_s = time.monotonic() - signalled
            wait_until(lambda: load.outcomes["refused"] > 0, message="connections to be refused")
        finally:
            load.stop()

    assert api.returncode == 0
    assert exited_after_s < GRACEFUL_SHUTDOWN_S + EXIT_SLACK_S
    assert load.unexpected == []
    # At most the one request per thread that was queued, unread, as the listener closed.
    assert load.outcomes["unanswered"] <= LOAD_THREADS
    accepted = load.outcomes["accepted"]
    # Every answered credit is in the ledger, and nothing unanswered was applied behind our back.
    wait_balance(stack, user_id, available=Amount(accepted * CREDIT.stroops).to_wire())


def test_several_api_processes_end_their_live_streams_at_once_on_sigterm(
    isolated_stack: Stack, tmp_path: Path
) -> None:
    stack = isolated_stack
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"

    def listening(_: bytes) -> bool:
        try:
            return httpx.get(f"{base_url}/api/v1/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    environ = {"HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "2"}
    with ledgerline_process(stack, ["serve"], tmp_path, listening, **environ) as api:
        streams = [EventStreamClient(f"{base_url}/api/v1", MASTER_KEY).start() for _ in range(4)]
        try:
            assert {s.status_code for s in streams} == {200}
            api.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            for stream in streams:  # not after the graceful timeout: now
                assert stream.ended.wait(GRACEFUL_SHUTDOWN_S / 2), "a stream outlived SIGTERM"
            api.wait(timeout=GRACEFUL_SHUTDOWN_S + EXIT_SLACK_S)
            exited_after_s = time.monotonic() - signalled
        finally:
            for stream in streams:
                stream.close()
    assert api.returncode == 0
    assert exited_after_s < GRACEFUL_SHUTDOWN_S / 2


def test_a_worker_finishes_its_step_in_flight_before_it_exits_on_sigterm(
    isolated_stack: Stack, tmp_path: Path
) -> None:
    stack = isolated_stack
    assert stack.sandbox is not None and stack.workers is not None
    user_id, source = funded_user(stack, "20", prefix="sigterm-worker")
    _, destination = active_user(stack, prefix="sigterm-dest")
    stack.workers.stop()  # only the process under test runs saga steps from here on
    stack.workers = None
    # The payment's submission is slow enough for SIGTERM to land while it is in flight.
    stack.sandbox.faults.inject({"route": HORIZON_SUBMIT, "mode": "slow", "delay_ms": 3000})
    try:
        with worker_process(stack, tmp_path) as worker:
            response = withdraw(stack, user_id, "7.5", destination)
            assert response.status_code == 202, response.text
            wait_until(
                lambda: stack.sandbox is not None and stack.sandbox.faults.fired(HORIZON_SUBMIT),
                timeout_s=60,
                message="the submission to be in flight",
            )
            worker.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            worker.wait(timeout=STOP_TIMEOUT_MS / 1000 + EXIT_SLACK_S)
            exited_after_s = time.monotonic() - signalled
            # No worker runs now: a settled withdrawal is the step the stopping worker finished.
            settled = wait_withdrawal(stack, response.json()["data"]["id"], timeout_s=30)
    finally:
        stack.sandbox.faults.clear()

    assert worker.returncode == 0
    assert exited_after_s < STOP_TIMEOUT_MS / 1000 + EXIT_SLACK_S
    assert settled["status"] == "WITHDRAWAL_COMPLETED"
    payments = usdc_payments(stack, source, destination)
    assert [p.transaction_hash for p in payments] == [settled["stellarTransactionHash"]]


def test_the_runner_releases_every_loop_at_once_when_it_exits_on_sigterm(
    isolated_stack: Stack, tmp_path: Path
) -> None:
    stack = isolated_stack
    assert stack.runner is not None
    stack.runner.stop()  # the process under test leads every loop
    stack.runner = None

    def our_locks() -> set[int]:
        with stack.services.resources.pool.connection() as conn:
            return held_locks(conn)

    with ledgerline_process(
        stack, ["runner"], tmp_path, lambda output: b"runner started" in output
    ) as runner:
        wait_until(lambda: len(our_locks()) >= 5, timeout_s=60, message="the runner to lead")
        runner.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        runner.wait(timeout=RUNNER_STOP_S + EXIT_SLACK_S)
        exited_after_s = time.monotonic() - signalled

    assert runner.returncode == 0
    assert exited_after_s < RUNNER_STOP_S + EXIT_SLACK_S
    assert our_locks() == set()
