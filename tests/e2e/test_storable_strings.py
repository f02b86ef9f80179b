"""Every string the API accepts, driven with arbitrary unicode (NUL and lone surrogates
included, and lengths past every maximum) through HTTP: a string the database could not store
is a 400 naming its field, nothing is ever a 5xx, and every read model reaches the log head
afterwards (one stored NUL once stopped them all)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interfaces.http.schemas.wire import storable
from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.property]

HOSTILE = ["\x00", "\ud800", "\udbff", "\udc00", "\udfff", "\ud83d\ude00", "\u2028", "\ufffe"]
TEXTS = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=40),
    st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=5)), min_size=1, max_size=6).map(
        "".join
    ),
    st.builds(lambda n, c: c * n, st.integers(200, 2_500), st.sampled_from(["x", "é", "😀"])),
)


@dataclass(frozen=True)
class Target:
    user_id: str
    seller_id: str
    order_id: str


@dataclass(frozen=True)
class Field:
    """One string the API accepts: `send` puts `text` there in an otherwise valid request."""

    name: str
    send: Callable[[httpx.Client, Target, str], httpx.Response]
    # What the server receives: a URL carries UTF-8 bytes, and bytes that are not UTF-8 (a lone
    # surrogate's) arrive as U+FFFD, which is storable; JSON carries the surrogate itself.
    arrives_as: Callable[[str], str] = lambda text: text


def in_url(text: str) -> str:
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def post(path: str, body: dict[str, Any]) -> Callable[[httpx.Client, str], httpx.Response]:
    """A POST whose JSON escapes lone surrogates (`\\ud800`), as any JSON encoder must."""
    encoded = json.dumps(body).encode()
    return lambda client, _: client.post(
        path, content=encoded, headers={"content-type": "application/json"}
    )


def unique() -> str:
    return uuid.uuid4().hex


def body_field(name: str, path: str, base: Callable[[Target], dict[str, Any]], *keys: str) -> Field:
    """The string at `keys` (nested) inside `base`'s body."""

    def send(client: httpx.Client, target: Target, text: str) -> httpx.Response:
        body = base(target)
        holder = body
        for key in keys[:-1]:
            holder = holder[key] if not isinstance(holder, list) else holder[int(key)]
        holder[keys[-1] if not isinstance(holder, list) else int(keys[-1])] = text
        return post(path.format(t=target), body)(client, text)

    return Field(name, send)


def order_body(t: Target) -> dict[str, Any]:
    return {
        "buyerId": t.user_id,
        "sellerId": t.seller_id,
        "amount": "2",
        "title": "strings",
        "clientOrderRef": unique(),
        "metadata": {"note": "n"},
        "milestones": [{"milestoneRef": unique(), "title": "m", "amount": "2"}],
    }


def withdrawal_body(t: Target) -> dict[str, Any]:
    return {"userId": t.user_id, "amount": "5", "destinationRef": "G" + "A" * 55}


def credit_body(_: Target) -> dict[str, Any]:
    return {"amount": "0.01", "reason": "strings"}


def key_body(_: Target) -> dict[str, Any]:
    return {"name": "strings", "scopes": ["read"]}


def endpoint_body(_: Target) -> dict[str, Any]:
    # A name that never resolves, for an event this session hardly emits: deliveries fail fast.
    return {"url": "https://hooks.invalid/strings", "events": ["dispute.resolved"]}


def topup_body(t: Target) -> dict[str, Any]:
    return {"userId": t.user_id, "amount": "5", "description": "strings"}


def path_field(name: str, method: str, template: str) -> Field:
    def send(client: httpx.Client, target: Target, text: str) -> httpx.Response:
        encoded = quote(text.encode("utf-8", "surrogatepass"), safe="")
        body = b'{"amount": "0.01", "reason": "strings"}' if method == "POST" else None
        return client.request(
            method,
            template.format(t=target, text=encoded),
            content=body,
            headers={"content-type": "application/json"} if body else {},
        )

    return Field(name, send, in_url)


def query_field(name: str, path: str) -> Field:
    def send(client: httpx.Client, target: Target, text: str) -> httpx.Response:
        encoded = quote(text.encode("utf-8", "surrogatepass"), safe="")
        return client.get(f"{path}?{name}={encoded}")

    return Field(name, send, in_url)


def idempotency_key(client: httpx.Client, target: Target, text: str) -> httpx.Response:
    # Header values travel as bytes; CR, LF and NUL cannot be sent at all.
    raw = "".join(c for c in text if c not in "\r\n\x00").encode("utf-8", "surrogatepass")
    body = {"externalUserId": unique()}
    return client.post("/users", json=body, headers={"Idempotency-Key": raw or b"k"})


