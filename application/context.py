"""Who asked for a command and why: the metadata stamped on every event the command records.

A command also carries an optional `Completion`, supplied by the edge, that records the command's
outcome (an idempotent HTTP response) in the same transaction as its events, so a retry after a
crash can never apply the command a second time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol


class Completion(Protocol):
    def write(self, cursor: Any, result: Any) -> None:
        """Records `result` through `cursor`, inside the transaction that records the events."""


@dataclass(frozen=True, slots=True)
class CommandContext:
    request_id: str | None = None
    api_key_id: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    traceparent: str | None = None
    completion: Completion | None = None
    # The caller's own reference for the command (OFFER-HUB's `reference` on a manual credit).
    reference: str | None = None

    def metadata(self) -> dict[str, str | None]:
        metadata = {
            "requestId": self.request_id,
            "apiKeyId": self.api_key_id,
            "correlationId": self.correlation_id or self.request_id,
            "causationId": self.causation_id,
            "traceparent": self.traceparent,
        }
        if self.reference is not None:  # absent otherwise: older events' metadata is unchanged
            metadata["reference"] = self.reference
        return metadata

    def caused_by(self, event_id: str) -> CommandContext:
        """The context of a follow-up command triggered by event `event_id` (a saga step)."""
        return replace(self, causation_id=event_id, completion=None, reference=None)


SYSTEM = CommandContext(request_id=None, api_key_id="system")
