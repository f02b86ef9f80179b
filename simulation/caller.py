"""The simulated marketplace's HTTP client: every command carries an Idempotency-Key and is sent
again with that same key until it gets a definitive answer, and every answer of every request
is recorded, so the run can say how many requests it made and flag any 5xx that is not a
documented "come back later".

Definitive: any 2xx, and any 4xx except 409 IDEMPOTENCY_KEY_IN_PROGRESS and 429 (both mean
"not yet"). Everything else — no answer at all (refused while the API restarts, reset, timed
out), a 503, a 502/504 from a provider — is retried with a doubling pause, within the limits'
attempts and window. A command that never got a definitive answer is *unresolved*: the run
sends it once more after settling, when the service is up, and that answer (a replay, or the
first execution) decides it. Allowed 5xx: 503 with any code, and 502/504 carrying the API's
documented PROVIDER_* codes (an external service failed); anything else (a 500) is a violation.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from simulation.limits import Limits

NOT_YET_CODES: Final = frozenset({"IDEMPOTENCY_KEY_IN_PROGRESS", "RATE_LIMITED"})
PROVIDER_CODE_PREFIX: Final = "PROVIDER_"
# Answers kept for the report when a 5xx breaks the rule (the first few are plenty).
BAD_ANSWERS_KEPT_MAX: Final = 50


@dataclass(frozen=True, slots=True)
class Answer:
    status: int | None  # None: no HTTP answer (refused, reset, timed out)
    body: Any = None
    transport_error: str | None = None
    replayed: bool = False

    @property
    def code(self) -> str | None:
        """The error code, or for readiness (whose 503 carries its report) its status."""
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return str(self.body["error"].get("code"))
        if isinstance(self.data, dict) and isinstance(self.data.get("status"), str):
            return str(self.data["status"])
        return None

    @property
    def data(self) -> Any:
        return self.body.get("data") if isinstance(self.body, dict) else None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def definitive(self) -> bool:
        if self.status is None or self.status >= 500:
            return False
        return not (self.status in (409, 429) and self.code in NOT_YET_CODES)


def allowed_5xx(status: int, code: str | None) -> bool:
    return status == 503 or (status in (502, 504) and (code or "").startswith(PROVIDER_CODE_PREFIX))


@dataclass
class Answers:
    """Every answer of the run, counted; 5xx outside the rule kept for the report."""

    requests: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    bad: list[dict[str, Any]] = field(default_factory=list)
    bad_count: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, method: str, path: str, answer: Answer, at_s: float) -> None:
        with self._lock:
            self.requests += 1
            label = str(answer.status) if answer.status is not None else "no-answer"
            self.statuses[label] += 1
            if answer.status is not None and answer.status >= 500:
                self.statuses[f"{answer.status} {answer.code}"] += 1
                if not allowed_5xx(answer.status, answer.code):
                    self.bad_count += 1
                    if len(self.bad) < BAD_ANSWERS_KEPT_MAX:
                        self.bad.append(
                            {
                                "at_s": round(at_s, 2),
                                "method": method,
                                "path": path,
                                "status": answer.status,
                                "body": answer.body,
                            }
                        )

    def five_hundreds(self) -> dict[str, int]:
        return {k: v for k, v in self.statuses.items() if " " in k}


@dataclass(frozen=True, slots=True)
class Outcome:
    """A command's fate: its last answer, whether that is definitive, and how many tries."""

    answer: Answer
    attempts: int

    @property
    def definitive(self) -> bool:
        return self.answer.definitive


class Caller:
    """One client's connection to the API, sharing the run's `Answers`."""

    def __init__(
        self,
        base_url: str,
        key: str,
        answers: Answers,
        limits: Limits,
        clock: Any,
        stopping: threading.Event,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {key}"},
            timeout=limits.request_timeout_s,
        )
        self._answers = answers
        self._limits = limits
        self._clock = clock
        self._stopping = stopping

    def close(self) -> None:
        self._http.close()

    def read(self, path: str, *, min_position: int | None = None, **params: Any) -> Answer:
        """One GET, recorded, never retried (reads are the load, not the tally); with
        `min_position`, read-your-writes (the read model waits, bounded, to reach it)."""
        headers = {"X-Min-Position": str(min_position)} if min_position else {}
        return self._send("GET", path, None, headers, params)

    def command(
        self, method: str, path: str, body: Any, key: str, *, patient: bool = True
    ) -> Outcome:
        """Sends the command until a definitive answer, or until the limits say stop (then the
        outcome is not definitive). `patient=False` is one attempt (the final resolution)."""
        pause_s = self._limits.retry_pause_s
        deadline = time.monotonic() + self._limits.command_window_s
        attempts = 0
        while True:
            attempts += 1
            answer = self._send(method, path, body, {"Idempotency-Key": key}, {})
            if answer.definitive or not patient:
                return Outcome(answer, attempts)
            if attempts >= self._limits.command_attempts_max or time.monotonic() > deadline:
                return Outcome(answer, attempts)
            if self._stopping.wait(pause_s) and attempts > 1:
                return Outcome(answer, attempts)  # the run is ending: resolved after settling
            pause_s = min(pause_s * 2, self._limits.retry_pause_max_s)

    def _send(
        self, method: str, path: str, body: Any, headers: dict[str, str], params: dict[str, Any]
    ) -> Answer:
        try:
            response = self._http.request(method, path, json=body, headers=headers, params=params)
        except httpx.HTTPError as error:
            answer = Answer(None, transport_error=type(error).__name__)
        else:
            try:
                document = response.json()
            except ValueError:
                document = {"raw": response.text[:500]}
            answer = Answer(
                response.status_code,
                document,
                replayed=response.headers.get("Idempotency-Replay") == "true",
            )
        self._answers.record(method, path, answer, self._clock())
        return answer
