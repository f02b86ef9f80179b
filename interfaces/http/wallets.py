"""A user's invisible wallet: its state and live balances, deposit instructions, and its recent
on-chain payments. Never the secret."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, FromQuery

from application.ports import StellarNetwork
from domain import identifiers
from domain.api_keys import READ
from domain.errors import ProviderError, ValidationError
from domain.money import Amount
from interfaces.http.edge.admission import scope
from interfaces.http.edge.dependencies import Provided, Respond
from interfaces.http.edge.read_your_writes import ReadYourWrites
from interfaces.http.edge.responses import Envelope
from interfaces.http.schemas.money_movements import (
    AssetBody,
    DepositInstructionsBody,
    WalletBalanceBody,
    WalletBody,
    WalletTransactionBody,
    wallet_body,
    wallet_transaction_body,
)
from projections.wallets.view import WalletsView

TRANSACTIONS_LIMIT_MAX = 100


class WalletsController(Controller):
    path = "/users/{user_id:str}/wallet"
    tags = ["wallets"]

    @get("/", opt=scope(READ), sync_to_thread=True, operation_id="getWallet")
    def wallet(
        self,
        request: Request[Any, Any, Any],
        user_id: FromPath[str],
        wallets_view: Provided[WalletsView],
        network: Provided[StellarNetwork],
        read_your_writes: Provided[ReadYourWrites],
        respond: Respond,
    ) -> Response[Envelope[WalletBody]]:
        """The wallet and its live USDC and XLM balances (null while Horizon is unreachable)."""
        identifiers.parse_public_id(identifiers.USER, user_id)
        read_your_writes.wait(request, "wallets")
        row = wallets_view.of_user(user_id)
        balance = None
        try:
            account = network.account(row.address)
            if account is not None:
                balance = WalletBalanceBody(
                    usdc=Amount(account.usdc_stroops or 0).to_wire()
                    if account.trusts_usdc
                    else None,
                    xlm=Amount(account.xlm_stroops).to_wire(),
                )
        except ProviderError:
            balance = None
        return respond.ok(wallet_body(row, balance))

    @get("/deposit", opt=scope(READ), sync_to_thread=True, operation_id="getDepositInstructions")
    def deposit(
        self,
        request: Request[Any, Any, Any],
        user_id: FromPath[str],
        wallets_view: Provided[WalletsView],
        network: Provided[StellarNetwork],
        read_your_writes: Provided[ReadYourWrites],
        respond: Respond,
    ) -> Response[Envelope[DepositInstructionsBody]]:
        """Where and what to send to fund this user (USDC on Stellar)."""
        identifiers.parse_public_id(identifiers.USER, user_id)
        read_your_writes.wait(request, "wallets")
        row = wallets_view.of_user(user_id)
        code, issuer = network.usdc_asset.split(":")
        return respond.ok(
            DepositInstructionsBody(
                provider="crypto",
                method="stellar_address",
                address=row.address,
                asset=AssetBody(code, issuer),
                network=row.network,
                wallet_status=row.status,
                instructions=(
                    f"Send {code} (issuer {issuer}) on the Stellar {row.network} network to "
                    f"{row.address}. Deposits are credited once the payment is in a ledger."
                    + (
                        ""
                        if row.status == "ACTIVE"
                        else " The wallet is still being activated; wait for status ACTIVE."
                    )
                ),
            )
        )

    @get(
        "/transactions", opt=scope(READ), sync_to_thread=True, operation_id="getWalletTransactions"
    )
    def transactions(
        self,
        user_id: FromPath[str],
        wallets_view: Provided[WalletsView],
        network: Provided[StellarNetwork],
        respond: Respond,
        limit: FromQuery[int] = 20,
    ) -> Response[Envelope[list[WalletTransactionBody]]]:
        """The wallet's payments on chain, newest first, straight from Horizon."""
        identifiers.parse_public_id(identifiers.USER, user_id)
        if not 1 <= limit <= TRANSACTIONS_LIMIT_MAX:
            raise ValidationError(f"limit must be 1 to {TRANSACTIONS_LIMIT_MAX}", field="limit")
        row = wallets_view.of_user(user_id)
        records = network.recent_transactions(row.address, limit)
        return respond.ok([wallet_transaction_body(r) for r in records])
