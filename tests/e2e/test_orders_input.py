"""Orders and disputes refuse bad input with the documented 4xx and change nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.orders import Parties, command, create_order, funded_order, order, parties
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e
UNKNOWN_USER = "usr_0000000000000000000000"


@pytest.fixture(scope="module")
def who(stack: Stack) -> Parties:
    return parties(stack, "100")


def body(who: Parties, **fields: Any) -> dict[str, Any]:
    return {"buyerId": who.buyer, "sellerId": who.seller, "amount": "10", "title": "t", **fields}


def refused(
    stack: Stack, path: str, payload: Any, status: int, code: str, key: str | None = None
) -> None:
    client = stack.client(key) if key else stack.client()
    response = client.post(path, json=payload)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code), response.text


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"surprise": 1}, 400, "VALIDATION_ERROR"),
        ({"amount": "0"}, 400, "INVALID_AMOUNT"),
        ({"amount": "ten"}, 400, "INVALID_AMOUNT"),
        ({"amount": 10}, 400, "VALIDATION_ERROR"),
        ({"amount": "50001"}, 422, "LIMIT_EXCEEDED"),
        ({"currency": "EUR"}, 400, "VALIDATION_ERROR"),
        ({"title": ""}, 400, "VALIDATION_ERROR"),
        ({"platformFeeBps": 9_901}, 400, "VALIDATION_ERROR"),
        ({"autoReleaseAfter": 0}, 400, "VALIDATION_ERROR"),
        ({"autoReleaseAfter": "2020-01-01T00:00:00Z"}, 400, "VALIDATION_ERROR"),
        ({"autoReleaseAfter": "2030-01-01T00:00:00"}, 400, "VALIDATION_ERROR"),
        ({"buyerId": UNKNOWN_USER}, 404, "USER_NOT_FOUND"),
        ({"buyerId": "usr_nope"}, 400, "VALIDATION_ERROR"),
        (
            {"milestones": [{"milestoneRef": "a", "title": "A", "amount": "9"}]},
            400,
            "INVALID_AMOUNT",
        ),
        (
            {
                "milestones": [
                    {"milestoneRef": "a", "title": "A", "amount": "5"},
                    {"milestoneRef": "a", "title": "B", "amount": "5"},
                ]
            },
            400,
            "VALIDATION_ERROR",
        ),
        ({"milestones": [{"title": "A", "amount": "10"}]}, 400, "VALIDATION_ERROR"),
        ({"buyer_id": "usr_0000000000000000000001"}, 400, "VALIDATION_ERROR"),
    ],
)
def test_a_bad_order_is_refused(
    stack: Stack, who: Parties, fields: dict[str, Any], status: int, code: str
) -> None:
    refused(stack, "/orders", body(who, **fields), status, code)


def test_buyer_and_seller_must_differ(stack: Stack, who: Parties) -> None:
    refused(stack, "/orders", body(who, sellerId=who.buyer), 400, "VALIDATION_ERROR")


def test_offer_hubs_snake_case_names_are_accepted(stack: Stack, who: Parties) -> None:
    ref = f"snake-{uuid.uuid4().hex}"
    response = stack.client().post(
        "/orders",
        json={
            "buyer_id": who.buyer,
            "seller_id": who.seller,
            "client_order_ref": ref,
            "amount": "10",
            "title": "t",
            "milestones": [{"milestone_ref": "only", "title": "All", "amount": "10"}],
        },
    )
    assert response.status_code == 201, response.text
    created = response.json()["data"]
    assert (created["clientOrderRef"], created["milestones"][0]["milestoneRef"]) == (ref, "only")


def test_the_marketplaces_metadata_is_kept_as_given(stack: Stack, who: Parties) -> None:
    metadata = {"listing": 42, "tags": ["logo", "rush"], "metadata": {"nested": True}}
    created = create_order(stack, who, "10", metadata=metadata)
    assert created["metadata"] == metadata
    assert order(stack, created["id"])["metadata"] == metadata
    stack.caught_up()
    listed = stack.client().get("/orders", params={"buyerId": who.buyer}).json()["data"]
    assert next(o for o in listed if o["id"] == created["id"])["metadata"] == metadata


def test_a_client_order_ref_names_one_order(stack: Stack, who: Parties) -> None:
    ref = f"dup-{uuid.uuid4().hex}"
    first = stack.client().post("/orders", json=body(who, clientOrderRef=ref))
    again = stack.client().post("/orders", json=body(who, clientOrderRef=ref))
    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert first.json()["data"]["id"] == again.json()["data"]["id"]
    refused(
        stack,
        "/orders",
        body(who, clientOrderRef=ref, amount="11"),
        409,
        "DUPLICATE_CLIENT_ORDER_REF",
    )


def test_reserving_more_than_available_changes_nothing(stack: Stack, who: Parties) -> None:
    created = create_order(stack, who, "1000")
    before = stack.client().get(f"/users/{who.buyer}/balance").json()["data"]
    refused(stack, f"/orders/{created['id']}/reserve", None, 422, "INSUFFICIENT_FUNDS")
    assert order(stack, created["id"])["status"] == "ORDER_CREATED"
    assert stack.client().get(f"/users/{who.buyer}/balance").json()["data"] == before


@pytest.mark.parametrize(
    ("path", "payload", "status", "code"),
    [
        ("/resolution/release", None, 409, "INVALID_STATE"),
        ("/resolution/refund", {"reason": "x"}, 409, "INVALID_STATE"),
        ("/escrow", None, 409, "INVALID_STATE"),
        ("/escrow/fund", None, 409, "INVALID_STATE"),
        ("/milestones/default/complete", None, 409, "INVALID_STATE"),
        ("/resolution/dispute", {"openedBy": "BUYER", "reason": "OTHER"}, 409, "INVALID_STATE"),
        ("/resolution/dispute", {"openedBy": "ROBOT", "reason": "OTHER"}, 400, "VALIDATION_ERROR"),
        ("/resolution/refund", {}, 400, "VALIDATION_ERROR"),
    ],
)
def test_commands_out_of_order_are_refused(
    stack: Stack, who: Parties, path: str, payload: Any, status: int, code: str
) -> None:
    created = create_order(stack, who, "5")
    refused(stack, f"/orders/{created['id']}{path}", payload, status, code)
    assert order(stack, created["id"])["status"] == "ORDER_CREATED"


@pytest.mark.parametrize(
    ("method", "path", "code"),
    [
        ("GET", "/orders/ord_0000000000000000000000", "ORDER_NOT_FOUND"),
        ("POST", "/orders/ord_0000000000000000000000/reserve", "ORDER_NOT_FOUND"),
        ("GET", "/disputes/dsp_0000000000000000000000", "DISPUTE_NOT_FOUND"),
    ],
)
def test_unknown_orders_and_disputes_are_not_found(
    stack: Stack, method: str, path: str, code: str
) -> None:
    response = stack.client().request(method, path)
    assert (response.status_code, response.json()["error"]["code"]) == (404, code)


@pytest.mark.parametrize(
    "params",
    [{"status": "BOGUS"}, {"createdAfter": "yesterday"}, {"buyerId": "nope"}, {"limit": "0"}],
)
def test_bad_order_filters_are_validation_errors(stack: Stack, params: dict[str, str]) -> None:
    response = stack.client().get("/orders", params=params)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")


def test_a_dispute_is_decided_only_by_support_after_review(stack: Stack) -> None:
    who = parties(stack, "10")
    funded = funded_order(stack, who, "10")
    refused(
        stack,
        f"/orders/{funded['id']}/milestones/default/complete",
        None,
        404,
        "MILESTONE_NOT_FOUND",
    )
    dispute = command(
        stack,
        f"/orders/{funded['id']}/resolution/dispute",
        {"openedBy": "SELLER", "reason": "OTHER"},
        expect=201,
    )
    path = f"/disputes/{dispute['id']}"
    refused(
        stack,
        f"/orders/{funded['id']}/resolution/dispute",
        {"openedBy": "BUYER", "reason": "OTHER"},
        409,
        "DISPUTE_ALREADY_OPEN",
    )
    writer = stack.key("write")
    refused(stack, f"{path}/assign", {"assignedTo": "me"}, 403, "INSUFFICIENT_SCOPE", key=writer)
    support = stack.key("support")
    refused(stack, f"{path}/resolve", {"decision": "FULL_REFUND"}, 409, "INVALID_STATE", support)
    command(stack, f"{path}/assign", {"assignedTo": "agent-1"}, expect=200)
    for payload, code in [
        ({"decision": "HALF"}, "VALIDATION_ERROR"),
        ({"decision": "SPLIT"}, "VALIDATION_ERROR"),
        ({"decision": "SPLIT", "releaseAmount": "5", "refundAmount": "4"}, "INVALID_AMOUNT"),
        ({"decision": "SPLIT", "releaseAmount": "10", "refundAmount": "0"}, "INVALID_AMOUNT"),
        ({"decision": "FULL_RELEASE", "releaseAmount": "3"}, "INVALID_AMOUNT"),
    ]:
        refused(stack, f"{path}/resolve", payload, 400, code, support)
    current = stack.client().get(path).json()["data"]
    assert (current["status"], current["resolutionDecision"]) == ("UNDER_REVIEW", None)
    assert current["assignedTo"] == "agent-1"
