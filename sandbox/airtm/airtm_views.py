"""The JSON documents AirTM's V2 API answers: `PayinResponse`, `PayoutResponse`, `User`.

Amounts are JSON numbers of US dollars (at most two decimals), times are ISO 8601 UTC. Fields a
V2 schema marks optional are left out while they have no value.
"""

from __future__ import annotations

import time
from typing import Any

from sandbox.airtm.airtm_model import BANK, AirtmUser, Payin, Payout, number_from_cents


def iso(seconds: float) -> str:
    milliseconds = int(seconds * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{milliseconds:03d}Z"


def payin_json(payin: Payin) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": payin.payin_id,
        "code": payin.code,
        "hash": payin.hash,
        "status": payin.status,
        "amount": number_from_cents(payin.amount_cents),
        "netAmount": number_from_cents(payin.net_cents),
        "airtmFee": number_from_cents(payin.fee_cents),
        "description": payin.description,
        "items": [
            {
                "id": f"{payin.payin_id[:-4]}{index:04d}",
                "payinId": payin.payin_id,
                "description": description,
                "amount": number_from_cents(cents),
                "quantity": quantity,
            }
            for index, (description, cents, quantity) in enumerate(payin.items)
        ],
        "createdAt": iso(payin.created_at_s),
        "updatedAt": iso(payin.updated_at_s),
        "confirmationUri": payin.confirmation_uri,
        "cancelUri": payin.cancel_uri,
    }
    if payin.payer_id is not None:
        document["airtmUserId"] = payin.payer_id
        document["airtmUserEmail"] = payin.payer_email
    if payin.failure_reason is not None:
        document["failureReason"] = payin.failure_reason
    return document


def payout_json(payout: Payout) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": payout.payout_id,
        "hash": payout.hash,
        "code": payout.code,
        "airtmUserId": payout.recipient_id,
        "airtmUserEmail": payout.recipient_email,
        "requireIdVerified": False,
        "notes": payout.notes,
        "status": payout.status,
        "grossAmount": number_from_cents(payout.gross_cents),
        "amount": number_from_cents(payout.amount_cents),
        "netAmount": number_from_cents(payout.net_cents),
        "airtmFee": number_from_cents(payout.airtm_fee_cents),
        "enterpriseFee": number_from_cents(payout.enterprise_fee_cents),
        "createdAt": iso(payout.created_at_s),
        "updatedAt": iso(payout.updated_at_s),
    }
    if payout.reason_code is not None:
        document["reasonCode"] = payout.reason_code
        document["reasonDescription"] = payout.reason_description
    if payout.destination_type == BANK:  # OFFER-HUB's extension, not in V2
        document["destinationType"] = BANK
        document["destinationRef"] = payout.destination_ref
    return document


def user_json(user: AirtmUser) -> dict[str, Any]:
    return {
        "id": user.user_id,
        "status": user.status,
        "primaryEmail": True,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "country": user.country,
        "isVerified": user.verified,
    }
