"""Events stored before the edge refused NUL and lone surrogates still apply: every projection
reaches the head with the unstorable code points escaped, and a rebuild writes the same rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.context import CommandContext
from application.order_terms import MilestoneTerms, OrderTerms
from domain.money import Amount
from interfaces.bootstrap import build_services, ensure_projections
from interfaces.services import Services
from projections.stalls import EventNotAppliedError
from sandbox.server import SandboxServer
from tests.support.read_models import snapshot
from tests.support.stack import settings_for_tests

pytestmark = pytest.mark.integration
CONTEXT = CommandContext(request_id="unstorable-strings")
NUL = "\x00"
EXAMPLES_MAX = 25
SURROGATE = "\ud83d"  # the high half of an emoji's pair, alone


def every_projection_at_the_head(services: Services) -> None:
    head = services.resources.ledger.head_position()
    for store in services.resources.projections.values():
        store.catch_up()
        assert store.position() >= head, store.name


def record_unstorable_strings(services: Services, tag: str, odd: str) -> dict[str, str]:
    """A user, a credit, an order and an API key whose strings hold `odd`, recorded through the
    application layer (the HTTP edge would refuse them); returns their ids."""
    users, orders = services.use_cases.users, services.use_cases.orders
    buyer = users.create_user(f"b{odd}{tag}", f"e{odd}@x.test", "BUYER", CONTEXT)
    seller = users.create_user(f"s{odd}{tag}", None, "SELLER", CONTEXT).user.user_id
    buyer = buyer.user.user_id
    services.use_cases.balances.adjust(buyer, "credit", Amount(50_000_000), f"why{odd}", CONTEXT)
    order = orders.create(
        OrderTerms(
            buyer,
            seller,
            Amount(10_000_000),
            f"title{odd}",
            description=f"desc{odd}",
            metadata={f"k{odd}": [f"v{odd}", 1]},
            milestones=[MilestoneTerms(f"m{tag}", f"step{odd}", Amount(10_000_000))],
        ),
        CONTEXT,
    ).order.public_id
    orders.reserve(order, CONTEXT)
    key = services.use_cases.api_keys.issue(
        f"key{odd}", ["read"], datetime.now(UTC) + timedelta(days=1), None, CONTEXT
    )
    endpoint = services.use_cases.webhooks.register(
        "https://hooks.example.com/ledgerline", ["*"], f"hook{odd}", CONTEXT
    )
    return {
        "buyer": buyer,
        "seller": seller,
        "order": order,
        "key": key.key_id,
        "endpoint": endpoint.endpoint.public_id,
    }


def test_strings_postgresql_cannot_store_are_escaped_and_rebuild_gives_the_same_rows(
    fresh_services: Services,
) -> None:
    services = fresh_services
    ensure_projections(services)
    ids = record_unstorable_strings(services, "a", NUL)

    every_projection_at_the_head(services)

    buyer = services.views.users.get(ids["buyer"])
    assert (buyer.external_user_id, buyer.email) == ("b\\u0000a", "e\\u0000@x.test")
    with services.resources.pool.connection() as conn:
        title = conn.execute(
            "SELECT title FROM rm_orders.orders WHERE order_id = %s", (ids["order"],)
        ).fetchone()
        key = conn.execute(
            "SELECT name FROM rm_api_keys.api_keys WHERE key_id = %s", (ids["key"],)
        ).fetchone()
        row = conn.execute(
            "SELECT metadata, milestones FROM rm_orders.orders WHERE order_id = %s",
            (ids["order"],),
        ).fetchone()
        hook = conn.execute(
            "SELECT description FROM rm_webhook_endpoints.endpoints WHERE endpoint_id = %s",
            (ids["endpoint"],),
        ).fetchone()
        feed = conn.execute("SELECT count(*) AS n FROM rm_event_feed.events").fetchone()
    assert title["title"] == "title\\u0000"
    assert key["name"] == "key\\u0000"
    assert hook["description"] == "hook\\u0000"
    assert row["metadata"] == {"k\\u0000": ["v\\u0000", 1]}
    assert row["milestones"][0]["title"] == "step\\u0000"
    assert feed["n"] == services.resources.ledger.head_position()

    before = snapshot(services)
    for store in services.resources.projections.values():
        store.rebuild()
    assert snapshot(services) == before


def test_no_log_holds_a_lone_surrogate_since_the_event_store_cannot_encode_one(
    services: Services,
) -> None:
    """Why only NUL reaches projections from an old log: events are stored as UTF-8."""
    with pytest.raises(UnicodeEncodeError):
        services.use_cases.users.create_user(
            f"s-{uuid.uuid4().hex}", f"e{SURROGATE}@x.test", "BUYER", CONTEXT
        )


# Every code point the event store can record (so no lone surrogate, see above), NUL included.
@pytest.fixture(scope="module")
def own_services(
    database_factory: object, redis_url: str, sandbox: SandboxServer
) -> Iterator[Services]:
    """Services on a log of their own: on the session's, the session stack's runner folds the
    same projections at once (each catch-up here then races it) and the log is long."""
    built = build_services(settings_for_tests(sandbox), database_factory(), redis_url)  # type: ignore[operator]
    ensure_projections(built)
    # Linked with chain version 2 (RFC 8785), as a runner links a new log: the feed must hash
    # every string the store can hold without stalling.
    assert built.use_cases.chain_versions.record_latest(CONTEXT) is not None
    yield built
    built.close()


# Each example records a dozen events and catches every projection up: a few dozen are enough
# to draw NUL, other controls, non-BMP characters and mixes, and keep the suite's time.
@settings(max_examples=EXAMPLES_MAX, deadline=None)
@given(odd=st.text(st.characters(codec="utf-8"), min_size=1, max_size=12))
def test_arbitrary_unicode_in_every_string_field_leaves_every_read_model_at_the_head(
    own_services: Services, odd: str
) -> None:
    record_unstorable_strings(own_services, uuid.uuid4().hex, odd)
    every_projection_at_the_head(own_services)


def test_an_old_nul_and_its_typed_escape_collide_in_users_and_stall_only_that_read_model(
    fresh_services: Services,
) -> None:
    """The escape is not reversible (docs/limits.md): two external ids the domain tells apart
    can escape alike; the unique column then refuses the second, and only rm_users waits."""
    services = fresh_services
    ensure_projections(services)
    tag = uuid.uuid4().hex
    users = services.use_cases.users
    users.create_user(f"x{NUL}{tag}", None, "BOTH", CONTEXT)
    typed = users.create_user(f"x\\u0000{tag}", None, "BOTH", CONTEXT)
    assert typed.position is not None
    stores = services.resources.projections

    with pytest.raises(EventNotAppliedError) as failure:
        stores["users"].catch_up()
    assert failure.value.position <= typed.position
    assert "duplicate key" in str(failure.value.error)
    head = services.resources.ledger.head_position()
    for store in stores.values():
        if store.name != "users":
            store.catch_up()
            assert store.position() >= head, store.name
