"""The people around an escrow in tests, with wallets, and the request bodies they send.

The buyer approves, releases and funds; the seller provides the service and receives; the
platform deploys, takes the platform fee and resolves disputes (OFFER-HUB's arrangement).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stellar_sdk import Keypair, Server

from sandbox.server import SandboxServer

from .stellar_wallets import new_wallet, usdc_of
from .trustless_work_client import TrustlessWorkClient

SINGLE = "/escrow/single-release"
MULTI = "/escrow/multi-release"


@dataclass
class Parties:
    buyer: Keypair
    seller: Keypair
    platform: Keypair
    trustline_issuer: str

    @classmethod
    def create(cls, sandbox: SandboxServer, server: Server, buyer_usdc: str = "1000") -> Parties:
        return cls(
            buyer=new_wallet(sandbox, server, usdc=buyer_usdc),
            seller=new_wallet(sandbox, server),
            platform=new_wallet(sandbox, server),
            trustline_issuer=usdc_of(sandbox).issuer,
        )

    def roles(self, multi: bool = False) -> dict[str, str]:
        roles = {
            "approver": self.buyer.public_key,
            "serviceProvider": self.seller.public_key,
            "platformAddress": self.platform.public_key,
            "releaseSigner": self.buyer.public_key,
            "disputeResolver": self.platform.public_key,
        }
        if not multi:
            roles["receiver"] = self.seller.public_key
        return roles

    def single_release(
        self, amount: Any = 250, platform_fee: Any = 5, milestones: int = 1
    ) -> dict[str, Any]:
        return {
            "signer": self.platform.public_key,
            "engagementId": "order-8812",
            "title": "Logo design",
            "description": "Escrow for order 8812",
            "roles": self.roles(),
            "amount": amount,
            "platformFee": platform_fee,
            "milestones": [{"description": f"Deliverable {i}"} for i in range(milestones)],
            "trustline": {"address": self.trustline_issuer, "symbol": "USDC"},
        }

    def multi_release(
        self, milestones: list[tuple[Any, str]], platform_fee: Any = 5
    ) -> dict[str, Any]:
        return {
            "signer": self.platform.public_key,
            "engagementId": "order-9001",
            "title": "Website",
            "description": "Two milestones",
            "roles": self.roles(multi=True),
            "platformFee": platform_fee,
            "milestones": [
                {"description": f"Milestone {i}", "amount": amount, "receiver": receiver}
                for i, (amount, receiver) in enumerate(milestones)
            ],
            "trustline": {"address": self.trustline_issuer, "symbol": "USDC"},
        }


def deploy(tw: TrustlessWorkClient, parties: Parties, body: dict[str, Any], kind: str) -> str:
    sent = tw.act(f"/deployer/{kind}", body, parties.platform)
    contract_id = sent["contractId"]
    assert isinstance(contract_id, str)
    return contract_id


def fund(
    tw: TrustlessWorkClient, parties: Parties, contract_id: str, amount: Any, base: str = SINGLE
) -> None:
    body = {"contractId": contract_id, "signer": parties.buyer.public_key, "amount": amount}
    tw.act(f"{base}/fund-escrow", body, parties.buyer)


def complete_and_approve(
    tw: TrustlessWorkClient,
    parties: Parties,
    contract_id: str,
    index: str = "0",
    base: str = SINGLE,
) -> None:
    tw.act(
        f"{base}/change-milestone-status",
        {
            "contractId": contract_id,
            "milestoneIndex": index,
            "newStatus": "completed",
            "newEvidence": "https://example.org/files",
            "serviceProvider": parties.seller.public_key,
        },
        parties.seller,
    )
    tw.act(
        f"{base}/approve-milestone",
        {"contractId": contract_id, "milestoneIndex": index, "approver": parties.buyer.public_key},
        parties.buyer,
    )
