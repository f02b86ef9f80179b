"""A client generated from the live document by a standard generator (openapi-python-client), in
strict mode, drives the service: create a user, credit it with an Idempotency-Key (and retry),
read the balance with read-your-writes, list orders; every answer parses into its model and an
error parses into its typed error. Generated into a temporary directory, never committed."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.support.stack import MASTER_KEY, Stack

pytestmark = pytest.mark.e2e

PACKAGE = "ledgerline_generated"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture(scope="module")
def generated(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    workdir = tmp_path_factory.mktemp("generated-client")
    document = httpx.get(f"{stack.base_url}/docs/openapi.json", timeout=30).json()
    (workdir / "openapi.json").write_text(json.dumps(document))
    (workdir / "config.yaml").write_text(
        f"package_name_override: {PACKAGE}\nproject_name_override: ledgerline-generated\n"
        "post_hooks: []\n"
    )
    run = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(workdir / "openapi.json"),
            "--output-path",
            str(workdir / PACKAGE),
            "--config",
            str(workdir / "config.yaml"),
            "--meta",
            "none",
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    sys.path.insert(0, str(workdir))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(workdir))
        for name in [n for n in sys.modules if n.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def api(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.api.{name}")


def model(name: str) -> Any:
    return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


def test_a_generated_client_creates_credits_reads_and_lists(
    generated: ModuleType, stack: Stack
) -> None:
    client = generated.AuthenticatedClient(
        base_url=stack.base_url.removesuffix("/api/v1"),
        token=MASTER_KEY,
        raise_on_unexpected_status=True,
    )
    with client as client:
        created = api("users.create_user").sync_detailed(
            client=client,
            body=model("CreateUserRequest")(external_user_id=f"gen-{uuid.uuid4().hex}"),
        )
        assert created.status_code == 201
        user = created.parsed.data
        assert isinstance(user, model("UserBody")) and user.id.startswith("usr_")

        credit = model("AdjustBalanceRequest")(amount="25.50", reason="generated client")
        key = f"gen-credit-{uuid.uuid4().hex}"
        first = api("users.credit_balance").sync_detailed(
            user.id, client=client, body=credit, idempotency_key=key
        )
        assert first.status_code == 200
        assert isinstance(first.parsed, model("BalanceOperationEnvelope"))
        position = first.parsed.meta.position
        again = api("users.credit_balance").sync_detailed(
            user.id, client=client, body=credit, idempotency_key=key
        )
        assert again.status_code == 200 and again.headers["Idempotency-Replay"] == "true"
        assert again.parsed.to_dict() == first.parsed.to_dict()

        balance = api("users.get_balance").sync(
            user.id, client=client, x_min_position=str(position)
        )
        assert isinstance(balance, model("UserBalanceEnvelope"))
        assert balance.data.available == "25.50"

        orders = api("orders.list_orders").sync(client=client, buyer_id=user.id, limit=5)
        assert isinstance(orders, model("OrderListEnvelope"))
        assert orders.data == [] and orders.meta.pagination.has_more is False


def test_a_generated_client_gets_typed_errors(generated: ModuleType, stack: Stack) -> None:
    client = generated.AuthenticatedClient(
        base_url=stack.base_url.removesuffix("/api/v1"),
        token=MASTER_KEY,
        raise_on_unexpected_status=True,
    )
    with client as client:
        missing = api("users.get_user").sync("usr_" + "0" * 22, client=client, x_min_position="0")
        assert isinstance(missing, model("Error404"))
        assert missing.error.code.value == "USER_NOT_FOUND"
        refused = api("users.debit_balance").sync(
            "usr_" + "0" * 22,
            client=client,
            body=model("AdjustBalanceRequest")(amount="ten", reason="bad"),
        )
        assert isinstance(refused, model("Error400"))
        assert refused.error.code.value == "INVALID_AMOUNT"