FIELDS = [
    body_field(
        "externalUserId", "/users", lambda t: {"externalUserId": unique()}, "externalUserId"
    ),
    body_field("email", "/users", lambda t: {"externalUserId": unique()}, "email"),
    body_field("type", "/users", lambda t: {"externalUserId": unique()}, "type"),
    body_field("reason", "/users/{t.user_id}/balance/credit", credit_body, "reason"),
    body_field("currency", "/users/{t.user_id}/balance/credit", credit_body, "currency"),
    body_field("amount", "/users/{t.user_id}/balance/credit", credit_body, "amount"),
    body_field("title", "/orders", order_body, "title"),
    body_field("description", "/orders", order_body, "description"),
    body_field("clientOrderRef", "/orders", order_body, "clientOrderRef"),
    body_field("buyerId", "/orders", order_body, "buyerId"),
    body_field("metadata", "/orders", order_body, "metadata", "note"),
    body_field("milestones[0].title", "/orders", order_body, "milestones", "0", "title"),
    body_field(
        "milestones[0].milestoneRef", "/orders", order_body, "milestones", "0", "milestoneRef"
    ),
    body_field("reason", "/orders/{t.order_id}/resolution/refund", lambda t: {}, "reason"),
    body_field("destinationRef", "/withdrawals", withdrawal_body, "destinationRef"),
    body_field("description", "/withdrawals", withdrawal_body, "description"),
    body_field("destinationType", "/withdrawals", withdrawal_body, "destinationType"),
    body_field("name", "/auth/api-keys", key_body, "name"),
    body_field("scopes[0]", "/auth/api-keys", key_body, "scopes", "0"),
    body_field("description", "/webhooks/endpoints", endpoint_body, "description"),
    body_field("events[0]", "/webhooks/endpoints", endpoint_body, "events", "0"),
    body_field("url", "/webhooks/endpoints", endpoint_body, "url"),
    # The fiat ramp (off in this stack: a storable string meets a 4xx of its own, never a 5xx).
    body_field("email", "/users/{t.user_id}/airtm/link", lambda t: {"email": "a@b.c"}, "email"),
    body_field("description", "/topups", topup_body, "description"),
    body_field("currency", "/topups", topup_body, "currency"),
    body_field("userId", "/topups", topup_body, "userId"),
    path_field("userId", "GET", "/users/{text}"),
    path_field("userId", "POST", "/users/{text}/balance/credit"),
    path_field("orderId", "GET", "/orders/{text}"),
    path_field("ref", "POST", "/orders/{t.order_id}/milestones/{text}/complete"),
    path_field("disputeId", "GET", "/disputes/{text}"),
    path_field("withdrawalId", "GET", "/withdrawals/{text}"),
    query_field("status", "/orders"),
    query_field("buyerId", "/orders"),
    query_field("cursor", "/users"),
    query_field("userId", "/withdrawals"),
    query_field("resourceId", "/audit/logs"),
    query_field("types", "/events/log"),
    Field("Idempotency-Key", idempotency_key),
]


@pytest.fixture(scope="module")
def target(stack: Stack) -> Target:
    client = stack.client()
    user, seller = (
        client.post("/users", json={"externalUserId": f"strings-{unique()}"}).json()["data"]["id"]
        for _ in range(2)
    )
    client.post(f"/users/{user}/balance/credit", json={"amount": "10", "reason": "strings"})
    order = client.post(
        "/orders", json={"buyerId": user, "sellerId": seller, "amount": "1", "title": "strings"}
    )
    return Target(user, seller, order.json()["data"]["id"])


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f"{f.name}")
def test_every_string_is_stored_or_refused_naming_it_and_nothing_stalls(
    stack: Stack, target: Target, field: Field
) -> None:
    client = stack.client()

    @settings(max_examples=12)
    @given(text=TEXTS)
    def answer(text: str) -> None:
        response = field.send(client, target, text)
        assert response.status_code < 500, response.text
        if not storable(field.arrives_as(text)) and field.name != "Idempotency-Key":
            assert response.status_code == 400, response.text
            error = response.json()["error"]
            assert error["code"] in ("VALIDATION_ERROR", "INVALID_AMOUNT"), error
            named = field.name.split("[")[0].split(".")[0]
            assert named in json.dumps(error, ensure_ascii=False), error

    answer()
    stack.caught_up()
