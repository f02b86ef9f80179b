"""Horizon, as the `StellarNetwork` port: account reads, submissions that say exactly what
happened, lookups by hash, an account's transactions read back (`transaction_facts`), Friendbot,
and the payment feed.

Submissions are classified for the exactly-once sagas: APPLIED and FAILED are in a ledger,
REJECTED never will be, UNKNOWN (timeouts, 5xx, 429, dropped connections) must be asked again.
The SDK's own retries are off: sagas retry with their own bounds and backoff.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Final

import httpx
from stellar_sdk import Server, TransactionEnvelope
from stellar_sdk.exceptions import (
    BadRequestError,
    BaseHorizonError,
    ConnectionError,
    NotFoundError,
)

from application.ports import (
    ChainAccount,
    ChainTransaction,
    Outcome,
    Payment,
    PaymentsPage,
    Submission,
    TransactionsPage,
)
from domain.errors import ProviderUnavailableError
from domain.money import Amount
from infrastructure.observability import metrics
from infrastructure.observability.provider_calls import ObservedRequestsClient, ObservedTransport
from infrastructure.stellar.result_codes import codes_of_result_xdr
from infrastructure.stellar.transaction_facts import transaction_facts

READ_TIMEOUT_S: Final = 10
SUBMIT_TIMEOUT_S: Final = 35.0
FRIENDBOT_TIMEOUT_S: Final = 30.0
PAYMENT_KINDS: Final = frozenset(
    {"payment", "path_payment_strict_receive", "path_payment_strict_send"}
)

log = logging.getLogger(__name__)


class HorizonNetwork:
    def __init__(
        self, horizon_url: str, passphrase: str, usdc_asset: str, friendbot_url: str | None
    ) -> None:
        self.horizon_url = horizon_url.rstrip("/")
        self.passphrase = passphrase
        self.usdc_asset = usdc_asset
        self._friendbot_url = friendbot_url
        client = ObservedRequestsClient(
            num_retries=0, request_timeout=READ_TIMEOUT_S, post_timeout=SUBMIT_TIMEOUT_S
        )
        self._server = Server(self.horizon_url, client=client)
        # The payment stream's own client, made once: a client per stream window built a TLS
        # context each time (its CA bundle read and parsed) — on a quiet feed at every idle
        # timeout, a few seconds apart — and that was most of the deposit monitor's CPU.
        # Timeouts are per stream.
        self._streams = httpx.Client()

    def close(self) -> None:
        self._server.close()
        self._streams.close()

    # -- reads ------------------------------------------------------------------------------

    def account(self, address: str) -> ChainAccount | None:
        try:
            record = self._server.accounts().account_id(address).call()
        except NotFoundError:
            return None
        except (BaseHorizonError, ConnectionError) as error:
            raise _unavailable("reading an account", error) from None
        xlm, usdc = 0, None
        code, issuer = self.usdc_asset.split(":")
        for balance in record["balances"]:
            if balance["asset_type"] == "native":
                xlm = Amount.parse(balance["balance"]).stroops
            elif balance.get("asset_code") == code and balance.get("asset_issuer") == issuer:
                usdc = Amount.parse(balance["balance"]).stroops
        return ChainAccount(address, xlm, usdc, int(record["sequence"]))

    def lookup(self, transaction_hash: str) -> Submission | None:
        try:
            record = self._server.transactions().transaction(transaction_hash).call()
        except NotFoundError:
            return None
        except (BaseHorizonError, ConnectionError) as error:
            raise _unavailable("looking up a transaction", error) from None
        if record.get("successful"):
            return Submission(
                Outcome.APPLIED, transaction_hash, stellar_ledger_sequence=record.get("ledger")
            )
        return Submission(
            Outcome.FAILED,
            transaction_hash,
            stellar_ledger_sequence=record.get("ledger"),
            codes=codes_of_result_xdr(record.get("result_xdr", "")),
        )

    def transaction(self, transaction_hash: str) -> ChainTransaction | None:
        try:
            record = self._server.transactions().transaction(transaction_hash).call()
        except NotFoundError:
            return None
        except (BaseHorizonError, ConnectionError) as error:
            raise _unavailable("reading a transaction", error) from None
        return transaction_facts(record, self.passphrase)

    def payments(self, cursor: str, limit: int) -> PaymentsPage:
        try:
            page = self._server.payments().cursor(cursor).limit(limit).order(desc=False).call()
        except (BaseHorizonError, ConnectionError) as error:
            raise _unavailable("reading payments", error) from None
        records = page["_embedded"]["records"]
        payments = [p for p in map(self._payment, records) if p is not None]
        return PaymentsPage(payments, records[-1]["paging_token"] if records else cursor)

    def stream_payments(
        self, cursor: str | None, idle_timeout_s: float, window_s: float
    ) -> Iterator[tuple[str, Payment | None]]:
        """Follows the payment feed by SSE from `cursor`: yields (paging token, payment or None
        for records that are not payments) until the window ends, the stream idles or closes."""
        url = f"{self.horizon_url}/payments"
        timeout = httpx.Timeout(connect=READ_TIMEOUT_S, read=idle_timeout_s, write=10, pool=10)
        deadline = _monotonic() + window_s
        with self._streams.stream(
            "GET",
            url,
            params={"cursor": cursor} if cursor else {},
            headers={"Accept": "text/event-stream"},
            timeout=timeout,
        ) as response:
            if response.status_code != 200:
                raise ProviderUnavailableError(
                    f"Horizon answered {response.status_code} to the payment stream"
                )
            data: list[str] = []
            for line in response.iter_lines():
                if line.startswith("data:"):
                    data.append(line[5:].strip())
                elif line == "" and data:
                    record = _json_record("".join(data))
                    data = []
                    if record is not None:
                        yield str(record["paging_token"]), self._payment(record)
                if _monotonic() > deadline:
                    return

    def recent_transactions(self, address: str, limit: int) -> list[dict[str, Any]]:
        try:
            page = (
                self._server.payments()
                .for_account(address)
                .order(desc=True)
                .limit(limit)
                .include_failed(True)
                .call()
            )
        except NotFoundError:
            return []
        except (BaseHorizonError, ConnectionError) as error:
            raise _unavailable("reading a wallet's transactions", error) from None
        return page["_embedded"]["records"]  # type: ignore[no-any-return]

    def account_transactions(
        self, address: str, cursor: str | None, limit: int
    ) -> TransactionsPage:
        request = (
            self._server.transactions()
            .for_account(address)
            .order(desc=True)
            .limit(limit)
            .include_failed(True)
        )
        if cursor is not None:
            request = request.cursor(cursor)
        try:
            page = request.call()
        except NotFoundError:
            return TransactionsPage()
        except (BaseHorizonError, ConnectionError) as error:
            raise _unavailable("reading a wallet's transactions", error) from None
        records = page["_embedded"]["records"]
        return TransactionsPage(
            [transaction_facts(record, self.passphrase) for record in records],
            str(records[-1]["paging_token"]) if records else None,
        )

    # -- writes ------------------------------------------------------------------------------

    def submit(self, envelope_xdr: str) -> Submission:
        envelope = TransactionEnvelope.from_xdr(envelope_xdr, self.passphrase)
        transaction_hash = envelope.hash_hex()
        try:
            record = self._server.submit_transaction(envelope, skip_memo_required_check=True)
        except BadRequestError as error:
            codes = _result_codes(error)
            if error.status == 429 or not codes:
                return Submission(Outcome.UNKNOWN, transaction_hash, detail=str(error.title))
            # tx_failed is in a ledger when it failed at apply time, but not when an
            # operation was refused statelessly: only the ledger can tell.
            found = self.lookup(transaction_hash)
            if found is not None:
                return found
            return Submission(
                Outcome.REJECTED,
                transaction_hash,
                codes=codes,
                detail=str(error.detail or error.title),
            )
        except (BaseHorizonError, ConnectionError) as error:
            log.warning("submission outcome unknown for %s: %s", transaction_hash, error)
            return Submission(Outcome.UNKNOWN, transaction_hash, detail=type(error).__name__)
        return Submission(
            Outcome.APPLIED, transaction_hash, stellar_ledger_sequence=record.get("ledger")
        )

    def friendbot(self, address: str) -> str | None:
        url = self._friendbot_url or f"{self.horizon_url}/friendbot"
        try:
            with httpx.Client(
                transport=ObservedTransport(metrics.HORIZON), timeout=FRIENDBOT_TIMEOUT_S
            ) as client:
                response = client.get(url, params={"addr": address})
        except httpx.HTTPError as error:
            raise ProviderUnavailableError(f"Friendbot unreachable: {error}") from None
        if response.status_code == 200:
            return str(response.json().get("hash") or "") or None
        if response.status_code == 400 and "already funded" in response.text:
            return None
        raise ProviderUnavailableError(f"Friendbot answered {response.status_code}")

    def _payment(self, record: dict[str, Any]) -> Payment | None:
        if record.get("type") not in PAYMENT_KINDS:
            return None
        asset = (
            "native"
            if record.get("asset_type") == "native"
            else f"{record.get('asset_code')}:{record.get('asset_issuer')}"
        )
        created = record.get("created_at")
        return Payment(
            operation_id=str(record["id"]),
            paging_token=str(record["paging_token"]),
            transaction_hash=str(record.get("transaction_hash", "")),
            successful=bool(record.get("transaction_successful", True)),
            kind=str(record["type"]),
            from_address=str(record.get("from", "")),
            to_address=str(record.get("to", "")),
            asset=asset,
            amount_stroops=Amount.parse(record["amount"]).stroops,
            created_at=datetime.fromisoformat(created.replace("Z", "+00:00")) if created else None,
        )


def _monotonic() -> float:
    return time.monotonic()


def _json_record(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    # The stream's hello and goodbye frames carry plain strings, not records.
    return value if isinstance(value, dict) and "paging_token" in value else None


def _result_codes(error: BaseHorizonError) -> tuple[str, ...]:
    codes = (error.extras or {}).get("result_codes") or {}
    transaction = codes.get("transaction")
    return (transaction, *codes.get("operations", ())) if transaction else ()


def _unavailable(doing: str, error: Exception) -> ProviderUnavailableError:
    return ProviderUnavailableError(f"Horizon failed while {doing}: {type(error).__name__}")
