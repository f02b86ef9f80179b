"""Webhook endpoints may not reach this machine or a private network unless allowed (SSRF)."""

from __future__ import annotations

import pytest

from domain.errors import ValidationError
from domain.webhooks import check_new_endpoint, names_private_target
from infrastructure.webhooks.sender import WebhookSender
from interfaces.settings import load_settings

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "LOCALHOST.",
        "api.localhost",
        "::1",
        "10.0.0.8",
        "192.168.1.1",
        "172.16.5.4",
        "169.254.169.254",
        "0.0.0.0",
        "fd00::1",
        "::ffff:127.0.0.1",
        "100.64.0.1",
    ],
)
def test_hosts_that_name_a_private_target(host: str) -> None:
    assert names_private_target(host)


@pytest.mark.parametrize(
    "host", ["example.com", "hooks.marketplace.io", "93.184.216.34", "2606:4700::1111"]
)
def test_hosts_that_do_not(host: str) -> None:
    assert not names_private_target(host)


def test_a_private_url_is_refused_unless_private_targets_are_allowed() -> None:
    with pytest.raises(ValidationError) as refused:
        check_new_endpoint("http://127.0.0.1:8080/hooks", None)
    assert refused.value.details["field"] == "url"
    check_new_endpoint("http://127.0.0.1:8080/hooks", None, private_targets_allowed=True)
    check_new_endpoint("https://hooks.example.com/ledgerline", None)


def test_the_sender_refuses_a_name_that_resolves_to_this_machine_without_connecting() -> None:
    sender = WebhookSender(timeout_s=1.0)
    try:
        outcome = sender.post("http://localhost:1/hooks", {}, b"{}")
    finally:
        sender.close()
    assert not outcome.succeeded
    assert outcome.status_code is None
    assert outcome.error is not None and outcome.error.startswith("refused: localhost resolves to")


def test_private_targets_are_allowed_by_default_only_on_the_sandbox_network() -> None:
    assert load_settings({}).webhook_private_targets_allowed
    assert not load_settings({"STELLAR_NETWORK": "testnet"}).webhook_private_targets_allowed
    assert load_settings(
        {"STELLAR_NETWORK": "testnet", "WEBHOOK_PRIVATE_TARGETS": "allow"}
    ).webhook_private_targets_allowed
