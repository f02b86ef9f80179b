"""Decoding a submitted transaction envelope and hashing it for this network.

Decoding is done on the raw XDR types rather than the SDK's operation classes, because those
refuse amounts of zero while decoding; the network instead answers such an envelope with
`op_malformed`, and so must we. The hash is sha256 over the network id, the envelope-type tag and
the transaction, so it changes with the passphrase exactly as on Stellar.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from stellar_sdk import Network, xdr
from xdrlib3 import Packer

from sandbox.chain.operation_outcome import account_id_of


class MalformedEnvelopeError(ValueError):
    """The `tx` value is not a base64 TransactionEnvelope this network can decode."""


class UnsupportedEnvelopeError(ValueError):
    """A fee-bump or legacy V0 envelope: valid XDR, deliberately not simulated."""


@dataclass(frozen=True)
class DecodedTransaction:
    envelope_xdr: str
    transaction: xdr.Transaction
    signatures: list[xdr.DecoratedSignature]
    hash: bytes
    source: str

    @property
    def hash_hex(self) -> str:
        return self.hash.hex()

    @property
    def fee(self) -> int:
        return self.transaction.fee.uint32

    @property
    def sequence(self) -> int:
        return self.transaction.seq_num.sequence_number.int64

    @property
    def operations(self) -> list[xdr.Operation]:
        return list(self.transaction.operations)

    @property
    def soroban_resource_fee(self) -> int | None:
        ext = self.transaction.ext
        if ext.v == 1 and ext.soroban_data is not None:
            return ext.soroban_data.resource_fee.int64
        return None

    def time_bounds(self) -> tuple[int, int] | None:
        cond = self.transaction.cond
        bounds = None
        if cond.type == xdr.PreconditionType.PRECOND_TIME:
            bounds = cond.time_bounds
        elif cond.type == xdr.PreconditionType.PRECOND_V2 and cond.v2 is not None:
            bounds = cond.v2.time_bounds
        if bounds is None:
            return None
        return bounds.min_time.time_point.uint64, bounds.max_time.time_point.uint64


def transaction_hash(transaction: xdr.Transaction, network_passphrase: str) -> bytes:
    packer = Packer()
    xdr.EnvelopeType.ENVELOPE_TYPE_TX.pack(packer)
    signature_base = Network(network_passphrase).network_id() + packer.get_buffer()
    return hashlib.sha256(signature_base + transaction.to_xdr_bytes()).digest()


def decode_envelope(envelope_xdr: str, network_passphrase: str) -> DecodedTransaction:
    try:
        base64.b64decode(envelope_xdr, validate=True)
        envelope = xdr.TransactionEnvelope.from_xdr(envelope_xdr)
    except (ValueError, binascii.Error, EOFError) as error:
        raise MalformedEnvelopeError(str(error)) from error
    if envelope.type == xdr.EnvelopeType.ENVELOPE_TYPE_TX_FEE_BUMP:
        raise UnsupportedEnvelopeError("fee-bump transactions are not simulated")
    if envelope.type != xdr.EnvelopeType.ENVELOPE_TYPE_TX or envelope.v1 is None:
        raise UnsupportedEnvelopeError("legacy V0 envelopes are not simulated")
    transaction = envelope.v1.tx
    try:
        source = account_id_of(transaction.source_account)
    except ValueError as error:
        raise MalformedEnvelopeError(str(error)) from error
    return DecodedTransaction(
        envelope_xdr=envelope.to_xdr(),
        transaction=transaction,
        signatures=list(envelope.v1.signatures),
        hash=transaction_hash(transaction, network_passphrase),
        source=source,
    )


def memo_fields(memo: xdr.Memo) -> dict[str, str]:
    """Horizon's memo_type / memo / memo_bytes for a transaction."""
    kind = memo.type
    if kind == xdr.MemoType.MEMO_TEXT and memo.text is not None:
        raw = memo.text
        return {
            "memo_type": "text",
            "memo": raw.decode("utf-8", errors="replace"),
            "memo_bytes": base64.b64encode(raw).decode(),
        }
    if kind == xdr.MemoType.MEMO_ID and memo.id is not None:
        return {"memo_type": "id", "memo": str(memo.id.uint64)}
    if kind == xdr.MemoType.MEMO_HASH and memo.hash is not None:
        return {"memo_type": "hash", "memo": base64.b64encode(memo.hash.hash).decode()}
    if kind == xdr.MemoType.MEMO_RETURN and memo.ret_hash is not None:
        return {"memo_type": "return", "memo": base64.b64encode(memo.ret_hash.hash).decode()}
    return {"memo_type": "none"}
