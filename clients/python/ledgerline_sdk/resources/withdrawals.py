"""Withdrawals to a Stellar address, a bank account or an AirTM wallet.

The asynchronous twin of this module is made from it by `clients/python/unasync.py`.
"""

from __future__ import annotations

from ledgerline_sdk import models as m
from ledgerline_sdk.resources._base import _body, _Resource
from ledgerline_sdk.transport import Call, Page, page_of


class Withdrawals(_Resource):
    def create(
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
        return self._send(call)

    def get(self, withdrawal_id: str) -> m.Withdrawal:
        return self._send(Call("GET", f"/withdrawals/{withdrawal_id}", m.Withdrawal))

    def list(
        self,
        *,
        user_id: str | None = None,
        status: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[m.Withdrawal]:
        params = {"userId": user_id, "status": status, "limit": limit, "cursor": cursor}
        call = page_of("/withdrawals", m.Withdrawal, params)
        return self._send(call)

    def create_fiat(
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
        return self._send(call)

    def cancel(
        self, withdrawal_id: str, *, reason: str | None = None, idempotency_key: str | None = None
    ) -> m.Withdrawal:
        body = _body(reason=reason)
        path = f"/withdrawals/{withdrawal_id}/cancel"
        return self._send(
            Call("POST", path, m.Withdrawal, body=body, idempotency_key=idempotency_key)
        )

    def commit(
        self,
        withdrawal_id: str,
        *,
        wait_s: float | None = None,
        idempotency_key: str | None = None,
    ) -> m.Withdrawal:
        """Commits a fiat withdrawal created with `commit=False`."""
        path = f"/withdrawals/{withdrawal_id}/commit"
        return self._send(
            Call("POST", path, m.Withdrawal, wait_s=wait_s, idempotency_key=idempotency_key)
        )

    def refresh(self, withdrawal_id: str, *, idempotency_key: str | None = None) -> m.Withdrawal:
        """Asks AirTM where a fiat withdrawal's payout is now and applies it."""
        path = f"/withdrawals/{withdrawal_id}/refresh"
        return self._send(Call("POST", path, m.Withdrawal, idempotency_key=idempotency_key))
