"""Wire types of the fiat ramp: AirTM links, top-ups, and AirTM's webhook receipts."""

from __future__ import annotations

from domain.airtm_links import AirtmLink
from domain.money import Amount
from domain.topups import TopUp
from interfaces.http.edge.responses import iso
from interfaces.http.schemas.wire import (
    AmountIn,
    Body,
    Code,
    Email,
    Request,
    TopUpDescription,
    UserIdIn,
)
from projections.topups.view import TopUpRow


class LinkAirtmRequest(Request):
    email: Email


class AirtmLinkBody(Body):
    user_id: str
    airtm_user_id: str
    email: str
    eligible: bool
    airtm_linked_at: str | None


def airtm_link_body(link: AirtmLink) -> AirtmLinkBody:
    return AirtmLinkBody(
        user_id=link.user_id,
        airtm_user_id=link.airtm_user_id,
        email=link.email,
        eligible=True,
        airtm_linked_at=iso(link.created_on),
    )


class CreateTopUpRequest(Request):
    user_id: UserIdIn
    amount: AmountIn
    currency: Code | None = None
    description: TopUpDescription | None = None


class TopUpBody(Body):
    id: str
    user_id: str
    amount: str
    currency: str
    status: str
    provider: str
    description: str | None
    airtm_payin_id: str | None
    confirmation_uri: str | None
    fee: str | None
    credited: str | None
    failure_reason: str | None
    cancel_requested: bool
    parked: bool
    created_at: str | None
    updated_at: str | None


def topup_body(source: TopUp | TopUpRow) -> TopUpBody:
    if isinstance(source, TopUp):
        ident, created, updated = source.public_id, source.created_on, source.modified_on
        canceling = source.cancel_requested_by is not None
    else:
        ident, created, updated = source.topup_id, source.created_at, source.updated_at
        canceling = source.cancel_requested
    currency = source.currency

    def wire(stroops: int | None) -> str | None:
        return None if stroops is None else Amount(stroops, currency).to_wire()

    return TopUpBody(
        id=ident,
        user_id=source.user_id,
        amount=Amount(source.amount_stroops, currency).to_wire(),
        currency=currency,
        status=source.status,
        provider=source.provider,
        description=source.description,
        airtm_payin_id=source.payin_id,
        confirmation_uri=source.confirmation_uri,
        fee=wire(source.fee_stroops),
        credited=wire(source.credited_stroops),
        failure_reason=source.failure_reason,
        cancel_requested=canceling,
        parked=source.parked_step is not None,
        created_at=iso(created),
        updated_at=iso(updated),
    )


class AirtmNoticeBody(Body):
    status: str
    id: str
    type: str
    processed: bool
    duplicate: bool
