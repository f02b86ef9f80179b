"""The API's resources for the asynchronous client: made from `resources.py` by
`clients/python/unasync.py`. Do not edit: edit `resources.py` and run
`python clients/python/unasync.py`.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator
from typing import Any

from ledgerline_sdk import models as m
from ledgerline_sdk.transport import AsyncSender, Call, Page, page_of


def _body(**fields: Any) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}


class _Resource:
    def __init__(self, sender: AsyncSender) -> None:
        self._send = sender.send


class Users(_Resource):
    async def create(
        self,
        external_user_id: str,
        *,
        email: str | None = None,
        type: str | None = None,
        idempotency_key: str | None = None,
    ) -> m.User:
        """Creates the user, or returns the one with this external id."""
        body = _body(externalUserId=external_user_id, email=email, type=type)
        return await self._send(
            Call("POST", "/users", m.User, body=body, idempotency_key=idempotency_key)
        )

    async def get(self, user_id: str) -> m.User:
        return await self._send(Call("GET", f"/users/{user_id}", m.User, reads_models=True))

    async def link_airtm(
        self, user_id: str, email: str, *, idempotency_key: str | None = None
    ) -> m.AirtmLink:
        """Links the user to the AirTM account of `email` (fiat top-ups and withdrawals);
        linking again with the same e-mail returns the link."""
        path = f"/users/{user_id}/airtm/link"
        return await self._send(
            Call("POST", path, m.AirtmLink, body={"email": email}, idempotency_key=idempotency_key)
        )

    async def list(self, *, limit: int | None = None, cursor: str | None = None) -> Page[m.User]:
        params = {"limit": limit, "cursor": cursor}
        return await self._send(page_of("/users", m.User, params))

    async def iterate(self, *, limit: int | None = None) -> AsyncIterator[m.User]:
        cursor = None
        while True:
            page = await self.list(limit=limit, cursor=cursor)
            for item in page.items:
                yield item
            if not page.has_more:
                return
            cursor = page.next_cursor

    async def ledger(
        self,
        user_id: str,
        *,
        account: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[m.LedgerLine]:
        """Statement lines, newest first, with running balances."""
        params = {"account": account, "limit": limit, "cursor": cursor}
        path = f"/users/{user_id}/ledger"
        return await self._send(page_of(path, m.LedgerLine, params))


class Balances(_Resource):
    async def get(self, user_id: str) -> m.UserBalance:
        path = f"/users/{user_id}/balance"
        return await self._send(Call("GET", path, m.UserBalance, reads_models=True))

    async def proof(self, user_id: str, anchor: int) -> m.BalanceProof:
        """The user's leaf and path in the balance tree at the anchored position `anchor`;
        check it offline with `proof.verifies(root_hash, root_sum)` against the anchored root."""
        path = f"/users/{user_id}/balance/proof"
        params = {"anchor": str(anchor)}
        return await self._send(Call("GET", path, m.BalanceProof, params=params, reads_models=True))

    async def credit(
        self,
        user_id: str,
        amount: str,
        *,
        reason: str,
        reference: str | None = None,
        idempotency_key: str | None = None,
    ) -> m.BalanceOperation:
        """A manual credit (admin scope)."""
        return await self._adjust(user_id, "credit", amount, reason, reference, idempotency_key)

    async def debit(
        self,
        user_id: str,
        amount: str,
        *,
        reason: str,
        reference: str | None = None,
        idempotency_key: str | None = None,
    ) -> m.BalanceOperation:
        """A manual debit (admin scope); InsufficientFundsError beyond what is available."""
        return await self._adjust(user_id, "debit", amount, reason, reference, idempotency_key)

    async def _adjust(
        self,
        user_id: str,
        direction: str,
        amount: str,
        reason: str,
        reference: str | None,
        idempotency_key: str | None,
    ) -> m.BalanceOperation:
        body = _body(amount=amount, reason=reason, reference=reference)
        path = f"/users/{user_id}/balance/{direction}"
        return await self._send(
            Call("POST", path, m.BalanceOperation, body=body, idempotency_key=idempotency_key)
        )


class Wallets(_Resource):
    async def get(self, user_id: str) -> m.Wallet:
        return await self._send(
            Call("GET", f"/users/{user_id}/wallet", m.Wallet, reads_models=True)
        )

    async def deposit_instructions(self, user_id: str) -> m.DepositInstructions:
        path = f"/users/{user_id}/wallet/deposit"
        return await self._send(Call("GET", path, m.DepositInstructions, reads_models=True))


class Orders(_Resource):
    async def create(
        self,
        buyer_id: str,
        seller_id: str,
        amount: str,
        title: str,
        *,
        client_order_ref: str | None = None,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        platform_fee_bps: int | None = None,
        auto_release_after: int | str | None = None,
        milestones: builtins.list[dict[str, str]] | None = None,
        idempotency_key: str | None = None,
    ) -> m.Order:
        """An order; `milestones` (`{"milestoneRef", "title", "amount"}`, amounts summing to
        `amount`) make its escrow multi-release."""
        body = _body(
            buyerId=buyer_id,
            sellerId=seller_id,
            amount=amount,
            title=title,
            clientOrderRef=client_order_ref,
            description=description,
            metadata=metadata,
            platformFeeBps=platform_fee_bps,
            autoReleaseAfter=auto_release_after,
            milestones=milestones,
        )
        return await self._send(
            Call("POST", "/orders", m.Order, body=body, idempotency_key=idempotency_key)
        )

    async def get(self, order_id: str) -> m.Order:
        return await self._send(Call("GET", f"/orders/{order_id}", m.Order))

    async def list(
        self,
        *,
        buyer_id: str | None = None,
        seller_id: str | None = None,
        status: str | None = None,
        created_after: str | None = None,
        created_before: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[m.Order]:
        params = {
            "buyerId": buyer_id,
            "sellerId": seller_id,
            "status": status,
            "createdAfter": created_after,
            "createdBefore": created_before,
            "limit": limit,
            "cursor": cursor,
        }
        return await self._send(page_of("/orders", m.Order, params))

    async def iterate(
        self,
        *,
        buyer_id: str | None = None,
        seller_id: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[m.Order]:
        cursor = None
        while True:
            page = await self.list(
                buyer_id=buyer_id, seller_id=seller_id, status=status, limit=limit, cursor=cursor
            )
            for item in page.items:
                yield item
            if not page.has_more:
                return
            cursor = page.next_cursor

    async def reserve(self, order_id: str, *, idempotency_key: str | None = None) -> m.Order:
        """Buyer's available → reserved (InsufficientFundsError)."""
        return await self._command(order_id, "reserve", None, None, idempotency_key)

    async def cancel(
        self, order_id: str, *, reason: str | None = None, idempotency_key: str | None = None
    ) -> m.Order:
        return await self._command(order_id, "cancel", _body(reason=reason), None, idempotency_key)

    async def create_escrow(
        self, order_id: str, *, wait_s: float | None = None, idempotency_key: str | None = None
    ) -> m.Order:
        return await self._command(order_id, "escrow", None, wait_s, idempotency_key)

    async def fund_escrow(
        self, order_id: str, *, wait_s: float | None = None, idempotency_key: str | None = None
    ) -> m.Order:
        return await self._command(order_id, "escrow/fund", None, wait_s, idempotency_key)

    async def milestones(self, order_id: str) -> builtins.list[m.Milestone]:
        path = f"/orders/{order_id}/milestones"
        return await self._send(Call("GET", path, list[m.Milestone]))

    async def complete_milestone(
        self,
        order_id: str,
        ref: str,
        *,
        wait_s: float | None = None,
        idempotency_key: str | None = None,
    ) -> m.Order:
        """The seller marks milestone `ref` done."""
        step = f"milestones/{ref}/complete"
        return await self._command(order_id, step, None, wait_s, idempotency_key)

    async def approve_milestone(
        self,
        order_id: str,
        ref: str,
        *,
        wait_s: float | None = None,
        idempotency_key: str | None = None,
    ) -> m.Order:
        """The buyer approves milestone `ref`."""
        step = f"milestones/{ref}/approve"
        return await self._command(order_id, step, None, wait_s, idempotency_key)

    async def release_milestone(
        self,
        order_id: str,
        ref: str,
        *,
        wait_s: float | None = None,
        idempotency_key: str | None = None,
    ) -> m.Order:
        """Pays milestone `ref` to the seller (multi-release)."""
        step = f"milestones/{ref}/release"
        return await self._command(order_id, step, None, wait_s, idempotency_key)

    async def release(
        self, order_id: str, *, wait_s: float | None = None, idempotency_key: str | None = None
    ) -> m.Order:
        """Pays the escrow to the seller."""
        return await self._command(order_id, "resolution/release", None, wait_s, idempotency_key)

    async def refund(
        self,
        order_id: str,
        *,
        reason: str,
        wait_s: float | None = None,
        idempotency_key: str | None = None,
    ) -> m.Order:
        """Returns the escrow to the buyer."""
        body = _body(reason=reason)
        return await self._command(order_id, "resolution/refund", body, wait_s, idempotency_key)

    async def open_dispute(
        self,
        order_id: str,
        *,
        opened_by: str,
        reason: str,
        evidence: builtins.list[str] | None = None,
        idempotency_key: str | None = None,
    ) -> m.Dispute:
        body = _body(openedBy=opened_by, reason=reason, evidence=evidence)
        path = f"/orders/{order_id}/resolution/dispute"
        return await self._send(
            Call("POST", path, m.Dispute, body=body, idempotency_key=idempotency_key)
        )

    async def _command(
        self,
        order_id: str,
        step: str,
        body: dict[str, Any] | None,
        wait_s: float | None,
        idempotency_key: str | None,
    ) -> m.Order:
        path = f"/orders/{order_id}/{step}"
        call = Call(
            "POST", path, m.Order, body=body, wait_s=wait_s, idempotency_key=idempotency_key
        )
        return await self._send(call)


