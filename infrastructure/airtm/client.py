"""AirTM's Enterprise API V2 over HTTP, as the `FiatProvider` port.

HTTP Basic auth with the API key and secret; JSON numbers of US dollars (1 USD = 1 USDC, at most
two decimals) computed exactly from stroops. Each call has a bounded time (`timeout_s`); reads
are retried READ_RETRIES_MAX times on 5xx, 429 and lost connections, then raise
ProviderUnavailableError / ProviderTimeoutError; a 4xx refusal raises ProviderError with AirTM's
code. Creates are exactly-once by `code` (our reference, which AirTM keeps unique): a create whose
answer was lost, or that AirTM refuses as a duplicate code, is answered by looking the code up,
and only a code AirTM does not know is created again. A commit is checked the same way.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Final
from urllib.parse import quote

import httpx
import msgspec

from application.payment_providers import (
    AIRTM,
    DESTINATION_BANK,
    FIAT_DESTINATIONS,
    PAYOUT_CREATED,
    DepositInstructions,
    Payin,
    PayinRequest,
    Payout,
    PayoutRequest,
    ProviderNotice,
    ProviderUser,
)
from domain.errors import ProviderError, ProviderTimeoutError, ProviderUnavailableError
from infrastructure.airtm.documents import (
    check_cents,
    number_from_stroops,
    payin_from,
    payout_from,
    user_from,
)
from infrastructure.airtm.notices import verify_notice
from infrastructure.observability import metrics
from infrastructure.observability.provider_calls import ObservedTransport

READ_RETRIES_MAX: Final = 2
RETRY_BACKOFF_S: Final = (0.2, 0.5)
CREATE_ATTEMPTS_MAX: Final = 3
CONNECT_TIMEOUT_S_MAX: Final = 5.0
_TRANSIENT_STATUSES: Final = frozenset({408, 425, 429, 500, 502, 503, 504})
_JSON: Final = msgspec.json.Encoder(decimal_format="number")
_DECODE: Final = msgspec.json.Decoder(float_hook=Decimal)

log = logging.getLogger(__name__)


class _Transient(Exception):
    """A call whose answer was lost or temporary: asking again may succeed."""

    def __init__(self, error: ProviderError) -> None:
        super().__init__(str(error))
        self.error = error


class AirtmClient:
    name = AIRTM
    destination_types = FIAT_DESTINATIONS

    def __init__(
        self,
        base_url: str,
        checkout_base_url: str,
        api_key: str,
        api_secret: str,
        webhook_secret: str,
        timeout_s: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        credentials = base64.b64encode(f"{api_key}:{api_secret}".encode()).decode()
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={
                "authorization": f"Basic {credentials}",
                "content-type": "application/json",
                "accept": "application/json",
            },
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, CONNECT_TIMEOUT_S_MAX)),
            transport=ObservedTransport(metrics.AIRTM),
        )
        self.checkout_base_url = checkout_base_url.rstrip("/")
        self._webhook_secret = webhook_secret
        self._sleep = sleep

    def close(self) -> None:
        self._http.close()

    def deposit_instructions(self, user_id: str) -> DepositInstructions:
        return DepositInstructions(
            provider=AIRTM,
            method="redirect_uri",
            instructions=(
                "Create a top-up (POST /topups); the user confirms it at AirTM through the "
                "top-up's confirmationUri, and its net amount is credited once AirTM settles it."
            ),
        )

    # -- users ---------------------------------------------------------------------------------

    def find_user(self, email: str) -> ProviderUser | None:
        document = self._read(f"/users/{quote(email, safe='')}", "looking up a user")
        return None if document is None else user_from(document, email)

    # -- payins --------------------------------------------------------------------------------

    def create_payin(self, request: PayinRequest) -> Payin:
        check_cents(request.amount_stroops)
        amount = number_from_stroops(request.amount_stroops)
        body = {
            "code": request.code,
            "amount": amount,
            "description": request.description,
            "items": [{"description": request.description, "amount": amount, "quantity": 1}],
            "confirmationUri": request.confirmation_uri,
            "cancelUri": request.cancel_uri,
        }
        document = self._create("/payins", body, lambda: self._find("/payins", request.code))
        return payin_from(document, self.checkout_base_url)

    def find_payin(self, code: str) -> Payin | None:
        document = self._find("/payins", code)
        return None if document is None else payin_from(document, self.checkout_base_url)

    def payin(self, payin_id: str) -> Payin:
        return payin_from(self._get(f"/payins/{quote(payin_id)}", "reading a payin"),
                          self.checkout_base_url)  # fmt: skip

    def cancel_payin(self, payin_id: str) -> Payin:
        path = f"/payins/{quote(payin_id)}"
        response = self._once("DELETE", path, None, "canceling a payin", transient_ok=True)
        if response is None or response.status_code == 409:  # lost, or no longer cancelable
            return self.payin(payin_id)
        return payin_from(self._document(response, "canceling a payin"), self.checkout_base_url)

    # -- payouts -------------------------------------------------------------------------------

    def create_payout(self, request: PayoutRequest) -> Payout:
        check_cents(request.gross_stroops)
        check_cents(request.enterprise_fee_stroops)
        body: dict[str, Any] = {
            "code": request.code,
            "airtmUserEmail": request.recipient_email,
            "amount": number_from_stroops(request.gross_stroops),
            "notes": request.notes,
            "commit": False,
        }
        if request.enterprise_fee_stroops:
            body["enterpriseFee"] = number_from_stroops(request.enterprise_fee_stroops)
        if request.destination_type == DESTINATION_BANK:  # OFFER-HUB's shape; V2 has no bank
            body["destinationType"] = DESTINATION_BANK
            body["destinationRef"] = request.destination_ref
        document = self._create("/payouts", body, lambda: self._find("/payouts", request.code))
        return payout_from(document)

    def find_payout(self, code: str) -> Payout | None:
        document = self._find("/payouts", code)
        return None if document is None else payout_from(document)

    def payout(self, payout_id: str) -> Payout:
        return payout_from(self._get(f"/payouts/{quote(payout_id)}", "reading a payout"))

    def commit_payout(self, payout_id: str) -> Payout:
        current = self.payout(payout_id)
        if current.status != PAYOUT_CREATED:
            return current  # committed already (an earlier attempt whose answer was lost)
        path = f"/payouts/{quote(payout_id)}/commit"
        response = self._once("POST", path, None, "committing a payout", transient_ok=True)
        if response is not None and response.status_code not in (200, 201, 204, 409):
            self._document(response, "committing a payout")  # raises the refusal
        return self.payout(payout_id)

    def cancel_payout(self, payout_id: str) -> Payout:
        path = f"/payouts/{quote(payout_id)}"
        response = self._once("DELETE", path, None, "canceling a payout", transient_ok=True)
        if response is None or response.status_code == 409:
            return self.payout(payout_id)
        return payout_from(self._document(response, "canceling a payout"))

    # -- webhooks ------------------------------------------------------------------------------

    def verify_notice(self, body: bytes, headers: Mapping[str, str]) -> ProviderNotice:
        return verify_notice(self._webhook_secret, body, headers, self.checkout_base_url)

    # -- transport -----------------------------------------------------------------------------

    def _create(
        self, path: str, body: dict[str, Any], find: Callable[[], dict[str, Any] | None]
    ) -> dict[str, Any]:
        """POSTs a create once per attempt; a lost answer or a duplicate code is resolved by
        the lookup by code, so the provider never holds two for one code."""
        doing = f"creating {path.strip('/')[:-1]}"
        for attempt in range(CREATE_ATTEMPTS_MAX):
            response = self._once("POST", path, body, doing, transient_ok=True)
            if response is not None and response.status_code != 409:
                return self._document(response, doing)
            found = find()
            if found is not None:
                return found
            if response is not None:  # 409 yet unknown by code: AirTM contradicts itself
                raise ProviderError(f"AirTM refused {doing} as a duplicate it cannot find")
            if attempt + 1 < CREATE_ATTEMPTS_MAX:
                self._sleep(RETRY_BACKOFF_S[min(attempt, len(RETRY_BACKOFF_S) - 1)])
        raise ProviderUnavailableError(f"AirTM did not answer {doing}")

    def _find(self, path: str, code: str) -> dict[str, Any] | None:
        return self._read(f"{path}/by-code/{quote(code, safe='')}", "looking up by code")

    def _get(self, path: str, doing: str) -> dict[str, Any]:
        document = self._read(path, doing)
        if document is None:
            raise ProviderError(f"AirTM does not know what it was asked about while {doing}")
        return document

    def _read(self, path: str, doing: str) -> dict[str, Any] | None:
        """A GET, retried on transient failures; None for a 404."""
        last: ProviderError | None = None
        for attempt in range(READ_RETRIES_MAX + 1):
            try:
                response = self._once("GET", path, None, doing)
            except _Transient as transient:
                last = transient.error
                if attempt < READ_RETRIES_MAX:
                    self._sleep(RETRY_BACKOFF_S[min(attempt, len(RETRY_BACKOFF_S) - 1)])
                continue
            assert response is not None
            if response.status_code == 404:
                return None
            return self._document(response, doing)
        assert last is not None
        raise last

    def _once(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        doing: str,
        *,
        transient_ok: bool = False,
    ) -> httpx.Response | None:
        """One request. A lost or temporary answer is None with `transient_ok`, else raises
        _Transient carrying the domain error."""
        try:
            content = _JSON.encode(body) if body is not None else None
            response = self._http.request(method, path, content=content)
        except httpx.TimeoutException:
            error: ProviderError = ProviderTimeoutError(f"AirTM timed out {doing}")
        except httpx.TransportError as failure:
            error = ProviderUnavailableError(
                f"AirTM unreachable {doing} ({type(failure).__name__})"
            )
        else:
            if response.status_code not in _TRANSIENT_STATUSES:
                return response
            error = _temporary(response, doing)
        if transient_ok:
            log.warning("AirTM: %s", error)
            return None
        raise _Transient(error)

    @staticmethod
    def _document(response: httpx.Response, doing: str) -> dict[str, Any]:
        try:
            document = _DECODE.decode(response.content) if response.content else {}
        except msgspec.DecodeError:
            document = None
        if 200 <= response.status_code < 300 and isinstance(document, dict):
            return document
        if 200 <= response.status_code < 300:
            raise ProviderError(f"AirTM answered {doing} with a body that is not JSON")
        code, message = _refusal(document)
        raise ProviderError(
            f"AirTM refused {doing}: {message}",
            providerStatus=response.status_code,
            providerCode=code,
        )


def _refusal(document: object) -> tuple[str, str]:
    if isinstance(document, dict):
        return str(document.get("code", "")), str(document.get("message", ""))[:300]
    return "", ""


def _temporary(response: httpx.Response, doing: str) -> ProviderError:
    if response.status_code == 504:
        return ProviderTimeoutError(f"AirTM timed out {doing} (504)")
    return ProviderUnavailableError(f"AirTM answered {response.status_code} {doing}")
