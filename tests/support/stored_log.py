"""A log as it is stored, and the read models folded from it, in a form that can be committed and
compared: stored events exported to (and loaded from) gzipped JSON lines with their positions,
and every read model table as sorted, normalised rows.

Used to prove that a log written by an older layout of the code still loads and rebuilds into the
same read models (`tests/integration/test_old_log.py`); `tests/fixtures/old_layout/` holds the
log and the models the old code built, and the script that made them.
"""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from psycopg import sql

EVENTS_TABLE = "ledger_events"


def export_events(conn: Any) -> Iterator[dict[str, Any]]:
    """Every stored event in position order: position, originator id and version, topic, and
    the stored state (base64: it is whatever bytes the transcoder wrote)."""
    rows = conn.execute(
        "SELECT notification_id, originator_id, originator_version, topic, state"
        f" FROM {EVENTS_TABLE} ORDER BY notification_id"
    ).fetchall()
    for row in rows:
        yield {
            "position": row["notification_id"],
            "originator_id": str(row["originator_id"]),
            "originator_version": row["originator_version"],
            "topic": row["topic"],
            "state": base64.b64encode(bytes(row["state"])).decode(),
        }


def insert_events(conn: Any, events: Iterable[dict[str, Any]]) -> int:
    """Writes exported events into an empty event store at their original positions (gaps
    included), and moves the position sequence past them; returns how many were written."""
    count = 0
    with conn.transaction():
        for event in events:
            conn.execute(
                f"INSERT INTO {EVENTS_TABLE}"
                " (notification_id, originator_id, originator_version, topic, state)"
                " VALUES (%s, %s, %s, %s, %s)",
                (
                    event["position"],
                    uuid.UUID(event["originator_id"]),
                    event["originator_version"],
                    event["topic"],
                    base64.b64decode(event["state"]),
                ),
            )
            count += 1
        conn.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'notification_id'),"
            f" (SELECT max(notification_id) FROM {EVENTS_TABLE}))",
            (EVENTS_TABLE,),
        )
    return count


def read_model_rows(conn: Any, schemas: Iterable[str]) -> dict[str, list[str]]:
    """Every row of every table of the read models' `schemas` (tracking excluded: its time is
    when a process applied the events, not a fact of the log), normalised and sorted, so two
    builds of the same log compare equal whatever order their rows were written in."""
    tables: dict[str, list[str]] = {}
    for schema in schemas:
        names = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename <> 'tracking'"
            " ORDER BY tablename",
            (schema,),
        ).fetchall()
        for name in (r["tablename"] for r in names):
            rows = conn.execute(
                sql.SQL("SELECT * FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(name))
            ).fetchall()
            tables[f"{schema}.{name}"] = sorted(
                json.dumps({k: _plain(v) for k, v in row.items()}, sort_keys=True) for row in rows
            )
    return tables


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)  # a numeric count of stroops: the same row as when it was a bigint
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def write_json_lines(path: Path, records: Iterable[Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same records make the same bytes, so a regenerated fixture diffs cleanly.
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        for record in records:
            out.write(json.dumps(record, sort_keys=True).encode() + b"\n")


def read_json_lines(path: Path) -> list[Any]:
    with gzip.open(path, "rb") as lines:
        return [json.loads(line) for line in lines if line.strip()]
