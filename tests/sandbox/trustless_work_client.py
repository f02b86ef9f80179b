"""A Trustless Work V1 client for tests: build over HTTP, sign with the role's key, send.

It follows stellar-tw.md §A.2 exactly as an integrator would: POST the action, decode the
returned unsigned XDR with stellar-sdk, sign it with the acting wallet, POST it to
`/helper/send-transaction`.
"""

from __future__ import annotations

from typing import Any

import httpx
from stellar_sdk import Keypair, TransactionEnvelope

from sandbox.server import SandboxServer

HTTP_TIMEOUT_S = 10.0


class TrustlessWorkClient:
    def __init__(self, sandbox: SandboxServer, api_key: str | None = None):
        self.sandbox = sandbox
        self.http = httpx.Client(
            base_url=sandbox.trustless_work_url,
            headers={"x-api-key": api_key or sandbox.api_key},
            timeout=HTTP_TIMEOUT_S,
        )

    def build(self, path: str, body: dict[str, Any]) -> httpx.Response:
        method = "PUT" if path.endswith("update-escrow") else "POST"
        return self.http.request(method, path, json=body)

    def sign(self, unsigned_xdr: str, keypair: Keypair) -> str:
        envelope = TransactionEnvelope.from_xdr(unsigned_xdr, self.sandbox.network_passphrase)
        envelope.sign(keypair)
        return envelope.to_xdr()

    def send(self, signed_xdr: str) -> httpx.Response:
        return self.http.post("/helper/send-transaction", json={"signedXdr": signed_xdr})

    def act(self, path: str, body: dict[str, Any], keypair: Keypair) -> dict[str, Any]:
        """Build, sign and send; asserts each step succeeds and returns the send body."""
        built = self.build(path, body)
        assert built.status_code == 201, built.text
        assert built.json()["status"] == "SUCCESS"
        sent = self.send(self.sign(built.json()["unsignedTransaction"], keypair))
        assert sent.status_code == 201, sent.text
        return dict(sent.json())

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params)
