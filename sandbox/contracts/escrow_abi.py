"""The escrow contracts' ABI: function signatures and the `Escrow` struct as Soroban values.

Trustless Work builds each unsigned transaction as one `invoke_contract` call whose arguments say
everything the contract needs; the sandbox's contract runtime decodes those same arguments when
the signed transaction is applied, whether it arrives through `send-transaction` or straight at
Horizon. Encoding follows Soroban conventions: structs are symbol-keyed maps in key order,
amounts are i128 stroops, optional values are void when absent.
"""

from __future__ import annotations

from typing import Any

from stellar_sdk import Address, scval, xdr

from sandbox.contracts.escrow_model import MULTI_RELEASE, Escrow, Milestone

# function -> ordered (argument, type) pairs, mirroring the V1 contracts' signatures.
FUNCTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "deploy": (
        ("deployer", "address"),
        ("wasm_hash", "bytes"),
        ("salt", "bytes"),
        ("init_fn", "symbol"),
        ("init_args", "escrow_list"),
        ("constructor_args", "empty_list"),
    ),
    "fund_escrow": (("signer", "address"), ("expected_escrow", "escrow"), ("amount", "i128")),
    "change_milestone_status": (
        ("milestone_index", "i128"),
        ("new_status", "string"),
        ("new_evidence", "optional_string"),
        ("service_provider", "address"),
    ),
    "approve_milestone": (("milestone_index", "i128"), ("approver", "address")),
    "release_funds": (("release_signer", "address"), ("trustless_work_address", "address")),
    "release_milestone_funds": (
        ("release_signer", "address"),
        ("trustless_work_address", "address"),
        ("milestone_index", "u32"),
    ),
    "dispute_escrow": (("signer", "address"),),
    "dispute_milestone": (("milestone_index", "i128"), ("signer", "address")),
    "resolve_dispute": (
        ("dispute_resolver", "address"),
        ("trustless_work_address", "address"),
        ("distributions", "distributions"),
    ),
    "resolve_milestone_dispute": (
        ("dispute_resolver", "address"),
        ("milestone_index", "u32"),
        ("trustless_work_address", "address"),
        ("distributions", "distributions"),
    ),
    "withdraw_remaining_funds": (
        ("dispute_resolver", "address"),
        ("trustless_work_address", "address"),
        ("distributions", "distributions"),
    ),
    "update_escrow": (("platform_address", "address"), ("escrow_properties", "escrow")),
}
INITIALIZE_FUNCTION = "initialize_escrow"

_ROLE_FIELDS = {
    "approver": "approver",
    "serviceProvider": "service_provider",
    "platformAddress": "platform_address",
    "releaseSigner": "release_signer",
    "disputeResolver": "dispute_resolver",
    "receiver": "receiver",
}


class AbiError(ValueError):
    """Arguments that do not match the function's signature (the host's UnexpectedType)."""


def encode_arguments(function: str, kind: str, values: dict[str, Any]) -> list[xdr.SCVal]:
    return [_encode(kind_, kind, values[name]) for name, kind_ in FUNCTIONS[function]]


def decode_arguments(function: str, kind: str, args: list[xdr.SCVal]) -> dict[str, Any]:
    spec = FUNCTIONS.get(function)
    if spec is None:
        raise AbiError(f"the contract has no function {function!r}")
    if len(args) != len(spec):
        raise AbiError(f"{function} takes {len(spec)} arguments, got {len(args)}")
    try:
        return {
            name: _decode(type_, kind, arg) for (name, type_), arg in zip(spec, args, strict=True)
        }
    except (ValueError, KeyError, TypeError, AssertionError) as error:
        raise AbiError(f"{function}: {error}") from error


def encode_escrow(escrow: Escrow) -> xdr.SCVal:
    multi = escrow.kind == MULTI_RELEASE
    roles = {
        field: scval.to_address(escrow.roles[role])
        for role, field in _ROLE_FIELDS.items()
        if role in escrow.roles
    }
    fields: dict[str, xdr.SCVal] = {
        "description": scval.to_string(escrow.description),
        "engagement_id": scval.to_string(escrow.engagement_id),
        "milestones": scval.to_vec([_encode_milestone(m, multi) for m in escrow.milestones]),
        "platform_fee": scval.to_uint32(escrow.platform_fee_bps),
        "receiver_memo": scval.to_int128(escrow.receiver_memo),
        "roles": scval.to_struct(roles),
        "title": scval.to_string(escrow.title),
        "trustline": scval.to_struct({"address": scval.to_address(escrow.trustline_address)}),
    }
    if not multi:
        fields["amount"] = scval.to_int128(escrow.amount_stroops)
        fields["flags"] = scval.to_struct(
            {
                "disputed": scval.to_bool(escrow.disputed),
                "released": scval.to_bool(escrow.released),
                "resolved": scval.to_bool(escrow.resolved),
            }
        )
    return scval.to_struct(fields)


