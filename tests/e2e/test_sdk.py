"""The Python SDK (clients/python) against the real service: its writes are applied once and its
reads see them, errors arrive typed, lists page, a milestone order and a dispute run through
their escrows, withdrawals and deposits read back, deliveries verify, and its event stream
survives an API restart with nothing lost or repeated."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest
from ledgerline_sdk import (
    AsyncLedgerline,
    InsufficientFundsError,
    Ledgerline,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
    WebhookVerificationError,
    verify,
)
from ledgerline_sdk.models import Event

from interfaces.bootstrap import build_services
from tests.support.orders import parties
from tests.support.stack import MASTER_KEY, ApiServer, Stack
from tests.support.waiting import wait_until
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.e2e

WAIT_S = 30


def sdk(stack: Stack, key: str = MASTER_KEY) -> Ledgerline:
    return Ledgerline(key, stack.base_url)


def test_writes_are_applied_once_and_reads_see_them(stack: Stack) -> None:
    with sdk(stack) as client:
        user = client.users.create(f"sdk-{uuid.uuid4().hex}", type="BUYER")
        again = client.users.create(user.external_user_id)
        assert again.id == user.id
        key = f"sdk-credit-{uuid.uuid4().hex}"
        first = client.balances.credit(user.id, "25.50", reason="welcome", idempotency_key=key)
        replay = client.balances.credit(user.id, "25.50", reason="welcome", idempotency_key=key)
        assert first == replay
        assert client.last_position > 0
        assert client.balances.get(user.id).available == "25.50"  # no wait, no stale read
        assert client.users.get(user.id).balance.available == "25.50"
        lines = client.users.ledger(user.id)
        assert [line.amount for line in lines.items] == ["25.50"]


def test_errors_arrive_typed_by_their_code(stack: Stack) -> None:
    with sdk(stack) as client:
        user = client.users.create(f"sdk-{uuid.uuid4().hex}")
        with pytest.raises(InsufficientFundsError) as refused:
            client.balances.debit(user.id, "1.00", reason="too much")
        assert refused.value.status == 422 and refused.value.request_id
        with pytest.raises(NotFoundError) as missing:
            client.orders.get("ord_" + "0" * 22)
        assert missing.value.code == "ORDER_NOT_FOUND"
        with pytest.raises(ValidationError) as bad:
            client.balances.credit(user.id, "ten", reason="x")
        assert bad.value.code == "INVALID_AMOUNT"
    with sdk(stack, stack.key("read")) as reader, pytest.raises(PermissionDeniedError):
        reader.users.create(f"sdk-{uuid.uuid4().hex}")


def test_lists_page_and_iterate_every_page(stack: Stack) -> None:
    with sdk(stack) as client:
        buyer, seller = (client.users.create(f"sdk-{uuid.uuid4().hex}").id for _ in range(2))
        made = [client.orders.create(buyer, seller, "2.00", f"item {n}").id for n in range(5)]
        first = client.orders.list(buyer_id=buyer, limit=2)
        assert len(first.items) == 2 and first.has_more
        walked = [o.id for o in client.orders.iterate(buyer_id=buyer, limit=2)]
        assert sorted(walked) == sorted(made) and len(walked) == 5


def test_a_milestone_order_runs_through_its_escrow(stack: Stack) -> None:
    who = parties(stack, "60")
    with sdk(stack) as client:
        order = client.orders.create(
            who.buyer,
            who.seller,
            "40",
            "Site",
            milestones=[
                {"milestoneRef": "design", "title": "Design", "amount": "15"},
                {"milestoneRef": "build", "title": "Build", "amount": "25"},
            ],
        )
        assert client.orders.reserve(order.id).status == "FUNDS_RESERVED"
        assert client.orders.create_escrow(order.id, wait_s=WAIT_S).status == "ESCROW_FUNDING"
        assert client.orders.fund_escrow(order.id, wait_s=WAIT_S).status == "IN_PROGRESS"
        client.orders.complete_milestone(order.id, "design", wait_s=WAIT_S)
        client.orders.approve_milestone(order.id, "design", wait_s=WAIT_S)
        released = client.orders.release_milestone(order.id, "design", wait_s=WAIT_S)
        design = next(m for m in released.milestones if m.milestone_ref == "design")
        assert design.released and design.pending is None
        assert [m.milestone_ref for m in client.orders.milestones(order.id)] == ["design", "build"]


def test_the_async_client_runs_a_dispute_and_a_withdrawal(stack: Stack) -> None:
    who = parties(stack, "50")
    support = stack.key("support")

    async def scenario() -> None:
        async with (
            AsyncLedgerline(MASTER_KEY, stack.base_url) as client,
            AsyncLedgerline(support, stack.base_url) as staff,
        ):
            order = await client.orders.create(who.buyer, who.seller, "20", "Logo")
            await client.orders.reserve(order.id)
            await client.orders.create_escrow(order.id, wait_s=WAIT_S)
            await client.orders.fund_escrow(order.id, wait_s=WAIT_S)
            dispute = await client.orders.open_dispute(
                order.id, opened_by="BUYER", reason="QUALITY_ISSUE"
            )
            await staff.disputes.assign(dispute.id, "agent-7")
            resolved = await staff.disputes.resolve(
                dispute.id, "SPLIT", release_amount="12", refund_amount="8", wait_s=WAIT_S
            )
            assert resolved.status == "RESOLVED"
            listed = await client.disputes.list(order_id=order.id)
            assert [d.id for d in listed.items] == [dispute.id]
            withdrawal = await client.withdrawals.create(
                who.buyer, "10", who.seller_address, wait_s=WAIT_S
            )
            assert withdrawal.status == "WITHDRAWAL_COMPLETED"
            assert withdrawal.stellar_transaction_hash
            deposits = await client.deposits.list(user_id=who.buyer)
            assert [d.amount for d in deposits.items] == ["50.00"]

    asyncio.run(scenario())


def test_a_delivered_webhook_verifies_and_a_forged_one_does_not(stack: Stack) -> None:
    with WebhookReceiver() as receiver, sdk(stack) as client:
        endpoint = client.webhooks.endpoints.create(receiver.url, events=["user.*"])
        user = client.users.create(f"sdk-{uuid.uuid4().hex}")
        delivered = wait_until(
            lambda: [
                r for r in receiver.requests if user.id in r.body.decode() and r.answered == 200
            ],
            timeout_s=30,
            message="the delivery",
        )[0]
        event = verify(delivered.body, delivered.headers, endpoint.secret)
        assert event.aggregate_id == user.id
        with pytest.raises(WebhookVerificationError):
            verify(delivered.body + b" ", delivered.headers, endpoint.secret)
        client.webhooks.endpoints.delete(endpoint.id)


def test_the_stream_survives_an_api_restart_without_loss_or_repeats(stack: Stack) -> None:
    services = build_services(
        stack.services.settings,
        stack.services.resources.database_url,
        stack.services.resources.redis_url,
    )
    server = ApiServer(services).start()
    port = server.port
    seen: list[Event] = []
    with sdk(stack) as writer:
        user = writer.users.create(f"sdk-{uuid.uuid4().hex}").id
        start = writer.last_position
        reader = Ledgerline(stack.key("read"), server.base_url)
        done = threading.Event()

        def read() -> None:
            for event in reader.events.stream(after=start, user_id=user):
                seen.append(event)
                if done.is_set() and event.position >= goal[0]:
                    return

        goal = [0]
        thread = threading.Thread(target=read, daemon=True)
        thread.start()
        for n in range(3):
            writer.balances.credit(user, "1", reason=f"before {n}")
        wait_until(lambda: len(seen) >= 3, timeout_s=30, message="the first events")
        server.stop()
        for n in range(3):
            writer.balances.credit(user, "1", reason=f"while down {n}")
        server = ApiServer(services, port=port).start()
        try:
            for n in range(2):
                writer.balances.credit(user, "1", reason=f"after {n}")
            goal[0] = writer.last_position
            done.set()
            thread.join(timeout=60)
            assert not thread.is_alive(), "the stream did not resume"
        finally:
            server.stop()
            services.close()
            reader.close()
    positions = [event.position for event in seen]
    assert positions == sorted(set(positions)), "an event repeated or came out of order"
    stack.caught_up()
    with stack.services.resources.pool.connection() as conn:
        expected = [
            row["position"]
            for row in conn.execute(
                "SELECT position FROM rm_event_feed.events WHERE public AND user_ids @> ARRAY[%s]"
                " AND position > %s AND position <= %s ORDER BY position",
                (user, start, goal[0]),
            ).fetchall()
        ]
    assert positions == expected
    assert len([e for e in seen if e.type == "balance.credited"]) == 8
