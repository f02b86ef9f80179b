"""The fiat ramp's configuration: off by default, and when on, AirTM's credentials and a real
Svix secret are required, each missing one named at start."""

from __future__ import annotations

import pytest

from interfaces.settings import ConfigError, load_settings

pytestmark = pytest.mark.unit
SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"


def test_crypto_alone_needs_no_airtm_credentials() -> None:
    settings = load_settings({})
    assert settings.payment_providers == ("crypto",)
    assert not settings.airtm_enabled


def test_airtm_without_its_credentials_refuses_to_start_naming_each() -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({"PAYMENT_PROVIDERS": "crypto,airtm", "AIRTM_API_KEY": "k"})
    problems = " ".join(refused.value.problems)
    assert "AIRTM_API_SECRET" in problems
    assert "AIRTM_WEBHOOK_SECRET" in problems
    assert "AIRTM_API_KEY is required" not in problems


@pytest.mark.parametrize("secret", ["...", "TODO", "whsec_xxx", "whsec_not base64!"])
def test_a_placeholder_webhook_secret_is_refused_never_a_reason_to_skip_verification(
    secret: str,
) -> None:
    environ = {"PAYMENT_PROVIDERS": "crypto,airtm", "AIRTM_API_KEY": "k",
               "AIRTM_API_SECRET": "s", "AIRTM_WEBHOOK_SECRET": secret}  # fmt: skip
    with pytest.raises(ConfigError, match="AIRTM_WEBHOOK_SECRET must be the Svix"):
        load_settings(environ)


def test_airtm_with_its_credentials_defaults_to_the_sandbox_on_sandbox() -> None:
    settings = load_settings(
        {"PAYMENT_PROVIDERS": "crypto,airtm", "AIRTM_API_KEY": "k", "AIRTM_API_SECRET": "s",
         "AIRTM_WEBHOOK_SECRET": SECRET, "LEDGERLINE_SANDBOX_URL": "http://127.0.0.1:4100"}
    )  # fmt: skip
    assert settings.airtm_enabled
    assert settings.airtm_api_url == "http://127.0.0.1:4100/airtm"
    assert settings.airtm_checkout_url == "http://127.0.0.1:4100/airtm-app"


def test_an_unknown_provider_is_refused() -> None:
    with pytest.raises(ConfigError, match="PAYMENT_PROVIDERS"):
        load_settings({"PAYMENT_PROVIDERS": "crypto,paypal"})
