"""What every resource of the synchronous client shares: the sender, and request bodies
without their unset fields.

The asynchronous twin of this module is made from it by `clients/python/unasync.py`.
"""

from __future__ import annotations

from typing import Any

from ledgerline_sdk.transport import SyncSender


def _body(**fields: Any) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}


class _Resource:
    def __init__(self, sender: SyncSender) -> None:
        self._send = sender.send
