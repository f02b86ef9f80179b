"""`ledgerline up`: the whole service in one process tree for development and single boxes.

Starts embedded PostgreSQL and Redis when no URLs are set, the Stellar sandbox when the network
is `sandbox` and no Horizon URL is set (its chain kept in `var/sandbox-state.json` across
restarts), then the API and the runner as child processes pointed at all of them. It prints where
everything listens and the dev admin key, and stops the tree on Ctrl+C / SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from typing import Final

import click
import httpx

from infrastructure.embedded.redis import die_with_parent
from infrastructure.observability.logs import configure_logging
from interfaces.cli.environment import EXIT_CONFIG, reachable_runtime
from interfaces.cli.serve import GRACEFUL_SHUTDOWN_S
from interfaces.cli.worker import STOP_TIMEOUT_MS
from interfaces.runtime import Runtime, dev_secrets, write_sandbox_env
from interfaces.settings import ConfigError, Settings, load_settings
from interfaces.workers.runner import RUNNER_STOP_S
from sandbox.app import DEFAULT_TRUSTLESS_API_KEY

HEALTHY_WITHIN_S: Final = 30.0
SANDBOX_PORT_DEFAULT: Final = 4100
# Each child gets its own graceful bound, and a little more to exit, before it is killed.
CHILD_STOP_S: Final = max(GRACEFUL_SHUTDOWN_S, STOP_TIMEOUT_MS / 1000, RUNNER_STOP_S) + 5.0
CHILDREN: Final = ("serve", "runner", "worker")


def _spawn(command: str, env: Mapping[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603  (our own interpreter and entry point)
        [sys.executable, "-m", "interfaces.cli", command, *args],
        env=dict(env),
        preexec_fn=die_with_parent,
    )


def _start_sandbox(env: dict[str, str], settings: Settings) -> subprocess.Popen[bytes]:
    """Runs `ledgerline sandbox` and points the service's variables at it."""
    port = env.get("LEDGERLINE_SANDBOX_PORT", str(SANDBOX_PORT_DEFAULT))
    state_file = settings.var_dir / "sandbox-state.json"
    process = _spawn("sandbox", env, "--port", port, "--state-file", str(state_file))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + HEALTHY_WITHIN_S
    while True:
        if process.poll() is not None:
            raise click.ClickException(f"the sandbox exited at start; is port {port} free?")
        try:
            state = httpx.get(f"{url}/sandbox/state", timeout=1.0)
            if state.status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise click.ClickException("the sandbox did not start")
        time.sleep(0.1)
    env.update(
        STELLAR_NETWORK="sandbox",
        STELLAR_HORIZON_URL=f"{url}/horizon",
        TRUSTLESS_API_URL=f"{url}/trustless-work",
        TRUSTLESS_API_KEY=env.get("TRUSTLESS_API_KEY") or DEFAULT_TRUSTLESS_API_KEY,
        STELLAR_USDC_ISSUER=str(state.json()["usdc"]["issuer"]),
        LEDGERLINE_SANDBOX_URL=url,
    )
    write_sandbox_env(
        settings.var_dir,
        {
            name: env[name]
            for name in (
                "STELLAR_NETWORK",
                "STELLAR_HORIZON_URL",
                "TRUSTLESS_API_URL",
                "TRUSTLESS_API_KEY",
                "STELLAR_USDC_ISSUER",
                "LEDGERLINE_SANDBOX_URL",
            )
        },
    )
    return process


def _wait_healthy(base_url: str, children: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + HEALTHY_WITHIN_S
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            raise click.ClickException("a process exited during start-up; see its log above")
        try:
            if httpx.get(f"{base_url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise click.ClickException(f"the API was not healthy within {HEALTHY_WITHIN_S:.0f}s")


def _banner(base_url: str, runtime: Runtime, master_key: str | None, extra: dict[str, str]) -> str:
    lines = [
        "",
        "Ledgerline is up",
        f"  API       {base_url}",
        f"  Docs      {base_url}/docs",
        *(f"  {name:<9} {value}" for name, value in extra.items()),
        f"  Database  {runtime.database_url}",
        f"  Redis     {runtime.redis_url}",
    ]
    if master_key:
        lines.append(f"  Dev key   {master_key}   (admin scope; kept in var/dev.env)")
    lines += ["", "Try:", f"  curl -s {base_url}/health", "Press Ctrl+C to stop.", ""]
    return "\n".join(lines)


@click.command("up")
def up() -> None:
    """Run everything (API, runner, embedded PostgreSQL/Redis, sandbox) in one process tree."""
    env = dict(os.environ)
    # A terminal reads text better than JSON lines; and one METRICS_PORT cannot serve both the
    # runner and the worker this starts (the API's /metrics is enough in development).
    env.setdefault("LOG_FORMAT", "text")
    env.pop("METRICS_PORT", None)
    try:
        settings = load_settings(env)
        if settings.master_key is None or settings.wallet_encryption_key is None:
            for name, value in dev_secrets(settings.var_dir).items():
                env.setdefault(name, value)
            settings = load_settings(env)
    except ConfigError as error:
        click.echo(f"ledgerline: {error}", err=True)
        raise SystemExit(EXIT_CONFIG) from None
    configure_logging(settings.log_level, settings.log_format)
    runtime = reachable_runtime(settings)
    env.update(DATABASE_URL=runtime.database_url, REDIS_URL=runtime.redis_url)
    children: list[subprocess.Popen[bytes]] = []
    stopping = threading.Event()

    def stop(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        extra: dict[str, str] = {}
        if settings.stellar_network == "sandbox" and "STELLAR_HORIZON_URL" not in os.environ:
            children.append(_start_sandbox(env, settings))
            extra["Sandbox"] = (
                f"{env['LEDGERLINE_SANDBOX_URL']}  (Horizon /horizon, Trustless Work "
                "/trustless-work, control /sandbox)"
            )
        children += [_spawn(command, env) for command in CHILDREN]
        base_url = f"http://{settings.host}:{settings.port}/api/v1"
        _wait_healthy(base_url, children)
        extra["Platform"] = _bootstrap_platform(env)
        click.echo(_banner(base_url, runtime, settings.master_key, extra))
        while not stopping.wait(0.5):
            if any(child.poll() is not None for child in children):
                raise click.ClickException("a process exited unexpectedly; stopping")
    finally:
        _stop_children(children)
        runtime.close()


def _bootstrap_platform(env: Mapping[str, str]) -> str:
    """Creates the platform user and wallet (idempotent): escrows need its wallet to deploy,
    resolve disputes and receive the platform fee."""
    done = subprocess.run(
        [sys.executable, "-m", "interfaces.cli", "bootstrap"],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=HEALTHY_WITHIN_S,
        check=False,
    )
    if done.returncode != 0:
        raise click.ClickException(f"bootstrapping the platform failed: {done.stderr.strip()}")
    lines = done.stdout.strip().splitlines()
    user = lines[0].partition("=")[2] if lines else "?"
    return f"{user}  ({lines[1] if len(lines) > 1 else 'wallet activating'})"


def _stop_children(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + CHILD_STOP_S
    for child in children:
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
