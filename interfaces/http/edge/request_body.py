"""What a request body may be before any handler sees it: at most BODY_BYTES_MAX bytes (413),
JSON by its Content-Type (415 otherwise), nested at most JSON_DEPTH_MAX deep, and without a lone
UTF-16 surrogate escape (400 naming the field).

Every route that takes a body takes JSON, so a body declared as anything else (or not declared)
is refused rather than guessed at. The depth bound keeps decoding iterative-safe: msgspec
decodes recursively and a deep enough body exhausts the interpreter's stack (once a 500).
msgspec refuses a lone surrogate itself but cannot say where; this module names the field.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Final

from domain.errors import ValidationError
from interfaces.http.edge.errors import UnsupportedMediaTypeError
from interfaces.http.schemas.wire import STORABLE_RULE, unstorable_field

BODY_BYTES_MAX: Final = 1024 * 1024
# Deeper than any request needs (an order's milestones are 3 levels; its metadata gets the rest).
JSON_DEPTH_MAX: Final = 32
JSON_MEDIA_TYPE: Final = "application/json"

# A JSON string, unrolled so each character matches one way (no backtracking blow-up).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_NESTING = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def check_body(content_type: str | None, body: bytes) -> None:
    """Refuses a non-empty body that is not JSON, nests too deep, or holds a lone surrogate."""
    if not body:
        return
    if not is_json(content_type):
        raise UnsupportedMediaTypeError(
            f"the body must be {JSON_MEDIA_TYPE} (charset utf-8)",
            contentType=(content_type or "")[:100],
        )
    if depth_of(body) > JSON_DEPTH_MAX:
        raise ValidationError(
            f"the body nests deeper than {JSON_DEPTH_MAX} levels", field="body", max=JSON_DEPTH_MAX
        )
    where = _lone_surrogate(body)
    if where is not None:
        raise ValidationError(f"{where or 'body'} {STORABLE_RULE}", field=where or "body")


def is_json(content_type: str | None) -> bool:
    """`application/json` or `application/<anything>+json`, in UTF-8 if a charset is given."""
    media, *parameters = (part.strip().lower() for part in (content_type or "").split(";"))
    if media != JSON_MEDIA_TYPE and not (
        media.startswith("application/") and media.endswith("+json")
    ):
        return False
    charsets = [p.partition("=")[2].strip('"') for p in parameters if p.startswith("charset=")]
    return all(charset in ("utf-8", "utf8") for charset in charsets)


def depth_of(body: bytes) -> int:
    """How deep the JSON text nests its arrays and objects (brackets inside strings aside)."""
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    return max(itertools.accumulate(_NESTING[b] for b in brackets), default=0)


def _lone_surrogate(body: bytes) -> str | None:
    """Where a lone surrogate escape is, if the body has one (a pair is a fine astral char)."""
    if not _SURROGATE_ESCAPE.search(body):
        return None
    try:
        # Unlike msgspec, the standard decoder keeps lone surrogates, so they can be found.
        parsed = json.loads(body)
    except ValueError:
        return None  # malformed anyway: msgspec says so
    return unstorable_field(parsed)
