"""Configuration, read once from the environment at process start and validated as a whole.

Names follow the OFFER-HUB seed so its deployment guides carry over. Every bad value is reported
with its variable name and what is expected, all at once, and the process exits non-zero.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final, TypeVar

import msgspec

from domain.errors import InvalidAmountError, LimitExceededError
from domain.money import Amount

T = TypeVar("T")

NETWORKS: Final = ("sandbox", "testnet", "mainnet")
LOG_LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS: Final = ("json", "text")
PRIVATE_TARGET_POLICIES: Final = ("allow", "deny")
MASTER_KEY_LENGTH_MIN: Final = 32
# The balance tree's salts are derived from this; the sandbox and testnet default is public, so
# mainnet must set its own (whoever knows it can tell whose balance a proof's sibling is).
AUDIT_PROOF_SECRET_LENGTH_MIN: Final = 32
DEV_AUDIT_PROOF_SECRET: Final = "ledgerline-dev-audit-proof-secret-not-for-mainnet"  # noqa: S105 - public
# Circle's USDC issuers; the sandbox issues its own.
USDC_ISSUERS: Final = {
    "testnet": "GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5",
    "mainnet": "GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN",
}
HORIZON_URLS: Final = {
    "testnet": "https://horizon-testnet.stellar.org",
    "mainnet": "https://horizon.stellar.org",
}
PASSPHRASES: Final = {
    "sandbox": "Standalone Network ; February 2017",
    "testnet": "Test SDF Network ; September 2015",
    "mainnet": "Public Global Stellar Network ; September 2015",
}
TRUSTLESS_API_URLS: Final = {
    "testnet": "https://dev.api.trustlesswork.com",
    "mainnet": "https://api.trustlesswork.com",
}
_STELLAR_ADDRESS = re.compile(r"G[A-Z2-7]{55}")
PAYMENT_PROVIDERS: Final = ("crypto", "airtm")
# AirTM's Enterprise API V2 and its hosted checkout; the sandbox serves both under its URL.
AIRTM_API_URL: Final = "https://api.enterprise.airtm.com/v2"
AIRTM_CHECKOUT_URL: Final = "https://app.airtm.com"


class ConfigError(Exception):
    """One or more environment variables are missing or invalid; the message lists them all."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid configuration:\n  - " + "\n  - ".join(problems))
        self.problems = problems


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str | None = None
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 4000
    log_level: str = "INFO"
    log_format: str = "json"
    # Where `runner` and `worker` serve /metrics (the API serves it on PORT); 0: not served.
    metrics_port: int = 0
    master_key: str | None = None
    wallet_encryption_key: str | None = None
    wallet_encryption_keys_previous: tuple[str, ...] = ()
    stellar_network: str = "sandbox"
    network_passphrase: str = PASSPHRASES["sandbox"]
    stellar_horizon_url: str | None = None
    stellar_usdc_issuer: str | None = None
    trustless_api_url: str | None = None
    trustless_api_key: str | None = None
    trustless_webhook_secret: str | None = None
    audit_proof_secret: str = DEV_AUDIT_PROOF_SECRET
    trustless_timeout_s: int = 30
    platform_fee_bps: int = 500
    public_base_url: str | None = None
    currency: str = "USDC"
    rate_limit_per_minute: int = 600
    idempotency_ttl_hours: int = 24
    withdrawal_min_stroops: int = 5 * 10**7
    withdrawal_max_stroops: int = 5000 * 10**7
    order_min_stroops: int = 1 * 10**7
    order_max_stroops: int = 50_000 * 10**7
    var_dir: Path = Path("var")
    otel_exporter_otlp_endpoint: str | None = None
    otel_exporter_otlp_traces_endpoint: str | None = None
    sandbox_url: str | None = None
    friendbot_url: str | None = None
    saga_retries_max: int = 10
    saga_backoff_min_ms: int = 1000
    saga_backoff_max_ms: int = 60_000
    saga_step_time_limit_ms: int = 120_000
    saga_stall_s: int = 300
    reconcile_interval_s: int = 300
    # An anchor of the audit chain on Stellar every this many log positions or seconds.
    audit_anchor_every_events: int = 1000
    audit_anchor_interval_s: int = 3600
    auto_release_interval_s: int = 30
    worker_threads: int = 8
    broker_namespace: str = "ledgerline"
    broker_heartbeat_timeout_ms: int = 60_000
    broker_maintenance_chance: int = 1000
    sse_heartbeat_s: int = 15
    sse_connections_per_key_max: int = 5
    webhook_timeout_ms: int = 10_000
    webhook_retries_max: int = 8
    webhook_backoff_min_ms: int = 5_000
    webhook_backoff_max_ms: int = 3_600_000
    webhook_disable_after_failures: int = 5
    webhook_in_flight_per_endpoint: int = 2
    webhook_delivery_retention_days: int = 30
    webhook_private_targets: str = "deny"
    payment_providers: tuple[str, ...] = ("crypto",)
    airtm_api_url: str | None = None
    airtm_checkout_url: str | None = None
    airtm_api_key: str | None = None
    airtm_api_secret: str | None = None
    airtm_webhook_secret: str | None = None
    airtm_timeout_s: int = 10
    airtm_withdrawal_fee_bps: int = 0
    airtm_reconcile_interval_s: int = 60
    topup_min_stroops: int = 1 * 10**7
    topup_max_stroops: int = 10_000 * 10**7
    topup_success_url: str | None = None
    topup_cancel_url: str | None = None

    @property
    def airtm_enabled(self) -> bool:
        return "airtm" in self.payment_providers

    def require_wallets(self) -> None:
        """Wallet features need the vault key; say so clearly instead of failing later."""
        if not self.wallet_encryption_key:
            raise ConfigError(["WALLET_ENCRYPTION_KEY is required (64 hexadecimal characters)"])
        if not self.stellar_horizon_url or not self.stellar_usdc_issuer:
            raise ConfigError(
                [
                    "STELLAR_HORIZON_URL and STELLAR_USDC_ISSUER are required for this network"
                    " (`ledgerline up` sets both for the sandbox)"
                ]
            )

    @property
    def webhook_private_targets_allowed(self) -> bool:
        return self.webhook_private_targets == "allow"

    def with_overrides(self, **changes: object) -> Settings:
        return msgspec.structs.replace(self, **changes)


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Reads every variable; raises ConfigError naming each bad one."""
    problems: list[str] = []
    reader = _Reader(environ, problems)
    network = reader.choice("STELLAR_NETWORK", NETWORKS, "sandbox")
    settings = Settings(
        database_url=reader.url("DATABASE_URL", ("postgresql", "postgres")),
        redis_url=reader.url("REDIS_URL", ("redis", "rediss", "unix")),
        host=environ.get("HOST", "127.0.0.1"),
        port=reader.integer("PORT", 4000, 1, 65535),
        log_level=reader.choice("LOG_LEVEL", LOG_LEVELS, "INFO", upper=True),
        log_format=reader.choice("LOG_FORMAT", LOG_FORMATS, "json"),
        metrics_port=reader.integer("METRICS_PORT", 0, 0, 65535),
        master_key=reader.master_key(),
        wallet_encryption_key=reader.hex_key("WALLET_ENCRYPTION_KEY"),
        wallet_encryption_keys_previous=reader.hex_keys("WALLET_ENCRYPTION_KEY_PREVIOUS"),
        stellar_network=network,
        network_passphrase=environ.get("STELLAR_NETWORK_PASSPHRASE") or PASSPHRASES[network],
        stellar_horizon_url=reader.url("STELLAR_HORIZON_URL", ("http", "https"))
        or HORIZON_URLS.get(network),
        stellar_usdc_issuer=reader.stellar_address("STELLAR_USDC_ISSUER")
        or USDC_ISSUERS.get(network),
        trustless_api_url=reader.url("TRUSTLESS_API_URL", ("http", "https"))
        or TRUSTLESS_API_URLS.get(network),
        trustless_api_key=environ.get("TRUSTLESS_API_KEY") or None,
        trustless_webhook_secret=environ.get("TRUSTLESS_WEBHOOK_SECRET") or None,
        audit_proof_secret=reader.secret("AUDIT_PROOF_SECRET", AUDIT_PROOF_SECRET_LENGTH_MIN)
        or DEV_AUDIT_PROOF_SECRET,
        trustless_timeout_s=reader.integer("TRUSTLESS_TIMEOUT_S", 30, 1, 120),
        # The escrow contracts refuse a platform fee above 99 % (9 900 basis points).
        platform_fee_bps=reader.integer("PLATFORM_FEE_BPS", 500, 0, 9_900),
        public_base_url=reader.url("PUBLIC_BASE_URL", ("http", "https")),
        rate_limit_per_minute=reader.integer("RATE_LIMIT_PER_MINUTE", 600, 1, 1_000_000),
        idempotency_ttl_hours=reader.integer("IDEMPOTENCY_TTL_HOURS", 24, 1, 24 * 30),
        withdrawal_min_stroops=reader.amount("WITHDRAWAL_MIN_AMOUNT", "5.00"),
        withdrawal_max_stroops=reader.amount("WITHDRAWAL_MAX_AMOUNT", "5000.00"),
        order_min_stroops=reader.amount("ORDER_MIN_AMOUNT", "1.00"),
        order_max_stroops=reader.amount("ORDER_MAX_AMOUNT", "50000.00"),
        var_dir=Path(environ.get("LEDGERLINE_VAR_DIR") or "var"),
        otel_exporter_otlp_endpoint=reader.url("OTEL_EXPORTER_OTLP_ENDPOINT", ("http", "https")),
        otel_exporter_otlp_traces_endpoint=reader.url(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", ("http", "https")
        ),
        sandbox_url=reader.url("LEDGERLINE_SANDBOX_URL", ("http", "https")),
        friendbot_url=reader.url("FRIENDBOT_URL", ("http", "https"))
        or ("https://friendbot.stellar.org" if network == "testnet" else None),
        saga_retries_max=reader.integer("SAGA_RETRIES_MAX", 10, 0, 100),
        saga_backoff_min_ms=reader.integer("SAGA_BACKOFF_MIN_MS", 1000, 1, 3_600_000),
        saga_backoff_max_ms=reader.integer("SAGA_BACKOFF_MAX_MS", 60_000, 1, 3_600_000),
        saga_step_time_limit_ms=reader.integer(
            "SAGA_STEP_TIME_LIMIT_MS", 120_000, 1_000, 3_600_000
        ),
        saga_stall_s=reader.integer("SAGA_STALL_S", 300, 1, 86_400),
        reconcile_interval_s=reader.integer("RECONCILE_INTERVAL_S", 300, 1, 86_400),
        audit_anchor_every_events=reader.integer("AUDIT_ANCHOR_EVERY_EVENTS", 1000, 1, 10_000_000),
        audit_anchor_interval_s=reader.integer("AUDIT_ANCHOR_INTERVAL_S", 3600, 1, 604_800),
        auto_release_interval_s=reader.integer("AUTO_RELEASE_INTERVAL_S", 30, 1, 86_400),
        worker_threads=reader.integer("WORKER_THREADS", 8, 1, 256),
        broker_namespace=environ.get("LEDGERLINE_BROKER_NAMESPACE") or "ledgerline",
        broker_heartbeat_timeout_ms=reader.integer(
            "BROKER_HEARTBEAT_TIMEOUT_MS", 60_000, 1_000, 3_600_000
        ),
        broker_maintenance_chance=reader.integer("BROKER_MAINTENANCE_CHANCE", 1000, 1, 1_000_000),
        sse_heartbeat_s=reader.integer("SSE_HEARTBEAT_S", 15, 1, 300),
        sse_connections_per_key_max=reader.integer("SSE_CONNECTIONS_PER_KEY_MAX", 5, 1, 10_000),
        webhook_timeout_ms=reader.integer("WEBHOOK_TIMEOUT_MS", 10_000, 100, 60_000),
        webhook_retries_max=reader.integer("WEBHOOK_RETRIES_MAX", 8, 0, 50),
        webhook_backoff_min_ms=reader.integer("WEBHOOK_BACKOFF_MIN_MS", 5_000, 1, 86_400_000),
        webhook_backoff_max_ms=reader.integer("WEBHOOK_BACKOFF_MAX_MS", 3_600_000, 1, 86_400_000),
        webhook_disable_after_failures=reader.integer(
            "WEBHOOK_DISABLE_AFTER_FAILURES", 5, 1, 10_000
        ),
        webhook_in_flight_per_endpoint=reader.integer(
            "WEBHOOK_IN_FLIGHT_PER_ENDPOINT", 2, 1, 1_000
        ),
        webhook_delivery_retention_days=reader.integer(
            "WEBHOOK_DELIVERY_RETENTION_DAYS", 30, 1, 3_650
        ),
        # A receiver on this machine or its network is what development wants and what an
        # attacker registering an endpoint in production wants too (SSRF).
        webhook_private_targets=reader.choice(
            "WEBHOOK_PRIVATE_TARGETS",
            PRIVATE_TARGET_POLICIES,
            "allow" if network == "sandbox" else "deny",
        ),
        **_airtm(reader, environ, network),
    )
    if settings.withdrawal_min_stroops > settings.withdrawal_max_stroops:
        problems.append("WITHDRAWAL_MIN_AMOUNT must not exceed WITHDRAWAL_MAX_AMOUNT")
    if settings.order_min_stroops > settings.order_max_stroops:
        problems.append("ORDER_MIN_AMOUNT must not exceed ORDER_MAX_AMOUNT")
    if settings.webhook_backoff_min_ms > settings.webhook_backoff_max_ms:
        problems.append("WEBHOOK_BACKOFF_MIN_MS must not exceed WEBHOOK_BACKOFF_MAX_MS")
    if settings.topup_min_stroops > settings.topup_max_stroops:
        problems.append("TOPUP_MIN_AMOUNT must not exceed TOPUP_MAX_AMOUNT")
    if settings.airtm_enabled:
        problems += _airtm_problems(settings)
    if network == "mainnet" and not settings.trustless_api_key:
        problems.append("TRUSTLESS_API_KEY is required when STELLAR_NETWORK=mainnet")
    if network == "mainnet" and not environ.get("AUDIT_PROOF_SECRET", "").strip():
        problems.append(
            "AUDIT_PROOF_SECRET is required when STELLAR_NETWORK=mainnet"
            f" (at least {AUDIT_PROOF_SECRET_LENGTH_MIN} characters; it salts the balance proofs)"
        )
    if problems:
        raise ConfigError(problems)
    return settings


def _airtm(reader: _Reader, environ: Mapping[str, str], network: str) -> dict[str, Any]:
    """The fiat ramp's variables; its credentials are read always, required only when on."""
    providers = tuple(
        name.strip().lower()
        for name in (environ.get("PAYMENT_PROVIDERS") or "crypto").split(",")
        if name.strip()
    )
    unknown = [name for name in providers if name not in PAYMENT_PROVIDERS]
    if unknown or "crypto" not in providers:
        reader.problem(
            "PAYMENT_PROVIDERS must list crypto and optionally airtm (crypto or crypto,airtm),"
            f" got {environ.get('PAYMENT_PROVIDERS')!r}"
        )
        providers = ("crypto",)
    sandbox = (environ.get("LEDGERLINE_SANDBOX_URL") or "").rstrip("/")
    on_sandbox = network == "sandbox" and sandbox
    return {
        "payment_providers": providers,
        "airtm_api_url": reader.url("AIRTM_API_URL", ("http", "https"))
        or (f"{sandbox}/airtm" if on_sandbox else AIRTM_API_URL),
        "airtm_checkout_url": reader.url("AIRTM_CHECKOUT_URL", ("http", "https"))
        or (f"{sandbox}/airtm-app" if on_sandbox else AIRTM_CHECKOUT_URL),
        "airtm_api_key": environ.get("AIRTM_API_KEY") or None,
        "airtm_api_secret": environ.get("AIRTM_API_SECRET") or None,
        "airtm_webhook_secret": environ.get("AIRTM_WEBHOOK_SECRET") or None,
        "airtm_timeout_s": reader.integer("AIRTM_TIMEOUT_S", 10, 1, 120),
        # The platform's fee on each fiat withdrawal, in basis points (AirTM's enterpriseFee).
        "airtm_withdrawal_fee_bps": reader.integer("AIRTM_WITHDRAWAL_FEE_BPS", 0, 0, 5_000),
        "airtm_reconcile_interval_s": reader.integer("AIRTM_RECONCILE_INTERVAL_S", 60, 1, 86_400),
        "topup_min_stroops": reader.amount("TOPUP_MIN_AMOUNT", "1.00"),
        "topup_max_stroops": reader.amount("TOPUP_MAX_AMOUNT", "10000.00"),
        "topup_success_url": reader.url("TOPUP_SUCCESS_URL", ("http", "https")),
        "topup_cancel_url": reader.url("TOPUP_CANCEL_URL", ("http", "https")),
    }


