"""Use cases for outgoing webhook endpoints: register (the signing secret is shown once), delete,
replay from a position, and disable after repeated failure.

The secret is sealed in a vault port before the endpoint's event commits, so a committed endpoint
always has a secret to sign with; only its last characters ever reach an event. Secrets follow
the Standard Webhooks format: `whsec_` and the base64 of the HMAC key.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol
from uuid import UUID, uuid4

from application.context import CommandContext
from application.ledger import Ledger, recorded
from domain import identifiers
from domain.errors import DomainError, ValidationError
from domain.event_types import TypeFilter
from domain.webhooks import (
    DELETED,
    WebhookEndpoint,
    check_new_endpoint,
)

SECRET_PREFIX: Final = "whsec_"  # noqa: S105  (a format marker, not a secret)
SECRET_KEY_BYTES: Final = 32
SECRET_HINT_LENGTH: Final = 4


class SecretsNotConfiguredError(DomainError):
    code = "NOT_CONFIGURED"


class SecretVault(Protocol):
    """Where signing secrets are kept, sealed; never the event log."""

    def seal(self, endpoint_id: str, secret: str) -> None: ...

    def open(self, endpoint_id: str) -> str: ...

    def discard(self, endpoint_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class RegisteredEndpoint:
    endpoint: WebhookEndpoint
    secret: str
    position: int


@dataclass(frozen=True, slots=True)
class EndpointChange:
    endpoint: WebhookEndpoint
    position: int


class WebhookEndpoints:
    def __init__(
        self,
        ledger: Ledger,
        vault: SecretVault | None,
        log_head: Callable[[], int],
        *,
        private_targets_allowed: bool = False,
    ) -> None:
        self._ledger = ledger
        self._vault = vault
        self._log_head = log_head
        self._private_targets_allowed = private_targets_allowed

    def register(
        self,
        url: str,
        event_types: list[str],
        description: str | None,
        context: CommandContext,
    ) -> RegisteredEndpoint:
        check_new_endpoint(url, description, private_targets_allowed=self._private_targets_allowed)
        wanted = TypeFilter.parse(event_types, field="events")
        vault = self._require_vault()
        endpoint_uuid = uuid4()
        secret = SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_KEY_BYTES)).decode()
        endpoint = WebhookEndpoint(
            id=endpoint_uuid,
            url=url,
            event_types=wanted.patterns,
            description=description,
            secret_hint=secret[-SECRET_HINT_LENGTH:],
        )
        # Sealed before the event commits: a committed endpoint always has its secret.
        vault.seal(endpoint.public_id, secret)
        return self._ledger.commit(
            endpoint,
            context=context,
            outcome=lambda position: RegisteredEndpoint(endpoint, secret, position),
        )

    def get(self, endpoint_id: str) -> WebhookEndpoint:
        return _live(self._ledger.require(WebhookEndpoint, _uuid(endpoint_id)))

    def delete(self, endpoint_id: str, context: CommandContext) -> EndpointChange:
        change = self._ledger.change(
            WebhookEndpoint,
            _uuid(endpoint_id),
            lambda endpoint: _live(endpoint).delete(),
            context=context,
            outcome=_changed,
        )
        if self._vault is not None:
            self._vault.discard(endpoint_id)  # nothing will be signed for it again
        return change

    def replay(
        self, endpoint_id: str, from_position: int, context: CommandContext
    ) -> EndpointChange:
        """Asks for every matching event from `from_position` up to now to be delivered again."""
        head = self._log_head()
        if not 0 <= from_position <= head:
            raise ValidationError(
                f"fromPosition must be from 0 to the log head ({head})", field="fromPosition"
            )

        return self._ledger.change(
            WebhookEndpoint,
            _uuid(endpoint_id),
            lambda endpoint: _live(endpoint).request_replay(from_position),
            context=context,
            outcome=_changed,
        )

    def disable(
        self, endpoint_uuid: UUID, reason: str, failed_deliveries: int, context: CommandContext
    ) -> bool:
        """Disables an active endpoint; False when it was already not active."""

        def disable(endpoint: WebhookEndpoint) -> None:
            endpoint.disable(reason, failed_deliveries)  # records nothing unless it was active

        if self._ledger.get(WebhookEndpoint, endpoint_uuid) is None:
            return False
        return self._ledger.change(
            WebhookEndpoint,
            endpoint_uuid,
            disable,
            context=context,
            outcome=lambda endpoint, position: position is not None,
        )

    def secret_of(self, endpoint_id: str) -> str:
        return self._require_vault().open(endpoint_id)

    def _require_vault(self) -> SecretVault:
        if self._vault is None:
            raise SecretsNotConfiguredError(
                "webhook secrets are sealed with WALLET_ENCRYPTION_KEY, which is not set"
            )
        return self._vault


def _live(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """The endpoint, unless it is deleted: then it is not found, as if it never existed."""
    if endpoint.status == DELETED:
        raise WebhookEndpoint.not_found(endpoint.id)
    return endpoint


def _changed(endpoint: WebhookEndpoint, position: int | None) -> EndpointChange:
    return EndpointChange(endpoint, recorded(position))


def _uuid(endpoint_id: str) -> UUID:
    return identifiers.parse_public_id(identifiers.WEBHOOK_ENDPOINT, endpoint_id)


def secret_key(secret: str) -> bytes:
    """The HMAC key a `whsec_…` secret stands for."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))
