"""`ledgerline sandbox`: the local Horizon + Trustless Work simulators on one port.

Runs until SIGINT or SIGTERM, then stops within a bounded time and, with `--state-file`, saves
the chain so the next start keeps every wallet and escrow.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

import click

from sandbox.app import (
    DEFAULT_AIRTM_API_KEY,
    DEFAULT_AIRTM_API_SECRET,
    DEFAULT_TRUSTLESS_API_KEY,
)
from sandbox.server import SandboxServer

# How often the main thread wakes to notice a stop request while the server thread runs.
STOP_POLL_INTERVAL_S = 0.5


@click.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to bind; 0 picks a free one.",
)
@click.option(
    "--seed",
    default=0,
    show_default=True,
    type=int,
    envvar="SANDBOX_SEED",
    help="Seeds every key, contract id and fault draw, so runs are reproducible.",
)
@click.option(
    "--usdc-issuer-secret",
    default=None,
    envvar="SANDBOX_USDC_ISSUER_SECRET",
    help="Secret seed (S…) of the USDC issuer; derived from --seed when omitted.",
)
@click.option(
    "--trustless-api-key",
    default=DEFAULT_TRUSTLESS_API_KEY,
    show_default=True,
    envvar="TRUSTLESS_API_KEY",
    help="The x-api-key the Trustless Work simulator accepts.",
)
@click.option(
    "--airtm-webhook-url",
    default=None,
    envvar="SANDBOX_AIRTM_WEBHOOK_URL",
    help="Where AirTM's webhooks go (e.g. http://127.0.0.1:4000/api/v1/webhooks/airtm).",
)
@click.option(
    "--trustless-rate-limit",
    default=50,
    show_default=True,
    type=click.IntRange(1, 1_000_000),
    envvar="SANDBOX_TRUSTLESS_RATE_LIMIT",
    help="Trustless Work requests per key per minute before 429 (the real service's limit is 50).",
)
@click.option(
    "--state-file",
    default=None,
    envvar="SANDBOX_STATE_FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Load the chain from this file on start and save it on shutdown.",
)
def sandbox(
    host: str,
    port: int,
    seed: int,
    usdc_issuer_secret: str | None,
    trustless_api_key: str,
    airtm_webhook_url: str | None,
    trustless_rate_limit: int,
    state_file: Path | None,
) -> None:
    """Run the local Stellar Horizon + Trustless Work (V1) sandbox."""
    server = SandboxServer(
        host=host,
        port=port,
        seed=seed,
        usdc_issuer_secret=usdc_issuer_secret,
        api_key=trustless_api_key,
        airtm_webhook_url=airtm_webhook_url,
        state_file=state_file,
        trustless_requests_per_window_max=trustless_rate_limit,
    )
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    server.start()
    chain = server.chain
    click.echo(f"Ledgerline sandbox on {server.url}  (seed {seed})")
    if server.restored:
        click.echo(f"  restored from     {state_file}")
    click.echo(f"  Horizon           {server.horizon_url}")
    click.echo(f"  Friendbot         {server.friendbot_url}?addr=G…")
    click.echo(f"  Trustless Work    {server.trustless_work_url}  (x-api-key: {trustless_api_key})")
    click.echo(
        f"  AirTM             {server.airtm_url}  (basic auth: {DEFAULT_AIRTM_API_KEY}:"
        f"{DEFAULT_AIRTM_API_SECRET}; checkout {server.airtm_checkout_url})"
    )
    click.echo(f"  AirTM webhooks    {airtm_webhook_url or '(none: PUT /sandbox/airtm/webhook)'}")
    click.echo(f"  AirTM secret      {server.airtm_webhooks.secret}")
    click.echo(f"  Control           {server.control_url}  (mint, faults, state)")
    click.echo(f"  passphrase        {chain.network_passphrase}")
    click.echo(f"  USDC              {chain.usdc.code}:{chain.usdc.issuer}")
    click.echo("Press Ctrl+C to stop.", nl=True)
    try:
        while not stop.wait(STOP_POLL_INTERVAL_S):
            continue
    finally:
        server.stop()
        click.echo("Sandbox stopped." + (f" State saved to {state_file}." if state_file else ""))
