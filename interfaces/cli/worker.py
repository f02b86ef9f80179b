"""`ledgerline worker`: Dramatiq actors that perform saga steps against Horizon (and, later,
Trustless Work). Stateless: run as many as you like."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Final

import click
import dramatiq

from infrastructure.observability.exposition import serve_process_metrics
from interfaces.bootstrap import build_broker
from interfaces.cli.environment import chain_ready, runtime_and_services, settle_heap
from interfaces.workers.actors import declare_actors

# An actor step in flight gets this long to finish on SIGTERM before the worker exits anyway.
STOP_TIMEOUT_MS: Final = 30_000
# An idle worker looks for messages at least this often (dramatiq backs off up to it), so a
# saga step waits at most this long for a worker; each poll is one cheap Redis script call.
IDLE_POLL_MAX_MS: Final = 100


@click.command("worker")
def worker() -> None:
    """Run the saga workers."""
    with runtime_and_services() as (_, services):
        chain_ready(services.settings)
        broker = build_broker(services)
        declare_actors(broker, services)
        stopping = threading.Event()

        def stop(signum: int, frame: FrameType | None) -> None:
            stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        running = dramatiq.Worker(
            broker,
            worker_threads=services.settings.worker_threads,
            worker_timeout=IDLE_POLL_MAX_MS,
        )
        serve_process_metrics(services.settings.metrics_port)
        settle_heap()
        running.start()
        click.echo(f"worker started ({services.settings.worker_threads} threads)", err=True)
        try:
            while not stopping.wait(1.0):
                pass
        finally:
            running.stop(timeout=STOP_TIMEOUT_MS)
            broker.close()
