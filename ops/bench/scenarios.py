"""What each closed-loop client of a measure does, one operation after another.

HTTP clients speak the public API as a marketplace backend would: every command carries its
own Idempotency-Key and is checked against the statuses its route promises; an expected
business refusal (422 INSUFFICIENT_FUNDS) is a completed operation, reported as refused; any
other answer is an error. SQL clients drive PostgreSQL directly for the raw baselines.
"""

from __future__ import annotations

import json
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from ops.bench.load import Recorder
from ops.bench.wire import Answer, Connection, WireError

_CODE = re.compile(rb'"code"\s*:\s*"([A-Z_]+)"')
_ORDER_ID = re.compile(rb'"id"\s*:\s*"(ord_[^"]+)"')
STROOPS_PER_UNIT: Final = 10**7


class Scenario(Protocol):
    async def open(self, shared: dict[str, Any], params: dict[str, Any]) -> Any: ...
    async def run(self, client: Any, recorder: Recorder) -> None: ...
    async def close(self, client: Any) -> None: ...


@dataclass
class HttpClient:
    conn: Connection
    params: dict[str, Any]
    rng: random.Random = field(default_factory=random.Random)


def _amount(rng: random.Random, low: int, high: int) -> str:
    """A wire amount between `low` and `high` units, with cents."""
    cents = rng.randint(low * 100, high * 100)
    return f"{cents // 100}.{cents % 100:02d}"


async def call(
    client: HttpClient,
    recorder: Recorder,
    op: str,
    method: str,
    path: str,
    body: dict[str, Any] | bytes | None = None,
    ok: tuple[int, ...] = (200,),
    refused: tuple[int, ...] = (),
) -> Answer | None:
    """One request, timed and classified; None when it failed (the error is recorded). A
    command (any method but GET) carries a fresh Idempotency-Key."""
    headers = {"Idempotency-Key": uuid.uuid4().hex} if method != "GET" else None
    if isinstance(body, bytes):
        payload = body
    else:
        payload = json.dumps(body).encode() if body is not None else b""
    began = time.monotonic()
    try:
        answer = await client.conn.request(method, path, payload, headers)
    except (WireError, OSError) as error:  # OSError covers TimeoutError
        recorder.record(op, "error connection", began, time.monotonic(), repr(error))
        await client.conn.close()
        return None
    ended = time.monotonic()
    if answer.status in ok:
        recorder.record(op, "ok", began, ended)
        return answer
    code_match = _CODE.search(answer.body)
    code = code_match.group(1).decode() if code_match else ""
    if answer.status in refused:
        recorder.record(op, f"refused {answer.status} {code}", began, ended)
        return answer
    recorder.record(op, f"error {answer.status} {code}", began, ended, answer.body[:200].decode())
    return None


class _Http:
    async def open(self, shared: dict[str, Any], params: dict[str, Any]) -> HttpClient:
        conn = Connection(
            shared["host"],
            shared["port"],
            {"Authorization": f"Bearer {shared['key']}", "Content-Type": "application/json"},
        )
        await conn.open()
        return HttpClient(conn, {**shared, **params}, random.Random(params.get("seed")))

    async def close(self, client: HttpClient) -> None:
        await client.conn.close()


class Hello(_Http):
    """The cheapest authenticated request: `GET /auth/me` checks the key, its scope and the
    rate limit, and answers who is calling — no body, no idempotency claim, no database."""

    async def run(self, client: HttpClient, recorder: Recorder) -> None:
        path = f"{client.params['base']}/auth/me"
        while recorder.running:
            await call(client, recorder, "hello", "GET", path)


class Credit(_Http):
    """Admin credits of 0.01 to the client's user (`user_id`), back to back."""

    async def run(self, client: HttpClient, recorder: Recorder) -> None:
        path = f"{client.params['base']}/users/{client.params['user_id']}/balance/credit"
        body = json.dumps({"amount": "0.01", "reason": "bench"}).encode()  # encoded once
        while recorder.running:
            await call(client, recorder, "credit", "POST", path, body)