class Disputes(_Resource):
    async def get(self, dispute_id: str) -> m.Dispute:
        return await self._send(Call("GET", f"/disputes/{dispute_id}", m.Dispute))

    async def list(
        self,
        *,
        order_id: str | None = None,
        status: str | None = None,
        opened_by: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[m.Dispute]:
        params = {
            "orderId": order_id,
            "status": status,
            "openedBy": opened_by,
            "limit": limit,
            "cursor": cursor,
        }
        return await self._send(page_of("/disputes", m.Dispute, params))

    async def assign(
        self, dispute_id: str, assigned_to: str, *, idempotency_key: str | None = None
    ) -> m.Dispute:
        """Puts the dispute under review (support scope)."""
        body = {"assignedTo": assigned_to}
        path = f"/disputes/{dispute_id}/assign"
        return await self._send(
            Call("POST", path, m.Dispute, body=body, idempotency_key=idempotency_key)
        )

    async def resolve(
        self,
        dispute_id: str,
        decision: str,
        *,
        release_amount: str | None = None,
        refund_amount: str | None = None,
        note: str | None = None,
        wait_s: float | None = None,
        idempotency_key: str | None = None,
    ) -> m.Dispute:
        """FULL_RELEASE, FULL_REFUND, or SPLIT with both amounts (support scope)."""
        body = _body(
            decision=decision, releaseAmount=release_amount, refundAmount=refund_amount, note=note
        )
        path = f"/disputes/{dispute_id}/resolve"
        call = Call(
            "POST", path, m.Dispute, body=body, wait_s=wait_s, idempotency_key=idempotency_key
        )
        return await self._send(call)


class Withdrawals(_Resource):
    async def create(
        self,
        user_id: str,
        amount: str,
        destination_ref: str,
        *,
        description: str | None = None,
        wait_s: float | None = None,
        idempotency_key: str | None = None,
    ) -> m.Withdrawal:
        """Pays `amount` out to the Stellar address `destination_ref`."""
        body = _body(
            userId=user_id,
            amount=amount,
            destinationType="crypto",
            destinationRef=destination_ref,
            description=description,
        )
        call = Call(
            "POST",
            "/withdrawals",
            m.Withdrawal,
            body=body,
            wait_s=wait_s,
            idempotency_key=idempotency_key,
        )
        return await self._send(call)

    async def get(self, withdrawal_id: str) -> m.Withdrawal:
        return await self._send(Call("GET", f"/withdrawals/{withdrawal_id}", m.Withdrawal))

    async def list(
        self,
        *,
        user_id: str | None = None,
        status: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[m.Withdrawal]:
        params = {"userId": user_id, "status": status, "limit": limit, "cursor": cursor}
        call = page_of("/withdrawals", m.Withdrawal, params)
        return await self._send(call)

    async def create_fiat(
        self,
        user_id: str,
        amount: str,
        destination_ref: str,
        *,
        destination_type: str = "airtm_balance",
        commit: bool = True,
        description: str | None = None,
        wait_s: float | None = None,
        idempotency_key: str | None = None,
    ) -> m.Withdrawal:
        """Pays `amount` out through AirTM (`destination_type` "airtm_balance" to the AirTM
        account of the e-mail `destination_ref`, or "bank"); with `commit=False` the payout
        waits for `commit`."""
        body = _body(
            userId=user_id,
            amount=amount,
            destinationType=destination_type,
            destinationRef=destination_ref,
            description=description,
            commit=commit,
        )
        call = Call(
            "POST",
            "/withdrawals",
            m.Withdrawal,
            body=body,
            wait_s=wait_s,
            idempotency_key=idempotency_key,
        )
        return await self._send(call)

    async def cancel(
        self, withdrawal_id: str, *, reason: str | None = None, idempotency_key: str | None = None
    ) -> m.Withdrawal:
        body = _body(reason=reason)
        path = f"/withdrawals/{withdrawal_id}/cancel"
        return await self._send(
            Call("POST", path, m.Withdrawal, body=body, idempotency_key=idempotency_key)
        )

    async def commit(
        self,
        withdrawal_id: str,
        *,
        wait_s: float | None = None,
        idempotency_key: str | None = None,
    ) -> m.Withdrawal:
        """Commits a fiat withdrawal created with `commit=False`."""
        path = f"/withdrawals/{withdrawal_id}/commit"
        return await self._send(
            Call("POST", path, m.Withdrawal, wait_s=wait_s, idempotency_key=idempotency_key)
        )

    async def refresh(
        self, withdrawal_id: str, *, idempotency_key: str | None = None
    ) -> m.Withdrawal:
        """Asks AirTM where a fiat withdrawal's payout is now and applies it."""
        path = f"/withdrawals/{withdrawal_id}/refresh"
        return await self._send(Call("POST", path, m.Withdrawal, idempotency_key=idempotency_key))


class TopUps(_Resource):
    """Fiat top-ups through AirTM (when the service runs with the AirTM provider)."""

    async def create(
        self,
        user_id: str,
        amount: str,
        *,
        description: str | None = None,
        wait_s: float | None = None,
        idempotency_key: str | None = None,
    ) -> m.TopUp:
        """Starts a top-up; with `wait_s` it returns once the payin exists, with the
        `confirmation_uri` the user must visit to confirm it."""
        body = _body(userId=user_id, amount=amount, description=description)
        call = Call(
            "POST", "/topups", m.TopUp, body=body, wait_s=wait_s, idempotency_key=idempotency_key
        )
        return await self._send(call)

    async def get(self, topup_id: str) -> m.TopUp:
        return await self._send(Call("GET", f"/topups/{topup_id}", m.TopUp))

    async def list(
        self,
        *,
        user_id: str | None = None,
        status: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[m.TopUp]:
        params = {"userId": user_id, "status": status, "limit": limit, "cursor": cursor}
        return await self._send(page_of("/topups", m.TopUp, params))

    async def iterate(
        self, *, user_id: str | None = None, status: str | None = None, limit: int | None = None
    ) -> AsyncIterator[m.TopUp]:
        cursor = None
        while True:
            page = await self.list(user_id=user_id, status=status, limit=limit, cursor=cursor)
            for item in page.items:
                yield item
            if not page.has_more:
                return
            cursor = page.next_cursor

    async def refresh(self, topup_id: str, *, idempotency_key: str | None = None) -> m.TopUp:
        """Asks AirTM where the payin is now and applies it (crediting once if it succeeded)."""
        path = f"/topups/{topup_id}/refresh"
        return await self._send(Call("POST", path, m.TopUp, idempotency_key=idempotency_key))

    async def cancel(
        self, topup_id: str, *, wait_s: float | None = None, idempotency_key: str | None = None
    ) -> m.TopUp:
        """Cancels a top-up the user has not confirmed yet."""
        path = f"/topups/{topup_id}/cancel"
        return await self._send(
            Call("POST", path, m.TopUp, wait_s=wait_s, idempotency_key=idempotency_key)
        )


class Deposits(_Resource):
    async def list(
        self, *, user_id: str | None = None, limit: int | None = None, cursor: str | None = None
    ) -> Page[m.Deposit]:
        params = {"userId": user_id, "limit": limit, "cursor": cursor}
        return await self._send(page_of("/deposits", m.Deposit, params))

    async def iterate(
        self, *, user_id: str | None = None, limit: int | None = None
    ) -> AsyncIterator[m.Deposit]:
        cursor = None
        while True:
            page = await self.list(user_id=user_id, limit=limit, cursor=cursor)
            for item in page.items:
                yield item
            if not page.has_more:
                return
            cursor = page.next_cursor


class WebhookEndpoints(_Resource):
    async def create(
        self,
        url: str,
        *,
        events: builtins.list[str] | None = None,
        description: str | None = None,
        idempotency_key: str | None = None,
    ) -> m.CreatedWebhookEndpoint:
        """Registers an endpoint; keep the returned `secret` to verify deliveries."""
        body = _body(url=url, events=events, description=description)
        call = Call(
            "POST",
            "/webhooks/endpoints",
            m.CreatedWebhookEndpoint,
            body=body,
            idempotency_key=idempotency_key,
        )
        return await self._send(call)

    async def get(self, endpoint_id: str) -> m.WebhookEndpoint:
        return await self._send(
            Call("GET", f"/webhooks/endpoints/{endpoint_id}", m.WebhookEndpoint)
        )

    async def list(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[m.WebhookEndpoint]:
        params = {"limit": limit, "cursor": cursor}
        call = page_of("/webhooks/endpoints", m.WebhookEndpoint, params)
        return await self._send(call)

    async def delete(
        self, endpoint_id: str, *, idempotency_key: str | None = None
    ) -> m.WebhookEndpointChange:
        path = f"/webhooks/endpoints/{endpoint_id}"
        return await self._send(
            Call("DELETE", path, m.WebhookEndpointChange, idempotency_key=idempotency_key)
        )

    async def replay(
        self, endpoint_id: str, from_position: int, *, idempotency_key: str | None = None
    ) -> m.ReplayAccepted:
        body = {"fromPosition": from_position}
        path = f"/webhooks/endpoints/{endpoint_id}/replay"
        return await self._send(
            Call("POST", path, m.ReplayAccepted, body=body, idempotency_key=idempotency_key)
        )


class Keys(_Resource):
    async def create(
        self,
        name: str,
        scopes: builtins.list[str],
        *,
        expires_at: str | None = None,
        rate_limit_per_minute: int | None = None,
        idempotency_key: str | None = None,
    ) -> m.CreatedApiKey:
        """Issues a key (admin scope); its secret is in `.key`, shown only now."""
        body = _body(
            name=name, scopes=scopes, expiresAt=expires_at, rateLimitPerMinute=rate_limit_per_minute
        )
        return await self._send(
            Call(
                "POST",
                "/auth/api-keys",
                m.CreatedApiKey,
                body=body,
                idempotency_key=idempotency_key,
            )
        )

    async def list(self, *, limit: int | None = None, cursor: str | None = None) -> Page[m.ApiKey]:
        params = {"limit": limit, "cursor": cursor}
        return await self._send(page_of("/auth/api-keys", m.ApiKey, params))

    async def revoke(self, key_id: str, *, idempotency_key: str | None = None) -> m.RevokedApiKey:
        path = f"/auth/api-keys/{key_id}"
        return await self._send(
            Call("DELETE", path, m.RevokedApiKey, idempotency_key=idempotency_key)
        )

    async def token(
        self,
        *,
        scopes: builtins.list[str] | None = None,
        ttl_s: int | None = None,
        key_id: str | None = None,
    ) -> m.Token:
        """A short-lived token (≤ 1 h) for this key (or, for an admin, key `key_id`)."""
        path = "/auth/token" if key_id is None else f"/auth/api-keys/{key_id}/token"
        body = _body(scopes=scopes, ttlSeconds=ttl_s)
        return await self._send(Call("POST", path, m.Token, body=body))

    async def me(self) -> m.Me:
        return await self._send(Call("GET", "/auth/me", m.Me))
