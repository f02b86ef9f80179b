"""Wire entries for users."""

from __future__ import annotations

from typing import Any

from domain import identifiers
from domain.users import User
from projections.event_feed.catalogue import Payload, entry, originator


@entry(User.Created, "user.created", "User", prefix=identifiers.USER)
def _created(e: Any) -> Payload:
    return {
        "userId": originator(e, identifiers.USER),
        "externalUserId": e.external_user_id,
        "email": e.email,
        "type": e.user_type,
        "status": "ACTIVE",
    }
