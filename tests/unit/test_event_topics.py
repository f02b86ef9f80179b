"""The log is forever: the event topics of the aggregates are pinned in `event_topics.txt`, so no
move or rename of an aggregate, its module or an `@event` can silently make stored events
unreadable or invisible to the read models that filter the log by topic."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.utils import get_topic, resolve_topic

import domain

pytestmark = pytest.mark.unit
PINNED = Path(__file__).with_name("event_topics.txt")


def pinned_topics() -> list[str]:
    lines = (line.strip() for line in PINNED.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def aggregate_classes() -> list[type[Aggregate]]:
    """Every aggregate the domain stores: the leaf classes (a base such as `OrderRules` holds
    rules, never events of its own)."""
    for module in pkgutil.iter_modules(domain.__path__):
        importlib.import_module(f"domain.{module.name}")

    def below(cls: type) -> Iterator[type]:
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    return sorted(
        {
            c
            for c in below(Aggregate)
            if c.__module__.startswith("domain.") and not c.__subclasses__()
        },
        key=get_topic,
    )


def event_topics() -> set[str]:
    return {
        get_topic(value)
        for aggregate in aggregate_classes()
        for name, value in vars(aggregate).items()
        if isinstance(value, type) and issubclass(value, CanMutateAggregate) and name != "Event"
    }


def test_every_event_topic_is_pinned_so_a_new_one_is_added_deliberately() -> None:
    unpinned = sorted(event_topics() - set(pinned_topics()))
    assert unpinned == [], f"append these to {PINNED.name}: {unpinned}"


def test_every_pinned_topic_still_resolves_to_an_event_class() -> None:
    """A topic no class has any more must be registered under its old name (register_topic)."""
    for topic in pinned_topics():
        try:
            resolved = resolve_topic(topic)
        except Exception as error:  # the message names what could not be imported
            pytest.fail(f"{topic} no longer resolves ({error}); register_topic() the old name")
        assert isinstance(resolved, type) and issubclass(resolved, CanMutateAggregate), topic


def test_the_pinned_list_names_each_topic_once() -> None:
    topics = pinned_topics()
    assert len(set(topics)) == len(topics)
