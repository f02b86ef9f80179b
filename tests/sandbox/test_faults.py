"""Every fault mode changes behaviour as documented and leaves the chain consistent.

Faults are injected through the in-process registry (as issues 4 and 5 will) and, in
test_control_api, through `POST /sandbox/faults`. After each test the USDC supply must still
equal minted minus burned.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from stellar_sdk import Keypair, Server, ServerAsync, TransactionEnvelope
from stellar_sdk.client.aiohttp_client import AiohttpClient
from stellar_sdk.client.requests_client import RequestsClient
from stellar_sdk.exceptions import (
    BadRequestError,
    BadResponseError,
    ConnectionError,
    NotFoundError,
    StreamClientError,
)

from sandbox.faults.fault_rules import (
    FRIENDBOT,
    HORIZON_PAYMENTS,
    HORIZON_SUBMIT,
    TW_SEND_TRANSACTION,
    FaultRegistry,
    FaultRule,
)
from sandbox.server import SandboxServer

from .escrow_parties import SINGLE, Parties, deploy
from .polling import wait_until
from .stellar_wallets import friendbot, new_keypair, new_wallet, signed, stroops, usdc_of
from .trustless_work_client import TrustlessWorkClient

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(sandbox: SandboxServer) -> Server:
    return Server(sandbox.horizon_url)


@pytest.fixture(autouse=True)
def conserved_and_cleared(sandbox: SandboxServer) -> Iterator[None]:
    sandbox.faults.clear()
    yield
    sandbox.faults.clear()
    minted, burned = sandbox.chain.usdc_issued()
    assert sandbox.chain.usdc_supply() == minted - burned, "USDC is conserved"


@pytest.fixture
def payment(sandbox: SandboxServer, server: Server) -> tuple[TransactionEnvelope, Keypair]:
    """A signed, not yet submitted, 1 USDC payment, and its receiver."""
    sender = new_wallet(sandbox, server, usdc="10")
    receiver = new_wallet(sandbox, server)
    envelope = signed(
        server,
        sandbox,
        sender,
        lambda b: b.append_payment_op(receiver.public_key, usdc_of(sandbox), "1"),
    )
    return envelope, receiver


def submit_async(
    sandbox: SandboxServer, envelope: TransactionEnvelope, post_timeout_s: float = 10.0
) -> dict[str, Any]:
    """Submits with the aiohttp client, which (unlike requests) never retries by itself."""

    async def main() -> dict[str, Any]:
        client = AiohttpClient(post_timeout=post_timeout_s)
        async with ServerAsync(sandbox.horizon_url, client=client) as async_server:
            return dict(await async_server.submit_transaction(envelope))

    return asyncio.run(main())


def is_applied(server: Server, tx_hash: str) -> bool:
    try:
        server.transactions().transaction(tx_hash).call()
    except NotFoundError:
        return False
    return True


def test_a_500_on_submit_changes_nothing_and_a_retry_applies(
    sandbox: SandboxServer, server: Server, payment: tuple[TransactionEnvelope, Keypair]
) -> None:
    envelope, receiver = payment
    sandbox.faults.inject(FaultRule(route=HORIZON_SUBMIT, mode="http_error", status=500))
    with pytest.raises(BadResponseError) as raised:
        submit_async(sandbox, envelope)
    assert raised.value.status == 500
    assert not is_applied(server, envelope.hash_hex())
    assert submit_async(sandbox, envelope)["successful"] is True
    assert sandbox.chain.usdc_balance(receiver.public_key) == stroops("1")


def test_the_sync_client_silently_retries_503_three_times(
    sandbox: SandboxServer, server: Server, payment: tuple[TransactionEnvelope, Keypair]
) -> None:
    envelope, receiver = payment
    sandbox.faults.inject(
        FaultRule(
            route=HORIZON_SUBMIT, mode="http_error", status=503, problem="stale_history", count=3
        )
    )
    fast_retries = Server(sandbox.horizon_url, client=RequestsClient(backoff_factor=0.01))
    assert fast_retries.submit_transaction(envelope)["successful"] is True
    assert len(sandbox.faults.fired(HORIZON_SUBMIT)) == 3
    sandbox.faults.inject(
        FaultRule(
            route=HORIZON_SUBMIT, mode="http_error", status=503, problem="stale_history", count=4
        )
    )
    with pytest.raises(BadResponseError) as raised:
        fast_retries.submit_transaction(envelope)
    assert raised.value.type == "https://stellar.org/horizon-errors/stale_history"
    assert sandbox.chain.usdc_balance(receiver.public_key) == stroops("1")


def test_rate_limiting_answers_429_with_retry_after(sandbox: SandboxServer) -> None:
    sandbox.faults.inject(FaultRule(route=FRIENDBOT, mode="rate_limit", retry_after_s=7))
    address = new_keypair().public_key
    limited = friendbot(sandbox, address)
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "7"
    assert limited.json()["type"] == "https://stellar.org/horizon-errors/rate_limit_exceeded"
    assert sandbox.chain.account(address) is None
    assert friendbot(sandbox, address).status_code == 200


def test_timeout_after_apply_answers_504_with_the_hash_and_a_resubmit_replays(
    sandbox: SandboxServer, server: Server, payment: tuple[TransactionEnvelope, Keypair]
) -> None:
    envelope, receiver = payment
    sandbox.faults.inject(FaultRule(route=HORIZON_SUBMIT, mode="timeout_after_apply"))
    with pytest.raises(BadResponseError) as raised:
        submit_async(sandbox, envelope)
    assert raised.value.status == 504
    assert raised.value.type == "https://stellar.org/horizon-errors/transaction_submission_timeout"
    assert raised.value.extras["hash"] == envelope.hash_hex()
    # The outcome was unknown to the client, but the payment landed; the resubmit replays it.
    assert is_applied(server, envelope.hash_hex())
    assert submit_async(sandbox, envelope)["hash"] == envelope.hash_hex()
    assert sandbox.chain.usdc_balance(receiver.public_key) == stroops("1")
    assert len([p for p in sandbox.chain.payments(receiver.public_key) if p.type == "payment"]) == 1


def test_timeout_before_apply_answers_504_and_a_resubmit_really_applies(
    sandbox: SandboxServer, server: Server, payment: tuple[TransactionEnvelope, Keypair]
) -> None:
    envelope, receiver = payment
    sandbox.faults.inject(FaultRule(route=HORIZON_SUBMIT, mode="timeout_before_apply"))
    with pytest.raises(BadResponseError) as raised:
        submit_async(sandbox, envelope)
    assert raised.value.status == 504
    assert not is_applied(server, envelope.hash_hex())
    assert submit_async(sandbox, envelope)["successful"] is True
    assert sandbox.chain.usdc_balance(receiver.public_key) == stroops("1")


def test_a_hanging_submit_times_the_client_out_without_applying(
    sandbox: SandboxServer, server: Server, payment: tuple[TransactionEnvelope, Keypair]
) -> None:
    envelope, receiver = payment
    sandbox.faults.inject(FaultRule(route=HORIZON_SUBMIT, mode="hang", hang_s=20))
    with pytest.raises((asyncio.TimeoutError, ConnectionError)):
        submit_async(sandbox, envelope, post_timeout_s=0.5)
    assert not is_applied(server, envelope.hash_hex())
    assert sandbox.chain.usdc_balance(receiver.public_key) == 0


def test_a_slow_submit_applies_after_its_delay(
    sandbox: SandboxServer, server: Server, payment: tuple[TransactionEnvelope, Keypair]
) -> None:
    envelope, receiver = payment
    sandbox.faults.inject(FaultRule(route=HORIZON_SUBMIT, mode="slow", delay_ms=300))
    started = time.monotonic()
    assert submit_async(sandbox, envelope)["successful"] is True
    assert time.monotonic() - started >= 0.3
    assert sandbox.chain.usdc_balance(receiver.public_key) == stroops("1")


def test_a_slow_fault_needs_its_delay() -> None:
    with pytest.raises(ValueError, match="delay_ms"):
        FaultRule(route=HORIZON_SUBMIT, mode="slow")


def test_a_dropped_connection_reaches_the_client_as_a_connection_error(
    sandbox: SandboxServer, server: Server, payment: tuple[TransactionEnvelope, Keypair]
) -> None:
    envelope, _ = payment
    sandbox.faults.inject(FaultRule(route=HORIZON_SUBMIT, mode="drop_connection", count=2))
    # A dropped connection is seen as the server closing mid-answer or, when the close reaches
    # the client's read first (a loaded machine), as a failed read: both are a lost answer.
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        httpx.post(sandbox.horizon_url + "/transactions", data={"tx": envelope.to_xdr()})
    no_retries = Server(sandbox.horizon_url, client=RequestsClient(num_retries=0))
    with pytest.raises(ConnectionError):
        no_retries.submit_transaction(envelope)
    assert not is_applied(server, envelope.hash_hex())


def test_a_forced_rejection_changes_nothing(
    sandbox: SandboxServer, server: Server, payment: tuple[TransactionEnvelope, Keypair]
) -> None:
    envelope, receiver = payment
    sender = envelope.transaction.source.account_id
    sequence = server.load_account(sender).sequence
    sandbox.faults.inject(
        FaultRule(route=HORIZON_SUBMIT, mode="force_tx_result", result_code="tx_bad_seq")
    )
    with pytest.raises(BadRequestError) as raised:
        server.submit_transaction(envelope)
    assert raised.value.extras["result_codes"] == {"transaction": "tx_bad_seq"}
    assert server.load_account(sender).sequence == sequence
    assert sandbox.chain.usdc_balance(receiver.public_key) == 0
    assert server.submit_transaction(envelope)["successful"] is True


def test_a_forced_operation_failure_charges_the_fee_and_consumes_the_sequence(
    sandbox: SandboxServer, server: Server, payment: tuple[TransactionEnvelope, Keypair]
) -> None:
    envelope, receiver = payment
    sender = envelope.transaction.source.account_id
    sequence, xlm = server.load_account(sender).sequence, sandbox.chain.xlm_balance(sender)
    sandbox.faults.inject(
        FaultRule(route=HORIZON_SUBMIT, mode="force_op_result", result_code="op_underfunded")
    )
    with pytest.raises(BadRequestError) as raised:
        server.submit_transaction(envelope)
    assert raised.value.extras["result_codes"]["operations"] == ["op_underfunded"]
    assert server.load_account(sender).sequence == sequence + 1
    assert sandbox.chain.xlm_balance(sender) == xlm - 100
    assert sandbox.chain.usdc_balance(receiver.public_key) == 0
    assert server.transactions().transaction(envelope.hash_hex()).call()["successful"] is False


def test_ingest_lag_hides_the_transaction_from_horizon_reads_for_a_while(
    sandbox: SandboxServer, server: Server, payment: tuple[TransactionEnvelope, Keypair]
) -> None:
    envelope, receiver = payment
    sandbox.faults.inject(FaultRule(route=HORIZON_SUBMIT, mode="ingest_lag", lag_ms=1500))
    assert server.submit_transaction(envelope)["successful"] is True
    assert not is_applied(server, envelope.hash_hex())
    assert sandbox.chain.transaction(envelope.hash_hex()) is not None
    wait_until(
        lambda: is_applied(server, envelope.hash_hex()),
        timeout_s=10,
        what="the lagging transaction to be ingested",
    )
    records = server.payments().for_account(receiver.public_key).call()["_embedded"]["records"]
    assert [r["transaction_hash"] for r in records][-1] == envelope.hash_hex()


def test_a_polite_stream_disconnect_is_resumed_by_the_sdk_without_duplicates(
    sandbox: SandboxServer, server: Server
) -> None:
    sender = new_wallet(sandbox, server, usdc="10")
    receiver = new_wallet(sandbox, server)
    for amount in ("1", "2", "3"):
        signed_payment = signed(
            server,
            sandbox,
            sender,
            lambda b, a=amount: b.append_payment_op(receiver.public_key, usdc_of(sandbox), a),
        )
        server.submit_transaction(signed_payment)
    sandbox.faults.inject(FaultRule(route=HORIZON_PAYMENTS, mode="sse_disconnect", after_events=2))
    received = []
    for record in server.payments().for_account(receiver.public_key).cursor("0").stream():
        received.append(record["paging_token"])
        if len(received) == 4:
            break
    assert len(set(received)) == 4
    assert len(sandbox.faults.fired(HORIZON_PAYMENTS, "sse_disconnect")) == 1


def test_an_abrupt_stream_disconnect_surfaces_the_cursor_to_the_async_client(
    sandbox: SandboxServer, server: Server
) -> None:
    receiver = new_wallet(sandbox, server)
    sandbox.faults.inject(
        FaultRule(route=HORIZON_PAYMENTS, mode="sse_disconnect", after_events=1, abrupt=True)
    )

    async def listen() -> tuple[list[str], str | None]:
        tokens: list[str] = []
        async with ServerAsync(sandbox.horizon_url, client=AiohttpClient()) as async_server:
            try:
                stream = async_server.payments().for_account(receiver.public_key).cursor("0")
                async for record in stream.stream():
                    tokens.append(record["paging_token"])
            except StreamClientError as error:
                return tokens, error.current_cursor
        return tokens, None

    tokens, cursor = asyncio.run(asyncio.wait_for(listen(), timeout=10))
    assert len(tokens) == 1
    assert cursor == tokens[0]


def test_faults_fire_reproducibly_from_the_seed() -> None:
    def pattern(seed: int) -> list[bool]:
        registry = FaultRegistry(seed)
        registry.inject(
            FaultRule(route="horizon *", mode="http_error", count=None, probability=0.5)
        )
        return [
            registry.match("horizon GET /", frozenset({"http_error"})) is not None
            for _ in range(32)
        ]

    assert pattern(7) == pattern(7)
    assert pattern(7) != pattern(8)
    assert 0 < sum(pattern(7)) < 32


def test_skip_lets_the_first_matching_requests_through(sandbox: SandboxServer) -> None:
    sandbox.faults.inject(FaultRule(route=FRIENDBOT, mode="http_error", status=502, skip=1))
    assert friendbot(sandbox, new_keypair().public_key).status_code == 200
    assert friendbot(sandbox, new_keypair().public_key).status_code == 502
    assert friendbot(sandbox, new_keypair().public_key).status_code == 200


class TestTrustlessWorkFaults:
    @pytest.fixture
    def funded_escrow_call(
        self, sandbox: SandboxServer, server: Server
    ) -> tuple[TrustlessWorkClient, Parties, str, str]:
        """A deployed escrow and a signed (unsent) 100 USDC funding of it."""
        tw = TrustlessWorkClient(sandbox)
        parties = Parties.create(sandbox, server)
        contract_id = deploy(tw, parties, parties.single_release(amount=100), "single-release")
        built = tw.build(
            f"{SINGLE}/fund-escrow",
            {"contractId": contract_id, "signer": parties.buyer.public_key, "amount": 100},
        )
        return tw, parties, contract_id, tw.sign(built.json()["unsignedTransaction"], parties.buyer)

    def test_apply_then_error_leaves_the_outcome_unknown_and_a_resend_is_idempotent(
        self, sandbox: SandboxServer, funded_escrow_call: tuple[Any, ...]
    ) -> None:
        tw, _, contract_id, signed_xdr = funded_escrow_call
        sandbox.faults.inject(FaultRule(route=TW_SEND_TRANSACTION, mode="timeout_after_apply"))
        unknown = tw.send(signed_xdr)
        assert unknown.status_code == 500
        assert "may not be complete yet" in unknown.json()["message"]
        assert sandbox.chain.escrow_balance(contract_id) == stroops("100")
        resent = tw.send(signed_xdr)
        assert resent.status_code == 201
        assert sandbox.chain.escrow_balance(contract_id) == stroops("100")

    def test_a_504_before_apply_means_a_resend_really_funds(
        self, sandbox: SandboxServer, funded_escrow_call: tuple[Any, ...]
    ) -> None:
        tw, _, contract_id, signed_xdr = funded_escrow_call
        sandbox.faults.inject(FaultRule(route=TW_SEND_TRANSACTION, mode="timeout_before_apply"))
        assert tw.send(signed_xdr).status_code == 504
        assert sandbox.chain.escrow_balance(contract_id) == 0
        assert tw.send(signed_xdr).status_code == 201
        assert sandbox.chain.escrow_balance(contract_id) == stroops("100")

    def test_a_forced_contract_error_fails_on_chain_and_charges_the_fee(
        self, sandbox: SandboxServer, funded_escrow_call: tuple[Any, ...]
    ) -> None:
        tw, parties, contract_id, signed_xdr = funded_escrow_call
        xlm = sandbox.chain.xlm_balance(parties.buyer.public_key)
        sandbox.faults.inject(
            FaultRule(route=TW_SEND_TRANSACTION, mode="contract_error", contract_error="13")
        )
        refused = tw.send(signed_xdr)
        assert refused.json()["message"] == "Escrow already in dispute"
        assert sandbox.chain.escrow_balance(contract_id) == 0
        assert sandbox.chain.xlm_balance(parties.buyer.public_key) < xlm

    def test_a_forced_contract_error_on_build_returns_no_transaction(
        self, sandbox: SandboxServer, funded_escrow_call: tuple[Any, ...]
    ) -> None:
        tw, parties, contract_id, _ = funded_escrow_call
        sandbox.faults.inject(
            FaultRule(
                route="trustless-work POST /escrow/*/fund-escrow",
                mode="contract_error",
                contract_error="EscrowNotFound",
            )
        )
        refused = tw.build(
            f"{SINGLE}/fund-escrow",
            {"contractId": contract_id, "signer": parties.buyer.public_key, "amount": 1},
        )
        assert refused.status_code == 500
        assert refused.json() == {
            "statusCode": 500,
            "message": "Escrow not found",
            "error": "Internal Server Error",
        }

    def test_indexer_lag_serves_stale_reads_until_the_copy_lands(
        self, sandbox: SandboxServer, funded_escrow_call: tuple[Any, ...]
    ) -> None:
        tw, _, contract_id, signed_xdr = funded_escrow_call
        sandbox.faults.inject(FaultRule(route=TW_SEND_TRANSACTION, mode="indexer_lag", lag_ms=1500))
        assert tw.send(signed_xdr).status_code == 201

        def indexed_balance() -> Any:
            items = tw.get("/helper/get-escrow-by-contract-ids", contractIds=contract_id).json()
            return items[0]["balance"]

        assert indexed_balance() == 0
        on_chain = tw.get(
            "/helper/get-escrow-by-contract-ids", contractIds=contract_id, validateOnChain="true"
        ).json()
        assert on_chain[0]["balance"] == 100
        wait_until(lambda: indexed_balance() == 100, timeout_s=10, what="the indexer to catch up")

    def test_a_rate_limit_fault_answers_like_nest_throttler(
        self, sandbox: SandboxServer, funded_escrow_call: tuple[Any, ...]
    ) -> None:
        tw, _, contract_id, _ = funded_escrow_call
        sandbox.faults.inject(
            FaultRule(route="trustless-work GET *", mode="rate_limit", retry_after_s=3)
        )
        limited = tw.get(f"{SINGLE}/get-escrow", contractId=contract_id)
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "3"
        assert limited.json()["message"] == "ThrottlerException: Too Many Requests"