def decode_escrow(value: xdr.SCVal, kind: str) -> Escrow:
    """An Escrow from its struct; contract id and asset are filled in by the caller."""
    multi = kind == MULTI_RELEASE
    fields = scval.from_struct(value)
    role_values = scval.from_struct(fields["roles"])
    roles = {
        role: scval.from_address(role_values[field]).address
        for role, field in _ROLE_FIELDS.items()
        if field in role_values
    }
    flags = {} if multi else scval.from_struct(fields["flags"])
    return Escrow(
        contract_id="",
        kind=kind,
        engagement_id=_text(fields["engagement_id"]),
        title=_text(fields["title"]),
        description=_text(fields["description"]),
        roles=roles,
        platform_fee_bps=scval.from_uint32(fields["platform_fee"]),
        milestones=[_decode_milestone(m, multi) for m in scval.from_vec(fields["milestones"])],
        asset_code="",
        asset_issuer="",
        trustline_address=scval.from_address(
            scval.from_struct(fields["trustline"])["address"]
        ).address,
        amount_stroops=0 if multi else scval.from_int128(fields["amount"]),
        disputed=False if multi else scval.from_bool(flags["disputed"]),
        released=False if multi else scval.from_bool(flags["released"]),
        resolved=False if multi else scval.from_bool(flags["resolved"]),
        receiver_memo=scval.from_int128(fields["receiver_memo"]),
    )


def _encode_milestone(milestone: Milestone, multi: bool) -> xdr.SCVal:
    fields = {
        "description": scval.to_string(milestone.description),
        "evidence": scval.to_string(milestone.evidence),
        "status": scval.to_string(milestone.status),
    }
    if multi:
        fields["amount"] = scval.to_int128(milestone.amount_stroops)
        fields["receiver"] = scval.to_address(milestone.receiver)
        fields["flags"] = scval.to_struct(
            {
                "approved": scval.to_bool(milestone.approved),
                "disputed": scval.to_bool(milestone.disputed),
                "released": scval.to_bool(milestone.released),
                "resolved": scval.to_bool(milestone.resolved),
            }
        )
    else:
        fields["approved"] = scval.to_bool(milestone.approved)
    return scval.to_struct(fields)


def _decode_milestone(value: xdr.SCVal, multi: bool) -> Milestone:
    fields = scval.from_struct(value)
    milestone = Milestone(
        description=_text(fields["description"]),
        status=_text(fields["status"]),
        evidence=_text(fields["evidence"]),
    )
    if multi:
        flags = scval.from_struct(fields["flags"])
        milestone.amount_stroops = scval.from_int128(fields["amount"])
        milestone.receiver = scval.from_address(fields["receiver"]).address
        milestone.approved = scval.from_bool(flags["approved"])
        milestone.disputed = scval.from_bool(flags["disputed"])
        milestone.released = scval.from_bool(flags["released"])
        milestone.resolved = scval.from_bool(flags["resolved"])
    else:
        milestone.approved = scval.from_bool(fields["approved"])
    return milestone


def _encode(type_: str, kind: str, value: Any) -> xdr.SCVal:
    if type_ == "address":
        return scval.to_address(value)
    if type_ == "i128":
        return scval.to_int128(value)
    if type_ == "u32":
        return scval.to_uint32(value)
    if type_ == "string":
        return scval.to_string(value)
    if type_ == "optional_string":
        return scval.to_void() if value is None else scval.to_string(value)
    if type_ == "bytes":
        return scval.to_bytes(value)
    if type_ == "symbol":
        return scval.to_symbol(value)
    if type_ == "escrow":
        return encode_escrow(value)
    if type_ == "escrow_list":
        return scval.to_vec([encode_escrow(value)])
    if type_ == "empty_list":
        return scval.to_vec([])
    if type_ == "distributions":
        pairs = {scval.to_address(a): scval.to_int128(amount) for a, amount in value}
        return scval.to_map(pairs)
    raise AssertionError(f"unknown ABI type {type_}")


def _decode(type_: str, kind: str, value: xdr.SCVal) -> Any:
    if type_ == "address":
        return scval.from_address(value).address
    if type_ in ("i128", "u32"):
        return scval.from_int128(value) if type_ == "i128" else scval.from_uint32(value)
    if type_ == "string":
        return _text(value)
    if type_ == "optional_string":
        return None if value.type == xdr.SCValType.SCV_VOID else _text(value)
    if type_ == "bytes":
        return scval.from_bytes(value)
    if type_ == "symbol":
        return scval.from_symbol(value)
    if type_ == "escrow":
        return decode_escrow(value, kind)
    if type_ == "escrow_list":
        (escrow,) = scval.from_vec(value)
        return decode_escrow(escrow, kind)
    if type_ == "empty_list":
        return scval.from_vec(value)
    if type_ == "distributions":
        return [
            (scval.from_address(k).address, scval.from_int128(v))
            for k, v in scval.from_map(value).items()
        ]
    raise AssertionError(f"unknown ABI type {type_}")


def _text(value: xdr.SCVal) -> str:
    return scval.from_string(value).decode("utf-8")


def address_is_valid(text: str) -> bool:
    try:
        Address(text)
    except (ValueError, TypeError):
        return False
    return True
