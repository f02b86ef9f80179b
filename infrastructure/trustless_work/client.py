"""Trustless Work V1 over HTTP, as the `EscrowProvider` port.

Builds go to the V1 routes (`/deployer/{type}`, `/escrow/{type}/…`) with the role fields each
route names; amounts travel as human JSON numbers computed exactly from stroops (never floats)
and the platform fee as a percent. Answers are classified for the sagas:

- a build refused by the contract or the API (400, or a 5xx whose message is a contract rule)
  raises EscrowRefusedError; 429, other 5xx, timeouts and dropped connections raise
  ProviderUnavailableError / ProviderTimeoutError (ask again later);
- a submission is APPLIED on SUCCESS, REJECTED when TW says the network refused it (`tx_*`),
  FAILED when it failed in a ledger, and UNKNOWN when the answer was lost (5xx, 429, timeout):
  the saga then looks the hash up on Horizon before anything else.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final

import httpx
import msgspec

from application.ports import (
    EscrowCall,
    EscrowRefusedError,
    EscrowSubmission,
    Outcome,
    Submission,
)
from domain.chain import SignedEnvelope
from domain.errors import ProviderTimeoutError, ProviderUnavailableError
from domain.escrow_steps import APPROVE, COMPLETE, DEPLOY, DISPUTE, FUND, RELEASE, RESOLVE
from domain.money import STROOPS_PER_UNIT
from infrastructure.observability import metrics
from infrastructure.observability.provider_calls import ObservedTransport

SINGLE: Final = "single-release"
MULTI: Final = "multi-release"
API_KEY_HEADER: Final = "x-api-key"
BALANCES_PER_CALL_MAX: Final = 20  # the contracts' MAX_ESCROWS
INDEXER_PAGES_MAX: Final = 5
# A 500 whose body names no contract rule is the service failing, not a refusal.
_GENERIC_500_MESSAGES: Final = frozenset({"", "internal server error"})
_TRANSIENT_STATUSES: Final = frozenset({408, 429, 502, 503, 504})
_TX_CODE: Final = re.compile(r"\b(tx_[a-z_]+)\b")
_OP_CODE: Final = re.compile(r"\b(op_[a-z_]+)\b")
# The V1 contracts' function each built transaction invokes: (single-release, multi-release).
CONTRACT_FUNCTIONS: Final = {
    DEPLOY: ("deploy", "deploy"),
    FUND: ("fund_escrow", "fund_escrow"),
    COMPLETE: ("change_milestone_status", "change_milestone_status"),
    APPROVE: ("approve_milestone", "approve_milestone"),
    RELEASE: ("release_funds", "release_milestone_funds"),
    DISPUTE: ("dispute_escrow", "dispute_milestone"),
    RESOLVE: ("resolve_dispute", "resolve_milestone_dispute"),
}
_JSON: Final = msgspec.json.Encoder(decimal_format="number")
_DECODE: Final = msgspec.json.Decoder(float_hook=Decimal)

log = logging.getLogger(__name__)


class TrustlessWorkClient:
    def __init__(self, base_url: str, api_key: str, timeout_s: float) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={API_KEY_HEADER: api_key, "content-type": "application/json"},
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0)),
            transport=ObservedTransport(metrics.TRUSTLESS_WORK),
        )

    def close(self) -> None:
        self._http.close()

    # -- build ---------------------------------------------------------------------------------

    def build(self, call: EscrowCall) -> str:
        path, body = _route(call)
        response = self._request("POST", path, body, "building an escrow transaction")
        document = _json(response)
        if response.status_code in (200, 201) and isinstance(document, dict):
            xdr = document.get("unsignedTransaction")
            if isinstance(xdr, str) and xdr:
                return xdr
        message = _message(document)
        if _transient(response.status_code, message):
            raise ProviderUnavailableError(
                f"Trustless Work answered {response.status_code} building {call.action}"
                + (f": {message}" if message else "")
            )
        raise EscrowRefusedError(f"Trustless Work refused {call.action}: {message}")

    # -- submit --------------------------------------------------------------------------------

    def send(self, envelope: SignedEnvelope) -> EscrowSubmission:
        tx_hash = envelope.hash
        try:
            response = self._http.post(
                "/helper/send-transaction", content=_body({"signedXdr": envelope.xdr})
            )
        except httpx.TransportError as error:
            detail = f"no answer from Trustless Work ({type(error).__name__})"
            return EscrowSubmission(Submission(Outcome.UNKNOWN, tx_hash, detail=detail))
        document = _json(response)
        status = document.get("status") if isinstance(document, dict) else None
        if response.status_code in (200, 201) and status == "SUCCESS":
            assert isinstance(document, dict)
            contract_id = document.get("contractId")
            return EscrowSubmission(
                Submission(Outcome.APPLIED, tx_hash), contract_id if contract_id else None
            )
        message = _message(document)
        if status == "FAILED":
            tx_codes = _TX_CODE.findall(message)
            op_codes = _OP_CODE.findall(message)
            if "rejected" in message and tx_codes:
                codes = (tx_codes[0], *op_codes)
                return EscrowSubmission(
                    Submission(Outcome.REJECTED, tx_hash, codes=codes, detail=message)
                )
            codes = ("tx_failed", *op_codes) if op_codes else ("tx_failed",)
            return EscrowSubmission(
                Submission(Outcome.FAILED, tx_hash, codes=codes, detail=message)
            )
        if response.status_code == 400:
            return EscrowSubmission(Submission(Outcome.REJECTED, tx_hash, detail=message))
        detail = f"Trustless Work answered {response.status_code}: {message}"[:300]
        return EscrowSubmission(Submission(Outcome.UNKNOWN, tx_hash, detail=detail))

    # -- reads ---------------------------------------------------------------------------------

    def find_contract(self, engagement_id: str, deployer: str) -> str | None:
        for page in range(1, INDEXER_PAGES_MAX + 1):
            params = {
                "role": "platformAddress",
                "roleAddress": deployer,
                "engagementId": engagement_id,
                "page": str(page),
                "validateOnChain": "true",
            }
            response = self._request(
                "GET", "/helper/get-escrows-by-role", None, "finding an escrow", params
            )
            items = _json(response)
            if response.status_code != 200 or not isinstance(items, list):
                raise ProviderUnavailableError(
                    f"Trustless Work answered {response.status_code} listing escrows"
                )
            for item in items:
                if isinstance(item, dict) and item.get("engagementId") == engagement_id:
                    return str(item["contractId"])
            if not items:
                return None
        return None

    def contract_function(self, call: EscrowCall) -> str:
        single, multi = CONTRACT_FUNCTIONS[call.action]
        return multi if call.multi_release else single

    def balances(self, contract_ids: Sequence[str], multi_release: bool) -> dict[str, int]:
        found: dict[str, int] = {}
        kind = MULTI if multi_release else SINGLE
        for start in range(0, len(contract_ids), BALANCES_PER_CALL_MAX):
            chunk = list(contract_ids[start : start + BALANCES_PER_CALL_MAX])
            params = [("addresses[]", contract_id) for contract_id in chunk]
            response = self._request(
                "GET",
                f"/escrow/{kind}/get-multiple-escrow-balance",
                None,
                "reading escrow balances",
                params,
            )
            items = _json(response)
            if response.status_code != 200 or not isinstance(items, list):
                raise ProviderUnavailableError(
                    f"Trustless Work answered {response.status_code} reading balances: "
                    f"{_message(items)}"
                )
            for item in items:
                found[str(item["address"])] = stroops_from_number(item["balance"])
        return found

    # -- transport -------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        doing: str,
        params: Any = None,
    ) -> httpx.Response:
        try:
            return self._http.request(
                method, path, content=_body(body) if body is not None else None, params=params
            )
        except httpx.TimeoutException:
            raise ProviderTimeoutError(f"Trustless Work timed out {doing}") from None
        except httpx.TransportError as error:
            raise ProviderUnavailableError(
                f"Trustless Work unreachable {doing} ({type(error).__name__})"
            ) from None


def _route(call: EscrowCall) -> tuple[str, dict[str, Any]]:
    """The V1 path and body of a call."""
    kind = MULTI if call.multi_release else SINGLE
    contract = {"contractId": call.contract_id}
    index = {"milestoneIndex": str(call.index)} if call.index is not None else {}
    if call.action == DEPLOY:
        return f"/deployer/{kind}", _deploy_body(call)
    if call.action == FUND:
        assert call.amount_stroops is not None
        return f"/escrow/{kind}/fund-escrow", {
            **contract,
            "signer": call.signer,
            "amount": number_from_stroops(call.amount_stroops),
        }
    if call.action == COMPLETE:
        return f"/escrow/{kind}/change-milestone-status", {
            **contract,
            "milestoneIndex": str(call.index or 0),
            "newStatus": "completed",
            "serviceProvider": call.signer,
        }
    if call.action == APPROVE:
        return f"/escrow/{kind}/approve-milestone", {
            **contract,
            "milestoneIndex": str(call.index or 0),
            "approver": call.signer,
        }
    if call.action == RELEASE:
        action = "release-milestone-funds" if call.multi_release else "release-funds"
        return f"/escrow/{kind}/{action}", {**contract, **index, "releaseSigner": call.signer}
    if call.action == DISPUTE:
        action = "dispute-milestone" if call.multi_release else "dispute-escrow"
        return f"/escrow/{kind}/{action}", {**contract, **index, "signer": call.signer}
    if call.action == RESOLVE:
        action = "resolve-milestone-dispute" if call.multi_release else "resolve-dispute"
        distributions = [
            {"address": address, "amount": number_from_stroops(amount)}
            for address, amount in call.distributions
        ]
        return f"/escrow/{kind}/{action}", {
            **contract,
            **index,
            "disputeResolver": call.signer,
            "distributions": distributions,
        }
    raise ValueError(f"unknown escrow action {call.action!r}")


def _deploy_body(call: EscrowCall) -> dict[str, Any]:
    terms = call.terms
    assert terms is not None, "a deploy needs its terms"
    roles = dict(terms.roles)
    body: dict[str, Any] = {
        "signer": call.signer,
        "engagementId": terms.engagement_id,
        "title": terms.title,
        "description": terms.description,
        "platformFee": Decimal(terms.platform_fee_bps) / 100,
        "trustline": {"address": terms.asset_issuer, "symbol": terms.asset_code},
    }
    if call.multi_release:
        roles.pop("receiver", None)
        body["milestones"] = [
            {
                "description": description,
                "amount": number_from_stroops(amount),
                "receiver": terms.roles["receiver"],
            }
            for description, amount in terms.milestones
        ]
    else:
        body["amount"] = number_from_stroops(terms.amount_stroops)
        body["milestones"] = [{"description": description} for description, _ in terms.milestones]
    body["roles"] = roles
    return body


def number_from_stroops(stroops: int) -> Decimal:
    """The exact human amount (1 USDC = 10^7 stroops), as a Decimal the encoder writes as a
    JSON number."""
    return (Decimal(stroops) / STROOPS_PER_UNIT).normalize()


def stroops_from_number(value: Any) -> int:
    amount = Decimal(str(value)) * STROOPS_PER_UNIT
    if amount != amount.to_integral_value():
        raise ProviderUnavailableError(
            f"Trustless Work sent an amount finer than a stroop: {value}"
        )
    return int(amount)


def _transient(status: int, message: str) -> bool:
    """Whether asking again later may succeed: rate limits, gateways, timeouts, and a 500 that
    is the service failing (Trustless Work reports contract rules as 500 with their message)."""
    if status in _TRANSIENT_STATUSES:
        return True
    return status >= 500 and (status != 500 or message.strip().lower() in _GENERIC_500_MESSAGES)


def _body(document: dict[str, Any]) -> bytes:
    return _JSON.encode(document)


def _json(response: httpx.Response) -> Any:
    try:
        return _DECODE.decode(response.content)
    except msgspec.DecodeError:
        return None


def _message(document: Any) -> str:
    if isinstance(document, dict):
        message = document.get("message", "")
        if isinstance(message, list):
            return "; ".join(str(m) for m in message)
        return str(message)
    return ""
