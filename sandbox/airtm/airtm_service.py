"""AirTM's backend: the enterprise's balance, its users' wallets, payins and payouts over time.

Money is conserved in integer cents: a confirmed payin moves its amount out of the payer's
wallet, its net into the enterprise's balance and its fee to AirTM; a committed payout takes its
amount out of the enterprise's balance and, when completed, pays its net into the recipient's
wallet (or a bank) and its fee to AirTM; a failed or canceled one gives the enterprise its amount
back. `tick` moves statuses on the sandbox clock (processing delays, expiry) and every change of
status that V2 declares a webhook for is handed to the webhook courier.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from sandbox.airtm.airtm_model import (
    AIRTM_BALANCE,
    PAYIN_CANCELED,
    PAYIN_CONFIRMED,
    PAYIN_CREATED,
    PAYIN_FAILED,
    PAYIN_PROCESSING,
    PAYOUT_CANCELED,
    PAYOUT_COMMITTED,
    PAYOUT_COMPLETED,
    PAYOUT_CREATED,
    PAYOUT_FAILED,
    PAYOUT_PENDING,
    USER_ACTIVE,
    USER_STATUSES,
    AirtmError,
    AirtmUser,
    Payin,
    Payout,
    cents_from_number,
    check_email,
    fee_cents,
)
from sandbox.airtm.airtm_requests import PayinRequest, PayoutRequest
from sandbox.airtm.airtm_views import payin_json, payout_json
from sandbox.clock import LedgerClock

# Emits one webhook: (event type, the object's id, the V2 payload document).
WebhookEmitter = Callable[[str, str, dict[str, Any]], None]


@dataclass(frozen=True)
class AirtmConfig:
    api_key: str
    api_secret: str
    payin_fee_bps: int = 100
    payout_fee_bps: int = 100
    # Sandbox-clock seconds between a payer's confirmation and the payin settling, and between
    # a commit and the payout settling.
    payin_processing_s: float = 2.0
    payout_processing_s: float = 2.0
    payin_expiry_s: float = 86_400.0
    # V2: "Pending payouts will automatically cancel after 90 days".
    payout_pending_cancel_s: float = 90 * 86_400.0
    enterprise_balance_cents: int = 1_000_000 * 100


@dataclass
class AirtmState:
    users: dict[str, AirtmUser] = field(default_factory=dict)  # by lower-cased email
    payins: dict[str, Payin] = field(default_factory=dict)
    payouts: dict[str, Payout] = field(default_factory=dict)
    payin_codes: dict[str, str] = field(default_factory=dict)
    payout_codes: dict[str, str] = field(default_factory=dict)
    enterprise_balance_cents: int = 0
    fees_collected_cents: int = 0
    bank_transfers_cents: int = 0
    # Money the control API gave users' wallets: with the opening balance, all there is.
    minted_cents: int = 0
    created: int = 0


class AirtmService:
    def __init__(self, config: AirtmConfig, clock: LedgerClock, seed: int):
        self.config = config
        self._clock = clock
        self._seed = seed
        self._lock = threading.RLock()
        self._emit: WebhookEmitter = lambda event_type, object_id, data: None
        self.state = self._genesis()

    def on_webhook(self, emit: WebhookEmitter) -> None:
        self._emit = emit

    def reset(self) -> None:
        with self._lock:
            self.state = self._genesis()

    def _genesis(self) -> AirtmState:
        return AirtmState(enterprise_balance_cents=self.config.enterprise_balance_cents)

    # -- users ---------------------------------------------------------------------------------

    def add_user(self, body: dict[str, Any]) -> AirtmUser:
        with self._lock:
            email = check_email(body.get("email"))
            user = self.state.users.get(email) or AirtmUser(self._user_id(email), email)
            self.state.users[email] = user
            self._change_user(user, body)
            return user

    def update_user(self, email: str, body: dict[str, Any]) -> AirtmUser:
        with self._lock:
            user = self.user(email)
            self._change_user(user, body)
            return user

    def user(self, email: str) -> AirtmUser:
        found = self.state.users.get(email.lower())
        if found is None:
            raise AirtmError(404, "USER_NOT_FOUND", "User not found", email=email[:80])
        return found

    def _change_user(self, user: AirtmUser, body: dict[str, Any]) -> None:
        status = body.get("status", user.status)
        verified = body.get("verified", user.verified)
        if status not in USER_STATUSES or not isinstance(verified, bool):
            raise AirtmError(400, "VALIDATION_ERROR", "status must be active|inactive")
        user.status, user.verified = status, verified
        if "balance" in body:  # money from outside the simulation (the user's own funding)
            balance = 0 if body["balance"] == 0 else cents_from_number(body["balance"], "balance")
            self.state.minted_cents += balance - user.balance_cents
            user.balance_cents = balance
        for key, attribute in (("firstName", "first_name"), ("lastName", "last_name")):
            if isinstance(body.get(key), str):
                setattr(user, attribute, body[key])
        if isinstance(body.get("country"), str):
            user.country = body["country"]

    # -- payins --------------------------------------------------------------------------------

    def create_payin(self, request: PayinRequest) -> Payin:
        with self._lock:
            code, amount = request.code, request.amount_cents
            existing = self.state.payin_codes.get(code)
            if existing is not None:
                raise AirtmError(409, "DUPLICATE_CODE", "A payin with this code already exists")
            now = self._clock.now_s()
            payin = Payin(
                payin_id=self._next_id("payin"),
                code=code,
                amount_cents=amount,
                fee_cents=fee_cents(amount, self.config.payin_fee_bps),
                description=request.description,
                confirmation_uri=request.confirmation_uri,
                cancel_uri=request.cancel_uri,
                created_at_s=now,
                items=list(request.items),
                updated_at_s=now,
            )
            payin.hash = self._hash(payin.payin_id)
            self.state.payins[payin.payin_id] = payin
            self.state.payin_codes[code] = payin.payin_id
            self._announce_payin("payin.created", payin)
            return payin

    def payin(self, payin_id: str) -> Payin:
        found = self.state.payins.get(payin_id)
        if found is None:
            raise AirtmError(404, "PAYIN_NOT_FOUND", "Payin not found", id=payin_id[:80])
        return found

    def payin_by_code(self, code: str) -> Payin:
        return self.payin(self.state.payin_codes.get(code, code))

    def cancel_payin(self, payin_id: str, reason: str = "Canceled by the partner") -> Payin:
        with self._lock:
            payin = self.payin(payin_id)
            if payin.status != PAYIN_CREATED:
                raise AirtmError(
                    409,
                    "PAYIN_NOT_CANCELABLE",
                    "Only pending payins can be canceled",
                    status=payin.status,
                )
            self._settle_payin(payin, PAYIN_CANCELED, reason)
            return payin

    def checkout(self, payin_id: str, action: str, email: object) -> str:
        """The payer confirms or cancels at AirTM's checkout; answers where to redirect them."""
        with self._lock:
            payin = self.payin(payin_id)
            if payin.status != PAYIN_CREATED:
                raise AirtmError(409, "PAYIN_COMPLETED", "This payin is no longer pending")
            if action == "cancel":
                self._settle_payin(payin, PAYIN_CANCELED, "Canceled by the payer")
                return _with_code(payin.cancel_uri, payin.code)
            if action != "confirm":
                raise AirtmError(400, "VALIDATION_ERROR", "action must be confirm or cancel")
            payer = self.user(check_email(email))
            if payer.status != USER_ACTIVE:
                raise AirtmError(403, "USER_INACTIVE", "This AirTM account is inactive")
            if payer.balance_cents < payin.amount_cents:
                raise AirtmError(402, "INSUFFICIENT_FUNDS", "Not enough balance to pay")
            payer.balance_cents -= payin.amount_cents
            payin.payer_id, payin.payer_email = payer.user_id, payer.email
            payin.status = PAYIN_PROCESSING
            payin.updated_at_s = self._clock.now_s()
            payin.settles_at_s = payin.updated_at_s + self.config.payin_processing_s
            return _with_code(payin.confirmation_uri, payin.code)

    def fail_payin_when_settling(self, payin_id: str, reason: str) -> Payin:
        with self._lock:
            payin = self.payin(payin_id)
            payin.forced_failure = reason or "Declined by the sandbox"
            return payin

    # -- payouts -------------------------------------------------------------------------------

    def create_payout(self, request: PayoutRequest) -> Payout:
        with self._lock:
            code = request.code or self._next_id("code")
            if code in self.state.payout_codes:
                raise AirtmError(409, "DUPLICATE_CODE", "A payout with this code already exists")
            amount = request.gross_cents - request.enterprise_fee_cents
            now = self._clock.now_s()
            payout = Payout(
                payout_id=self._next_id("payout"),
                code=code,
                recipient_email=request.email,
                gross_cents=request.gross_cents,
                enterprise_fee_cents=request.enterprise_fee_cents,
                airtm_fee_cents=fee_cents(amount, self.config.payout_fee_bps),
                notes=request.notes,
                destination_type=request.destination_type,
                destination_ref=request.destination_ref,
                created_at_s=now,
                updated_at_s=now,
            )
            recipient = self.state.users.get(request.email)
            payout.recipient_id = recipient.user_id if recipient else None
            payout.hash = self._hash(payout.payout_id)
            if request.commit:
                self._debit_enterprise(payout)
            self.state.payouts[payout.payout_id] = payout
            self.state.payout_codes[code] = payout.payout_id
            if request.commit:
                self._start_payout(payout)
            self._announce_payout("payout.created", payout)
            return payout

    def payout(self, payout_id: str) -> Payout:
        found = self.state.payouts.get(payout_id)
        if found is None:
            raise AirtmError(404, "PAYOUT_NOT_FOUND", "Payout not found", id=payout_id[:80])
        return found

    def payout_by_code(self, code: str) -> Payout:
        return self.payout(self.state.payout_codes.get(code, code))

    def commit_payout(self, payout_id: str) -> Payout:
        with self._lock:
            payout = self.payout(payout_id)
            if payout.status != PAYOUT_CREATED:
                raise AirtmError(
                    409,
                    "PAYOUT_NOT_COMMITTABLE",
                    "Only a created payout can be committed",
                    status=payout.status,
                )
            self._debit_enterprise(payout)
            self._start_payout(payout)
            return payout

    def cancel_payout(self, payout_id: str) -> Payout:
        with self._lock:
            payout = self.payout(payout_id)
            if payout.status not in (PAYOUT_CREATED, PAYOUT_PENDING):
                raise AirtmError(
                    409,
                    "PAYOUT_NOT_CANCELABLE",
                    "Only CREATED or PENDING payouts can be canceled",
                    status=payout.status,
                )
            self._settle_payout(payout, PAYOUT_CANCELED, "CANCELED", "Canceled by the partner")
            return payout

    def fail_payout_when_settling(self, payout_id: str, reason: str) -> Payout:
        with self._lock:
            payout = self.payout(payout_id)
            payout.forced_failure = reason or "Declined by the sandbox"
            return payout

    # -- time ----------------------------------------------------------------------------------

    def tick(self) -> int:
        """Applies every status change due on the sandbox clock; answers how many."""
        changed = 0
        with self._lock:
            now = self._clock.now_s()
            for payin in list(self.state.payins.values()):
                changed += self._tick_payin(payin, now)
            for payout in list(self.state.payouts.values()):
                changed += self._tick_payout(payout, now)
        return changed

    def _tick_payin(self, payin: Payin, now: float) -> int:
        if payin.status == PAYIN_CREATED and now >= payin.created_at_s + self.config.payin_expiry_s:
            self._settle_payin(payin, PAYIN_CANCELED, "The payin expired")
            return 1
        if payin.status != PAYIN_PROCESSING or payin.settles_at_s is None:
            return 0
        if now < payin.settles_at_s:
            return 0
        if payin.forced_failure:
            self._settle_payin(payin, PAYIN_FAILED, payin.forced_failure)
        else:
            self._settle_payin(payin, PAYIN_CONFIRMED, None)
        return 1

    def _tick_payout(self, payout: Payout, now: float) -> int:
        due = payout.settles_at_s is not None and now >= payout.settles_at_s
        if payout.status == PAYOUT_COMMITTED and due:
            self._conclude_payout(payout)
            return 1
        if payout.status != PAYOUT_PENDING:
            return 0
        recipient = self.state.users.get(payout.recipient_email)
        if recipient is not None and recipient.eligible:
            self._complete_payout(payout, recipient)
            return 1
        if now >= payout.updated_at_s + self.config.payout_pending_cancel_s:
            self._settle_payout(payout, PAYOUT_CANCELED, "EXPIRED", "The recipient never acted")
            return 1
        return 0

    def _conclude_payout(self, payout: Payout) -> None:
        recipient = self.state.users.get(payout.recipient_email)
        if payout.forced_failure:
            self._settle_payout(payout, PAYOUT_FAILED, "DECLINED", payout.forced_failure)
        elif recipient is not None and recipient.status != USER_ACTIVE:
            self._settle_payout(payout, PAYOUT_FAILED, "USER_INACTIVE", "The recipient is inactive")
        elif recipient is None or not recipient.verified:
            payout.status = PAYOUT_PENDING
            payout.reason_code = "RECIPIENT_ACTION_REQUIRED"
            payout.reason_description = (
                "The recipient must sign up" if recipient is None else "The recipient must verify"
            )
            payout.updated_at_s = self._clock.now_s()
        else:
            self._complete_payout(payout, recipient)

    def _complete_payout(self, payout: Payout, recipient: AirtmUser) -> None:
        payout.recipient_id = recipient.user_id
        if payout.destination_type == AIRTM_BALANCE:
            recipient.balance_cents += payout.net_cents
        else:
            self.state.bank_transfers_cents += payout.net_cents
        self.state.fees_collected_cents += payout.airtm_fee_cents
        payout.status = PAYOUT_COMPLETED
        payout.reason_code = payout.reason_description = None
        payout.updated_at_s = self._clock.now_s()
        self._announce_payout("payout.completed", payout)

    # -- money movements -----------------------------------------------------------------------

    def _settle_payin(self, payin: Payin, status: str, reason: str | None) -> None:
        if status == PAYIN_CONFIRMED:
            self.state.enterprise_balance_cents += payin.net_cents
            self.state.fees_collected_cents += payin.fee_cents
        elif payin.status == PAYIN_PROCESSING and payin.payer_email is not None:
            self.state.users[payin.payer_email].balance_cents += payin.amount_cents
        payin.status, payin.failure_reason = status, reason
        payin.updated_at_s = self._clock.now_s()
        event_type = {
            PAYIN_CONFIRMED: "payin.confirmed",
            PAYIN_FAILED: "payin.failed",
            PAYIN_CANCELED: "payin.canceled",
        }[status]
        self._announce_payin(event_type, payin)

    def _debit_enterprise(self, payout: Payout) -> None:
        if self.state.enterprise_balance_cents < payout.amount_cents:
            raise AirtmError(
                400, "INSUFFICIENT_BALANCE", "The enterprise balance does not cover this payout"
            )
        self.state.enterprise_balance_cents -= payout.amount_cents

    def _start_payout(self, payout: Payout) -> None:
        payout.status = PAYOUT_COMMITTED
        payout.updated_at_s = self._clock.now_s()
        payout.settles_at_s = payout.updated_at_s + self.config.payout_processing_s

    def _settle_payout(self, payout: Payout, status: str, code: str, reason: str) -> None:
        if payout.status != PAYOUT_CREATED:  # the enterprise's money was taken: return it
            self.state.enterprise_balance_cents += payout.amount_cents
        payout.status, payout.reason_code, payout.reason_description = status, code, reason
        payout.updated_at_s = self._clock.now_s()
        self._announce_payout(
            "payout.failed" if status == PAYOUT_FAILED else "payout.canceled", payout
        )

    # -- ids and announcements -----------------------------------------------------------------

    def _announce_payin(self, event_type: str, payin: Payin) -> None:
        self._emit(event_type, payin.payin_id, payin_json(payin))

    def _announce_payout(self, event_type: str, payout: Payout) -> None:
        self._emit(event_type, payout.payout_id, payout_json(payout))

    def _next_id(self, kind: str) -> str:
        self.state.created += 1
        return str(uuid.uuid5(self._namespace(), f"{kind}/{self.state.created}"))

    def _user_id(self, email: str) -> str:
        return str(uuid.uuid5(self._namespace(), f"user/{email}"))

    def _namespace(self) -> uuid.UUID:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"ledgerline-sandbox/{self._seed}/airtm")

    def _hash(self, object_id: str) -> str:
        return hashlib.sha256(f"{self._seed}/{object_id}".encode()).hexdigest()[:32]

    def conserved(self) -> bool:
        """Every cent is somewhere: wallets, the enterprise, fees, banks, or money in flight."""
        state = self.state
        in_flight = sum(
            p.amount_cents for p in state.payins.values() if p.status == PAYIN_PROCESSING
        ) + sum(
            p.amount_cents
            for p in state.payouts.values()
            if p.status in (PAYOUT_COMMITTED, PAYOUT_PENDING)
        )
        held = (
            sum(user.balance_cents for user in state.users.values())
            + state.enterprise_balance_cents
            + state.fees_collected_cents
            + state.bank_transfers_cents
        )
        return held + in_flight == self.config.enterprise_balance_cents + state.minted_cents


def _with_code(uri: str, code: str) -> str:
    return f"{uri}{'&' if '?' in uri else '?'}code={quote(code, safe='')}"
