"""Property-based fuzzing of the live OpenAPI document (schemathesis): for every operation, valid
and invalid requests with an admin key and with a read key, and every answer must be documented
— its status, content type, headers and body schema — and never a 5xx.

Bounded for the suite: a few examples per operation, derandomized (the same requests every
run), on a stack of its own so what it creates stays out of other tests' way. The event stream
is left out (it never ends; tests/e2e/test_event_stream.py and the SDK's tests read it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sandbox.server import SandboxServer
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.e2e

EXAMPLES_PER_OPERATION = 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
NEVER_ENDS = ("streamEvents",)


@pytest.fixture(scope="module")
def fuzzed_stack(
    database_factory: object, redis_url: str, sandbox: SandboxServer
) -> Iterator[Stack]:
    with running_stack(database_factory(), redis_url, sandbox) as running:  # type: ignore[operator]
        yield running


@pytest.fixture(scope="module")
def keys(fuzzed_stack: Stack) -> dict[str, str]:
    return {"admin": fuzzed_stack.key("admin"), "read": fuzzed_stack.key("read")}


@pytest.fixture(scope="module")
def contract_schema(fuzzed_stack: Stack) -> Any:
    document = httpx.get(f"{fuzzed_stack.base_url}/docs/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(document)
    schema.config.update(base_url=fuzzed_stack.base_url.removesuffix("/api/v1"))
    return schema


@pytest.fixture(scope="module")
def known_ids(fuzzed_stack: Stack) -> dict[str, str]:
    """Resources that exist, so generated requests also reach the answers that carry data."""
    client = fuzzed_stack.client()
    buyer, seller = (
        client.post("/users", json={"externalUserId": name}).json()["data"]["id"]
        for name in ("fuzz-buyer", "fuzz-seller")
    )
    client.post(f"/users/{buyer}/balance/credit", json={"amount": "50", "reason": "fuzz"})
    order = client.post(
        "/orders", json={"buyerId": buyer, "sellerId": seller, "amount": "5", "title": "fuzz"}
    ).json()["data"]["id"]
    fuzzed_stack.caught_up()
    return {"user_id": buyer, "order_id": order}


def fuzz(schema: Any, key: str, known: dict[str, str]) -> tuple[int, list[str]]:
    """Runs every operation's examples with `key`: (requests sent, failures)."""
    sent, failures = 0, []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.definition.raw.get("operationId") in NEVER_ENDS:
            continue
        names = {p.name for p in operation.path_parameters}
        runs = [(GenerationMode.POSITIVE, None), (GenerationMode.NEGATIVE, None)]
        if names and names <= set(known):
            runs.append((GenerationMode.POSITIVE, {n: known[n] for n in names}))
        for mode, path_parameters in runs:

            @BOUNDED
            @given(
                case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)
            )
            def run(case: Any) -> None:
                nonlocal sent
                sent += 1
                case.call_and_validate(
                    headers={"Authorization": f"Bearer {key}"}, checks=CHECKS, timeout=60
                )

            try:
                run()
            except Unsatisfiable:
                continue  # nothing to negate (no parameters, no body)
            except (Exception, BaseExceptionGroup) as error:  # one must not hide the others
                failures.append(
                    f"{operation.method.upper()} {operation.path} ({mode.value}): {error}"
                )
    return sent, failures


BOUNDED = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
)


@pytest.mark.parametrize("role", ["admin", "read"])
def test_every_answer_is_documented_and_none_is_a_server_error(
    role: str, contract_schema: Any, keys: dict[str, str], known_ids: dict[str, str]
) -> None:
    sent, failures = fuzz(contract_schema, keys[role], known_ids)
    print(f"schemathesis ({role} key): {sent} requests, {len(failures)} failing operations")
    assert sent >= 200
    assert not failures, "\n\n".join(failures)
