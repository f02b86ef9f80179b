"""Submitting transactions with stellar-sdk's synchronous `Server`: validation, apply, replay.

Each test narrates one rule of `stellar-tw.md` §B.2/§D and checks it through the public surface
(SDK exceptions and Horizon resources) and, for money, through the chain to the stroop.
"""

from __future__ import annotations

import hashlib

import httpx
import pytest
from stellar_sdk import Asset, Network, Server, TransactionBuilder, xdr
from stellar_sdk.exceptions import BadRequestError, NotFoundError

from sandbox.server import SandboxServer

from .stellar_wallets import friendbot, new_keypair, new_wallet, signed, stroops, submit, usdc_of

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(sandbox: SandboxServer) -> Server:
    return Server(sandbox.horizon_url)


def result_codes(error: BadRequestError) -> dict[str, object]:
    return dict(error.extras["result_codes"])


def test_change_trust_adds_a_usdc_trustline_and_a_subentry(
    sandbox: SandboxServer, server: Server
) -> None:
    wallet = new_keypair()
    friendbot(sandbox, wallet.public_key)
    response = submit(server, sandbox, wallet, lambda b: b.append_change_trust_op(usdc_of(sandbox)))
    assert response["successful"] is True
    account = sandbox.chain.account(wallet.public_key)
    assert account is not None
    assert account.subentry_count == 1
    assert account.min_balance_stroops() == stroops("1.5")
    assert account.balance_stroops == stroops("10000") - 100


def test_a_usdc_payment_moves_exact_stroops_and_charges_the_fee_in_xlm(
    sandbox: SandboxServer, server: Server
) -> None:
    sender = new_wallet(sandbox, server, usdc="100")
    receiver = new_wallet(sandbox, server)
    xlm_before = sandbox.chain.xlm_balance(sender.public_key)
    response = submit(
        server,
        sandbox,
        sender,
        lambda b: b.append_payment_op(receiver.public_key, usdc_of(sandbox), "33.3333333"),
    )
    assert response["fee_charged"] == "100"
    assert sandbox.chain.usdc_balance(sender.public_key) == stroops("66.6666667")
    assert sandbox.chain.usdc_balance(receiver.public_key) == stroops("33.3333333")
    assert sandbox.chain.xlm_balance(sender.public_key) == xlm_before - 100


def test_paying_a_wallet_without_a_trustline_fails_with_op_no_trust_but_charges_the_fee(
    sandbox: SandboxServer, server: Server
) -> None:
    sender = new_wallet(sandbox, server, usdc="10")
    untrusting = new_keypair()
    friendbot(sandbox, untrusting.public_key)
    sequence_before = server.load_account(sender.public_key).sequence
    xlm_before = sandbox.chain.xlm_balance(sender.public_key)
    envelope = signed(
        server,
        sandbox,
        sender,
        lambda b: b.append_payment_op(untrusting.public_key, usdc_of(sandbox), "1"),
    )
    with pytest.raises(BadRequestError) as raised:
        server.submit_transaction(envelope)
    assert result_codes(raised.value) == {"transaction": "tx_failed", "operations": ["op_no_trust"]}
    result = xdr.TransactionResult.from_xdr(raised.value.result_xdr)
    assert result.fee_charged.int64 == 100
    # Failed at apply time: in a ledger, fee charged, sequence consumed, balances untouched.
    stored = server.transactions().transaction(envelope.hash_hex()).call()
    assert stored["successful"] is False
    assert server.load_account(sender.public_key).sequence == sequence_before + 1
    assert sandbox.chain.xlm_balance(sender.public_key) == xlm_before - 100
    assert sandbox.chain.usdc_balance(sender.public_key) == stroops("10")


def test_paying_more_usdc_than_held_fails_with_op_underfunded(
    sandbox: SandboxServer, server: Server
) -> None:
    sender = new_wallet(sandbox, server, usdc="5")
    receiver = new_wallet(sandbox, server)
    with pytest.raises(BadRequestError) as raised:
        submit(
            server,
            sandbox,
            sender,
            lambda b: b.append_payment_op(receiver.public_key, usdc_of(sandbox), "5.0000001"),
        )
    assert result_codes(raised.value)["operations"] == ["op_underfunded"]
    assert sandbox.chain.usdc_balance(receiver.public_key) == 0


