"""Use cases for marketplace users: create (idempotent on externalUserId) and look one up.

Creating a user opens its Account and its invisible Wallet in the same transaction, so a user
never exists without books or without an address to receive deposits at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from application.context import CommandContext
from application.ledger import Ledger
from domain import identifiers
from domain.accounts import Account, account_id_for
from domain.users import User, UserNotFoundError, check_new_user
from domain.wallets import Wallet, wallet_id_for


@dataclass(frozen=True, slots=True)
class UserSnapshot:
    user_id: str
    external_user_id: str
    email: str | None
    user_type: str
    status: str
    available_stroops: int
    reserved_stroops: int
    currency: str
    created_at: datetime
    updated_at: datetime
    wallet_address: str | None = None
    wallet_status: str | None = None


@dataclass(frozen=True, slots=True)
class UserCreation:
    user: UserSnapshot
    created: bool
    position: int | None


class Users:
    def __init__(self, ledger: Ledger, currency: str, open_wallet: Callable[[str], Wallet]) -> None:
        self._ledger = ledger
        self._currency = currency
        self._open_wallet = open_wallet

    def create_user(
        self, external_user_id: str, email: str | None, user_type: str, context: CommandContext
    ) -> UserCreation:
        """Creates the user and its account, or returns the existing one (created=False)."""
        check_new_user(external_user_id, email, user_type)

        def create_once() -> UserCreation:
            existing = self._ledger.get(User, User.create_id(external_user_id))
            if existing is not None:
                return UserCreation(self.snapshot(existing), created=False, position=None)
            user = User(external_user_id=external_user_id, email=email, user_type=user_type)
            account = Account(user_id=user.public_id, currency=self._currency)
            # The wallet is born with the user; its activation saga follows from the log.
            wallet = self._open_wallet(user.public_id)
            return self._ledger.commit(
                user,
                account,
                wallet,
                context=context,
                outcome=lambda position: UserCreation(
                    _snapshot(user, account, wallet), created=True, position=position
                ),
            )

        return self._ledger.run(create_once, touching=[User.create_id(external_user_id)])

    def get_user(self, user_id: str) -> UserSnapshot:
        return self.snapshot(self.require_user(user_id))

    def require_user(self, user_id: str) -> User:
        user_uuid = identifiers.parse_public_id(identifiers.USER, user_id)
        return self._ledger.require(
            User, user_uuid, UserNotFoundError("user not found", userId=user_id)
        )

    def snapshot(self, user: User) -> UserSnapshot:
        account = self._ledger.get(Account, account_id_for(user.public_id))
        assert account is not None, f"user {user.public_id} has no account"
        return _snapshot(user, account, self._ledger.get(Wallet, wallet_id_for(user.public_id)))


def _snapshot(user: User, account: Account, wallet: Wallet | None) -> UserSnapshot:
    return UserSnapshot(
        user_id=user.public_id,
        external_user_id=user.external_user_id,
        email=user.email,
        user_type=user.user_type,
        status=user.status,
        available_stroops=account.available_stroops,
        reserved_stroops=account.reserved_stroops,
        currency=account.currency,
        created_at=user.created_on,
        updated_at=max(user.modified_on, account.modified_on),
        wallet_address=wallet.address if wallet else None,
        wallet_status=wallet.status if wallet else None,
    )
