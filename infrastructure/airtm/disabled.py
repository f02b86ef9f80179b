"""The fiat provider when PAYMENT_PROVIDERS does not include airtm: every use answers 400
PROVIDER_NOT_ENABLED, naming the setting, instead of failing somewhere later."""

from __future__ import annotations

from typing import Any, NoReturn

from application.payment_providers import AIRTM, FIAT_DESTINATIONS, ProviderNotEnabledError


class FiatNotEnabled:
    name = AIRTM
    destination_types = FIAT_DESTINATIONS
    checkout_base_url = ""

    def __getattr__(self, name: str) -> Any:
        def refuse(*args: object, **kwargs: object) -> NoReturn:
            raise ProviderNotEnabledError(
                "the fiat ramp is off: set PAYMENT_PROVIDERS=crypto,airtm (and AIRTM_*)",
                setting="PAYMENT_PROVIDERS",
            )

        return refuse
