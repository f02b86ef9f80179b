"""What a request may be before a handler sees it: its body's media type and depth, its path and
query text, and the header values the edge stores."""

from __future__ import annotations

import pytest

from domain.errors import ValidationError
from interfaces.http.edge.edge_state import traceparent_from_headers
from interfaces.http.edge.errors import UnsupportedMediaTypeError
from interfaces.http.edge.request_body import JSON_DEPTH_MAX, check_body, depth_of, is_json
from interfaces.http.edge.request_target import QUERY_VALUE_LENGTH_MAX, check_target
from interfaces.http.schemas.wire import storable, unstorable_field

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("body", "depth"),
    [
        (b"{}", 1),
        (b'{"a": [1, {"b": []}]}', 4),
        (b'{"a": "[[[[{{{{"}', 1),
        (b'{"a": "\\"[[["}', 1),
        (b'"just a string"', 0),
        (b"[" * 1000 + b"]" * 1000, 1000),
    ],
)
def test_depth_counts_brackets_outside_strings(body: bytes, depth: int) -> None:
    assert depth_of(body) == depth


def test_a_body_past_the_depth_is_refused_naming_the_limit() -> None:
    with pytest.raises(ValidationError) as refused:
        check_body("application/json", b"[" * (JSON_DEPTH_MAX + 1) + b"]" * (JSON_DEPTH_MAX + 1))
    assert refused.value.details == {"field": "body", "max": JSON_DEPTH_MAX}
    check_body("application/json", b"[" * JSON_DEPTH_MAX + b"]" * JSON_DEPTH_MAX)


@pytest.mark.parametrize(
    ("content_type", "json"),
    [
        ("application/json", True),
        ("Application/JSON; charset=UTF-8", True),
        ('application/json; charset="utf-8"', True),
        ("application/problem+json", True),
        (None, False),
        ("", False),
        ("text/plain", False),
        ("application/json; charset=iso-8859-1", False),
        ("application/jsonp", False),
        ("multipart/form-data; boundary=json", False),
    ],
)
def test_only_json_in_utf8_is_json(content_type: str | None, json: bool) -> None:
    assert is_json(content_type) is json


def test_an_empty_body_needs_no_media_type_and_a_body_does() -> None:
    check_body(None, b"")
    with pytest.raises(UnsupportedMediaTypeError):
        check_body(None, b"{}")


def test_a_lone_surrogate_is_named_where_it_is() -> None:
    with pytest.raises(ValidationError) as refused:
        check_body("application/json", b'{"milestones": [{"title": "a\\udc00"}]}')
    assert refused.value.details == {"field": "milestones[0].title"}
    check_body("application/json", b'{"title": "\\ud83d\\ude00"}')


@pytest.mark.parametrize(
    ("text", "ok"),
    [("plain", True), ("", True), ("😀\u2028\ufffe", True), ("a\x00", False), ("\ud800", False)],
)
def test_storable_text_has_no_nul_and_no_lone_surrogate(text: str, ok: bool) -> None:
    assert storable(text) is ok


def test_unstorable_json_is_found_in_keys_and_nested_values() -> None:
    assert unstorable_field({"a": [1, {"b": "x\x00"}]}) == "a[1].b"
    assert unstorable_field({"k\x00": 1}) == ""
    assert unstorable_field({"a": ["fine", {"b": None}]}) is None


def test_path_and_query_parameters_must_be_storable_and_short() -> None:
    check_target({"user_id": "usr_1"}, b"status=OPEN&cursor=abc")
    with pytest.raises(ValidationError) as refused:
        check_target({"user_id": "usr_\x00"}, b"")
    assert refused.value.details == {"field": "userId"}
    with pytest.raises(ValidationError) as refused:
        check_target({}, b"types=order.%00")
    assert refused.value.details == {"field": "types"}
    with pytest.raises(ValidationError) as refused:
        check_target({}, b"cursor=" + b"c" * (QUERY_VALUE_LENGTH_MAX + 1))
    assert refused.value.details == {"field": "cursor", "max": QUERY_VALUE_LENGTH_MAX}


@pytest.mark.parametrize(
    "raw",
    [
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01 trailing",
        "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01",
        "x" * 10_000,
        "",
        None,
    ],
)
def test_only_a_w3c_traceparent_is_kept_for_the_log(raw: str | None) -> None:
    assert traceparent_from_headers(raw) is None
    valid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    assert traceparent_from_headers(valid) == valid
