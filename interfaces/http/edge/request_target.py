"""What a request's path parameters and query parameters may carry before any handler sees
them: text PostgreSQL can take as a query argument (no NUL: `/users/usr_%00` was once a 500),
within a length. A refusal is a 400 VALIDATION_ERROR naming the parameter.

Every route is covered here, whatever its parameters' types say, so a parameter added later
cannot bring NUL to the database either.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final
from urllib.parse import parse_qsl

from domain.errors import ValidationError
from interfaces.http.schemas.wire import STORABLE_RULE, storable

# The longest path parameter: ids are far shorter; a milestone's ref is at most 255.
PATH_PARAMETER_LENGTH_MAX: Final = 255
# The longest query value: filters, cursors, comma-separated event types.
QUERY_VALUE_LENGTH_MAX: Final = 2_000


def check_target(path_params: Mapping[str, Any], query_string: bytes) -> None:
    """Refuses a path or query parameter that is not storable text or is too long."""
    for name, value in path_params.items():
        _check(_camel(name), str(value), PATH_PARAMETER_LENGTH_MAX)
    for name, value in _query(query_string):
        _check(name, name, QUERY_VALUE_LENGTH_MAX)
        _check(name, value, QUERY_VALUE_LENGTH_MAX)


def _check(name: str, text: str, length_max: int) -> None:
    if not storable(text):
        raise ValidationError(f"{_shown(name)} {STORABLE_RULE}", field=_shown(name))
    if len(text) > length_max:
        raise ValidationError(
            f"{_shown(name)} must be at most {length_max} characters",
            field=_shown(name),
            max=length_max,
        )


def _query(query_string: bytes) -> Iterator[tuple[str, str]]:
    if not query_string:
        return iter(())
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, errors="replace")
    return iter(pairs)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _shown(name: str) -> str:
    """A parameter's name as an error may repeat it (the name itself may be the bad text)."""
    return name if storable(name) and len(name) <= 100 else "query parameter"
