"""Wire entries for users."""

from __future__ import annotations

from typing import Any

from domain import identifiers
from domain.airtm_links import AirtmLink
from domain.users import User
from projections.event_feed.catalogue import Payload, entry, iso_utc, originator


@entry(User.Created, "user.created", "User", prefix=identifiers.USER)
def _created(e: Any) -> Payload:
    return {
        "userId": originator(e, identifiers.USER),
        "externalUserId": e.external_user_id,
        "email": e.email,
        "type": e.user_type,
        "status": "ACTIVE",
    }


@entry(AirtmLink.Linked, "user.airtm_linked", "User", aggregate_id=lambda e: str(e.user_id))
def _airtm_linked(e: Any) -> Payload:
    return {
        "userId": e.user_id,
        "airtmUserId": e.airtm_user_id,
        "email": e.email,
        "linkedAt": iso_utc(e.timestamp),
    }
