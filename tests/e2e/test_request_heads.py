"""Oversized and malformed request heads, and oversized bodies, are answered — never a reset —
with either HTTP parser the API may run, as `ledgerline serve` configures it."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import httpx
import pytest

from interfaces.http.edge.request_body import BODY_BYTES_MAX
from interfaces.http.edge.request_head import HEADERS_BYTES_MAX, HTTP_PARSERS
from tests.support.stack import MASTER_KEY, ApiServer, Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=HTTP_PARSERS)
def server(request: pytest.FixtureRequest, stack: Stack) -> Iterator[ApiServer]:
    """Another API server on the session's services, running `request.param`'s parser."""
    running = ApiServer(stack.services, parser=request.param).start()
    yield running
    running.stop()


def get(server: ApiServer, path: str, **headers: str) -> httpx.Response:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        return client.get(path, headers=headers)


def refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["requestId"]


@pytest.mark.parametrize("size", [1024 * 1024, 64 * 1024, HEADERS_BYTES_MAX + 100])
def test_an_oversized_authorization_header_is_431(server: ApiServer, size: int) -> None:
    response = get(server, "/users", Authorization="Bearer " + "k" * size)
    refused(response, 431, "REQUEST_HEADERS_TOO_LARGE")
    assert response.json()["error"]["details"] == {"max": HEADERS_BYTES_MAX}


def test_many_headers_that_together_pass_the_limit_are_431(server: ApiServer) -> None:
    headers = {f"X-Filler-{i}": "v" * 200 for i in range(HEADERS_BYTES_MAX // 200)}
    refused(get(server, "/health", **headers), 431, "REQUEST_HEADERS_TOO_LARGE")


def test_an_overlong_url_is_431(server: ApiServer) -> None:
    response = get(server, "/users?cursor=" + "c" * HEADERS_BYTES_MAX)
    refused(response, 431, "REQUEST_HEADERS_TOO_LARGE")


def test_a_head_within_the_limit_is_served_and_the_server_keeps_serving(server: ApiServer) -> None:
    response = get(server, "/health", **{"X-Filler": "v" * (HEADERS_BYTES_MAX // 2)})
    assert response.status_code == 200
    get(server, "/users", Authorization="Bearer " + "k" * 1024 * 1024)
    user = f"heads-{uuid.uuid4().hex}"
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        created = client.post(
            "/users",
            json={"externalUserId": user},
            headers={"Authorization": f"Bearer {MASTER_KEY}"},
        )
    assert created.status_code == 201, created.text


def test_a_request_that_is_not_http_is_400_with_the_error_body(server: ApiServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b'"VALIDATION_ERROR"' in body


@pytest.mark.parametrize("chunks", [11, 50])
def test_a_chunked_body_past_the_limit_is_413(server: ApiServer, chunks: int) -> None:
    def body() -> Iterator[bytes]:
        for _ in range(chunks):
            yield b"x" * (BODY_BYTES_MAX // 10)

    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        response = client.post(
            "/users",
            content=body(),
            headers={"Authorization": f"Bearer {MASTER_KEY}", "content-type": "application/json"},
        )
    assert "content-length" not in response.request.headers  # it went chunked
    refused(response, 413, "PAYLOAD_TOO_LARGE")
