"""The write path's measures, each at every client count of the run.

Raw baselines first (`raw_insert_commit`, `pgbench`, `sql_transfer_hot`), then the HTTP
measures against the running API: `http_hello` (the generator's ceiling on the cheapest
authenticated request), credits spread over one account per client, credits all on one hot
account, and the mixed marketplace load. `http_credit_spread_with_runner` is taken by
`run.py` while the runner runs, against `http_credit_spread` of the same client count.
"""

from __future__ import annotations

from typing import Any

from ops.bench import baselines, wrk
from ops.bench.meters import costs
from ops.bench.report import Measure
from ops.bench.session import Session, say
from ops.bench.stack import MASTER_KEY

RAW = "raw_insert_commit"


def raw_insert_commit(session: Session, clients: int) -> None:
    name = session.name(RAW, clients)
    params: list[dict[str, Any]] = [{} for _ in range(clients)]
    session.load(name, "insert", params, session.sql_shared, baseline=name)


def pgbench(session: Session, clients: int) -> None:
    name = session.name("pgbench", clients)
    if baselines.pgbench_binary() is None:
        session.report.skipped[name] = (
            "the pgbench binary is not installed (apt-get install postgresql-client)"
        )
        return
    session.track()
    before = session.meters.read()
    result = baselines.run_pgbench(session.stack.database_url, clients, session.seconds)
    after = session.meters.read()
    measure = Measure.of(
        name,
        len(result.latencies_s),
        session.seconds,
        result.latencies_s,
        baseline=session.name(RAW, clients),
        clients=clients,
        errors=result.failed,
        pgbench_reported_tps=round(result.ops_per_s, 1),
        **costs(before, after, len(result.latencies_s)),
    )
    # pgbench's own tps (over its measured run) is the throughput; latencies from its log.
    measure.ops_per_s = result.ops_per_s
    session.report.add(measure)
    say(f"  {name:<38} {measure.ops_per_s:>9.0f} ops/s  p99 {measure.p99_ms:>8.2f} ms")


def sql_transfer_hot(session: Session, clients: int, pair: tuple[int, int]) -> None:
    name = session.name("sql_transfer_hot", clients)
    params = [{"from_account": pair[0], "to_account": pair[1]} for _ in range(clients)]
    session.load(name, "transfer", params, session.sql_shared, baseline=session.name(RAW, clients))
    baselines.check_transfers(session.stack.database_url, pair)


def http_hello(session: Session, clients: int) -> None:
    name = session.name("http_hello", clients)
    params: list[dict[str, Any]] = [{} for _ in range(clients)]
    session.load(
        name,
        "hello",
        params,
        session.http_shared,
        baseline=session.name(RAW, clients),
        request="GET /api/v1/auth/me",
    )


def http_hello_wrk(session: Session, clients: int) -> None:
    """The same request from wrk's C clients, against `http_hello` of the same client count."""
    name = session.name("http_hello_wrk", clients)
    if wrk.wrk_binary() is None:
        session.report.skipped[name] = (
            "wrk is not installed (apt-get install wrk): no C cross-check"
        )
        return
    session.track()
    before = session.meters.read()
    url = f"http://127.0.0.1:{session.stack.api_port}/api/v1/auth/me"
    result = wrk.run_wrk(url, MASTER_KEY, clients, session.seconds)
    after = session.meters.read()
    operations = round(result.ops_per_s * session.seconds)
    measure = Measure(
        name,
        result.ops_per_s,
        result.p50_ms,
        result.p99_ms,
        session.name("http_hello", clients),
        extra={
            "clients": clients,
            "errors": result.errors,
            "request": "GET /api/v1/auth/me",
            **costs(before, after, operations),
        },
    )
    session.report.add(measure)
    say(f"  {name:<38} {measure.ops_per_s:>9.0f} ops/s  p99 {measure.p99_ms:>8.2f} ms")


def http_credit_spread(session: Session, clients: int, base: str = "http_credit_spread") -> None:
    assert session.population is not None
    users = session.population.spread
    params = [{"user_id": users[i % len(users)]} for i in range(clients)]
    baseline = (
        session.name(RAW, clients)
        if base == "http_credit_spread"
        else session.name("http_credit_spread", clients)
    )
    session.load(session.name(base, clients), "credit", params, session.http_shared, baseline)


def http_credit_hot(session: Session, clients: int) -> None:
    assert session.population is not None
    params = [{"user_id": session.population.hot} for _ in range(clients)]
    name = session.name("http_credit_hot", clients)
    session.load(name, "credit", params, session.http_shared, baseline=session.name(RAW, clients))


def http_mixed(session: Session, clients: int) -> None:
    assert session.population is not None
    buyers = session.population.buyers
    params = [
        {
            "user_id": buyers[i % len(buyers)].user_id,
            "seller_id": buyers[i % len(buyers)].seller_id,
            "destination": buyers[i % len(buyers)].destination,
            "seed": i,
        }
        for i in range(clients)
    ]
    name = session.name("http_mixed", clients)
    session.load(name, "mixed", params, session.http_shared, baseline=session.name(RAW, clients))