class Mixed(_Http):
    """A marketplace's day on one buyer: credits; debits, refused when they exceed what is
    available; orders created, reserved (refused when short) and cancelled, which releases the
    reservation; withdrawals requested to another user's wallet (refused when short). Amounts
    are drawn so that the balance wanders near zero and refusals happen now and then."""

    WEIGHTS: Final = (("credit", 35), ("debit", 25), ("order", 30), ("withdrawal", 10))

    async def run(self, client: HttpClient, recorder: Recorder) -> None:
        kinds = [kind for kind, _ in self.WEIGHTS]
        weights = [weight for _, weight in self.WEIGHTS]
        while recorder.running:
            kind = client.rng.choices(kinds, weights)[0]
            await getattr(self, f"_{kind}")(client, recorder)

    async def _credit(self, client: HttpClient, recorder: Recorder) -> None:
        p = client.params
        body = {"amount": _amount(client.rng, 1, 20), "reason": "bench top-up"}
        await call(
            client,
            recorder,
            "credit",
            "POST",
            f"{p['base']}/users/{p['user_id']}/balance/credit",
            body,
        )

    async def _debit(self, client: HttpClient, recorder: Recorder) -> None:
        p = client.params
        body = {"amount": _amount(client.rng, 1, 25), "reason": "bench charge"}
        path = f"{p['base']}/users/{p['user_id']}/balance/debit"
        await call(client, recorder, "debit", "POST", path, body, refused=(422,))

    async def _order(self, client: HttpClient, recorder: Recorder) -> None:
        p = client.params
        terms = {
            "buyerId": p["user_id"],
            "sellerId": p["seller_id"],
            "amount": _amount(client.rng, 1, 20),
            "title": "bench order",
        }
        created = await call(
            client, recorder, "order_create", "POST", f"{p['base']}/orders", terms, ok=(201,)
        )
        found = _ORDER_ID.search(created.body) if created is not None else None
        if found is None:
            return
        order = f"{p['base']}/orders/{found.group(1).decode()}"
        await call(
            client, recorder, "order_reserve", "POST", f"{order}/reserve", {}, refused=(422,)
        )
        await call(client, recorder, "order_cancel", "POST", f"{order}/cancel", {"reason": "bench"})

    async def _withdrawal(self, client: HttpClient, recorder: Recorder) -> None:
        p = client.params
        body = {
            "userId": p["user_id"],
            "amount": _amount(client.rng, 5, 8),
            "destinationType": "crypto",
            "destinationRef": p["destination"],
        }
        await call(
            client,
            recorder,
            "withdrawal",
            "POST",
            f"{p['base']}/withdrawals",
            body,
            ok=(202,),
            refused=(422,),
        )


# -- SQL clients --------------------------------------------------------------------------------


@dataclass
class SqlClient:
    conn: Any
    params: dict[str, Any]


class _Sql:
    statement: str = ""

    async def open(self, shared: dict[str, Any], params: dict[str, Any]) -> SqlClient:
        import psycopg

        conn = await psycopg.AsyncConnection.connect(shared["database_url"], autocommit=True)
        return SqlClient(conn, {**shared, **params})

    async def close(self, client: SqlClient) -> None:
        await client.conn.close()

    def arguments(self, client: SqlClient) -> tuple[Any, ...]:
        raise NotImplementedError

    async def run(self, client: SqlClient, recorder: Recorder) -> None:
        import psycopg

        op = type(self).__name__.lower()
        while recorder.running:
            began = time.monotonic()
            try:
                await client.conn.execute(self.statement, self.arguments(client))
            except psycopg.errors.RaiseException as error:
                recorder.record(
                    op, f"refused {error.diag.message_primary}", began, time.monotonic()
                )
                continue
            except psycopg.Error as error:
                recorder.record(op, "error sql", began, time.monotonic(), repr(error))
                continue
            recorder.record(op, "ok", began, time.monotonic())


class Insert(_Sql):
    """One single-row INSERT, one COMMIT (autocommit): what a hand-written ledger pays at least
    per command."""

    statement = "INSERT INTO bench.raw_commit (body) VALUES (%s)"

    def arguments(self, client: SqlClient) -> tuple[Any, ...]:
        return (uuid.uuid4().hex,)


class Transfer(_Sql):
    """One call of the pgledger-style transfer function on the hot pair of accounts."""

    statement = "SELECT bench.transfer(%s, %s, %s)"

    def arguments(self, client: SqlClient) -> tuple[Any, ...]:
        return (client.params["from_account"], client.params["to_account"], 1)


SCENARIOS: Final[dict[str, Scenario]] = {
    "hello": Hello(),
    "credit": Credit(),
    "mixed": Mixed(),
    "insert": Insert(),
    "transfer": Transfer(),
}
