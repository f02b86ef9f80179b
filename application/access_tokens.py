"""Short-lived access tokens: a bearer credential for one API key, with a subset of its scopes,
that expires within TTL_MAX_S.

A token is a JWT (HS256, `ohk_tok_` in front, as OFFER-HUB's were) signed with a key derived
from the master key: tokens are minted often and live an hour, so they are not events (the log
is forever) and not rows to clean up. Verifying one checks its signature and expiry here; the
caller (`ApiKeys.authenticate`) then reads the key it names from the log, so a token dies the
moment its key is revoked, on every instance, exactly like the key. Changing the master key ends
every token at once. Without a master key no token can be minted (TOKENS_NOT_CONFIGURED).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from domain.errors import DomainError, ValidationError

TOKEN_PREFIX: Final = "ohk_tok_"  # noqa: S105  (a format marker, not a secret)
TTL_MAX_S: Final = 3600
TTL_MIN_S: Final = 1
TTL_DEFAULT_S: Final = 3600
TOKEN_LENGTH_MAX: Final = 4096
_HEADER: Final = {"alg": "HS256", "typ": "JWT"}
_SIGNING_KEY_LABEL: Final = b"ledgerline:access-token-signing:v1"


class TokensUnavailableError(DomainError):
    code = "TOKENS_NOT_CONFIGURED"


class ScopeEscalationError(DomainError):
    """A token may narrow its key's scopes, never widen them."""

    code = "INSUFFICIENT_SCOPE"


@dataclass(frozen=True, slots=True)
class TokenClaims:
    key_id: str
    scopes: tuple[str, ...]
    expires_at: datetime
    issued_at: datetime
    token_id: str


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    claims: TokenClaims


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _encode(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":"), sort_keys=True).encode())


def check_ttl(ttl_s: int | None) -> int:
    ttl = TTL_DEFAULT_S if ttl_s is None else ttl_s
    if not TTL_MIN_S <= ttl <= TTL_MAX_S:
        raise ValidationError(
            f"ttlSeconds must be {TTL_MIN_S} to {TTL_MAX_S}", field="ttlSeconds", max=TTL_MAX_S
        )
    return ttl


class AccessTokens:
    def __init__(self, master_key: str | None) -> None:
        self._key = (
            hmac.new(master_key.encode(), _SIGNING_KEY_LABEL, hashlib.sha256).digest()
            if master_key
            else None
        )

    def mint(
        self, key_id: str, scopes: tuple[str, ...], now: datetime, expires_at: datetime
    ) -> IssuedToken:
        if self._key is None:
            raise TokensUnavailableError(
                "short-lived tokens need LEDGERLINE_MASTER_KEY (their signing key derives from it)"
            )
        claims = TokenClaims(
            key_id=key_id,
            scopes=scopes,
            expires_at=expires_at,
            issued_at=now,
            token_id=secrets.token_hex(8),
        )
        payload = {
            "sub": key_id,
            "scopes": list(scopes),
            "exp": int(expires_at.timestamp()),
            "iat": int(now.timestamp()),
            "jti": claims.token_id,
            "type": "short-lived",
        }
        signed = f"{_encode(_HEADER)}.{_encode(payload)}"
        return IssuedToken(f"{TOKEN_PREFIX}{signed}.{self._sign(signed)}", claims)

    def verify(self, token: str, now: datetime) -> TokenClaims | None:
        """The claims of a well-signed, unexpired token; None for anything else."""
        if self._key is None or len(token) > TOKEN_LENGTH_MAX:
            return None
        header, _, rest = token.removeprefix(TOKEN_PREFIX).partition(".")
        payload, _, signature = rest.partition(".")
        signed = f"{header}.{payload}"
        if not hmac.compare_digest(self._sign(signed), signature):
            return None
        try:
            if json.loads(_unb64(header)) != _HEADER:
                return None
            claims = json.loads(_unb64(payload))
            expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
            issued_at = datetime.fromtimestamp(int(claims["iat"]), UTC)
            parsed = TokenClaims(
                key_id=str(claims["sub"]),
                scopes=tuple(str(s) for s in claims["scopes"]),
                expires_at=expires_at,
                issued_at=issued_at,
                token_id=str(claims["jti"]),
            )
        except (ValueError, KeyError, TypeError):
            return None
        return parsed if now < parsed.expires_at else None

    def _sign(self, signed: str) -> str:
        assert self._key is not None
        return _b64(hmac.new(self._key, signed.encode(), hashlib.sha256).digest())


def expiry(now: datetime, ttl_s: int, *limits: datetime | None) -> datetime:
    """When a token minted now lives `ttl_s` until, never past any of `limits` (its key's own
    expiry, the expiry of the token that asked for it)."""
    moment = now + timedelta(seconds=ttl_s)
    for limit in limits:
        if limit is not None and limit < moment:
            moment = limit
    return moment
