"""Configuration is validated as a whole, naming each bad variable."""

from __future__ import annotations

import pytest

from interfaces.settings import DEV_AUDIT_PROOF_SECRET, ConfigError, load_settings

pytestmark = pytest.mark.unit


def test_defaults_need_no_environment_at_all() -> None:
    settings = load_settings({})
    assert settings.port == 4000
    assert settings.stellar_network == "sandbox"
    assert settings.database_url is None


def test_every_bad_value_is_reported_at_once_with_its_name() -> None:
    with pytest.raises(ConfigError) as bad:
        load_settings(
            {
                "PORT": "http",
                "DATABASE_URL": "mysql://x",
                "WALLET_ENCRYPTION_KEY": "short",
                "STELLAR_NETWORK": "moon",
                "PLATFORM_FEE_BPS": "20000",
                "LEDGERLINE_MASTER_KEY": "tiny",
                "WITHDRAWAL_MIN_AMOUNT": "-1",
                "STELLAR_USDC_ISSUER": "GABC",
            }
        )
    names = " ".join(bad.value.problems)
    for name in (
        "PORT",
        "DATABASE_URL",
        "WALLET_ENCRYPTION_KEY",
        "STELLAR_NETWORK",
        "PLATFORM_FEE_BPS",
        "LEDGERLINE_MASTER_KEY",
        "WITHDRAWAL_MIN_AMOUNT",
        "STELLAR_USDC_ISSUER",
    ):
        assert name in names
    assert len(bad.value.problems) == 8


def test_the_offerhub_master_key_name_is_accepted_as_an_alias() -> None:
    assert load_settings({"OFFERHUB_MASTER_KEY": "k" * 40}).master_key == "k" * 40


def test_mainnet_without_a_trustless_work_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="TRUSTLESS_API_KEY"):
        load_settings({"STELLAR_NETWORK": "mainnet"})


def test_limits_must_be_ordered() -> None:
    with pytest.raises(ConfigError, match="WITHDRAWAL_MIN_AMOUNT must not exceed"):
        load_settings({"WITHDRAWAL_MIN_AMOUNT": "10", "WITHDRAWAL_MAX_AMOUNT": "5"})


def test_mainnet_without_an_audit_proof_secret_is_refused_and_a_short_one_anywhere() -> None:
    with pytest.raises(ConfigError, match="AUDIT_PROOF_SECRET is required"):
        load_settings({"STELLAR_NETWORK": "mainnet", "TRUSTLESS_API_KEY": "k"})
    with pytest.raises(ConfigError, match="AUDIT_PROOF_SECRET must be at least 32"):
        load_settings({"AUDIT_PROOF_SECRET": "short"})
    assert load_settings({}).audit_proof_secret == DEV_AUDIT_PROOF_SECRET
    assert load_settings({"AUDIT_PROOF_SECRET": "s" * 32}).audit_proof_secret == "s" * 32
