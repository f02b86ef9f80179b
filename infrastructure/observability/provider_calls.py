"""Every call to Horizon or Trustless Work, observed the same way: a client span (whose
`traceparent` goes out with the request, so a provider that traces joins our trace), the call's
duration, and its outcome counted as ok or an error kind.

The Trustless Work client uses httpx (`ObservedTransport`); Horizon goes through stellar-sdk's
requests client (`ObservedRequestsClient`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import httpx
import requests
from opentelemetry.trace import SpanKind, Status, StatusCode
from stellar_sdk.client.requests_client import RequestsClient
from stellar_sdk.client.response import Response

from application.tracing import TRACEPARENT, current_traceparent, span
from infrastructure.observability import metrics

# A path segment this long is an identifier (an account, a hash, a contract id), not a route:
# spans are named by route so they group, and ids go in attributes.
_ID_SEGMENT: Final = re.compile(r"^[A-Za-z0-9_-]{20,}$")


def route_of(path: str) -> str:
    return "/".join("{id}" if _ID_SEGMENT.match(part) else part for part in path.split("/"))


def outcome_of_status(status: int) -> str:
    if status == 429 or status >= 500:
        return metrics.TRANSIENT
    if status >= 400 and status != 404:  # a 404 is an answer (not found), not an error
        return metrics.REFUSED
    return metrics.OK


@dataclass
class _Call:
    outcome: str = metrics.UNAVAILABLE
    status: int | None = None


@contextmanager
def observed(provider: str, method: str, url: str) -> Iterator[_Call]:
    """Observes one call; the caller sets `status` (or `outcome`, for a failure without one)."""
    path = urlsplit(url).path
    call = _Call()
    started = time.perf_counter()
    with span(
        f"{provider} {method} {route_of(path)}",
        SpanKind.CLIENT,
        attributes={"http.request.method": method, "url.full": url, "provider": provider},
    ) as current:
        try:
            yield call
        finally:
            if call.status is not None:
                call.outcome = outcome_of_status(call.status)
                current.set_attribute("http.response.status_code", call.status)
            if call.outcome != metrics.OK:
                current.set_status(Status(StatusCode.ERROR, call.outcome))
            metrics.provider_call(provider, call.outcome, time.perf_counter() - started)


class ObservedTransport(httpx.HTTPTransport):
    """httpx's transport, each request observed as a call to `provider`."""

    def __init__(self, provider: str, **options: Any) -> None:
        super().__init__(**options)
        self._provider = provider

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with observed(self._provider, request.method, str(request.url)) as call:
            traceparent = current_traceparent()
            if traceparent:
                request.headers[TRACEPARENT] = traceparent
            try:
                response = super().handle_request(request)
            except httpx.TimeoutException:
                call.outcome = metrics.TIMEOUT
                raise
            call.status = response.status_code
            return response


class ObservedRequestsClient(RequestsClient):
    """stellar-sdk's requests client, each GET and POST observed as a call to Horizon."""

    def get(
        self,
        url: str,
        params: dict[str, str] | None = None,
        max_content_size: int | None = None,
    ) -> Response:
        with observed(metrics.HORIZON, "GET", url) as call, _classified(call):
            response = super().get(url, params, max_content_size)
            call.status = response.status_code
            return response

    def post(
        self,
        url: str,
        data: dict[str, str] | None = None,
        json_data: dict[str, Any] | None = None,
    ) -> Response:
        with observed(metrics.HORIZON, "POST", url) as call, _classified(call):
            response = super().post(url, data, json_data)
            call.status = response.status_code
            return response


@contextmanager
def _classified(call: _Call) -> Iterator[None]:
    try:
        yield
    except Exception as error:
        cause = error.__cause__
        timed_out = isinstance(cause, requests.Timeout)
        call.outcome = metrics.TIMEOUT if timed_out else metrics.UNAVAILABLE
        raise