def test_spending_lumens_below_the_reserve_fails_with_op_underfunded(
    sandbox: SandboxServer, server: Server
) -> None:
    sender = new_wallet(sandbox, server)
    receiver = new_keypair()
    friendbot(sandbox, receiver.public_key)
    # 10,000 XLM less fees, minus a 1.5 XLM reserve: 9998.5 would leave less than the minimum.
    with pytest.raises(BadRequestError) as raised:
        submit(
            server,
            sandbox,
            sender,
            lambda b: b.append_payment_op(receiver.public_key, Asset.native(), "9998.5"),
        )
    assert result_codes(raised.value)["operations"] == ["op_underfunded"]


def test_a_stale_sequence_is_rejected_with_tx_bad_seq_and_nothing_is_stored(
    sandbox: SandboxServer, server: Server
) -> None:
    sender = new_wallet(sandbox, server, usdc="3")
    receiver = new_wallet(sandbox, server)
    sequence_before = server.load_account(sender.public_key).sequence
    first = _usdc_payment(sandbox, server.load_account(sender.public_key), receiver, "1", sender)
    # Same sequence number, different content: valid when built, stale once `first` applies.
    stale = _usdc_payment(sandbox, server.load_account(sender.public_key), receiver, "2", sender)
    server.submit_transaction(first)
    xlm_before = sandbox.chain.xlm_balance(sender.public_key)
    with pytest.raises(BadRequestError) as raised:
        server.submit_transaction(stale)
    assert result_codes(raised.value) == {"transaction": "tx_bad_seq"}
    with pytest.raises(NotFoundError):
        server.transactions().transaction(stale.hash_hex()).call()
    assert sandbox.chain.xlm_balance(sender.public_key) == xlm_before
    assert server.load_account(sender.public_key).sequence == sequence_before + 1


def test_a_signature_from_the_wrong_key_is_rejected_with_tx_bad_auth(
    sandbox: SandboxServer, server: Server
) -> None:
    sender = new_wallet(sandbox, server, usdc="3")
    receiver = new_wallet(sandbox, server)
    impostor = new_keypair()
    envelope = (
        TransactionBuilder(server.load_account(sender.public_key), sandbox.network_passphrase, 100)
        .append_payment_op(receiver.public_key, usdc_of(sandbox), "1")
        .set_timeout(60)
        .build()
    )
    envelope.sign(impostor)
    with pytest.raises(BadRequestError) as raised:
        server.submit_transaction(envelope)
    assert result_codes(raised.value) == {"transaction": "tx_bad_auth"}
    assert sandbox.chain.usdc_balance(receiver.public_key) == 0


def test_a_signature_made_for_another_network_is_rejected_with_tx_bad_auth(
    sandbox: SandboxServer, server: Server
) -> None:
    sender = new_wallet(sandbox, server, usdc="3")
    receiver = new_wallet(sandbox, server)
    testnet = (
        TransactionBuilder(
            server.load_account(sender.public_key), "Test SDF Network ; September 2015", 100
        )
        .append_payment_op(receiver.public_key, usdc_of(sandbox), "1")
        .set_timeout(60)
        .build()
    )
    testnet.sign(sender)
    with pytest.raises(BadRequestError) as raised:
        server.submit_transaction(testnet.to_xdr())
    assert result_codes(raised.value) == {"transaction": "tx_bad_auth"}


def test_an_extra_signature_is_rejected_with_tx_bad_auth_extra(
    sandbox: SandboxServer, server: Server
) -> None:
    sender = new_wallet(sandbox, server, usdc="3")
    receiver = new_wallet(sandbox, server)
    envelope = signed(
        server,
        sandbox,
        sender,
        lambda b: b.append_payment_op(receiver.public_key, usdc_of(sandbox), "1"),
    )
    envelope.sign(new_keypair())
    with pytest.raises(BadRequestError) as raised:
        server.submit_transaction(envelope)
    assert result_codes(raised.value) == {"transaction": "tx_bad_auth_extra"}


