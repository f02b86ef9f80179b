"""Trustless Work V1 request bodies: validated into one contract call each, or refused with 400.

This is the API's DTO layer: field presence and types, G/C address syntax, `milestoneIndex` as a
numeric string, amounts as JSON numbers > 0 with at most 7 decimals, `platformFee` as a percent.
Contract rules (who may act, state, balances) are not checked here; the contract does that when
the call is simulated and again when it is applied. All problems are reported at once, NestJS
style, as a list of messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from stellar_sdk import StrKey

from sandbox.chain.amounts import AmountError, stroops_from_decimal
from sandbox.contracts.escrow_model import (
    MULTI_RELEASE,
    SINGLE_RELEASE,
    Escrow,
    Milestone,
    roles_for,
)

_INDEX = re.compile(r"[0-9]{1,4}")


class RequestValidationError(Exception):
    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


class UnknownActionError(Exception):
    """No such endpoint for this escrow type (the API's 404 "Cannot POST …")."""


@dataclass(frozen=True)
class EscrowCall:
    """One contract call, ready to be encoded once the chain-dependent arguments are known."""

    kind: str
    function: str
    signer: str
    role: str
    contract_id: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    properties: Escrow | None = None
    trustline_symbol: str = ""
    trustline_address: str = ""


class _Fields:
    """Reads typed fields from a JSON object, collecting every problem instead of stopping."""

    def __init__(self, body: Any, prefix: str = ""):
        self.body = body if isinstance(body, dict) else {}
        self.prefix = prefix
        self.errors: list[str] = (
            [] if isinstance(body, dict) else [f"{prefix or 'body'} must be an object"]
        )

    def _name(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def text(self, name: str, required: bool = True) -> str:
        value = self.body.get(name)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.errors.append(f"{self._name(name)} must be a non-empty string")
            return ""
        return value

    def optional_text(self, name: str) -> str | None:
        value = self.body.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            self.errors.append(f"{self._name(name)} must be a string")
            return None
        return value

    def address(self, name: str, contract_allowed: bool = False) -> str:
        value = self.text(name)
        valid = StrKey.is_valid_ed25519_public_key(value) or (
            contract_allowed and StrKey.is_valid_contract(value)
        )
        if value and not valid:
            kind = "a Stellar address (G… or C…)" if contract_allowed else "a Stellar account (G…)"
            self.errors.append(f"{self._name(name)} must be {kind}")
        return value

    def contract(self, name: str) -> str:
        value = self.text(name)
        if value and not StrKey.is_valid_contract(value):
            self.errors.append(f"{self._name(name)} must be a contract id (C…)")
        return value

    def index(self, name: str) -> int:
        value = self.body.get(name)
        if not isinstance(value, str) or not _INDEX.fullmatch(value):
            self.errors.append(f'{self._name(name)} must be a numeric string such as "0"')
            return 0
        return int(value)

    def number(self, name: str) -> Decimal:
        value = self.body.get(name)
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            self.errors.append(f"{self._name(name)} must be a number")
            return Decimal(0)
        return Decimal(value)

    def amount(self, name: str, positive: bool = True) -> int:
        value = self.number(name)
        try:
            stroops = stroops_from_decimal(value)
        except AmountError as error:
            self.errors.append(f"{self._name(name)}: {error}")
            return 0
        if positive and stroops <= 0:
            self.errors.append(f"{self._name(name)} must be a positive number")
        return stroops

    def items(self, name: str) -> list[Any]:
        value = self.body.get(name)
        if not isinstance(value, list):
            self.errors.append(f"{self._name(name)} must be an array")
            return []
        return value

    def nested(self, name: str) -> _Fields:
        return _Fields(self.body.get(name), prefix=f"{self._name(name)}.")

    def absorb(self, other: _Fields) -> None:
        self.errors.extend(other.errors)

    def check(self) -> None:
        if self.errors:
            raise RequestValidationError(self.errors)


def parse_deploy(kind: str, body: Any) -> EscrowCall:
    fields = _Fields(body)
    signer = fields.address("signer")
    properties, symbol, trustline = _properties(kind, fields)
    fields.check()
    return EscrowCall(
        kind,
        "deploy",
        signer,
        "signer",
        properties=properties,
        trustline_symbol=symbol,
        trustline_address=trustline,
    )


def parse_action(kind: str, action: str, body: Any) -> EscrowCall:
    """Any V1 escrow action except deploy; `action` is the last path segment."""
    parser = _ACTIONS.get((kind, action))
    if parser is None:
        raise UnknownActionError(action)
    fields = _Fields(body)
    call = parser(kind, fields)
    fields.check()
    return call


def _fund(kind: str, f: _Fields) -> EscrowCall:
    signer = f.address("signer")
    values = {"signer": signer, "amount": f.amount("amount")}
    return EscrowCall(kind, "fund_escrow", signer, "signer", f.contract("contractId"), values)


def _change_status(kind: str, f: _Fields) -> EscrowCall:
    provider = f.address("serviceProvider")
    values = {
        "milestone_index": f.index("milestoneIndex"),
        "new_status": f.text("newStatus", required=False),
        "new_evidence": f.optional_text("newEvidence"),
        "service_provider": provider,
    }
    return EscrowCall(
        kind,
        "change_milestone_status",
        provider,
        "serviceProvider",
        f.contract("contractId"),
        values,
    )


def _approve(kind: str, f: _Fields) -> EscrowCall:
    approver = f.address("approver")
    values = {"milestone_index": f.index("milestoneIndex"), "approver": approver}
    return EscrowCall(
        kind, "approve_milestone", approver, "approver", f.contract("contractId"), values
    )


def _release(kind: str, f: _Fields) -> EscrowCall:
    signer = f.address("releaseSigner")
    values: dict[str, Any] = {"release_signer": signer}
    function = "release_funds"
    if kind == MULTI_RELEASE:
        function, values["milestone_index"] = "release_milestone_funds", f.index("milestoneIndex")
    return EscrowCall(kind, function, signer, "releaseSigner", f.contract("contractId"), values)


def _dispute(kind: str, f: _Fields) -> EscrowCall:
    signer = f.address("signer")
    values: dict[str, Any] = {"signer": signer}
    function = "dispute_escrow"
    if kind == MULTI_RELEASE:
        function, values["milestone_index"] = "dispute_milestone", f.index("milestoneIndex")
    return EscrowCall(kind, function, signer, "signer", f.contract("contractId"), values)


def _resolve(kind: str, f: _Fields) -> EscrowCall:
    resolver = f.address("disputeResolver")
    values: dict[str, Any] = {
        "dispute_resolver": resolver,
        "distributions": _distributions(f),
    }
    function = "resolve_dispute"
    if kind == MULTI_RELEASE:
        function, values["milestone_index"] = "resolve_milestone_dispute", f.index("milestoneIndex")
    return EscrowCall(kind, function, resolver, "disputeResolver", f.contract("contractId"), values)


def _withdraw(kind: str, f: _Fields) -> EscrowCall:
    resolver = f.address("disputeResolver")
    values = {"dispute_resolver": resolver, "distributions": _distributions(f)}
    return EscrowCall(
        kind,
        "withdraw_remaining_funds",
        resolver,
        "disputeResolver",
        f.contract("contractId"),
        values,
    )


def _update(kind: str, f: _Fields) -> EscrowCall:
    signer = f.address("signer")
    escrow_fields = f.nested("escrow")
    properties, symbol, trustline = _properties(kind, escrow_fields)
    f.absorb(escrow_fields)
    values = {"platform_address": signer}
    return EscrowCall(
        kind,
        "update_escrow",
        signer,
        "platformAddress",
        f.contract("contractId"),
        values,
        properties,
        symbol,
        trustline,
    )


_PARSERS = {
    "fund-escrow": _fund,
    "change-milestone-status": _change_status,
    "approve-milestone": _approve,
    "withdraw-remaining-funds": _withdraw,
    "update-escrow": _update,
}
_ACTIONS = {
    **{
        (kind, action): parser
        for kind in (SINGLE_RELEASE, MULTI_RELEASE)
        for action, parser in _PARSERS.items()
    },
    (SINGLE_RELEASE, "release-funds"): _release,
    (SINGLE_RELEASE, "dispute-escrow"): _dispute,
    (SINGLE_RELEASE, "resolve-dispute"): _resolve,
    (MULTI_RELEASE, "release-milestone-funds"): _release,
    (MULTI_RELEASE, "dispute-milestone"): _dispute,
    (MULTI_RELEASE, "resolve-milestone-dispute"): _resolve,
    # TW's agent guide names these for multi-release; the React client uses the ones above.
    (MULTI_RELEASE, "dispute-escrow"): _dispute,
    (MULTI_RELEASE, "resolve-dispute"): _resolve,
}


def _distributions(f: _Fields) -> list[tuple[str, int]]:
    pairs: list[tuple[str, int]] = []
    for position, item in enumerate(f.items("distributions")):
        entry = _Fields(item, prefix=f"distributions.{position}.")
        address = entry.address("address", contract_allowed=True)
        stroops = entry.amount("amount", positive=False)
        f.absorb(entry)
        if any(address == known for known, _ in pairs):
            f.errors.append(f"distributions.{position}.address repeats {address}")
        pairs.append((address, stroops))
    return pairs


def _properties(kind: str, f: _Fields) -> tuple[Escrow, str, str]:
    """The escrow's properties from a deploy (or update) body, plus its trustline as given."""
    roles_fields = f.nested("roles")
    roles = {role: roles_fields.address(role) for role in roles_for(kind)}
    f.absorb(roles_fields)
    trustline = f.nested("trustline")
    trustline_address = trustline.address("address", contract_allowed=True)
    symbol = trustline.optional_text("symbol") or trustline.optional_text("name") or "USDC"
    f.absorb(trustline)
    fee_percent = f.number("platformFee")
    fee_bps = fee_percent * 100
    if fee_bps < 0 or fee_bps != fee_bps.to_integral_value():
        f.errors.append("platformFee must be a non-negative percent with at most 2 decimals")
    escrow = Escrow(
        contract_id="",
        kind=kind,
        engagement_id=f.text("engagementId"),
        title=f.text("title"),
        description=f.text("description", required=False),
        roles=roles,
        platform_fee_bps=int(fee_bps) if fee_bps >= 0 else 0,
        milestones=[_milestone(kind, f, i, m) for i, m in enumerate(f.items("milestones"))],
        asset_code="",
        asset_issuer="",
        trustline_address=trustline_address,
        amount_stroops=f.amount("amount") if kind == SINGLE_RELEASE else 0,
        receiver_memo=_receiver_memo(f),
    )
    return escrow, symbol, trustline_address


def _milestone(kind: str, f: _Fields, position: int, item: Any) -> Milestone:
    entry = _Fields(item, prefix=f"milestones.{position}.")
    milestone = Milestone(description=entry.text("description"))
    status = entry.optional_text("status")
    if status is not None:
        milestone.status = status
    milestone.evidence = entry.optional_text("evidence") or ""
    if kind == MULTI_RELEASE:
        milestone.amount_stroops = entry.amount("amount")
        milestone.receiver = entry.address("receiver")
    f.absorb(entry)
    return milestone


def _receiver_memo(f: _Fields) -> int:
    value = f.body.get("receiverMemo", 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        f.errors.append("receiverMemo must be a non-negative integer")
        return 0
    return value
