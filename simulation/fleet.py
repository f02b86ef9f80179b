"""The whole service as separate processes: PostgreSQL, Redis, the sandbox, the API, the runner(s)
and N workers, configured through the environment only, as an operator would.

The configuration is production's with shorter clocks, so a run of minutes exercises what a
day would: saga backoff in seconds, stalled sagas swept after SAGA_STALL_S, a killed worker's
messages requeued after a few seconds of silence.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import httpx

from simulation.processes import READY_POLL_S, ServiceProcess, Supervisor, answers, said
from simulation.servers import PostgresServer, RedisServer, free_port

BOOTSTRAP_TIMEOUT_S: Final = 180.0
TRUSTLESS_RATE_LIMIT: Final = 100_000
# The service's clocks, shortened (see the module docstring); every value is the service's own
# setting, documented in README and docs/operations.md.
SERVICE_CLOCKS: Final = {
    "SAGA_RETRIES_MAX": "10",
    "SAGA_BACKOFF_MIN_MS": "200",
    "SAGA_BACKOFF_MAX_MS": "4000",
    "SAGA_STEP_TIME_LIMIT_MS": "60000",
    "SAGA_STALL_S": "20",
    "TRUSTLESS_TIMEOUT_S": "5",
    "BROKER_HEARTBEAT_TIMEOUT_MS": "5000",
    "BROKER_MAINTENANCE_CHANCE": "100000",
    "AUTO_RELEASE_INTERVAL_S": "2",
    # Reconciliation would record the manual adjustments as drift events; the simulation
    # checks the chain itself instead.
    "RECONCILE_INTERVAL_S": "86400",
    "RATE_LIMIT_PER_MINUTE": "1000000",
    "WORKER_THREADS": "4",
}


@dataclass
class Fleet:
    """Every process of one simulated deployment, under `root`."""

    root: Path
    workers: int
    runners: int = 1
    postgres: PostgresServer = field(init=False)
    redis: RedisServer = field(init=False)
    master_key: str = field(default_factory=lambda: "ohk_master_" + secrets.token_hex(24))
    vault_key: str = field(default_factory=lambda: secrets.token_hex(32))
    api_port: int = field(default_factory=free_port)
    sandbox_port: int = field(default_factory=free_port)
    sandbox_seed: int = 0
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)
    supervisor: Supervisor | None = None
    platform_user: str | None = None

    def __post_init__(self) -> None:
        self.postgres = PostgresServer(self.root / "postgres")
        self.redis = RedisServer(self.root / "redis")
        (self.root / "logs").mkdir(parents=True, exist_ok=True)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}/api/v1"

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    @property
    def log_dir(self) -> Path:
        return self.root / "logs"

    def environment(self, usdc_issuer: str = "") -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
        return {
            **keep,
            **SERVICE_CLOCKS,
            "DATABASE_URL": self.postgres.url,
            "REDIS_URL": self.redis.url,
            "LEDGERLINE_MASTER_KEY": self.master_key,
            "WALLET_ENCRYPTION_KEY": self.vault_key,
            "LEDGERLINE_VAR_DIR": str(self.root / "var"),
            "HOST": "127.0.0.1",
            "PORT": str(self.api_port),
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "text",
            "STELLAR_NETWORK": "sandbox",
            "STELLAR_HORIZON_URL": f"{self.sandbox_url}/horizon",
            "STELLAR_USDC_ISSUER": usdc_issuer,
            "TRUSTLESS_API_URL": f"{self.sandbox_url}/trustless-work",
            "TRUSTLESS_API_KEY": "sandbox-trustless-work-key",
            "LEDGERLINE_SANDBOX_URL": self.sandbox_url,
            "LEDGERLINE_BROKER_NAMESPACE": f"ledgerline-sim-{self.root.name}",
            "PYTHONDONTWRITEBYTECODE": "1",
        }

    def start(self) -> None:
        """Servers, then the sandbox, then every service process and the platform's wallet."""
        self.postgres.start()
        self.redis.start()
        sandbox = self._process(
            "sandbox",
            [
                "sandbox",
                "--port",
                str(self.sandbox_port),
                "--seed",
                str(self.sandbox_seed),
                # Rate limits come as injected faults; a permanent cap of 50 a minute would
                # make the load's pace, not the service's correctness, decide the outcome.
                "--trustless-rate-limit",
                str(TRUSTLESS_RATE_LIMIT),
            ],
            self.environment(),
            answers(f"{self.sandbox_url}/sandbox/state"),
        )
        sandbox.start()
        issuer = httpx.get(f"{self.sandbox_url}/sandbox/state", timeout=10).json()["usdc"]["issuer"]
        environment = self.environment(issuer)
        self._process("api", ["serve"], environment, answers(f"{self.api_url}/health"))
        for index in range(1, self.runners + 1):
            self._process(f"runner-{index}", ["runner"], environment, said("runner started"))
        for index in range(1, self.workers + 1):
            self._process(f"worker-{index}", ["worker"], environment, said("worker started"))
        services = [p for name, p in self.processes.items() if name != "sandbox"]
        for process in services:  # start them together: each spends seconds importing
            process.spawn()
        for process in services:
            process.wait_ready()
        self.platform_user = self._bootstrap(environment)
        self.supervisor = Supervisor(list(self.processes.values()), self.stopping)
        self.supervisor.start()

    def wait_all_ready(self, timeout_s: float) -> None:
        """Every process up and ready; one that exits meanwhile (`serve` started while the
        database was down exits 69) is started again by the supervisor."""
        deadline = time.monotonic() + timeout_s
        waiting = list(self.processes.values())
        while waiting:
            waiting = [p for p in waiting if not (p.alive and p.ready(p))]
            if waiting and time.monotonic() > deadline:
                names = ", ".join(p.name for p in waiting)
                raise RuntimeError(f"not ready within {timeout_s:.0f}s after the chaos: {names}")
            time.sleep(READY_POLL_S)

    def service(self, name: str) -> ServiceProcess:
        return self.processes[name]

    def names(self, kind: str) -> list[str]:
        """The processes of a kind: `api`, `runner` or `worker`."""
        return [name for name in self.processes if name.split("-")[0] == kind]

    def run_cli(
        self, *command: str, database_url: str | None = None, timeout_s: float = 600.0
    ) -> subprocess.CompletedProcess[str]:
        """A one-shot `ledgerline …` against this deployment (or another database)."""
        environment = self.environment(self._issuer())
        if database_url:
            environment["DATABASE_URL"] = database_url
        return subprocess.run(  # noqa: S603  (our own interpreter and CLI)
            [sys.executable, "-m", "interfaces.cli", *command],
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )

    def stop(self) -> None:
        self.stopping.set()
        if self.supervisor is not None:
            self.supervisor.join()
        for name, process in reversed(list(self.processes.items())):
            if name != "sandbox":
                process.stop()

    def close(self) -> None:
        """Everything down, servers last (the sandbox too)."""
        self.stop()
        if "sandbox" in self.processes:
            self.processes["sandbox"].stop()
        self.redis.stop()
        self.postgres.stop()

    def _process(
        self, name: str, command: list[str], environment: dict[str, str], ready: object
    ) -> ServiceProcess:
        process = ServiceProcess(name, command, environment, self.log_dir, ready)  # type: ignore[arg-type]
        self.processes[name] = process
        return process

    def _issuer(self) -> str:
        return str(self.processes["api"].environment["STELLAR_USDC_ISSUER"])

    def _bootstrap(self, environment: dict[str, str]) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "interfaces.cli", "bootstrap"],
            env=environment,
            capture_output=True,
            text=True,
            timeout=BOOTSTRAP_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"ledgerline bootstrap failed: {done.stderr.strip()}")
        return done.stdout.strip().splitlines()[0].partition("=")[2]
