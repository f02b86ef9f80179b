"""`make bench`: durable commands per second through HTTP, next to a raw PostgreSQL baseline
measured in the same run on the same database, and their ratio.

Absolute numbers on shared machines mean little; the ratio to a single-row-commit INSERT loop
(what a hand-written ledger writing one row per command would pay) is what we track. The API
runs as a real `ledgerline serve` process, beside a `ledgerline sandbox` for its Stellar
configuration (credits never touch the chain); clients send admin credits, each with its own
Idempotency-Key, from concurrent connections.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from infrastructure.embedded.postgres import EmbeddedPostgres, free_port  # noqa: E402
from infrastructure.embedded.redis import EmbeddedRedis, die_with_parent  # noqa: E402

MASTER_KEY = "ohk_master_" + "b" * 48
WALLET_ENCRYPTION_KEY = "cd" * 32
START_WITHIN_S = 60.0


def _wait_for(url: str, process: subprocess.Popen[bytes], what: str) -> httpx.Response:
    deadline = time.monotonic() + START_WITHIN_S
    while True:
        try:
            response = httpx.get(url, timeout=1)
            if response.status_code == 200:
                return response
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit(f"{what} did not start")
        time.sleep(0.1)


def start_sandbox(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`ledgerline sandbox` on a free port; `env` is pointed at it."""
    port = free_port()
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "interfaces.cli", "sandbox", "--port", str(port)],
        env=env,
        preexec_fn=die_with_parent,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    state = _wait_for(f"{url}/sandbox/state", sandbox, "the sandbox").json()
    env.update(
        STELLAR_NETWORK="sandbox",
        STELLAR_HORIZON_URL=f"{url}/horizon",
        TRUSTLESS_API_URL=f"{url}/trustless-work",
        STELLAR_USDC_ISSUER=str(state["usdc"]["issuer"]),
    )
    return sandbox


def raw_inserts(url: str, clients: int, seconds: float) -> tuple[float, list[float]]:
    """Single-row INSERT + COMMIT per operation, from `clients` concurrent connections."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_raw (id bigserial PRIMARY KEY, body text NOT NULL)"
        )
    return _drive(clients, seconds, lambda: _raw_worker(url))


def _raw_worker(url: str):  # type: ignore[no-untyped-def]
    conn = psycopg.connect(url, autocommit=True)

    def once() -> None:
        conn.execute("INSERT INTO bench_raw (body) VALUES (%s)", (uuid.uuid4().hex,))

    return once, conn.close


def http_credits(base_url: str, user_ids: list[str], clients: int, seconds: float):  # type: ignore[no-untyped-def]
    """Each client credits its own user of `user_ids` (one id: every client on one account)."""
    assigned = iter(range(clients))
    lock = threading.Lock()

    def worker():  # type: ignore[no-untyped-def]
        client = httpx.Client(
            base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {MASTER_KEY}"}
        )
        with lock:
            user_id = user_ids[next(assigned) % len(user_ids)]

        def once() -> None:
            response = client.post(
                f"/users/{user_id}/balance/credit",
                json={"amount": "0.01", "reason": "bench"},
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            if response.status_code != 200:
                raise RuntimeError(response.text)

        return once, client.close

    return _drive(clients, seconds, worker)


def _drive(clients: int, seconds: float, make_worker):  # type: ignore[no-untyped-def]
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def run() -> None:
        once, close = make_worker()
        mine: list[float] = []
        start.wait()
        while time.perf_counter() < stop_at[0]:
            began = time.perf_counter()
            once()
            mine.append(time.perf_counter() - began)
        close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=run) for _ in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return len(latencies) / elapsed, latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * fraction), len(ordered) - 1)] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    var = ROOT / "var" / "bench"
    postgres = redis_server = None
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        postgres = EmbeddedPostgres(
            var / "postgres", durable=True, database=f"bench_{uuid.uuid4().hex[:8]}"
        )
        database_url = postgres.start()
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        redis_server = EmbeddedRedis(var / "redis", durable=False)
        redis_url = redis_server.start()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PORT": str(port),
        "LEDGERLINE_MASTER_KEY": MASTER_KEY,
        "WALLET_ENCRYPTION_KEY": WALLET_ENCRYPTION_KEY,
        "RATE_LIMIT_PER_MINUTE": "1000000",
        "LOG_LEVEL": "WARNING",
    }
    sandbox = start_sandbox(env)
    api = subprocess.Popen(
        [sys.executable, "-m", "interfaces.cli", "serve"],
        env=env,
        preexec_fn=die_with_parent,
        cwd=ROOT,
    )
    base_url = f"http://127.0.0.1:{port}/api/v1"
    try:
        _wait_for(f"{base_url}/health", api, "the API")
        users = [
            httpx.post(
                f"{base_url}/users",
                json={"externalUserId": f"bench-{uuid.uuid4()}"},
                headers={"Authorization": f"Bearer {MASTER_KEY}"},
            ).json()["data"]["id"]
            for _ in range(args.clients)
        ]
        print(f"clients={args.clients} seconds={args.seconds:.0f} (one run, same database)")
        raw_rate, raw_lat = raw_inserts(database_url, args.clients, args.seconds)
        http_credits(base_url, users, args.clients, 2.0)  # warm-up: pools, caches
        spread_rate, spread_lat = http_credits(base_url, users, args.clients, args.seconds)
        hot_rate, hot_lat = http_credits(base_url, users[:1], args.clients, args.seconds)
        rows = [
            ("raw psycopg INSERT+COMMIT (baseline)", raw_rate, raw_lat),
            ("HTTP credit, one account per client", spread_rate, spread_lat),
            ("HTTP credit, all clients one account", hot_rate, hot_lat),
        ]
        print(f"{'measure':<40} {'ops/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>7}")
        for name, rate, lat in rows:
            print(
                f"{name:<40} {rate:>9.0f} {percentile(lat, 0.5):>8.2f} "
                f"{percentile(lat, 0.99):>8.2f} {rate / raw_rate:>7.3f}"
            )
        print(
            "HTTP commands are durable (fsync at commit), each with its own Idempotency-Key; "
            f"mean HTTP latency {statistics.mean(spread_lat) * 1000:.2f} ms"
        )
    finally:
        for process in (api, sandbox):
            process.terminate()
            process.wait(timeout=30)
        if redis_server:
            redis_server.stop()
        if postgres:
            postgres.stop()


if __name__ == "__main__":
    main()