def _airtm_problems(settings: Settings) -> list[str]:
    """With airtm on, its credentials and a real Svix secret are required: webhook
    verification can never be off, so a missing or placeholder secret stops the start."""
    problems = [
        f"{name} is required when PAYMENT_PROVIDERS includes airtm"
        for name, value in (
            ("AIRTM_API_KEY", settings.airtm_api_key),
            ("AIRTM_API_SECRET", settings.airtm_api_secret),
            ("AIRTM_WEBHOOK_SECRET", settings.airtm_webhook_secret),
        )
        if not value
    ]
    secret = settings.airtm_webhook_secret
    if secret and not _svix_secret(secret):
        problems.append(
            "AIRTM_WEBHOOK_SECRET must be the Svix signing secret (whsec_ + base64 of at least"
            " 16 bytes), as AirTM's webhook settings show it"
        )
    return problems


def _svix_secret(secret: str) -> bool:
    body = secret.removeprefix("whsec_")
    try:
        return secret.startswith("whsec_") and len(base64.b64decode(body, validate=True)) >= 16
    except (binascii.Error, ValueError):
        return False


class _Reader:
    def __init__(self, environ: Mapping[str, str], problems: list[str]) -> None:
        self._environ = environ
        self._problems = problems

    def problem(self, text: str) -> None:
        self._problems.append(text)

    def _get(self, name: str) -> str | None:
        value = self._environ.get(name)
        return value.strip() if value and value.strip() else None

    def _check(self, name: str, value: str, parse: Callable[[str], T], expected: str) -> T | None:
        try:
            return parse(value)
        except (ValueError, InvalidAmountError, LimitExceededError):
            self._problems.append(f"{name} must be {expected}, got {value[:40]!r}")
            return None

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        value = self._get(name)
        if value is None:
            return default

        def parse(text: str) -> int:
            number = int(text)
            if not low <= number <= high:
                raise ValueError(text)
            return number

        parsed = self._check(name, value, parse, f"an integer from {low} to {high}")
        return default if parsed is None else parsed

    def choice(self, name: str, options: tuple[str, ...], default: str, upper: bool = False) -> str:
        value = self._get(name)
        if value is None:
            return default
        value = value.upper() if upper else value.lower()
        if value not in options:
            self._problems.append(f"{name} must be one of {', '.join(options)}, got {value!r}")
            return default
        return value

    def url(self, name: str, schemes: tuple[str, ...]) -> str | None:
        value = self._get(name)
        if value is None:
            return None
        scheme, sep, rest = value.partition("://")
        if not sep or scheme not in schemes or not rest:
            self._problems.append(
                f"{name} must be a URL starting with {' or '.join(s + '://' for s in schemes)}"
            )
            return None
        return value.rstrip("/") if scheme in ("http", "https") else value

    def master_key(self) -> str | None:
        name = "LEDGERLINE_MASTER_KEY"
        value = self._get(name)
        if value is None:
            name, value = "OFFERHUB_MASTER_KEY", self._get("OFFERHUB_MASTER_KEY")
        if value is not None and len(value) < MASTER_KEY_LENGTH_MIN:
            self._problems.append(f"{name} must be at least {MASTER_KEY_LENGTH_MIN} characters")
            return None
        return value

    def secret(self, name: str, length_min: int) -> str | None:
        value = self._get(name)
        if value is not None and len(value) < length_min:
            self._problems.append(f"{name} must be at least {length_min} characters")
            return None
        return value

    def hex_key(self, name: str) -> str | None:
        value = self._get(name)
        if value is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", value):
            self._problems.append(f"{name} must be 64 hexadecimal characters (32 bytes)")
            return None
        return value.lower() if value else None

    def hex_keys(self, name: str) -> tuple[str, ...]:
        value = self._get(name)
        if value is None:
            return ()
        keys = tuple(part.strip().lower() for part in value.split(",") if part.strip())
        if not all(re.fullmatch(r"[0-9a-f]{64}", key) for key in keys):
            self._problems.append(f"{name} must be comma-separated 64-hex-character keys")
            return ()
        return keys

    def stellar_address(self, name: str) -> str | None:
        value = self._get(name)
        if value is not None and not _STELLAR_ADDRESS.fullmatch(value):
            self._problems.append(f"{name} must be a Stellar public key (G…, 56 characters)")
            return None
        return value

    def amount(self, name: str, default: str) -> int:
        value = self._get(name) or default
        parsed = self._check(
            name,
            value,
            lambda text: Amount.parse_positive(text).stroops,
            'a positive decimal amount such as "5.00"',
        )
        return Amount.parse(default).stroops if parsed is None else parsed
