"""`ledgerline runner`: projections and other singleton loops, led by advisory lock."""

from __future__ import annotations

import signal
from types import FrameType

import click

from infrastructure.observability.exposition import serve_process_metrics
from interfaces.bootstrap import build_broker
from interfaces.cli.environment import chain_ready, runtime_and_services, settle_heap
from interfaces.workers.loops import default_runner


@click.command("runner")
def runner() -> None:
    """Run the singleton loops; a second runner waits as hot standby."""
    with runtime_and_services() as (_, services):
        chain_ready(services.settings)
        broker = build_broker(services)
        loop_runner = default_runner(services, broker)
        serve_process_metrics(services.settings.metrics_port)
        settle_heap()

        def stop(signum: int, frame: FrameType | None) -> None:
            loop_runner.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        loop_runner.start()
        click.echo("runner started", err=True)
        loop_runner.wait()
