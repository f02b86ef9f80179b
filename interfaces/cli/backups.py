"""`ledgerline backup` and `ledgerline restore`: the event log and what cannot be rebuilt, out to
one file and back into an empty database (docs/runbooks/restore-from-backup.md).

A backup leaves the read models out: after a restore the runner rebuilds them from the log.
A restore also forgets what Redis remembers of the lost future (cached idempotent responses,
queued saga messages) and moves the log's positions past the restored head. What happened on
chain after the backup is found again by the sagas themselves before they sign anything
(`application/chain_recall.py`), by the deposit monitor from its restored cursor, and, for what
the restored log holds no trace of, by `ledgerline reconcile`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import click
import psycopg
import redis

from infrastructure.postgres.backups import (
    BackupError,
    create_database_if_missing,
    restore_backup,
    take_backup,
)
from infrastructure.postgres.idempotency import CACHE_PREFIX
from infrastructure.redis.key_sweep import delete_matching
from interfaces.cli.environment import reachable_runtime, settings_or_exit
from projections.registry import all_projections

BACKUPS_DIR: Final = "backups"
# Positions left unused after a restore: more than any client can have seen past the backup.
SKIP_POSITIONS_DEFAULT: Final = 1_000_000


@click.command("backup")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the dump (default: <var>/backups/ledgerline-<UTC time>.dump).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def backup(output: Path | None, as_json: bool) -> None:
    """Dump the event log, vault, idempotency records and relay positions (pg_dump, custom
    format; read models are left out and rebuilt after a restore). Writers are not blocked."""
    settings = settings_or_exit()
    runtime = reachable_runtime(settings)
    try:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = output or settings.var_dir / BACKUPS_DIR / f"ledgerline-{stamp}.dump"
        schemas = [projection.schema for projection in all_projections()]
        try:
            taken = take_backup(runtime.database_url, path, schemas)
        except BackupError as error:
            raise click.ClickException(str(error)) from None
    finally:
        runtime.close()
    report = {
        "path": str(taken.path),
        "sizeBytes": taken.size_bytes,
        "headPosition": taken.head_position,
        "events": taken.events,
        "seconds": round(taken.seconds, 2),
    }
    if as_json:
        click.echo(json.dumps(report))
        return
    click.echo(
        f"backed up {taken.events} events (log head {taken.head_position}) to {taken.path} "
        f"({taken.size_bytes / 1e6:.1f} MB in {taken.seconds:.1f} s)"
    )


@click.command("restore")
@click.argument("dump", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--database-url",
    default=None,
    help="The empty database to restore into (default: DATABASE_URL, or the embedded one).",
)
@click.option(
    "--database",
    "database_name",
    default=None,
    help="Restore into this database on the same server instead (created when missing).",
)
@click.option(
    "--skip-positions",
    type=click.IntRange(0),
    default=SKIP_POSITIONS_DEFAULT,
    show_default=True,
    help="Positions left unused after the restored head, so no position is ever reused.",
)
@click.option(
    "--forget-redis/--keep-redis",
    "forget_redis",
    default=None,
    help="Forget Redis's idempotency cache and queued saga messages (default: only when "
    "restoring into the deployment's own DATABASE_URL; a restore beside it leaves the "
    "running deployment's Redis alone).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def restore(
    dump: Path,
    database_url: str | None,
    database_name: str | None,
    skip_positions: int,
    forget_redis: bool | None,
    as_json: bool,
) -> None:
    """Restore a `ledgerline backup` into an empty database. Stop every Ledgerline process
    first; start the runner next (it rebuilds the read models), then the API and workers."""
    settings = settings_or_exit()
    runtime = reachable_runtime(settings)
    try:
        target = database_url or runtime.database_url
        if database_name:
            target = psycopg.conninfo.make_conninfo(target, dbname=database_name)
        try:
            create_database_if_missing(target)
            restored = restore_backup(target, dump, skip_positions)
        except (BackupError, psycopg.Error) as error:
            raise click.ClickException(str(error).strip()) from None
        if forget_redis is None:
            forget_redis = target == runtime.database_url
        forgotten = (
            _forget_redis(runtime.redis_url, settings.broker_namespace) if forget_redis else None
        )
    finally:
        runtime.close()
    report = {
        "events": restored.events,
        "headPosition": restored.head_position,
        "nextPosition": restored.next_position,
        "redisKeysForgotten": forgotten,
        "seconds": round(restored.seconds, 2),
    }
    if as_json:
        click.echo(json.dumps(report))
        return
    click.echo(
        f"restored {restored.events} events (log head {restored.head_position}) in "
        f"{restored.seconds:.1f} s; new positions start at {restored.next_position}; "
        + (
            f"{forgotten} Redis keys forgotten"
            if forgotten is not None
            else "Redis left alone (another database than DATABASE_URL's: --forget-redis "
            "before pointing the deployment at it)"
        )
    )
    click.echo(
        "next: start the runner (read models rebuild), check `ledgerline audit verify`, start "
        "the API and workers, then `ledgerline reconcile`"
    )


def _forget_redis(redis_url: str, broker_namespace: str) -> int:
    client = redis.Redis.from_url(redis_url)
    try:
        return delete_matching(client, [f"{CACHE_PREFIX}*", f"{broker_namespace}:*"])
    finally:
        client.close()
