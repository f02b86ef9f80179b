"""What an operator sees: one trace from a request to the on-chain submission it caused, and
Prometheus metrics that parse and move as money moves."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from tests.support.capture import SESSION
from tests.support.money import deposit, funded_user, wait_balance
from tests.support.orders import order_awaiting_funding, parties, wait_order
from tests.support.sse import EventStreamClient
from tests.support.stack import MASTER_KEY, Stack
from tests.support.traces import RecentSpans
from tests.support.waiting import wait_until
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.e2e

SUBMISSION = "/helper/send-transaction"
OPS = Path(__file__).resolve().parents[2] / "ops"
ALERTS = OPS / "prometheus" / "alerts.yml"
DASHBOARD = OPS / "grafana" / "ledgerline-dashboard.json"
TRACE_TIMEOUT_S = 30.0


def _ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> Iterable[ReadableSpan]:
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        yield span


def test_funding_an_escrow_is_one_trace_from_the_request_to_the_trustless_work_submission(
    stack: Stack, spans: RecentSpans
) -> None:
    order_id = order_awaiting_funding(stack, parties(stack, "120"), "100")

    request_id = f"req-fund-{uuid.uuid4().hex}"
    response = stack.client(**{"X-Request-ID": request_id}).post(f"/orders/{order_id}/escrow/fund")
    assert response.status_code == 202, response.text
    wait_order(stack, order_id, status="IN_PROGRESS")

    request = wait_until(
        lambda: next(
            (s for s in spans.named("HTTP POST") if s.attributes.get("request.id") == request_id),
            None,
        ),
        message="the request's span",
    )
    assert request.context is not None

    def submitted() -> list[ReadableSpan] | None:
        trace = spans.in_trace(request.context.trace_id)
        return trace if any(s.name.endswith(SUBMISSION) for s in trace) else None

    trace = wait_until(submitted, timeout_s=TRACE_TIMEOUT_S, message="the submission's span")
    names = [s.name for s in trace]
    assert "enqueue order.advance" in names
    assert "actor order.advance" in names
    assert any(n.startswith("command Orders.request_funding") for n in names), names
    assert any(n.startswith("append Order.") for n in names), names
    by_id = {s.context.span_id: s for s in trace if s.context is not None}
    submission = next(s for s in trace if s.name.endswith(SUBMISSION))
    lineage = [s.name for s in _ancestors(submission, by_id)]
    assert lineage[-1] == request.name, lineage
    assert "actor order.advance" in lineage
    assert submission.attributes.get("http.response.status_code") in (200, 201)


def exposition(stack: Stack) -> str:
    response = httpx.get(f"http://127.0.0.1:{stack.server.port}/metrics", timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def scrape(stack: Stack) -> list[Sample]:
    families = text_string_to_metric_families(exposition(stack))
    return [s for family in families for s in family.samples]


def value(samples: list[Sample], name: str, **labels: str) -> float:
    """The sum of `name`'s samples whose labels include `labels`."""
    return sum(
        s.value
        for s in samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


def test_metrics_parse_and_count_requests_commands_events_and_saga_steps(stack: Stack) -> None:
    before = scrape(stack)
    user_id, address = funded_user(stack, "10", prefix="metrics")
    admin = stack.client()
    credit = admin.post(
        f"/users/{user_id}/balance/credit", json={"amount": "1.00", "reason": "metrics"}
    )
    assert credit.status_code == 200, credit.text
    deposit(stack, address, "2")
    wait_balance(stack, user_id, "13.00")
    stack.caught_up()
    after = scrape(stack)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    # Routes are labelled by template, never by the ids in the path.
    route = next(
        s.labels["route"]
        for s in after
        if s.name == "ledgerline_http_requests_total" and s.labels["route"].endswith("/credit")
    )
    assert route.startswith("/api/v1/users/{user_id") and user_id not in route
    assert moved("ledgerline_http_requests_total", method="POST", route=route, status="200") == 1
    assert moved("ledgerline_http_request_duration_seconds_count", method="POST", route=route) == 1
    assert moved("ledgerline_commands_total", command="Balances.adjust", outcome="ok") >= 1
    assert moved("ledgerline_events_appended_total", type="Account.Credited") >= 1
    assert moved("ledgerline_deposits_credited_total") >= 2
    assert moved("ledgerline_saga_steps_total", kind="wallet.advance", outcome="succeeded") >= 1
    assert moved("ledgerline_provider_requests_total", provider="horizon", outcome="ok") >= 1

    assert value(after, "ledgerline_database_up") == 1
    assert value(after, "ledgerline_redis_up") == 1
    assert value(after, "ledgerline_db_pool_connections", state="size") >= 1
    lags = {s.labels["projection"] for s in after if s.name == "ledgerline_projection_lag_events"}
    assert lags == set(stack.services.resources.projections)
    queues = {
        (s.labels["queue"], s.labels["state"]) for s in after if s.name.endswith("_queue_messages")
    }
    assert ("sagas", "dead") in queues


def test_the_runner_leader_gauge_follows_leadership(stack: Stack) -> None:
    # The gauge is per process, and isolated stacks' runners in this process set it to 0 for
    # the same loops as they stopped; a fresh runner sets it as it takes each loop.
    runner = stack.restart_runner()
    wait_until(lambda: all(runner.leading.values()), message="the runner to lead every loop")
    leading = {
        s.labels["loop"]
        for s in scrape(stack)
        if s.name == "ledgerline_runner_leader" and s.value == 1
    }
    assert leading == set(runner.leading)


def test_every_metric_the_alerts_and_dashboard_use_is_exported(stack: Stack) -> None:
    exported = set()
    for family in text_string_to_metric_families(exposition(stack)):
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}
        exported |= {family.name + s for s in suffixes.get(family.type, ("",))}
    used = set()
    for path in (ALERTS, DASHBOARD):
        used |= set(re.findall(r"ledgerline_[a-z_]+", path.read_text()))
    assert used - exported == set()


