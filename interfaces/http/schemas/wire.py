"""The wire's base types: request and response bodies, aware timestamps, the `userId` query,
the balance shape."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar.params import QueryParameter

# Timestamps on input must say their zone; a naive time is ambiguous for money deadlines.
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]
# `?userId=` on list routes (camelCase on the wire like every other name).
UserIdQuery = Annotated[str | None, QueryParameter(name="userId")]


class Request(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """Base of every request body: camelCase, and unknown fields are a 400, not ignored."""


class Body(msgspec.Struct, rename="camel"):
    """Base of every response resource."""


class BalanceBody(Body):
    available: str
    reserved: str
    total: str
    currency: str
