"""A user proves offline that their balance is counted: the proof the API gives verifies with
the standard-library script and with the SDK, against the root it names and the root sum the
books owe every user; a forged balance in it does not verify."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from ledgerline_sdk import Ledgerline

from domain.balance_tree import leaf_hash
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e

VERIFY = Path(__file__).resolve().parents[2] / "ops" / "audit" / "verify_balance_proof.py"


def credited(stack: Stack, amount: str) -> tuple[str, int]:
    """A new user credited `amount`; the user and the credit's position."""
    admin = stack.client()
    user = admin.post("/users", json={"externalUserId": f"proof-{uuid.uuid4().hex}"})
    user_id = user.json()["data"]["id"]
    credit = admin.post(f"/users/{user_id}/balance/credit", json={"amount": amount, "reason": "x"})
    assert credit.status_code == 200, credit.text
    return user_id, credit.json()["meta"]["position"]


def proof_of(stack: Stack, user_id: str, anchor: int | str) -> httpx.Response:
    return stack.client(stack.key("read")).get(
        f"/users/{user_id}/balance/proof",
        params={"anchor": anchor},
        headers={"X-Min-Position": str(anchor)},
    )


def script(tmp_path: Path, proof: dict[str, Any], *root: str) -> subprocess.CompletedProcess[str]:
    saved = tmp_path / f"proof-{uuid.uuid4().hex}.json"
    saved.write_text(json.dumps(proof))
    return subprocess.run(
        [sys.executable, str(VERIFY), str(saved), *root], capture_output=True, text=True
    )


def test_a_proof_verifies_with_the_script_and_the_sdk_and_its_root_sums_every_user(
    stack: Stack, tmp_path: Path
) -> None:
    credited(stack, "3.00")
    user_id, anchor = credited(stack, "25.50")
    answer = proof_of(stack, user_id, anchor)
    assert answer.status_code == 200, answer.text
    proof = answer.json()["data"]
    assert (proof["userId"], proof["position"], proof["balance"]) == (user_id, anchor, "25.50")
    assert len(bytes.fromhex(proof["salt"])) == 32
    assert proof["path"], "a tree of two users or more has a path"
    root = proof["root"]

    checked = script(tmp_path, answer.json(), root["hash"], root["sum"])
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.startswith("proof holds")
    with Ledgerline(stack.key("read"), stack.base_url) as client:
        fetched = client.balances.proof(user_id, anchor)
        assert fetched.verifies(root_hash=root["hash"], root_sum=root["sum"])
        assert not fetched.verifies(root_hash="00" * 32)

    accounts = stack.client(stack.key("audit")).get("/accounts", params={"asOf": anchor})
    owed = sum(
        Decimal(a["balance"])
        for a in accounts.json()["data"]
        if a["account"].startswith("user:") and a["account"].endswith((":available", ":reserved"))
    )
    assert Decimal(root["sum"]) == owed


def test_a_forged_balance_does_not_verify_even_with_its_leaf_hash_recomputed(
    stack: Stack, tmp_path: Path
) -> None:
    credited(stack, "1.00")
    user_id, anchor = credited(stack, "10.00")
    proof = proof_of(stack, user_id, anchor).json()["data"]
    forged = {**proof, "balance": "1000.00"}
    rehashed = {
        **forged,
        "leafHash": leaf_hash(user_id, 1000 * 10**7, bytes.fromhex(proof["salt"])).hex(),
    }
    for tampered in (forged, rehashed):
        checked = script(tmp_path, tampered)
        assert checked.returncode == 1
        assert checked.stdout.startswith("proof fails")
    assert "leaf does not hash" in script(tmp_path, forged).stdout
    assert "does not lead to the proof's root" in script(tmp_path, rehashed).stdout
    with Ledgerline(stack.key("read"), stack.base_url) as client:
        fetched = client.balances.proof(user_id, anchor)
    assert fetched.verifies()
    for change in ({"balance": "1000.00"}, {"leaf_hash": rehashed["leafHash"]}):
        assert not msgspec.structs.replace(fetched, **change).verifies()


def test_a_user_not_in_the_tree_is_404_and_a_position_past_the_books_is_400(
    stack: Stack,
) -> None:
    user_id, anchor = credited(stack, "2.00")
    stranger = stack.client().post("/users", json={"externalUserId": f"p-{uuid.uuid4().hex}"})
    absent = proof_of(stack, stranger.json()["data"]["id"], anchor)
    assert absent.status_code == 404, absent.text
    assert absent.json()["error"]["code"] == "USER_NOT_IN_BALANCE_TREE"
    before = proof_of(stack, user_id, anchor - 1)
    assert before.status_code == 404
    ahead = proof_of(stack, user_id, anchor + 10**9)
    assert ahead.status_code == 400, ahead.text
    assert ahead.json()["error"]["code"] == "VALIDATION_ERROR"
    assert proof_of(stack, user_id, "tomorrow").status_code == 400
