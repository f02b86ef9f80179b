"""`make bench`: the write path and the read side of Ledgerline, from one run on one database,
each measure next to a raw baseline of the same run and their ratio.

The service runs as production runs it — `ledgerline serve`, `ledgerline runner`, `ledgerline
worker` and `ledgerline sandbox` processes on a fresh database of a durable PostgreSQL — and is
driven from outside: HTTP from a multi-process load generator that proves its own ceiling
(`http_hello`), SQL for the raw baselines and the freshness probes. Only the read-side
measures import the service (`service.py`). Absolute numbers on a shared machine move run to
run; the ratios to baselines taken minutes apart on the same database are what to track.
See docs/benchmarks.md for what each measure exercises.

    python ops/bench/run.py [--clients 16,64] [--seconds 5] [--json PATH]
    BENCH_EVENTS=20000 python ops/bench/run.py --clients 4 --seconds 2   # a quick run
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ops.bench import baselines  # noqa: E402
from ops.bench.load import Generator  # noqa: E402
from ops.bench.measures import freshness, read_side, write_path  # noqa: E402
from ops.bench.meters import Meters  # noqa: E402
from ops.bench.population import Admin, create_population, wait_wallets_active  # noqa: E402
from ops.bench.session import Session, say  # noqa: E402
from ops.bench.stack import MASTER_KEY, Stack, StackError  # noqa: E402

EVENTS_DEFAULT = 1_000_000
REBUILD_BUDGET_S_DEFAULT = 45.0
# Building the log takes ≈ 150–250 s here; past this the machine is too busy to finish the run
# in ten minutes, and the read side runs on the log built so far (said loudly).
LOG_BUDGET_S_DEFAULT = 300.0
GENERATOR = "closed-loop HTTP/1.1 keep-alive clients on raw asyncio sockets (ops/bench/wire.py)"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--clients",
        default="16,64",
        help="comma-separated client counts; the first is the reference, named without @N",
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per measure")
    parser.add_argument("--warmup", type=float, default=1.0, help="uncounted seconds before each")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument(
        "--generator-processes",
        type=int,
        default=max(os.cpu_count() or 2, 2),
        help="load generator processes (default: one per core, at least 2)",
    )
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    args = parser.parse_args()
    args.client_counts = [int(c) for c in args.clients.split(",") if c.strip()]
    if not args.client_counts or min(args.client_counts) < 1:
        parser.error("--clients needs positive counts, e.g. 16,64")
    args.events = int(os.environ.get("BENCH_EVENTS", EVENTS_DEFAULT))
    args.log_budget_s = float(os.environ.get("BENCH_LOG_BUDGET_S", LOG_BUDGET_S_DEFAULT))
    args.rebuild_budget_s = float(
        os.environ.get("BENCH_REBUILD_BUDGET_S", REBUILD_BUDGET_S_DEFAULT)
    )
    return args


def _git_commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or "unknown"


def _prepare(session: Session) -> None:
    """Users through the API; the buyers' wallets activated by a worker and the runner."""
    stack = session.stack
    admin = Admin(stack.api_base, MASTER_KEY)
    try:
        say("setup: users through the API")
        session.population = create_population(admin, max(session.clients))
        stack.start_process("runner", "runner")
        stack.start_process("worker", "worker")
        waited = wait_wallets_active(
            admin, [b.user_id for b in session.population.buyers], stack.check_alive
        )
        say(f"setup: buyers' wallets active in {waited:.1f}s")
    finally:
        admin.close()
    stack.stop_process("worker")
    waited = freshness.wait_caught_up(stack.database_url)
    say(f"setup: runner caught up in {waited:.1f}s")


def _start_runner(session: Session) -> None:
    session.stack.start_process("runner", "runner")
    waited = freshness.wait_caught_up(session.stack.database_url)
    say(f"  (runner started, caught up in {waited:.1f}s)")


def _measure_all(session: Session, args: argparse.Namespace) -> None:
    reference = session.clients[0]
    # Each pair back to back, so a shared machine's drifting load skews its ratio least; the
    # runner restarts from where it stopped and catches up before it is measured.
    say("spread credits, API only then with the runner running:")
    for clients in session.clients:
        session.stack.stop_process("runner")
        write_path.http_credit_spread(session, clients)
        _start_runner(session)
        write_path.http_credit_spread(session, clients, base=freshness.WITH_RUNNER)
    say("freshness, with the runner running:")
    freshness.projection_lag(session, reference)
    freshness.sse_commit_to_client(session, reference)
    session.stack.stop_process("runner")
    say("API only:")
    for measure in (
        write_path.http_credit_hot,
        write_path.http_mixed,
        write_path.http_hello,
    ):
        for clients in session.clients:
            measure(session, clients)
    write_path.http_hello_wrk(session, reference)
    say("plain PostgreSQL:")
    pair = baselines.create_schema(session.stack.database_url)
    for clients in session.clients:
        write_path.raw_insert_commit(session, clients)
    for clients in session.clients:
        write_path.pgbench(session, clients)
    for clients in session.clients:
        write_path.sql_transfer_hot(session, clients, pair)
    session.stack.stop_process("api")
    budget = f"rebuild budget {args.rebuild_budget_s:.0f}s"
    say(f"read side over a log of {args.events:,} events ({budget}):")
    budgets = (args.log_budget_s, args.rebuild_budget_s)
    read_side.read_side(session, args.events, budgets, args.seed)


