"""Posts one webhook, signed, and says what happened, never raising for the receiver's failures
(the `WebhookPoster` of application/webhook_deliveries.py).

Redirects are not followed (a receiver must answer at the URL it registered) and every request
is bounded by WEBHOOK_TIMEOUT_MS, so a slow receiver holds a worker thread for at most that.
Any 2xx is success.

Unless private targets are allowed, a host that resolves to this machine or a non-public
network is refused before any connection is made: an endpoint's URL is chosen by an API
client, and must not become a way into the network Ledgerline runs in (SSRF). The name is
resolved again by the HTTP client, so a resolver that changes its answer within that instant
(DNS rebinding) is not covered; egress rules on the workers' network are the complete fix.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from typing import Final
from urllib.parse import urlsplit

import httpx

from application.webhook_deliveries import PostOutcome
from infrastructure.observability import metrics
from infrastructure.webhooks.signatures import standard_headers

ERROR_LENGTH_MAX: Final = 500
USER_AGENT: Final = "Ledgerline-Webhooks/1"


class WebhookSender:
    def __init__(
        self, timeout_s: float, connections_max: int = 20, *, private_targets_allowed: bool = False
    ) -> None:
        self._private_targets_allowed = private_targets_allowed
        self._client = httpx.Client(
            timeout=timeout_s,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=connections_max),
            headers={"user-agent": USER_AGENT},
        )

    def post_signed(self, url: str, secret: str, event_id: str, body: bytes) -> PostOutcome:
        """Posts `body` with the Standard Webhooks headers for this attempt, signed now."""
        return self.post(url, standard_headers(secret, event_id, int(time.time()), body), body)

    def post(self, url: str, headers: dict[str, str], body: bytes) -> PostOutcome:
        started = time.monotonic()
        if not self._private_targets_allowed:
            refusal = _private_target(url)
            if refusal is not None:
                return _counted("refused", PostOutcome(None, refusal, _elapsed_ms(started)))
        try:
            response = self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as error:
            message = f"{type(error).__name__}: {error}"[:ERROR_LENGTH_MAX]
            return _counted("unreachable", PostOutcome(None, message, _elapsed_ms(started)))
        delivered = 200 <= response.status_code < 300
        error_text = None if delivered else f"HTTP {response.status_code}"
        outcome = PostOutcome(response.status_code, error_text, _elapsed_ms(started))
        return _counted("delivered" if delivered else "rejected", outcome)

    def close(self) -> None:
        self._client.close()


def _private_target(url: str) -> str | None:
    """Why `url` may not be posted to, when its host resolves to a non-public address."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        resolved = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return None  # the client reports the failed lookup as for any other receiver
    for *_, address in resolved:
        ip = ipaddress.ip_address(str(address[0]).partition("%")[0])
        if not ip.is_global:
            return f"refused: {host} resolves to {ip}, not a public address"
    return None


def _counted(kind: str, outcome: PostOutcome) -> PostOutcome:
    metrics.webhook_attempt(kind, outcome.duration_ms / 1000)
    return outcome


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
