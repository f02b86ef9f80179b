"""The API's resources for the asynchronous client: made from `resources/_base.py` by
`clients/python/unasync.py`. Do not edit: edit `resources/_base.py` and run
`python clients/python/unasync.py`.
"""

from __future__ import annotations

from typing import Any

from ledgerline_sdk.transport import AsyncSender


def _body(**fields: Any) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}


class _Resource:
    def __init__(self, sender: AsyncSender) -> None:
        self._send = sender.send