def _print(session: Session) -> None:
    report = session.report
    print(report.table())
    print()
    for line in report.notes:
        print(line)
    errors = {
        n: m.extra["error_samples"]
        for n, m in report.measures.items()
        if m.extra.get("error_samples")
    }
    for name, samples in errors.items():
        print(f"errors in {name}:")
        for sample in samples:
            print(f"  {sample}")
    print()
    print(report.goals_text())


def _notes(session: Session, args: argparse.Namespace) -> None:
    report = session.report
    hello = report.measures[session.name("http_hello", session.clients[0])]
    busiest = max(
        (
            m
            for m in report.measures.values()
            if m.name.startswith("http_") and "hello" not in m.name
        ),
        key=lambda m: m.ops_per_s,
    )
    report.run.update(
        generator=GENERATOR,
        generator_processes=args.generator_processes,
        generator_ceiling_ops_per_s=round(hello.ops_per_s, 1),
        busiest_http_measure=busiest.name,
        busiest_http_share_of_ceiling=round(busiest.ops_per_s / hello.ops_per_s, 3),
    )
    report.notes += [
        f"load generator: {GENERATOR}, {args.generator_processes} processes;",
        "  its ceiling in this run (http_hello, GET /api/v1/auth/me):"
        f" {hello.ops_per_s:,.0f} req/s;"
        f" the busiest command measure ({busiest.name}) ran at"
        f" {busiest.ops_per_s / hello.ops_per_s:.1%} of it.",
        f"run: {args.seconds:g}s measured after {args.warmup:g}s warm-up per measure, clients"
        f" {','.join(map(str, session.clients))}, commit {report.run['commit']},"
        f" {report.run['wall_s']:.0f}s in all; latency columns are per operation"
        " (read side: per page of 1,000).",
    ]
    checked = report.measures.get(session.name("http_hello_wrk", session.clients[0]))
    if checked is not None:
        report.notes.append(
            f"  wrk (C) on the same request: {checked.ops_per_s:,.0f} req/s, {checked.ratio:.2f}x"
            " the Python generator's (≈1 means the API, not the generator, is the limit)."
        )
        report.run["wrk_ceiling_ops_per_s"] = round(checked.ops_per_s, 1)
    rebuild = report.measures.get("rebuild_all")
    if rebuild is not None and not rebuild.extra.get("complete", True):
        report.notes.append(
            f"rebuild_all: the one-pass `rebuild --all` was stopped at its"
            f" {args.rebuild_budget_s:.0f}s budget, at position {rebuild.extra['count']:,} of"
            f" {rebuild.extra['log_head']:,}; the rate is over the positions it reached."
        )


def main() -> None:
    args = _arguments()
    began = time.monotonic()
    stack = Stack()
    generator: Generator | None = None
    meters: Meters | None = None
    try:
        say(f"bench: starting the stack (logs in {stack.log_dir})")
        stack.start()
        generator = Generator(args.generator_processes)
        meters = Meters(stack.database_url)
        session = Session(stack, generator, meters, args.client_counts, args.seconds, args.warmup)
        session.report.run.update(
            commit=_git_commit(),
            started_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            cores=os.cpu_count(),
            load_average_at_start=list(os.getloadavg()),
            clients=session.clients,
            seconds=args.seconds,
            warmup_s=args.warmup,
            events=args.events,
            seed=args.seed,
        )
        _prepare(session)
        _measure_all(session, args)
        session.report.compute_ratios()
        session.report.run.update(
            wall_s=round(time.monotonic() - began, 1),
            load_average_at_end=list(os.getloadavg()),
        )
        _notes(session, args)
        _print(session)
        if args.json:
            session.report.write_json(args.json)
            say(f"bench: results written to {args.json}")
    except StackError as error:
        say(f"bench: {error}")
        raise SystemExit(1) from None
    finally:
        if generator is not None:
            generator.close()
        if meters is not None:
            meters.close()
        stack.stop()


if __name__ == "__main__":
    main()
