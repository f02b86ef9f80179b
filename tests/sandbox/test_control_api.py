"""The control API (`/sandbox/…`), seeded keys, the state file and the `sandbox` CLI command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from stellar_sdk import Server

from sandbox.server import SandboxServer

from .conftest import start_sandbox
from .escrow_parties import SINGLE, Parties, deploy, fund
from .seeds import sandbox_seed
from .stellar_wallets import HTTP, friendbot, new_keypair, new_wallet, stroops
from .trustless_work_client import TrustlessWorkClient

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
# Generous: on a loaded 2-core machine importing stellar-sdk alone has taken over 30 s.
CLI_START_TIMEOUT_S = 90.0
CLI_STOP_TIMEOUT_S = 20.0


@pytest.fixture(scope="module")
def server(sandbox: SandboxServer) -> Server:
    return Server(sandbox.horizon_url)


def control(sandbox: SandboxServer, method: str, path: str, **kwargs: object) -> httpx.Response:
    return HTTP.request(method, sandbox.control_url + path, **kwargs)  # type: ignore[arg-type]


def test_mint_pays_usdc_from_the_issuer(sandbox: SandboxServer, server: Server) -> None:
    wallet = new_wallet(sandbox, server)
    minted = control(
        sandbox, "POST", "/mint", json={"address": wallet.public_key, "amount": "42.0000001"}
    )
    assert minted.status_code == 200
    assert minted.json()["balance"] == "42.0000001"
    payment = server.transactions().transaction(minted.json()["hash"]).call()
    assert payment["source_account"] == sandbox.chain.usdc.issuer


def test_mint_without_a_trustline_fails_with_op_no_trust(sandbox: SandboxServer) -> None:
    wallet = new_keypair()
    friendbot(sandbox, wallet.public_key)
    refused = control(sandbox, "POST", "/mint", json={"address": wallet.public_key, "amount": "1"})
    assert refused.status_code == 400
    assert refused.json()["error"] == "op_no_trust"
    missing = control(
        sandbox, "POST", "/mint", json={"address": new_keypair().public_key, "amount": "1"}
    )
    assert missing.json()["error"] == "op_no_destination"
    assert (
        control(
            sandbox, "POST", "/mint", json={"address": wallet.public_key, "amount": "1.00000001"}
        ).status_code
        == 400
    )


def test_faults_are_managed_over_http(sandbox: SandboxServer) -> None:
    rule = {"route": "horizon * /friendbot", "mode": "http_error", "status": 503, "count": 1}
    created = control(sandbox, "POST", "/faults", json=rule)
    assert created.status_code == 201
    (fault_id,) = created.json()["ids"]
    listed = control(sandbox, "GET", "/faults").json()
    assert [f["id"] for f in listed["active"]] == [fault_id]
    assert friendbot(sandbox, new_keypair().public_key).status_code == 503
    assert control(sandbox, "GET", "/faults").json()["active"] == []
    assert control(sandbox, "GET", "/faults").json()["fired"][0]["mode"] == "http_error"
    invalid = control(sandbox, "POST", "/faults", json={"route": "*", "mode": "explode"})
    assert invalid.status_code == 400
    batch = control(sandbox, "POST", "/faults", json={"seed": 11, "rules": [rule, rule]})
    assert len(batch.json()["ids"]) == 2
    assert batch.json()["seed"] == 11
    assert control(sandbox, "DELETE", "/faults").json()["cleared"] is True
    assert control(sandbox, "GET", "/faults").json()["active"] == []


def test_state_reports_supply_accounts_and_escrows(sandbox: SandboxServer, server: Server) -> None:
    tw = TrustlessWorkClient(sandbox)
    parties = Parties.create(sandbox, server, buyer_usdc="30")
    contract_id = deploy(tw, parties, parties.single_release(amount=30), "single-release")
    fund(tw, parties, contract_id, 12.5)
    state = control(sandbox, "GET", "/state").json()
    assert state["usdc"]["conserved"] is True
    assert state["usdc"]["issuer"] == sandbox.chain.usdc.issuer
    assert stroops(state["usdc"]["supply"]) == sandbox.chain.usdc_supply()
    accounts = {a["id"]: a for a in state["accounts"]}
    assert accounts[parties.buyer.public_key]["usdc"] == "17.5000000"
    assert accounts[sandbox.chain.usdc.issuer]["role"] == "usdc_issuer"
    escrow = next(e for e in state["escrows"] if e["contractId"] == contract_id)
    assert escrow["balance"] == "12.5000000"
    assert escrow["type"] == "single-release"


def test_the_clock_moves_forward_only(sandbox: SandboxServer) -> None:
    before = sandbox.chain.clock.offset_s
    moved = control(sandbox, "POST", "/clock", json={"advance_s": 30})
    assert moved.json()["offset_s"] == before + 30
    assert control(sandbox, "POST", "/clock", json={"advance_s": -1}).status_code == 400


def test_reset_returns_the_chain_to_genesis(fresh_sandbox: SandboxServer) -> None:
    horizon = Server(fresh_sandbox.horizon_url)
    wallet = new_wallet(fresh_sandbox, horizon, usdc="5")
    issuer = fresh_sandbox.chain.usdc.issuer
    assert control(fresh_sandbox, "POST", "/reset").status_code == 200
    assert fresh_sandbox.chain.account(wallet.public_key) is None
    assert fresh_sandbox.chain.usdc_supply() == 0
    assert fresh_sandbox.chain.usdc.issuer == issuer
    assert friendbot(fresh_sandbox, wallet.public_key).status_code == 200


def test_the_seed_decides_every_sandbox_address() -> None:
    first, second = SandboxServer(seed=5), SandboxServer(seed=5)
    other = SandboxServer(seed=6)
    assert first.chain.usdc.issuer == second.chain.usdc.issuer != other.chain.usdc.issuer
    assert first.chain.keys.escrow_factory_id == second.chain.keys.escrow_factory_id
    issuer = new_keypair()
    chosen = SandboxServer(seed=5, usdc_issuer_secret=issuer.secret)
    assert chosen.chain.usdc.issuer == issuer.public_key


def test_the_state_file_keeps_wallets_escrows_and_answers_across_restarts(tmp_path: Path) -> None:
    state_file = tmp_path / "sandbox-state.json"
    first = start_sandbox(state_file=state_file)
    horizon = Server(first.horizon_url)
    tw = TrustlessWorkClient(first)
    parties = Parties.create(first, horizon, buyer_usdc="9")
    contract_id = deploy(tw, parties, parties.single_release(amount=9), "single-release")
    built = tw.build(
        f"{SINGLE}/fund-escrow",
        {"contractId": contract_id, "signer": parties.buyer.public_key, "amount": 9},
    )
    signed = tw.sign(built.json()["unsignedTransaction"], parties.buyer)
    answer = tw.send(signed).json()
    first.stop()
    assert state_file.exists()

    second = start_sandbox(state_file=state_file)
    try:
        assert second.restored is True
        assert second.chain.escrow_balance(contract_id) == stroops("9")
        assert second.chain.usdc_balance(parties.buyer.public_key) == 0
        again = TrustlessWorkClient(second)
        assert again.send(signed).json() == answer
        assert Server(second.horizon_url).load_account(parties.buyer.public_key).sequence > 0
        assert second.chain.usdc_supply() == stroops("9")
    finally:
        second.stop()
    with pytest.raises(ValueError, match="another network passphrase or USDC issuer"):
        SandboxServer(seed=sandbox_seed() + 1, state_file=state_file)


def test_the_cli_serves_until_sigterm(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-c",
        "from interfaces.cli.sandbox import sandbox; sandbox()",
        "--port",
        "0",
        "--seed",
        "3",
        "--state-file",
        str(tmp_path / "cli.json"),
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + CLI_START_TIMEOUT_S
        banner = ""
        while "Press Ctrl+C" not in banner and time.monotonic() < deadline:
            banner += process.stdout.readline()
        horizon_url = next(
            line.split()[-1] for line in banner.splitlines() if line.strip().startswith("Horizon")
        )
        root = httpx.get(horizon_url + "/", timeout=5).json()
        assert root["network_passphrase"] == "Standalone Network ; February 2017"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=CLI_STOP_TIMEOUT_S) == 0
        assert "Sandbox stopped" in process.stdout.read()
        assert (tmp_path / "cli.json").exists()
    finally:
        if process.poll() is None:
            process.kill()


def test_the_root_lists_the_mounts_and_unknown_paths_are_not_found(
    sandbox: SandboxServer,
) -> None:
    assert httpx.get(sandbox.url + "/").json() == {
        "horizon": "/horizon",
        "trustless_work": "/trustless-work",
        "control": "/sandbox",
    }
    assert httpx.get(sandbox.url + "/nowhere").status_code == 404
    missing = httpx.get(sandbox.horizon_url + "/nowhere")
    assert missing.status_code == 404
    assert missing.json()["type"] == "https://stellar.org/horizon-errors/not_found"
