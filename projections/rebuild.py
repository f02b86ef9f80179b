"""`projections rebuild --all`: every read model rebuilt in one pass over the log.

Each page is read and decoded once and applied to every store's `__next` schema (store.py builds
and swaps those, as `rebuild NAME` does for one), so the log is read once whatever the number of
read models.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from application.ledger import Ledger
from projections.log_reader import PAGE_SIZE
from projections.store import Progress, ProjectionStore

# A rebuild of every read model reads the log in pages this large (decoded once for all).
REBUILD_PAGE_SIZE: Final = 5 * PAGE_SIZE


def rebuild_together(
    stores: Sequence[ProjectionStore],
    ledger: Ledger,
    progress: Progress | None = None,
    page_size: int = REBUILD_PAGE_SIZE,
) -> int:
    """`projections rebuild --all`: every store rebuilt in one pass over the log — each page is
    read and decoded once and applied to every store's `__next` schema — then each swapped in
    as `rebuild` does. Live read models stay untouched until their swap; a failure drops what
    was built aside and raises (an event a projection cannot apply is named with its position).
    Returns the position the pass reached before the swaps caught up the last events."""
    # Its pages are of every topic, an ordered walk of the index with or without statistics
    # (the recorder's select_notifications), so it asks for no ANALYZE, which writers wait on.
    schemas = [store._begin_rebuild() for store in stores]
    position = 0
    try:
        while (head := ledger.head_position()) > position:
            events = ledger.read(after=position, limit=page_size, stop=head)
            end = events[-1][0] if len(events) == page_size else head
            for store, schema in zip(stores, schemas, strict=True):
                with store._pool.connection() as conn:
                    store._commit_to(conn, schema, position, end, events)
            position = end
            if progress:
                progress(position)
    except BaseException:
        for store, schema in zip(stores, schemas, strict=True):
            store._drop(schema)
        raise
    for store, schema in zip(stores, schemas, strict=True):
        store._swap(schema)
    return position
