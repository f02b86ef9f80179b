"""Short-lived tokens: signed with a key derived from the master key, refused when altered,
expired, signed under another master key or with another algorithm."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from application.access_tokens import (
    TTL_MAX_S,
    AccessTokens,
    TokensUnavailableError,
    check_ttl,
    expiry,
)
from domain.errors import ValidationError

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MASTER = "m" * 40


def minted(tokens: AccessTokens, ttl_s: int = 600) -> str:
    return tokens.mint("key_x", ("read",), NOW, NOW + timedelta(seconds=ttl_s)).token


def test_a_minted_token_verifies_to_its_claims_until_it_expires() -> None:
    tokens = AccessTokens(MASTER)
    token = minted(tokens)
    claims = tokens.verify(token, NOW + timedelta(seconds=599))
    assert claims is not None and claims.key_id == "key_x" and claims.scopes == ("read",)
    assert tokens.verify(token, NOW + timedelta(seconds=600)) is None


def test_a_token_is_refused_under_another_master_key_or_altered() -> None:
    token = minted(AccessTokens(MASTER))
    assert AccessTokens("n" * 40).verify(token, NOW) is None
    head, payload, signature = token.split(".")
    widened = json.loads(base64.urlsafe_b64decode(payload + "=="))
    widened["scopes"] = ["admin"]
    forged = base64.urlsafe_b64encode(json.dumps(widened).encode()).decode().rstrip("=")
    assert AccessTokens(MASTER).verify(f"{head}.{forged}.{signature}", NOW) is None
    assert AccessTokens(MASTER).verify(token[:-2], NOW) is None


def test_a_token_claiming_another_algorithm_is_refused() -> None:
    token = minted(AccessTokens(MASTER))
    _, payload, signature = token.split(".")
    none = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
    assert AccessTokens(MASTER).verify(f"ohk_tok_{none}.{payload}.{signature}", NOW) is None


def test_without_a_master_key_no_token_is_minted_or_accepted() -> None:
    with pytest.raises(TokensUnavailableError):
        minted(AccessTokens(None))
    assert AccessTokens(None).verify(minted(AccessTokens(MASTER)), NOW) is None


def test_a_ttl_is_at_most_an_hour_and_never_past_its_limits() -> None:
    assert check_ttl(None) == TTL_MAX_S
    for bad in (0, TTL_MAX_S + 1):
        with pytest.raises(ValidationError):
            check_ttl(bad)
    soon = NOW + timedelta(seconds=30)
    assert expiry(NOW, 600, None, soon) == soon
    assert expiry(NOW, 600, None, None) == NOW + timedelta(seconds=600)
