"""The fiat provider when PAYMENT_PROVIDERS does not include airtm: every use answers 400
PROVIDER_NOT_ENABLED, naming the setting, instead of failing somewhere later — except a webhook,
which is refused as unverifiable (401)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from application.payment_providers import (
    AIRTM,
    FIAT_DESTINATIONS,
    NoticeRejectedError,
    ProviderNotEnabledError,
    ProviderNotice,
)


class FiatNotEnabled:
    name = AIRTM
    destination_types = FIAT_DESTINATIONS
    checkout_base_url = ""

    def verify_notice(self, body: bytes, headers: Mapping[str, str]) -> ProviderNotice:
        """No AirTM secret is configured, so no webhook can verify: a 401, never accepted."""
        raise NoticeRejectedError("the fiat ramp is off: no AirTM webhook can verify")

    def __getattr__(self, name: str) -> Any:
        def refuse(*args: object, **kwargs: object) -> NoReturn:
            raise ProviderNotEnabledError(
                "the fiat ramp is off: set PAYMENT_PROVIDERS=crypto,airtm (and AIRTM_*)",
                setting="PAYMENT_PROVIDERS",
            )

        return refuse
