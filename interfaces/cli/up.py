"""`ledgerline up`: the whole service in one process tree for development and single boxes.

Starts embedded PostgreSQL and Redis when no URLs are set, the Stellar sandbox when the network
is `sandbox` and no Horizon URL is set (its chain kept in `var/sandbox-state.json` across
restarts), then the API, the runner and a worker, each in its own process group, and
`ledgerline bootstrap` beside them. It says "up" once the API answers, every read model is at
the log head and the platform wallet is ACTIVE — or, if that takes too long, what it is still
waiting for — and prints where everything listens and the dev admin key.

Ctrl+C or SIGTERM stops the tree in order: the API, runner and worker first (each within its
own graceful bound), then the sandbox, then Redis and PostgreSQL, so nothing loses a dependency
while it still runs. A second Ctrl+C kills what is left at once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from typing import Final

import click
import httpx

from infrastructure.observability.logs import configure_logging
from interfaces.cli.environment import EXIT_CONFIG, reachable_runtime
from interfaces.cli.process_tree import Child, ProcessTree
from interfaces.cli.readiness import still_waiting
from interfaces.cli.serve import GRACEFUL_SHUTDOWN_S
from interfaces.cli.worker import STOP_TIMEOUT_MS
from interfaces.runtime import Runtime, dev_secrets, write_sandbox_env
from interfaces.settings import ConfigError, Settings, load_settings
from interfaces.workers.runner import RUNNER_STOP_S
from sandbox.airtm.webhook_courier import derived_webhook_secret
from sandbox.app import (
    DEFAULT_AIRTM_API_KEY,
    DEFAULT_AIRTM_API_SECRET,
    DEFAULT_TRUSTLESS_API_KEY,
)

# Starting a process imports stellar-sdk's hundreds of XDR modules; on a loaded 2-core machine
# that alone has taken 30 s.
STARTED_WITHIN_S: Final = 120.0
# After the API answers: read models catching up and the platform wallet's activation.
READY_WITHIN_S: Final = 90.0
POLL_S: Final = 0.25
# How often a slow start repeats what it is waiting for.
WAITING_REPORT_S: Final = 5.0
SANDBOX_PORT_DEFAULT: Final = 4100
SANDBOX_STOP_S: Final = 10.0
# Each child gets its own graceful bound, and a little more to exit, before it is killed.
EXIT_MARGIN_S: Final = 5.0
SERVICES: Final = {
    "serve": GRACEFUL_SHUTDOWN_S + EXIT_MARGIN_S,
    "runner": RUNNER_STOP_S + EXIT_MARGIN_S,
    "worker": STOP_TIMEOUT_MS / 1000 + EXIT_MARGIN_S,
}
SANDBOX_VARIABLES: Final = (
    "STELLAR_NETWORK",
    "STELLAR_HORIZON_URL",
    "TRUSTLESS_API_URL",
    "TRUSTLESS_API_KEY",
    "STELLAR_USDC_ISSUER",
    "LEDGERLINE_SANDBOX_URL",
    # The fiat ramp's sandbox credentials; used only with PAYMENT_PROVIDERS=crypto,airtm.
    "AIRTM_API_KEY",
    "AIRTM_API_SECRET",
    "AIRTM_WEBHOOK_SECRET",
)


class Stopping(Exception):
    """Ctrl+C or SIGTERM arrived while starting."""


@click.command("up")
def up() -> None:
    """Run everything (API, runner, worker, embedded PostgreSQL/Redis, sandbox) in one process
    tree; "up" once the API answers, the read models are at the log head and the platform
    wallet is active."""
    env, settings = _environment()
    configure_logging(settings.log_level, settings.log_format)
    stopping = threading.Event()
    tree = ProcessTree()

    def stop(signum: int, frame: object) -> None:
        if stopping.is_set():
            tree.kill()  # a second Ctrl+C: no more waiting
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    runtime = reachable_runtime(settings)
    env.update(DATABASE_URL=runtime.database_url, REDIS_URL=runtime.redis_url)
    try:
        _run(env, settings, runtime, tree, stopping)
    except Stopping:
        pass
    finally:
        click.echo("stopping…", err=True)
        started = time.monotonic()
        tree.stop()
        runtime.close()
        click.echo(f"stopped in {time.monotonic() - started:.1f} s", err=True)


def _environment() -> tuple[dict[str, str], Settings]:
    env = dict(os.environ)
    # A terminal reads text better than JSON lines; and one METRICS_PORT cannot serve both the
    # runner and the worker this starts (the API's /metrics is enough in development).
    env.setdefault("LOG_FORMAT", "text")
    env.pop("METRICS_PORT", None)
    if _starts_sandbox(env):
        # The sandbox `up` starts plays AirTM too: its credentials are known before it runs, so
        # PAYMENT_PROVIDERS=crypto,airtm needs nothing else set.
        env.setdefault("AIRTM_API_KEY", DEFAULT_AIRTM_API_KEY)
        env.setdefault("AIRTM_API_SECRET", DEFAULT_AIRTM_API_SECRET)
        env.setdefault("AIRTM_WEBHOOK_SECRET", _sandbox_webhook_secret(env))
        # Anchors on the sandbox's chain within a minute of trying things out.
        env.setdefault("AUDIT_ANCHOR_EVERY_EVENTS", "50")
        env.setdefault("AUDIT_ANCHOR_INTERVAL_S", "60")
    try:
        settings = load_settings(env)
        if settings.master_key is None or settings.wallet_encryption_key is None:
            for name, value in dev_secrets(settings.var_dir).items():
                env.setdefault(name, value)
            settings = load_settings(env)
    except ConfigError as error:
        click.echo(f"ledgerline: {error}", err=True)
        raise SystemExit(EXIT_CONFIG) from None
    return env, settings


def _starts_sandbox(env: Mapping[str, str]) -> bool:
    return env.get("STELLAR_NETWORK", "sandbox") == "sandbox" and "STELLAR_HORIZON_URL" not in env


def _run(
    env: dict[str, str],
    settings: Settings,
    runtime: Runtime,
    tree: ProcessTree,
    stopping: threading.Event,
) -> None:
    extra: dict[str, str] = {}
    if _starts_sandbox(os.environ):
        extra["Sandbox"] = _start_sandbox(env, settings, tree, stopping)
    for command, stop_within_s in SERVICES.items():
        tree.spawn(command, env, command, stop_within_s=stop_within_s)
    bootstrap = tree.spawn("bootstrap", env, "bootstrap", stop_within_s=0, capture=True)
    base_url = f"http://{settings.host}:{settings.port}/api/v1"
    with httpx.Client() as http:
        _wait(lambda: _answers(http, base_url), tree, stopping, STARTED_WITHIN_S, "the API")
        platform_user, wallet = _bootstrapped(bootstrap, stopping)
        extra["Platform"] = f"{platform_user}  (wallet {wallet})"
        waiting = _wait_ready(http, base_url, settings.master_key, platform_user, tree, stopping)
    click.echo(_banner(base_url, runtime, settings.master_key, extra, waiting))
    while not stopping.wait(0.5):
        gone = tree.exited()
        if gone:
            names = ", ".join(f"{c.name} (exit {c.process.returncode})" for c in gone)
            raise click.ClickException(f"{names} exited unexpectedly; stopping")


def _answers(http: httpx.Client, base_url: str) -> bool:
    try:
        return http.get(f"{base_url}/health", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def _still_starting(tree: ProcessTree, stopping: threading.Event) -> None:
    """Raises when a stop was asked for or a child died while the tree starts."""
    if stopping.is_set():
        raise Stopping
    gone = tree.exited()
    if gone:
        raise click.ClickException(
            f"{gone[0].name} exited during start-up (exit {gone[0].process.returncode}); "
            "see its output above"
        )


def _wait(
    ready: Callable[[], bool],
    tree: ProcessTree,
    stopping: threading.Event,
    within_s: float,
    what: str,
) -> None:
    deadline = time.monotonic() + within_s
    while not ready():
        _still_starting(tree, stopping)
        if time.monotonic() > deadline:
            raise click.ClickException(f"{what} did not start within {within_s:.0f} s")
        time.sleep(POLL_S)


def _wait_ready(
    http: httpx.Client,
    base_url: str,
    master_key: str | None,
    platform_user: str | None,
    tree: ProcessTree,
    stopping: threading.Event,
) -> list[str]:
    """Waits until nothing is missing, saying what it waits for every few seconds; what is
    still missing after READY_WITHIN_S."""
    deadline = time.monotonic() + READY_WITHIN_S
    reported_at = time.monotonic()
    while True:
        waiting = still_waiting(http, base_url, master_key, platform_user)
        if not waiting or time.monotonic() > deadline:
            return waiting
        _still_starting(tree, stopping)
        if time.monotonic() - reported_at >= WAITING_REPORT_S:
            click.echo(f"waiting for {'; '.join(waiting)}", err=True)
            reported_at = time.monotonic()
        time.sleep(POLL_S)


def _bootstrapped(bootstrap: Child, stopping: threading.Event) -> tuple[str | None, str]:
    """The platform user and its wallet as `ledgerline bootstrap` printed them."""
    deadline = time.monotonic() + STARTED_WITHIN_S
    while True:
        try:
            out, err = bootstrap.process.communicate(timeout=POLL_S)
            break
        except subprocess.TimeoutExpired:
            if stopping.is_set():
                bootstrap.process.kill()
                raise Stopping from None
            if time.monotonic() > deadline:
                bootstrap.process.kill()
                raise click.ClickException("`ledgerline bootstrap` did not finish") from None
    if bootstrap.process.returncode != 0:
        raise click.ClickException(f"bootstrapping the platform failed: {err.decode().strip()}")
    lines = out.decode().strip().splitlines()
    user = lines[0].partition("=")[2] if lines else None
    # "platform wallet G… (PENDING)": the address; its status is what readiness waits on.
    words = lines[1].split() if len(lines) > 1 else []
    return user or None, words[2] if len(words) > 2 else "being created"


def _start_sandbox(
    env: dict[str, str], settings: Settings, tree: ProcessTree, stopping: threading.Event
) -> str:
    """Runs `ledgerline sandbox` and points the service's variables at it."""
    port = env.get("LEDGERLINE_SANDBOX_PORT", str(SANDBOX_PORT_DEFAULT))
    state_file = settings.var_dir / "sandbox-state.json"
    tree.spawn(
        "sandbox",
        env,
        "sandbox",
        "--port",
        port,
        "--state-file",
        str(state_file),
        "--airtm-webhook-url",
        f"http://{settings.host}:{settings.port}/api/v1/webhooks/airtm",
        tier=ProcessTree.DEPENDENCIES,
        stop_within_s=SANDBOX_STOP_S,
    )
    url = f"http://127.0.0.1:{port}"
    issuer: list[str] = []

    def answers() -> bool:
        try:
            state = httpx.get(f"{url}/sandbox/state", timeout=1.0)
        except httpx.HTTPError:
            return False
        if state.status_code == 200:
            issuer.append(str(state.json()["usdc"]["issuer"]))
        return bool(issuer)

    _wait(answers, tree, stopping, STARTED_WITHIN_S, f"the sandbox (is port {port} free?)")
    env.update(
        STELLAR_NETWORK="sandbox",
        STELLAR_HORIZON_URL=f"{url}/horizon",
        TRUSTLESS_API_URL=f"{url}/trustless-work",
        TRUSTLESS_API_KEY=env.get("TRUSTLESS_API_KEY") or DEFAULT_TRUSTLESS_API_KEY,
        STELLAR_USDC_ISSUER=issuer[0],
        LEDGERLINE_SANDBOX_URL=url,
        AIRTM_API_KEY=env.get("AIRTM_API_KEY") or DEFAULT_AIRTM_API_KEY,
        AIRTM_API_SECRET=env.get("AIRTM_API_SECRET") or DEFAULT_AIRTM_API_SECRET,
        AIRTM_WEBHOOK_SECRET=env.get("AIRTM_WEBHOOK_SECRET") or _sandbox_webhook_secret(env),
    )
    write_sandbox_env(settings.var_dir, {name: env[name] for name in SANDBOX_VARIABLES})
    return f"{url}  (Horizon /horizon, Trustless Work /trustless-work, control /sandbox)"


def _sandbox_webhook_secret(env: Mapping[str, str]) -> str:
    """The Svix secret the sandbox signs AirTM's webhooks with (derived from its seed)."""
    return derived_webhook_secret(int(env.get("SANDBOX_SEED", "0")))


def _banner(
    base_url: str,
    runtime: Runtime,
    master_key: str | None,
    extra: dict[str, str],
    waiting: list[str],
) -> str:
    lines = [
        "",
        "Ledgerline is up" if not waiting else "Ledgerline is running, but not ready yet",
        f"  API       {base_url}",
        f"  Docs      {base_url}/docs",
        *(f"  {name:<9} {value}" for name, value in extra.items()),
        f"  Database  {runtime.database_url}",
        f"  Redis     {runtime.redis_url}",
    ]
    if master_key:
        lines.append(f"  Dev key   {master_key}   (admin scope; kept in var/dev.env)")
    if waiting:
        lines += ["", "Still waiting for:", *(f"  - {each}" for each in waiting)]
    lines += [
        "",
        "Readiness (read-model lag, dependencies, leadership):",
        f"  curl -s {base_url}/health/ready",
        "Press Ctrl+C to stop.",
        "",
    ]
    return "\n".join(lines)
