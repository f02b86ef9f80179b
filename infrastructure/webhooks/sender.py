"""Posts one webhook and says what happened, never raising for the receiver's failures.

Redirects are not followed (a receiver must answer at the URL it registered) and every request
is bounded by WEBHOOK_TIMEOUT_MS, so a slow receiver holds a worker thread for at most that.
Any 2xx is success.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Final

import httpx

ERROR_LENGTH_MAX: Final = 500
USER_AGENT: Final = "Ledgerline-Webhooks/1"


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookSender:
    def __init__(self, timeout_s: float, connections_max: int = 20) -> None:
        self._client = httpx.Client(
            timeout=timeout_s,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=connections_max),
            headers={"user-agent": USER_AGENT},
        )

    def post(self, url: str, headers: dict[str, str], body: bytes) -> Outcome:
        started = time.monotonic()
        try:
            response = self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as error:
            message = f"{type(error).__name__}: {error}"[:ERROR_LENGTH_MAX]
            return Outcome(None, message, _elapsed_ms(started))
        error_text = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
        return Outcome(response.status_code, error_text, _elapsed_ms(started))

    def close(self) -> None:
        self._client.close()


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
