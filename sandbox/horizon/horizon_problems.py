"""Horizon's RFC 7807 problem documents, with the type slugs, titles and details Horizon sends.

Every non-2xx Horizon answer is one of these, rendered as `application/problem+json`. The SDK maps
them by status (404 NotFoundError, other 4xx BadRequestError, 5xx BadResponseError) and reads
`extras.result_codes` and `extras.hash` from them, so their shape is part of the contract.
"""

from __future__ import annotations

from typing import Any

import msgspec

from sandbox.chain.transactions import SubmissionOutcome

PROBLEM_TYPE_PREFIX = "https://stellar.org/horizon-errors/"
PROBLEM_MEDIA_TYPE = "application/problem+json; charset=utf-8"

_NOT_FOUND_DETAIL = (
    "The resource at the url requested was not found.  This usually occurs for one of two "
    "reasons:  The url requested is not valid, or no data in our database could be found with "
    "the parameters provided."
)
_FAILED_DETAIL = (
    "The transaction failed when submitted to the stellar network. The `extras.result_codes` "
    "field on this response contains further details.  Descriptions of each code can be found "
    "at: https://developers.stellar.org/api/errors/http-status-codes/horizon-specific/"
    "transaction-failed/"
)
_SUBMISSION_TIMEOUT_DETAIL = (
    "Your transaction submission request has timed out. This does not necessarily mean the "
    "submission has failed. Before resubmitting, please use the transaction hash provided in "
    "`extras.hash` to poll the GET /transactions endpoint for sometime and check if it was "
    "included in a ledger."
)


class HorizonProblem(Exception):
    """A Horizon error response; raising it from a handler renders the problem document."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        extras: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(f"{status} {slug}: {detail}")
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.extras = extras
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "type": PROBLEM_TYPE_PREFIX + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.extras is not None:
            document["extras"] = self.extras
        return document

    def asgi_messages(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The response start and body messages, for the plain-ASGI parts of the sandbox."""
        body = msgspec.json.encode(self.body())
        headers = [
            (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
            *((name.lower().encode(), value.encode()) for name, value in self.headers.items()),
        ]
        start = {"type": "http.response.start", "status": self.status, "headers": headers}
        return start, {"type": "http.response.body", "body": body}


def not_found() -> HorizonProblem:
    return HorizonProblem(404, "not_found", "Resource Missing", _NOT_FOUND_DETAIL)


def bad_request(field: str, reason: str) -> HorizonProblem:
    return HorizonProblem(
        400,
        "bad_request",
        "Bad Request",
        "The request you sent was invalid in some way.",
        {"invalid_field": field, "reason": reason},
    )


def transaction_malformed(envelope_xdr: str) -> HorizonProblem:
    return HorizonProblem(
        400,
        "transaction_malformed",
        "Transaction Malformed",
        "Horizon could not decode the transaction envelope in this request. A transaction "
        "should be an XDR TransactionEnvelope struct encoded using base64.  The envelope read "
        "from this request is echoed in the `extras.envelope_xdr` field of this response for "
        "your convenience.",
        {"envelope_xdr": envelope_xdr},
    )


def transaction_failed(outcome: SubmissionOutcome) -> HorizonProblem:
    codes: dict[str, Any] = {"transaction": outcome.tx_code}
    if outcome.tx_code == "tx_failed":
        codes["operations"] = outcome.op_codes
    extras = {
        "envelope_xdr": outcome.envelope_xdr,
        "result_xdr": outcome.result_xdr,
        "result_codes": codes,
    }
    return HorizonProblem(400, "transaction_failed", "Transaction Failed", _FAILED_DETAIL, extras)


def submission_timeout(tx_hash: str | None, envelope_xdr: str | None) -> HorizonProblem:
    """504 after (or instead of) submitting: the outcome is unknown to the client."""
    if tx_hash is None:
        return HorizonProblem(
            504,
            "timeout",
            "Timeout",
            "Your request timed out before completing.  Please try your request again. If you "
            "are submitting a transaction make sure you are sending exactly the same "
            "transaction (with the same sequence number).",
        )
    return HorizonProblem(
        504,
        "transaction_submission_timeout",
        "Transaction Submission Timeout",
        _SUBMISSION_TIMEOUT_DETAIL,
        {"hash": tx_hash, "envelope_xdr": envelope_xdr},
    )


def rate_limit_exceeded(retry_after_s: int) -> HorizonProblem:
    return HorizonProblem(
        429,
        "rate_limit_exceeded",
        "Rate Limit Exceeded",
        "The rate limit for the requesting IP address is over its alloted limit.  The allotted "
        "limit and remaining requests are specified in the `X-Ratelimit-Limit` and "
        "`X-Ratelimit-Remaining` headers.",
        headers={"Retry-After": str(retry_after_s)},
    )


def server_problem(status: int, slug: str | None = None) -> HorizonProblem:
    """5xx problems an injected fault (or a real failure) may answer with."""
    if status == 503 and slug == "stale_history":
        return HorizonProblem(
            503,
            "stale_history",
            "Historical DB Is Too Stale",
            "This horizon instance is configured to reject client requests when its historical "
            "database is too far behind the connected stellar-core.",
        )
    if status == 503:
        return HorizonProblem(
            503,
            slug or "service_unavailable",
            "Service Unavailable",
            "The request cannot be serviced at this time.",
        )
    return HorizonProblem(
        status,
        slug or "server_error",
        "Internal Server Error",
        "An error occurred while processing this request.  This is usually due to a bug within "
        "the server software.",
    )


def unsupported_media_type() -> HorizonProblem:
    return HorizonProblem(
        415,
        "unsupported_media_type",
        "Unsupported Media Type",
        "The request has an unsupported content type. Presently, the only supported content "
        "type is application/x-www-form-urlencoded.",
    )
