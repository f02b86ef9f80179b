"""docs/events.md lists every public event type the catalogue emits, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from projections.event_feed.catalogue import CATALOGUE

pytestmark = pytest.mark.unit
DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def test_the_event_table_shows_every_public_name_emitted() -> None:
    documented = set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", DOC.read_text(), re.M))
    emitted = {entry.type for entry in CATALOGUE.values() if entry.public}
    assert documented == emitted
