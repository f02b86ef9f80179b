"""What a read model is: a named set of tables in its own schema, built by folding the log.

A projection declares the event classes it handles (so the log can be filtered in the database)
and a handler per class. Handlers only write through the cursor they are given; they run inside
the transaction that also advances the projection's tracking position, so each event is applied
exactly once. Bump `version` whenever tables or handlers change: the runner then rebuilds. A
`batched` projection folds a whole page in memory and writes it in a few set-based statements
(multi-row upserts, COPY), which is what makes a rebuild fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from psycopg import Cursor

Handler = Callable[[Any, Cursor[Any], Any, int], None]


def handles(*event_classes: type) -> Callable[[Handler], Handler]:
    """Marks a method as the handler of `event_classes`."""

    def mark(method: Handler) -> Handler:
        method.__handles__ = event_classes  # type: ignore[attr-defined]
        return method

    return mark


class Projection:
    name: ClassVar[str]
    version: ClassVar[int] = 1
    # Statements creating the tables, run with search_path set to the projection's schema.
    ddl: ClassVar[tuple[str, ...]] = ()
    # Secondary indexes no handler reads through (only the views do): a rebuild builds them
    # once its load is done, which is faster than maintaining them row by row.
    indexes: ClassVar[tuple[str, ...]] = ()
    handlers: ClassVar[dict[type, Handler]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.handlers = {}
        for klass in reversed(cls.__mro__):
            for member in vars(klass).values():
                for event_class in getattr(member, "__handles__", ()):
                    cls.handlers[event_class] = member

    @property
    def schema(self) -> str:
        return f"rm_{self.name}"

    @property
    def event_classes(self) -> tuple[type, ...]:
        return tuple(self.handlers)

    def apply(self, cursor: Cursor[Any], event: Any, position: int) -> None:
        handler = self.handlers.get(type(event))
        if handler is not None:
            handler(self, cursor, event, position)

    # A projection whose rows fold well in sets overrides `apply_page` (and has `apply` apply
    # a page of one): the store then hands it each page of events it reads at once.
    batched: ClassVar[bool] = False

    def apply_page(self, cursor: Cursor[Any], events: list[tuple[int, Any]]) -> None:
        """Applies events of this projection's classes, in log order, as one set of writes."""
        for position, event in events:
            self.apply(cursor, event, position)
