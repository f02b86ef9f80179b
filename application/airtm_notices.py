"""Use case: a webhook AirTM sent, verified, recorded once and applied to the books.

Verification is the provider port's (Svix signatures, five-minute window) and can never be
switched off: a notice that does not verify raises before anything is read. A verified notice is
recorded as an `IncomingWebhook` under its delivery id (`svix-id`, the same on every retry), so a
duplicate is answered `duplicate: true` and applied no more; it is applied before it is recorded,
so a crash in between makes AirTM retry it — and applying a report twice changes nothing, since
books move only on a state's first recording. A notice about a payin or payout that is not ours
(or not known here) is recorded and otherwise ignored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from application.context import CommandContext
from application.fiat_withdrawals import FiatWithdrawals
from application.incoming_webhooks import IncomingWebhooks
from application.ledger import Ledger
from application.payment_providers import FiatProvider, ProviderNotice
from application.topups import TopUps
from domain import identifiers
from domain.errors import InvalidIdError, NotFoundError
from domain.incoming_webhooks import IncomingWebhook, incoming_webhook_id_for

AIRTM_SOURCE: Final = "airtm"


@dataclass(frozen=True, slots=True)
class NoticeReceipt:
    notice_id: str
    event_type: str
    duplicate: bool
    applied: bool
    position: int | None


class AirtmNotices:
    def __init__(
        self,
        ledger: Ledger,
        provider: FiatProvider,
        topups: TopUps,
        withdrawals: FiatWithdrawals,
        recorder: IncomingWebhooks,
    ) -> None:
        self._ledger = ledger
        self._provider = provider
        self._topups = topups
        self._withdrawals = withdrawals
        self._recorder = recorder

    def receive(
        self, body: bytes, headers: Mapping[str, str], context: CommandContext
    ) -> NoticeReceipt:
        notice = self._provider.verify_notice(body, headers)
        known = self._ledger.get(
            IncomingWebhook, incoming_webhook_id_for(AIRTM_SOURCE, notice.notice_id)
        )
        if known is not None:
            return NoticeReceipt(notice.notice_id, notice.event_type, True, False, None)
        applied = self._apply(notice, context)
        receipt = self._recorder.record(
            AIRTM_SOURCE,
            notice.notice_id,
            notice.event_type or "unknown",
            _summary(notice),
            hashlib.sha256(body).hexdigest(),
            context,
        )
        return NoticeReceipt(
            notice.notice_id, notice.event_type, receipt.duplicate, applied, receipt.position
        )

    def _apply(self, notice: ProviderNotice, context: CommandContext) -> bool:
        try:
            if notice.payin is not None and notice.payin.code.startswith(identifiers.TOPUP + "_"):
                self._topups.apply(notice.payin, context)
                return True
            if notice.payout is not None and notice.payout.code.startswith(
                identifiers.WITHDRAWAL + "_"
            ):
                self._withdrawals.apply(notice.payout, context)
                return True
        except (NotFoundError, InvalidIdError):
            return False  # someone else's payin or payout (another deployment on this account)
        return False


def _summary(notice: ProviderNotice) -> dict[str, object]:
    """What is kept of a notice: which object, which status (no e-mail addresses)."""
    if notice.payin is not None:
        return {"payinId": notice.payin.payin_id, "code": notice.payin.code,
                "status": notice.payin.status}  # fmt: skip
    if notice.payout is not None:
        return {"payoutId": notice.payout.payout_id, "code": notice.payout.code,
                "status": notice.payout.status}  # fmt: skip
    return {}
