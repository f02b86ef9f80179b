"""`ledgerline load` (`make load`): drive a realistic marketplace mix at a chosen rate against
any deployment, by URL and API key, and report throughput, p50/p99 per command and errors.

It is a client of the public API only (interfaces/load/): it never touches the database, so it
measures what a marketplace would see. Bounded in time and in count; Ctrl+C stops starting
scenarios, lets those in flight finish (bounded) and still prints the summary.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Final

import click
import httpx

from interfaces.cli.reporting import emit_json, json_option
from interfaces.load.driver import Plan, run
from interfaces.load.report import Tally, summary_text
from interfaces.load.scenarios import (
    CHAIN_SCENARIOS,
    DEPOSIT_AMOUNT,
    Api,
    Marketplace,
    Member,
    ScenarioError,
)
from interfaces.runtime import development_defaults

DEFAULT_URL: Final = "http://127.0.0.1:4000/api/v1"
DEFAULT_MIX: Final = "order=3,dispute=1,withdrawal=1,deposit=1,user=1,read=4"
FUNDED_WITHIN_S: Final = 60.0
EXIT_ERRORS: Final = 1


def _mix(text: str) -> dict[str, int]:
    mix: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, weight = part.partition("=")
        if not weight.isdigit():
            raise click.BadParameter(f"{part!r}: expected NAME=WEIGHT", param_hint="--mix")
        mix[name.strip()] = int(weight)
    unknown = set(mix) - {"user", "deposit", "order", "dispute", "withdrawal", "read"}
    if unknown or not any(mix.values()):
        raise click.BadParameter(
            f"scenarios are user, deposit, order, dispute, withdrawal, read (got {text!r})",
            param_hint="--mix",
        )
    return mix


@click.command("load")
@click.option(
    "--url",
    default=DEFAULT_URL,
    show_default=True,
    envvar="LEDGERLINE_URL",
    help="The deployment's API base URL (…/api/v1).",
)
@click.option(
    "--key",
    envvar="LEDGERLINE_API_KEY",
    default=None,
    help="An API key with the admin scope (default: the dev key `ledgerline up` made).",
)
@click.option(
    "--rate",
    type=click.FloatRange(0.01, 1000),
    default=2.0,
    show_default=True,
    help="Scenarios started per second.",
)
@click.option(
    "--duration",
    type=click.FloatRange(1, 24 * 3600),
    default=60.0,
    show_default=True,
    help="Stop starting scenarios after this many seconds.",
)
@click.option(
    "--count",
    type=click.IntRange(1),
    default=1000,
    show_default=True,
    help="Stop starting scenarios after this many.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=16,
    show_default=True,
    help="Scenarios in flight at most (client threads).",
)
@click.option(
    "--users",
    type=click.IntRange(2, 1000),
    default=8,
    show_default=True,
    help="Users with active, funded wallets the scenarios trade among.",
)
@click.option(
    "--mix",
    "mix_text",
    default=DEFAULT_MIX,
    show_default=True,
    help="Scenario weights: user, deposit, order (escrow and release), dispute (escrow, "
    "dispute, split), withdrawal, read.",
)
@click.option("--seed", type=int, default=None, help="Seeds the draws (default: random; printed).")
@json_option
def load(
    url: str,
    key: str | None,
    rate: float,
    duration: float,
    count: int,
    concurrency: int,
    users: int,
    mix_text: str,
    seed: int | None,
    as_json: bool,
) -> None:
    """Drive a marketplace mix against a deployment; print throughput, p50/p99 per command and
    errors. Exit 1 when any command failed."""
    mix = _mix(mix_text)
    key = key or development_defaults(Path(os.environ.get("LEDGERLINE_VAR_DIR") or "var")).get(
        "LEDGERLINE_MASTER_KEY"
    )
    if not key:
        raise click.UsageError("give an admin API key: --key or LEDGERLINE_API_KEY")
    seed = seed if seed is not None else int.from_bytes(os.urandom(4), "big")
    sandbox_url = _sandbox_url(url)
    if sandbox_url is None and any(mix.get(name) for name in CHAIN_SCENARIOS):
        raise click.UsageError(
            "this deployment is not on the sandbox, so no USDC can be minted for deposits, "
            "orders, disputes and withdrawals: use --mix user=1,read=4 (or a sandbox deployment)"
        )
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    tally = Tally()
    api = Api(url, key, tally)
    try:
        market = Marketplace(api, random.Random(seed), sandbox_url)
        _populate(market, users, concurrency, stopping)
        click.echo(f"seed {seed}; {len(market.members)} users ready; running", err=True)
        plan = Plan(rate, duration, count, concurrency, mix, seed)
        run(plan, market.scenarios(), tally, lambda line: click.echo(line, err=True), stopping)
    finally:
        api.close()
    summary = {"seed": seed, "url": url, **tally.summary()}
    if as_json:
        emit_json(summary)
    else:
        click.echo(summary_text(summary))
    if summary["errors"]:
        sys.exit(EXIT_ERRORS)


def _sandbox_url(url: str) -> str | None:
    try:
        response = httpx.get(f"{url.rstrip('/')}/config", timeout=10)
    except httpx.HTTPError as error:
        raise click.ClickException(f"cannot reach {url}: {type(error).__name__}") from None
    if response.status_code != 200:
        raise click.ClickException(f"{url}/config answered {response.status_code}")
    data = response.json()["data"]
    return data.get("sandboxUrl") if data.get("network") == "sandbox" else None


def _populate(market: Marketplace, users: int, concurrency: int, stopping: threading.Event) -> None:
    """Signs up the run's users and, on the sandbox, funds each and waits for the credit."""
    run_id = uuid.uuid4().hex[:8]
    with ThreadPoolExecutor(min(users, concurrency)) as pool:
        members = list(pool.map(lambda index: _member(market, run_id, index), range(users)))
    ready = [m for m in members if m is not None]
    if len(ready) < 2:
        raise click.ClickException("fewer than two users could be made ready; see the errors")
    if market.sandbox_url is None:
        return
    for member in ready:
        market.deposit(member)
    deadline = time.monotonic() + FUNDED_WITHIN_S
    waiting = list(ready)
    while waiting and time.monotonic() < deadline and not stopping.is_set():
        waiting = [m for m in waiting if not _funded(market, m)]
        time.sleep(0.5)
    if waiting:
        raise click.ClickException(
            f"{len(waiting)} users were not credited within {FUNDED_WITHIN_S:.0f} s"
        )


def _member(market: Marketplace, run_id: str, index: int) -> Member | None:
    try:
        return market.sign_up(run_id, index)
    except ScenarioError:
        return None


def _funded(market: Marketplace, member: Member) -> bool:
    response = market.api.http.get(f"/users/{member.user_id}/balance")
    return response.status_code == 200 and Decimal(response.json()["data"]["available"]) >= Decimal(
        DEPOSIT_AMOUNT
    )
