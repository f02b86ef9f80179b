"""A marketplace user, identified by the marketplace's own `externalUserId`.

The aggregate id is derived from that external id, so creating the same user twice (a retry, two
racing requests) collides on the same aggregate instead of making a second user.
"""

from __future__ import annotations

from typing import Final
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain import identifiers
from domain.errors import NotFoundError, ValidationError

USER_TYPES: Final = ("BUYER", "SELLER", "BOTH")
EXTERNAL_USER_ID_LENGTH_MAX: Final = 255
# The platform's own user: it signs dispute resolutions and receives platform fees.
PLATFORM_EXTERNAL_USER_ID: Final = "ledgerline-platform"


class UserNotFoundError(NotFoundError):
    code = "USER_NOT_FOUND"


class User(Aggregate):
    @staticmethod
    def create_id(external_user_id: str) -> UUID:
        return identifiers.natural_uuid("user", external_user_id)

    @event("Created")
    def __init__(self, external_user_id: str, email: str | None, user_type: str) -> None:
        self.external_user_id = external_user_id
        self.email = email
        self.user_type = user_type
        self.status = "ACTIVE"

    @property
    def public_id(self) -> str:
        return identifiers.public_id(identifiers.USER, self.id)


def check_new_user(external_user_id: str, email: str | None, user_type: str) -> None:
    if not external_user_id.strip() or len(external_user_id) > EXTERNAL_USER_ID_LENGTH_MAX:
        raise ValidationError(
            f"externalUserId must be 1 to {EXTERNAL_USER_ID_LENGTH_MAX} characters",
            field="externalUserId",
        )
    if user_type not in USER_TYPES:
        raise ValidationError(f"type must be one of {', '.join(USER_TYPES)}", field="type")
    if email is not None and ("@" not in email or len(email) > 320 or email != email.strip()):
        raise ValidationError("email is not a valid address", field="email")


def platform_user_id() -> str:
    """The public id of the platform's own user (created by `ledgerline bootstrap`)."""
    return identifiers.public_id(identifiers.USER, User.create_id(PLATFORM_EXTERNAL_USER_ID))
