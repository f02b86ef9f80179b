"""Use case: link a user to their AirTM account, once the AirTM user behind the e-mail may
transact (active and verified), and find that link for the fiat ramp's other use cases.

Eligibility is asked of the provider before anything is recorded; the link itself is one event
on an aggregate whose id derives from the user, so a retried or racing link is one link.
"""

from __future__ import annotations

from dataclasses import dataclass

from application.context import CommandContext
from application.ledger import Ledger
from application.payment_providers import FiatProvider, ProviderUser
from domain.accounts import Account, account_id_for
from domain.airtm_links import (
    EMAIL_LENGTH_MAX,
    AirtmLink,
    AirtmNotLinkedError,
    AirtmUserInvalidError,
    airtm_link_id_for,
)
from domain.errors import ValidationError
from domain.users import UserNotFoundError


@dataclass(frozen=True, slots=True)
class AirtmLinked:
    link: AirtmLink
    position: int | None  # None: it was linked before


class AirtmLinks:
    def __init__(self, ledger: Ledger, provider: FiatProvider) -> None:
        self._ledger = ledger
        self._provider = provider

    def link(self, user_id: str, email: str, context: CommandContext) -> AirtmLinked:
        check_email(email)
        if self._ledger.get(Account, account_id_for(user_id)) is None:
            raise UserNotFoundError("user not found", userId=user_id)
        existing = self._ledger.get(AirtmLink, airtm_link_id_for(user_id))
        if existing is not None:
            existing.check_same(email)
            return AirtmLinked(existing, None)
        airtm_user = self.eligible(email)

        def record() -> AirtmLinked:
            linked = self._ledger.get(AirtmLink, airtm_link_id_for(user_id))
            if linked is not None:  # a racing request linked it first
                linked.check_same(email)
                return AirtmLinked(linked, None)
            link = AirtmLink(user_id=user_id, airtm_user_id=airtm_user.user_id, email=email)
            return self._ledger.commit(
                link, context=context, outcome=lambda position: AirtmLinked(link, position)
            )

        return self._ledger.run(record, touching=[airtm_link_id_for(user_id)])

    def linked(self, user_id: str) -> AirtmLink:
        """The user's link; AIRTM_USER_NOT_LINKED (422) when there is none."""
        if self._ledger.get(Account, account_id_for(user_id)) is None:
            raise UserNotFoundError("user not found", userId=user_id)
        link = self._ledger.get(AirtmLink, airtm_link_id_for(user_id))
        if link is None:
            raise AirtmNotLinkedError(
                "the user must link an AirTM account first (POST /users/{id}/airtm/link)",
                userId=user_id,
            )
        return link

    def eligible(self, email: str) -> ProviderUser:
        """The AirTM user behind `email`, who may transact; AIRTM_USER_INVALID otherwise."""
        found = self._provider.find_user(email)
        if found is None:
            raise AirtmUserInvalidError("no AirTM account has this e-mail", reason="USER_NOT_FOUND")
        reason = found.ineligibility
        if reason is not None:
            raise AirtmUserInvalidError("the AirTM account cannot transact", reason=reason)
        return found


def check_email(email: str) -> None:
    local, at, domain = email.partition("@")
    if (
        not (at and local and "." in domain)
        or len(email) > EMAIL_LENGTH_MAX
        or email != email.strip()
    ):
        raise ValidationError("email is not a valid address", field="email")
