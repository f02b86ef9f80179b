"""Snapshots of every read model's rows, for comparing two builds of the same log."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from interfaces.services import Services


def snapshot(services: Services) -> dict[str, list[tuple[Any, ...]]]:
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with services.resources.pool.connection() as conn:
        for store in services.resources.projections.values():
            schema = store.projection.schema
            tables = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename <> 'tracking'",
                (schema,),
            ).fetchall()
            for table in tables:
                name = table["tablename"]
                result = conn.execute(
                    sql.SQL("SELECT * FROM {}.{}").format(
                        sql.Identifier(schema), sql.Identifier(name)
                    )
                ).fetchall()
                rows[f"{schema}.{name}"] = sorted(tuple(str(v) for v in r.values()) for r in result)
    return rows