def test_a_fee_below_100_stroops_per_operation_is_rejected(
    sandbox: SandboxServer, server: Server
) -> None:
    sender = new_wallet(sandbox, server, usdc="3")
    receiver = new_wallet(sandbox, server)
    builder = TransactionBuilder(
        server.load_account(sender.public_key), sandbox.network_passphrase, base_fee=100
    )
    builder.base_fee = 99
    envelope = (
        builder.append_payment_op(receiver.public_key, usdc_of(sandbox), "1")
        .set_timeout(60)
        .build()
    )
    envelope.sign(sender)
    with pytest.raises(BadRequestError) as raised:
        server.submit_transaction(envelope)
    assert result_codes(raised.value) == {"transaction": "tx_insufficient_fee"}


def test_a_transaction_past_its_max_time_is_rejected_with_tx_too_late(
    fresh_sandbox: SandboxServer,
) -> None:
    server = Server(fresh_sandbox.horizon_url)
    sender = new_wallet(fresh_sandbox, server, usdc="3")
    receiver = new_wallet(fresh_sandbox, server)
    envelope = signed(
        server,
        fresh_sandbox,
        sender,
        lambda b: b.append_payment_op(receiver.public_key, usdc_of(fresh_sandbox), "1"),
    )
    fresh_sandbox.chain.advance_time(3600)
    with pytest.raises(BadRequestError) as raised:
        server.submit_transaction(envelope)
    assert result_codes(raised.value) == {"transaction": "tx_too_late"}


def test_a_zero_amount_payment_is_rejected_as_op_malformed(
    sandbox: SandboxServer, server: Server
) -> None:
    sender = new_wallet(sandbox, server, usdc="3")
    receiver = new_wallet(sandbox, server)
    envelope = signed(
        server,
        sandbox,
        sender,
        lambda b: b.append_payment_op(receiver.public_key, usdc_of(sandbox), "1"),
    )
    # The SDK refuses zero amounts, so patch the raw XDR and sign its hash, as a raw client could.
    raw = envelope.to_xdr_object()
    raw.v1.tx.operations[0].body.payment_op.amount = xdr.Int64(0)
    payload = xdr.TransactionSignaturePayload(
        network_id=xdr.Hash(Network(sandbox.network_passphrase).network_id()),
        tagged_transaction=xdr.TransactionSignaturePayloadTaggedTransaction(
            xdr.EnvelopeType.ENVELOPE_TYPE_TX, tx=raw.v1.tx
        ),
    )
    tx_hash = hashlib.sha256(payload.to_xdr_bytes()).digest()
    raw.v1.signatures = [
        xdr.DecoratedSignature(
            hint=xdr.SignatureHint(sender.signature_hint()),
            signature=xdr.Signature(sender.sign(tx_hash)),
        )
    ]
    response = httpx.post(sandbox.horizon_url + "/transactions", data={"tx": raw.to_xdr()})
    assert response.status_code == 400
    assert response.json()["extras"]["result_codes"] == {
        "transaction": "tx_failed",
        "operations": ["op_malformed"],
    }
    with pytest.raises(NotFoundError):
        server.transactions().transaction(tx_hash.hex()).call()


def test_resubmitting_the_same_envelope_applies_it_once(
    sandbox: SandboxServer, server: Server
) -> None:
    sender = new_wallet(sandbox, server, usdc="10")
    receiver = new_wallet(sandbox, server)
    envelope = signed(
        server,
        sandbox,
        sender,
        lambda b: b.append_payment_op(receiver.public_key, usdc_of(sandbox), "4"),
    )
    first = server.submit_transaction(envelope)
    second = server.submit_transaction(envelope)
    assert first["hash"] == second["hash"]
    assert first["ledger"] == second["ledger"]
    assert sandbox.chain.usdc_balance(receiver.public_key) == stroops("4")
    usdc_payments = [p for p in sandbox.chain.payments(receiver.public_key) if p.type == "payment"]
    assert len(usdc_payments) == 1