def test_a_refused_command_is_counted_as_rejected(stack: Stack) -> None:
    user_id, _ = funded_user(stack, "1", prefix="metrics-rejected")
    before = scrape(stack)
    debit = stack.client().post(
        f"/users/{user_id}/balance/debit", json={"amount": "5.00", "reason": "too much"}
    )
    assert debit.status_code == 422, debit.text
    after = scrape(stack)
    labels = {"command": "Balances.adjust", "outcome": "rejected"}
    assert (
        value(after, "ledgerline_commands_total", **labels)
        - value(before, "ledgerline_commands_total", **labels)
        == 1
    )


def test_metrics_have_one_content_type_and_no_created_series(stack: Stack) -> None:
    response = httpx.get(f"http://127.0.0.1:{stack.server.port}/metrics", timeout=30)
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "_created" not in response.text


def test_edge_refusals_replays_and_conflicts_are_counted(stack: Stack) -> None:
    user_id, _ = funded_user(stack, "1", prefix="metrics-edge")
    limited = stack.key("read", rateLimitPerMinute=1)
    before = scrape(stack)
    anonymous = stack.client(key=None).get("/users")
    unknown = stack.client(key="ohk_live_" + "x" * 40).get("/users")
    reader = stack.client(key=limited)
    refused_scope = reader.post(f"/users/{user_id}/balance/credit", json={"amount": "1"})
    assert reader.get("/users").status_code == 200  # the one request a minute it may make
    limited_again = reader.get("/users")
    key = f"metrics-{uuid.uuid4().hex}"
    path = f"/users/{user_id}/balance/credit"
    first = stack.client(**{"Idempotency-Key": key}).post(
        path, json={"amount": "1.00", "reason": "metrics"}
    )
    replay = stack.client(**{"Idempotency-Key": key}).post(
        path, json={"amount": "1.00", "reason": "metrics"}
    )
    reused = stack.client(**{"Idempotency-Key": key}).post(
        path, json={"amount": "2.00", "reason": "metrics"}
    )
    statuses = [r.status_code for r in (anonymous, unknown, refused_scope, limited_again)]
    assert statuses == [401, 401, 403, 429]
    assert (first.status_code, replay.headers.get("Idempotency-Replay"), reused.status_code) == (
        200,
        "true",
        409,
    )
    after = scrape(stack)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("ledgerline_auth_failures_total", code="UNAUTHORIZED") == 1
    assert moved("ledgerline_auth_failures_total", code="INVALID_API_KEY") == 1
    assert moved("ledgerline_auth_failures_total", code="INSUFFICIENT_SCOPE") == 1
    assert moved("ledgerline_rate_limited_total") == 1
    assert moved("ledgerline_idempotency_replays_total") == 1
    assert moved("ledgerline_idempotency_conflicts_total", code="IDEMPOTENCY_KEY_REUSED") == 1


def test_open_event_streams_and_webhook_deliveries_are_counted(stack: Stack) -> None:
    before = scrape(stack)
    with EventStreamClient(stack.base_url, MASTER_KEY) as stream:
        wait_until(
            lambda: value(scrape(stack), "ledgerline_sse_streams") >= 1,
            message="the open stream to be counted",
        )
        assert stream.status_code == 200
    with WebhookReceiver() as receiver:
        response = stack.client().post(
            "/webhooks/endpoints", json={"url": receiver.url, "events": ["balance.*"]}
        )
        assert response.status_code == 201, response.text
        SESSION.tokens.append(response.json()["data"]["secret"])  # shown once, never logged
        funded_user(stack, "1", prefix="metrics-webhook")
        wait_until(lambda: receiver.requests, message="a delivery")
        wait_until(
            lambda: (
                value(scrape(stack), "ledgerline_webhook_deliveries_total", outcome="delivered")
                > value(before, "ledgerline_webhook_deliveries_total", outcome="delivered")
            ),
            message="the delivery to be counted",
        )
        stack.client().delete(f"/webhooks/endpoints/{response.json()['data']['id']}")
    after = scrape(stack)
    assert value(after, "ledgerline_sse_streams_opened_total") > value(
        before, "ledgerline_sse_streams_opened_total"
    )
    assert value(after, "ledgerline_webhook_delivery_duration_seconds_count") > value(
        before, "ledgerline_webhook_delivery_duration_seconds_count"
    )
