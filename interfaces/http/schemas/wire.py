"""The wire's base types: request and response bodies, aware timestamps, the balance shape."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

# Timestamps on input must say their zone; a naive time is ambiguous for money deadlines.
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]


class Request(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """Base of every request body: camelCase, and unknown fields are a 400, not ignored."""


class Body(msgspec.Struct, rename="camel"):
    """Base of every response resource."""


class BalanceBody(Body):
    available: str
    reserved: str
    total: str
    currency: str
