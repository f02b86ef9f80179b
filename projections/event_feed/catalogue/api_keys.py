"""Wire entries for API keys (internal: never on SSE or webhooks)."""

from __future__ import annotations

from typing import Any

from domain import identifiers
from domain.api_keys import ApiKey
from projections.event_feed.catalogue import Payload, entry, iso_utc, originator


@entry(ApiKey.Created, "api_key.created", "ApiKey", prefix=identifiers.API_KEY, public=False)
def _created(e: Any) -> Payload:
    return {
        "keyId": originator(e, identifiers.API_KEY),
        "name": e.name,
        "scopes": list(e.scopes),
        "expiresAt": iso_utc(e.expires_at),
    }


@entry(ApiKey.Revoked, "api_key.revoked", "ApiKey", prefix=identifiers.API_KEY, public=False)
def _revoked(e: Any) -> Payload:
    return {"keyId": originator(e, identifiers.API_KEY)}
