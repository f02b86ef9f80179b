"""The log's transcoder reads every stored byte exactly as eventsourcing's own JSON transcoder
does, and writes the same bytes: events stored before it and after it are one format."""

from __future__ import annotations

import base64
import json
import math
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from infrastructure.postgres.transcoder import LogTranscoder
from tests.support.stored_log import read_json_lines

OLD_LOG = Path(__file__).resolve().parent.parent / "fixtures" / "old_layout" / "events.jsonl.gz"


def registered(transcoder: JSONTranscoder) -> JSONTranscoder:
    """As the Ledger registers them (eventsourcing's Application.register_transcodings)."""
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return transcoder


STOCK, OURS = registered(JSONTranscoder()), registered(LogTranscoder())

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**100), max_value=2**100),
    st.floats(allow_nan=False),
    st.text(),
    st.uuids(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-3))])),
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200)
@given(st.dictionaries(st.text(), documents, max_size=6))
def test_any_state_decodes_to_what_the_stock_transcoder_decodes(state: dict[str, Any]) -> None:
    stored = STOCK.encode(state)
    assert OURS.encode(state) == stored
    assert OURS.decode(stored) == STOCK.decode(stored)


def test_every_event_of_the_old_log_decodes_as_it_always_did() -> None:
    states = [base64.b64decode(event["state"]) for event in read_json_lines(OLD_LOG)]
    assert len(states) > 500
    for state in states:
        assert OURS.decode(state) == STOCK.decode(state)


def test_a_stored_event_revives_its_timestamp_ids_and_amounts() -> None:
    stored = (
        b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-03T06:17:01.449724+00:00"},'
        b'"amount_stroops":222300000,"postings":[["external:adjustments",'
        b'"user:usr_728mLp9A7Ew8zFFbuDR3rp:available",222300000]],'
        b'"order":{"_type_":"uuid_hex","_data_":"4a695e44797c5e64a8200c12acf42f83"},'
        b'"rate":{"_type_":"decimal_str","_data_":"0.05"},"note":"\\"_type_\\" in a string"}'
    )
    assert OURS.decode(stored) == {
        "timestamp": datetime(2026, 12, 3, 6, 17, 1, 449724, tzinfo=UTC),
        "amount_stroops": 222300000,
        "postings": [
            ["external:adjustments", "user:usr_728mLp9A7Ew8zFFbuDR3rp:available", 222300000]
        ],
        "order": UUID("4a695e44797c5e64a8200c12acf42f83"),
        "rate": Decimal("0.05"),
        "note": '"_type_" in a string',
    }


def test_what_only_the_standard_library_reads_still_decodes() -> None:
    decoded = OURS.decode(json.dumps({"x": [math.nan, math.inf], "big": 1e308}).encode())
    assert math.isnan(decoded["x"][0]) and decoded["x"][1] == math.inf
    assert OURS.decode(b'{"huge":1e400}') == {"huge": math.inf}


def test_a_tag_nobody_registered_is_refused_as_the_stock_transcoder_refuses_it() -> None:
    stored = b'{"a":{"_type_":"frobnicated","_data_":"x"}}'
    with pytest.raises(TranscodingNotRegisteredError):
        STOCK.decode(stored)
    with pytest.raises(TranscodingNotRegisteredError):
        OURS.decode(stored)
