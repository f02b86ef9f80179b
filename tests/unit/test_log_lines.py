"""Log lines: one JSON object each, carrying what ties them to a request, a trace and the log."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from application.instruments import use_case_name
from application.log_context import bound
from application.tracing import span
from infrastructure.observability.logs import JsonLines, PlainText, configure_logging

pytestmark = pytest.mark.unit


def record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("ledgerline.test", logging.WARNING, __file__, 1, message, args, None)


def test_a_line_is_one_json_object_with_level_logger_and_message() -> None:
    line = json.loads(JsonLines().format(record("credited %s", "usr_1")))
    assert line["level"] == "WARNING"
    assert line["logger"] == "ledgerline.test"
    assert line["message"] == "credited usr_1"
    assert "requestId" not in line and "traceId" not in line


def test_a_line_written_inside_a_request_and_a_span_carries_their_ids() -> None:
    with bound(requestId="req_42", position=7), span("work") as current:
        line = json.loads(JsonLines().format(record("inside")))
        context = current.get_span_context()
    assert line["requestId"] == "req_42"
    assert line["position"] == 7
    assert line["traceId"] == format(context.trace_id, "032x")
    assert line["spanId"] == format(context.span_id, "016x")


def test_bound_fields_end_with_their_block_and_nest() -> None:
    with bound(loop="outbox"):
        with bound(position=3):
            inner = json.loads(JsonLines().format(record("x")))
        outer = json.loads(JsonLines().format(record("y")))
    after = json.loads(JsonLines().format(record("z")))
    assert (inner["loop"], inner["position"]) == ("outbox", 3)
    assert outer["loop"] == "outbox" and "position" not in outer
    assert "loop" not in after


def test_an_exception_is_kept_in_its_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        failing = record("failed")
        failing.exc_info = sys.exc_info()
    line = json.loads(JsonLines().format(failing))
    assert "ValueError: boom" in line["exception"]


def test_text_lines_show_the_bound_fields_for_a_terminal() -> None:
    with bound(requestId="req_7"):
        text = PlainText().format(record("hello"))
    assert text.endswith("hello [requestId=req_7]")


def test_a_use_case_is_named_by_its_method_not_its_closure() -> None:
    assert use_case_name("Orders.create.<locals>.attempt") == "Orders.create"
    assert use_case_name("Balances.adjust") == "Balances.adjust"


def test_a_callers_extra_fields_are_kept_and_uvicorns_colour_copy_is_not() -> None:
    access = record("GET /x 200")
    access.__dict__.update(route="/x", status=200, durationMs=1.5, color_message="\x1b[1mGET")
    line = json.loads(JsonLines().format(access))
    assert (line["route"], line["status"], line["durationMs"]) == ("/x", 200, 1.5)
    assert "color_message" not in line
    assert PlainText().format(access).endswith("[route=/x status=200 durationMs=1.5]")


def test_uvicorn_and_dramatiq_log_through_the_one_json_handler(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    uvicorn = logging.getLogger("uvicorn.error")
    uvicorn.handlers[:] = [logging.StreamHandler(sys.stdout)]  # as uvicorn's own config would
    uvicorn.propagate = False
    try:
        configure_logging("INFO", "json")
        uvicorn.info("Started server process")
        logging.getLogger("dramatiq.worker.Worker").info("Worker is ready")
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = [json.loads(line) for line in captured.err.splitlines()]
    assert [(line["logger"], line["message"]) for line in lines] == [
        ("uvicorn.error", "Started server process"),
        ("dramatiq.worker.Worker", "Worker is ready"),
    ]
