"""The fiat ramp's routes: link an AirTM account, top-ups (create, list, get, refresh, cancel)
and the public callback AirTM sends payers back to."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from application.airtm_links import AirtmLinked, AirtmLinks
from application.topups import TopUpChanged, TopUps
from domain import identifiers
from domain.api_keys import READ, WRITE
from domain.errors import DomainError, ValidationError
from domain.money import Amount
from domain.topups import PROCESSING, SUCCEEDED
from interfaces.http.contract.answers import answers, or_existing, settles
from interfaces.http.edge.admission import PUBLIC, scope
from interfaces.http.edge.dependencies import Provided, Respond
from interfaces.http.edge.prefer import prefer_wait_s
from interfaces.http.edge.read_your_writes import ReadYourWrites
from interfaces.http.edge.responses import Envelope, Waiting
from interfaces.http.schemas.fiat import (
    AirtmLinkBody,
    CreateTopUpRequest,
    LinkAirtmRequest,
    TopUpBody,
    airtm_link_body,
    topup_body,
)
from interfaces.http.schemas.wire import UserIdQuery
from interfaces.settings import Settings
from projections.topups.view import TopUpsView

# What the payer's browser is sent to when TOPUP_SUCCESS_URL / TOPUP_CANCEL_URL are set.
REDIRECTED = "redirected to TOPUP_SUCCESS_URL or TOPUP_CANCEL_URL (`Location`)"


class AirtmLinksController(Controller):
    path = "/users"
    tags = ["users"]

    @post(
        "/{user_id:str}/airtm/link",
        opt=scope(WRITE) | or_existing(errors=(404, 409, 422, 502, 504)),
        sync_to_thread=True,
        operation_id="linkAirtm",
    )
    def link(
        self,
        user_id: FromPath[str],
        data: JSONBody[LinkAirtmRequest],
        airtm_links: Provided[AirtmLinks],
        respond: Respond,
    ) -> Response[Envelope[AirtmLinkBody]]:
        """Links the user to the AirTM account of `email`, which must be active and verified
        (422 AIRTM_USER_INVALID otherwise); linking again with the same e-mail is a no-op."""
        identifiers.parse_public_id(identifiers.USER, user_id)
        return respond.command(
            lambda ctx: airtm_links.link(user_id, data.email, ctx),
            lambda linked: airtm_link_body(linked.link),
            status=lambda linked: (
                201 if isinstance(linked, AirtmLinked) and linked.position else 200
            ),
        )


class TopUpsController(Controller):
    path = "/topups"
    tags = ["topups"]

    @post(
        "/",
        opt=scope(WRITE) | settles(errors=(404, 422)),
        sync_to_thread=True,
        operation_id="createTopUp",
    )
    def create(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[CreateTopUpRequest],
        topups: Provided[TopUps],
        settings: Provided[Settings],
        respond: Respond,
    ) -> Response[Envelope[TopUpBody]]:
        """Starts a top-up of `userId`'s balance through AirTM (202, TOPUP_CREATED); with
        `Prefer: wait=N` it answers once the payin exists, with the `confirmationUri` the
        user must visit to confirm it."""
        if data.currency is not None and data.currency != settings.currency:
            raise ValidationError(f"currency must be {settings.currency}", field="currency")
        identifiers.parse_public_id(identifiers.USER, data.user_id)
        amount = Amount.parse_positive(data.amount, settings.currency)
        return respond.command(
            lambda ctx: topups.create(data.user_id, amount, data.description, ctx),
            lambda changed: topup_body(changed.topup),
            status=202,
            waiting=Waiting(
                prefer_wait_s(request),
                lambda changed: TopUpChanged(topups.get(changed.topup.public_id), changed.position),
                lambda changed: changed.topup.status != "TOPUP_CREATED",
            ),
        )

    @get("/", opt=scope(READ), sync_to_thread=True, operation_id="listTopUps")
    def list_topups(
        self,
        request: Request[Any, Any, Any],
        topups_view: Provided[TopUpsView],
        read_your_writes: Provided[ReadYourWrites],
        respond: Respond,
        user_id: UserIdQuery = None,
        status: FromQuery[str | None] = None,
        limit: FromQuery[int | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> Response[Envelope[list[TopUpBody]]]:
        """Top-ups, newest first; filter by `userId` and `status`."""
        if user_id is not None:
            identifiers.parse_public_id(identifiers.USER, user_id)
        read_your_writes.wait(request, "topups")
        return respond.page(topups_view.list(user_id, status, limit, cursor), topup_body)

    @get(
        "/{topup_id:str}",
        opt=scope(READ) | answers(errors=(404,)),
        sync_to_thread=True,
        operation_id="getTopUp",
    )
    def get_topup(
        self, topup_id: FromPath[str], topups: Provided[TopUps], respond: Respond
    ) -> Response[Envelope[TopUpBody]]:
        """One top-up, current to the last event."""
        return respond.ok(topup_body(topups.get(topup_id)))

    @post(
        "/{topup_id:str}/refresh",
        opt=scope(WRITE) | answers(errors=(404, 409, 502, 504)),
        sync_to_thread=True,
        status_code=200,
        operation_id="refreshTopUp",
    )
    def refresh(
        self, topup_id: FromPath[str], topups: Provided[TopUps], respond: Respond
    ) -> Response[Envelope[TopUpBody]]:
        """Asks AirTM where the payin is now and applies it (crediting once if it succeeded)."""
        return respond.command(
            lambda ctx: topups.refresh(topup_id, ctx), lambda changed: topup_body(changed.topup)
        )

    @post(
        "/{topup_id:str}/cancel",
        opt=scope(WRITE) | settles(errors=(404, 409)),
        sync_to_thread=True,
        operation_id="cancelTopUp",
    )
    def cancel(
        self,
        request: Request[Any, Any, Any],
        topup_id: FromPath[str],
        topups: Provided[TopUps],
        respond: Respond,
    ) -> Response[Envelope[TopUpBody]]:
        """Cancels a top-up awaiting the user's confirmation (409 INVALID_STATE otherwise); the
        payin is canceled at AirTM (202; `Prefer: wait=N` waits for it)."""
        return respond.command(
            lambda ctx: topups.cancel(topup_id, ctx),
            lambda changed: topup_body(changed.topup),
            status=202,
            waiting=Waiting(
                prefer_wait_s(request),
                lambda changed: TopUpChanged(topups.get(topup_id), changed.position),
                lambda changed: changed.topup.is_terminal,
            ),
        )

    @get(
        "/{topup_id:str}/callback",
        opt=scope(PUBLIC) | answers(also={302: REDIRECTED}, errors=(404,)),
        sync_to_thread=True,
        operation_id="topUpCallback",
    )
    def callback(
        self,
        topup_id: FromPath[str],
        topups: Provided[TopUps],
        settings: Provided[Settings],
        respond: Respond,
        status: FromQuery[str | None] = None,
        code: FromQuery[str | None] = None,
    ) -> Response[Any]:
        """Where AirTM sends the payer back: the top-up is refreshed from AirTM (the query
        proves nothing), then the payer is redirected to TOPUP_SUCCESS_URL or TOPUP_CANCEL_URL
        when set, else answered with the top-up."""
        try:
            topup = topups.refresh(topup_id, respond.context).topup
        except DomainError:
            topup = topups.get(topup_id)  # AirTM unreachable: the webhook or reconciler follows
        fine = topup.status in (SUCCEEDED, PROCESSING)
        target = settings.topup_success_url if fine else settings.topup_cancel_url
        if target:
            query = urlencode({"topupId": topup.public_id, "status": topup.status})
            location = f"{target}{'&' if '?' in target else '?'}{query}"
            return Response(b"", status_code=302, headers={"location": location})
        return respond.ok(topup_body(topup))
