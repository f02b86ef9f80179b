"""What a route declares about its answers, in its `opt` beside its scope, for the OpenAPI
document: the success statuses besides the decorator's `status_code`, the error statuses its use
case can raise besides the ones every route of its kind can (contract/document.py adds those),
and whether it honours `Prefer: wait`.

    @post("/{order_id:str}/escrow", status_code=202, opt=scope(WRITE) | settles(errors=(422,)))

The statuses a route answers are checked against the server by schemathesis (tests/e2e), so a
declaration that drifts from the handler fails the suite.
"""

from __future__ import annotations

from typing import Any, Final

ANSWERS_KEY: Final = "answers"
RAW_BODY_KEY: Final = "raw_body"
SETTLED: Final = "the command settled within `Prefer: wait=N`; the resource in its final state"
EXISTING: Final = "it already existed (same natural key, same body): the existing resource"


def answers(*, also: dict[int, str] | None = None, errors: tuple[int, ...] = ()) -> dict[str, Any]:
    """`also`: other success statuses and what each means; `errors`: statuses of the use case's
    own refusals (404 unknown resource, 409 wrong state, 422 a business rule, 502/504 a provider
    called while the request waits)."""
    return {ANSWERS_KEY: {"also": dict(also or {}), "errors": tuple(errors), "waits": False}}


def settles(*, errors: tuple[int, ...] = ()) -> dict[str, Any]:
    """An asynchronous command: 202 with the resource in flight, or 200 once settled when the
    caller sent `Prefer: wait=N`."""
    declared = answers(also={200: SETTLED}, errors=errors)
    declared[ANSWERS_KEY]["waits"] = True
    return declared


def or_existing(*, errors: tuple[int, ...] = ()) -> dict[str, Any]:
    """A create that answers 201, or 200 with the existing resource for a repeated natural key."""
    return answers(also={200: EXISTING}, errors=errors)


def raw_body(struct: type) -> dict[str, Any]:
    """A route that reads its body as bytes (to check a signature over them) and what they hold,
    as a msgspec Struct, for the document."""
    return {RAW_BODY_KEY: struct}


def declared_answers(opt: dict[str, Any]) -> dict[str, Any]:
    return dict(opt.get(ANSWERS_KEY) or {"also": {}, "errors": (), "waits": False})