def test_resubmitting_a_failed_envelope_replays_the_failure_without_charging_again(
    sandbox: SandboxServer, server: Server
) -> None:
    sender = new_wallet(sandbox, server, usdc="1")
    receiver = new_wallet(sandbox, server)
    envelope = signed(
        server,
        sandbox,
        sender,
        lambda b: b.append_payment_op(receiver.public_key, usdc_of(sandbox), "2"),
    )
    with pytest.raises(BadRequestError):
        server.submit_transaction(envelope)
    xlm_after_first = sandbox.chain.xlm_balance(sender.public_key)
    with pytest.raises(BadRequestError) as raised:
        server.submit_transaction(envelope)
    assert result_codes(raised.value)["operations"] == ["op_underfunded"]
    assert sandbox.chain.xlm_balance(sender.public_key) == xlm_after_first


def test_creating_an_account_below_one_lumen_fails_with_op_low_reserve(
    sandbox: SandboxServer, server: Server
) -> None:
    funder = new_wallet(sandbox, server)
    with pytest.raises(BadRequestError) as raised:
        submit(
            server,
            sandbox,
            funder,
            lambda b: b.append_create_account_op(new_keypair().public_key, "0.9999999"),
        )
    assert result_codes(raised.value)["operations"] == ["op_low_reserve"]
    with pytest.raises(BadRequestError) as raised:
        submit(
            server, sandbox, funder, lambda b: b.append_create_account_op(funder.public_key, "2")
        )
    assert result_codes(raised.value)["operations"] == ["op_already_exists"]


def test_a_trustline_holding_usdc_cannot_be_removed(sandbox: SandboxServer, server: Server) -> None:
    holder = new_wallet(sandbox, server, usdc="1")
    with pytest.raises(BadRequestError) as raised:
        submit(
            server, sandbox, holder, lambda b: b.append_change_trust_op(usdc_of(sandbox), limit="0")
        )
    assert result_codes(raised.value)["operations"] == ["op_invalid_limit"]


def test_a_failed_operation_rolls_back_the_whole_transaction(
    sandbox: SandboxServer, server: Server
) -> None:
    sender = new_wallet(sandbox, server, usdc="5")
    receiver = new_wallet(sandbox, server)
    with pytest.raises(BadRequestError) as raised:
        submit(
            server,
            sandbox,
            sender,
            lambda b: b.append_payment_op(
                receiver.public_key, usdc_of(sandbox), "3"
            ).append_payment_op(receiver.public_key, usdc_of(sandbox), "3"),
        )
    assert result_codes(raised.value)["operations"] == ["op_success", "op_underfunded"]
    assert sandbox.chain.usdc_balance(receiver.public_key) == 0
    assert sandbox.chain.usdc_balance(sender.public_key) == stroops("5")


def test_a_malformed_envelope_is_answered_with_transaction_malformed(
    sandbox: SandboxServer,
) -> None:
    response = httpx.post(sandbox.horizon_url + "/transactions", data={"tx": "AAAAnot-xdr"})
    assert response.status_code == 400
    assert response.json()["type"] == "https://stellar.org/horizon-errors/transaction_malformed"
    assert response.json()["extras"]["envelope_xdr"] == "AAAAnot-xdr"


def test_a_body_that_is_not_a_form_is_refused_as_unsupported_media(sandbox: SandboxServer) -> None:
    response = httpx.post(sandbox.horizon_url + "/transactions", json={"tx": "AAAA"})
    assert response.status_code == 415


def _usdc_payment(sandbox, account, receiver, amount, signer):  # type: ignore[no-untyped-def]
    envelope = (
        TransactionBuilder(account, sandbox.network_passphrase, 100)
        .append_payment_op(receiver.public_key, usdc_of(sandbox), amount)
        .set_timeout(60)
        .build()
    )
    envelope.sign(signer)
    return envelope
