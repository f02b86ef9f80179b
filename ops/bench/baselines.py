"""Plain-PostgreSQL anchors, in a `bench` schema of their own beside the service's tables.

- `bench.raw_commit`: the table of the raw single-row INSERT+COMMIT baseline (psycopg clients,
  and pgbench's C clients as a second opinion where the binary is installed).
- `bench.transfer(from, to, amount)`: a double-entry transfer in one PL/pgSQL call, in the
  style of pgledger (accounts with a balance and a version, one transfer row and two entry rows
  per call): both accounts are locked in id order, the source's balance is checked, both
  balances move, the rows are written, all in the caller's one transaction. It is what a
  plain-SQL ledger pays per balance-checked command on one hot pair of accounts.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import psycopg

SCHEMA_SQL: Final = """
CREATE SCHEMA IF NOT EXISTS bench;
CREATE TABLE IF NOT EXISTS bench.raw_commit (id bigserial PRIMARY KEY, body text NOT NULL);
CREATE TABLE IF NOT EXISTS bench.accounts (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    balance bigint NOT NULL DEFAULT 0,
    version bigint NOT NULL DEFAULT 0,
    allow_negative_balance boolean NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS bench.transfers (
    id bigserial PRIMARY KEY,
    from_account_id bigint NOT NULL REFERENCES bench.accounts (id),
    to_account_id bigint NOT NULL REFERENCES bench.accounts (id),
    amount bigint NOT NULL CHECK (amount > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (from_account_id <> to_account_id)
);
CREATE TABLE IF NOT EXISTS bench.entries (
    id bigserial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES bench.accounts (id),
    transfer_id bigint NOT NULL REFERENCES bench.transfers (id),
    amount bigint NOT NULL,
    account_previous_balance bigint NOT NULL,
    account_current_balance bigint NOT NULL,
    account_version bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS entries_by_account ON bench.entries (account_id, id);
CREATE OR REPLACE FUNCTION bench.transfer(from_id bigint, to_id bigint, amount bigint)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    source bench.accounts;
    target bench.accounts;
    new_transfer bigint;
BEGIN
    -- Lock both accounts in id order so two opposite transfers can never deadlock.
    PERFORM 1 FROM bench.accounts WHERE id IN (from_id, to_id) ORDER BY id FOR UPDATE;
    SELECT * INTO source FROM bench.accounts WHERE id = from_id;
    SELECT * INTO target FROM bench.accounts WHERE id = to_id;
    IF source.balance < amount AND NOT source.allow_negative_balance THEN
        RAISE EXCEPTION 'insufficient funds on account %', from_id;
    END IF;
    UPDATE bench.accounts SET balance = balance - amount, version = version + 1,
        updated_at = now() WHERE id = from_id;
    UPDATE bench.accounts SET balance = balance + amount, version = version + 1,
        updated_at = now() WHERE id = to_id;
    INSERT INTO bench.transfers (from_account_id, to_account_id, amount)
        VALUES (from_id, to_id, amount) RETURNING id INTO new_transfer;
    INSERT INTO bench.entries (account_id, transfer_id, amount, account_previous_balance,
        account_current_balance, account_version)
    VALUES (from_id, new_transfer, -amount, source.balance, source.balance - amount,
            source.version + 1),
           (to_id, new_transfer, amount, target.balance, target.balance + amount,
            target.version + 1);
    RETURN new_transfer;
END
$$;
"""
# The hot source account holds enough that the bench never drains it; the check still runs.
HOT_SOURCE_BALANCE: Final = 10**15


def create_schema(database_url: str) -> tuple[int, int]:
    """Creates the bench schema; returns the hot pair (source, destination) of accounts."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(SCHEMA_SQL)  # type: ignore[arg-type]  # our own constant
        source = conn.execute(
            "INSERT INTO bench.accounts (name, balance, allow_negative_balance)"
            " VALUES ('hot source', %s, false) RETURNING id",
            (HOT_SOURCE_BALANCE,),
        ).fetchone()
        target = conn.execute(
            "INSERT INTO bench.accounts (name, allow_negative_balance)"
            " VALUES ('hot destination', false) RETURNING id"
        ).fetchone()
    assert source is not None
    assert target is not None
    return int(source[0]), int(target[0])


def check_transfers(database_url: str, pair: tuple[int, int]) -> None:
    """The anchor is a real ledger: its two balances still sum to what they started with."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT sum(balance) FROM bench.accounts WHERE id = ANY(%s)", (list(pair),)
        ).fetchone()
    assert row is not None
    assert int(row[0]) == HOT_SOURCE_BALANCE, "bench.transfer lost money"


# -- pgbench ------------------------------------------------------------------------------------

PGBENCH_SCRIPT: Final = "INSERT INTO bench.raw_commit (body) VALUES (md5(random()::text));\n"
PGBENCH_THREADS_MAX: Final = 4
_SUMMARY_TPS = re.compile(r"^tps = ([0-9.]+)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class PgbenchResult:
    ops_per_s: float
    latencies_s: list[float]
    failed: int


def pgbench_binary() -> str | None:
    return shutil.which("pgbench")


def run_pgbench(database_url: str, clients: int, seconds: float) -> PgbenchResult:
    """pgbench's own C clients running the same single-row INSERT+COMMIT; latencies from its
    per-transaction log."""
    binary = pgbench_binary()
    assert binary is not None
    with tempfile.TemporaryDirectory(prefix="bench-pgbench-") as folder:
        script = Path(folder) / "insert.sql"
        script.write_text(PGBENCH_SCRIPT)
        prefix = Path(folder) / "tx"
        done = subprocess.run(
            [
                binary,
                "--no-vacuum",
                f"--client={clients}",
                f"--jobs={min(clients, PGBENCH_THREADS_MAX)}",
                f"--time={max(round(seconds), 1)}",
                f"--file={script}",
                "--log",
                f"--log-prefix={prefix}",
                database_url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"pgbench failed ({done.returncode}): {done.stderr.strip()}")
        latencies, failed = _transaction_log(Path(folder))
    found = _SUMMARY_TPS.search(done.stdout)
    ops_per_s = float(found.group(1)) if found else len(latencies) / max(seconds, 1e-9)
    return PgbenchResult(ops_per_s, latencies, failed)


def _transaction_log(folder: Path) -> tuple[list[float], int]:
    """Latencies (s) of every logged transaction; pgbench writes one log file per thread, one
    line per transaction: client, transaction number, latency in µs (or 'failed'), …"""
    latencies: list[float] = []
    failed = 0
    for log in folder.glob("tx*"):
        for line in log.read_text().splitlines():
            fields = line.split()
            if len(fields) < 3:
                continue
            if fields[2].isdigit():
                latencies.append(int(fields[2]) / 1e6)
            else:
                failed += 1
    return latencies, failed
