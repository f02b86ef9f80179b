"""Operator commands for money in and out: `bootstrap` (the platform user and wallet),
`sagas list|retry`, `reconcile`, and `keys rotate-vault`."""

from __future__ import annotations

import click

from application.context import CommandContext
from domain.money import format_stroops
from domain.users import PLATFORM_EXTERNAL_USER_ID
from interfaces.cli.environment import runtime_and_services
from interfaces.cli.reporting import emit_json, json_option

CLI_CONTEXT = CommandContext(request_id=None, api_key_id="cli")
# WAITING: an order whose escrow waits for the marketplace (to fund, release, decide…).
SAGA_STATUSES = ("IN_FLIGHT", "PARKED", "WAITING", "DONE")


@click.command("bootstrap")
@json_option
def bootstrap(as_json: bool) -> None:
    """Create the platform user and its wallet (idempotent); print its id."""
    with runtime_and_services(pool_size_max=2) as (_, services):
        created = services.use_cases.users.create_user(
            PLATFORM_EXTERNAL_USER_ID, None, "BOTH", CLI_CONTEXT
        )
        wallet = services.use_cases.wallets.get(created.user.user_id)
        network = services.settings.stellar_network
    if as_json:
        emit_json(
            {
                "platformUserId": created.user.user_id,
                "walletAddress": wallet.address,
                "walletStatus": wallet.status,
                "created": created.created,
            }
        )
        return
    click.echo(f"PLATFORM_USER_ID={created.user.user_id}")
    click.echo(
        f"platform wallet {wallet.address} ({wallet.status})"
        + ("" if created.created else "; already bootstrapped")
    )
    if network == "mainnet" and wallet.status == "PENDING":
        click.echo("mainnet: send at least 3 XLM to that address; activation then completes")


@click.group("sagas")
def sagas() -> None:
    """Inspect and retry sagas (wallet activations, withdrawals, escrows)."""


@sagas.command("list")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(SAGA_STATUSES),
    default=("IN_FLIGHT", "PARKED"),
    show_default=True,
    help="Which sagas to show; repeat for several (WAITING: the marketplace's move).",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 100),
    default=50,
    show_default=True,
    help="How many sagas to show.",
)
@json_option
def list_sagas(statuses: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Sagas by status, with their step and why they are parked."""
    with runtime_and_services(pool_size_max=2) as (_, services):
        page = services.views.sagas.find(list(statuses), None, limit, None)
    if as_json:
        emit_json(
            [
                {
                    "id": row.saga_id,
                    "kind": row.kind,
                    "status": row.status,
                    "step": row.step,
                    "updatedAt": row.updated_at,
                    "reason": row.reason,
                }
                for row in page.items
            ]
        )
        return
    for row in page.items:
        click.echo(
            f"{row.saga_id}  {row.kind:<18} {row.status:<9} step={row.step or '-':<6} "
            f"since {row.updated_at:%Y-%m-%d %H:%M:%S}  {row.reason or ''}"
        )
    if not page.items:
        click.echo("no sagas")


@sagas.command("retry")
@click.argument("saga_id")
def retry_saga(saga_id: str) -> None:
    """Resume a parked saga at its step."""
    with runtime_and_services(pool_size_max=2) as (_, services):
        retried = services.use_cases.sagas.retry(saga_id, CLI_CONTEXT)
        click.echo(f"{saga_id} resumed (position {retried.position})")


@click.command("reconcile")
@json_option
def reconcile(as_json: bool) -> None:
    """Compare every wallet's and escrow's on-chain USDC with the ledger; exit 1 on any
    drift."""
    with runtime_and_services(pool_size_max=2) as (_, services):
        report = services.use_cases.reconciler.reconcile_everything("cli", CLI_CONTEXT)
    if as_json:
        emit_json(
            {
                "checked": report.checked,
                "skipped": report.skipped,
                "drifts": [
                    {
                        "subject": d.subject,
                        "ledgerAccount": d.ledger_account,
                        "ledgerBalance": format_stroops(d.ledger_stroops),
                        "chainBalance": format_stroops(d.chain_stroops),
                    }
                    for d in report.drifts
                ],
            }
        )
    else:
        click.echo(
            f"checked {report.checked} wallets and escrows, skipped {report.skipped} in flight, "
            f"{len(report.drifts)} drifting"
        )
        for drift in report.drifts:
            click.echo(
                f"  {drift.subject}: ledger {format_stroops(drift.ledger_stroops)} "
                f"chain {format_stroops(drift.chain_stroops)}"
            )
    if report.drifts:
        raise SystemExit(1)


@click.command("rotate-vault")
def rotate_vault() -> None:
    """Re-seal every wallet seed under WALLET_ENCRYPTION_KEY (old keys in
    WALLET_ENCRYPTION_KEY_PREVIOUS)."""
    with runtime_and_services(pool_size_max=2) as (_, services):
        vault = services.resources.vault
        if vault is None:
            raise click.UsageError("WALLET_ENCRYPTION_KEY is not set")
        total = sum(n for v, n in vault.versions().items() if v != vault.current.version)
        with click.progressbar(length=max(total, 1), label="re-sealing") as bar:
            done = [0]

            def progress(count: int) -> None:
                bar.update(count - done[0])
                done[0] = count

            rotated = vault.rotate(progress)
        click.echo(f"re-sealed {rotated} seeds under key {vault.current.version}")
        if services.resources.webhook_secrets is not None:
            resealed = services.resources.webhook_secrets.rotate()
            click.echo(f"re-sealed {resealed} webhook secrets under key {vault.current.version}")
