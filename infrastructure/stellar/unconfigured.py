"""Stand-ins for the chain adapters when a process runs without Stellar configuration (an
operator's CLI command on a laptop): any use that needs the chain fails with a clear message
instead of the process refusing to start. Service processes check the configuration up front."""

from __future__ import annotations

from typing import Any, NoReturn

from domain.errors import ProviderUnavailableError


class NotConfigured:
    passphrase = ""
    usdc_asset = ""

    def __init__(self, what: str) -> None:
        self._what = what

    def __getattr__(self, name: str) -> Any:
        def refuse(*args: object, **kwargs: object) -> NoReturn:
            raise ProviderUnavailableError(f"{self._what} is not configured")

        return refuse
