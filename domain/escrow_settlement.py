"""What an escrow transaction that landed does to the books: one pure function per fact.

The saga calls `record_step` once a step's transaction is in a ledger, with the order and the
buyer's and seller's accounts loaded; it changes them (the events carry the postings) and the
saga commits them together. Payouts use the contracts' own fee math (`escrow_fees`), so the
stroops each account receives are the stroops the chain moved.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from domain.accounts import Account
from domain.escrow_fees import Payout, distribution_payout, release_payout
from domain.escrow_steps import APPROVE, COMPLETE, DEPLOY, DISPUTE, FUND, RELEASE, RESOLVE, Step
from domain.money import Amount
from domain.order_states import BUYER, SELLER
from domain.orders import Order

# How a payout reads in the recipient's statement.
CREDIT_SOURCE: Final = {SELLER: "release", BUYER: "refund"}


def record_step(
    order: Order,
    step: Step,
    transaction_hash: str,
    contract_id: str | None,
    accounts: dict[str, Account],
    now: datetime,
) -> None:
    """Records that `step`'s transaction is on chain. `accounts` holds the BUYER's and the
    SELLER's accounts; a deploy needs the new `contract_id`."""
    if step.action == DEPLOY:
        assert contract_id is not None, "a deploy records its contract"
        order.mark_deployed(contract_id, transaction_hash)
    elif step.action == FUND:
        accounts[BUYER].spend_reservation(
            Amount(order.amount_stroops, order.currency),
            hold_ref=order.public_id,
            reason="escrow_funded",
            counterparty=order.escrow_account,
        )
        order.mark_funded(transaction_hash, now)
    elif step.action == COMPLETE:
        order.mark_milestone_completed(_index(step), transaction_hash)
    elif step.action == APPROVE:
        order.mark_milestone_approved(_index(step), transaction_hash)
    elif step.action == DISPUTE:
        order.mark_escrow_disputed(step.index, transaction_hash)
    elif step.action == RELEASE:
        amount = (
            order.milestones[_index(step)]["amountStroops"]
            if order.multi_release
            else order.amount_stroops
        )
        payout = release_payout(amount, order.platform_fee_bps, SELLER)
        balances = _pay(order, payout, accounts, transaction_hash)
        if order.multi_release:
            order.mark_milestone_released(_index(step), payout, balances, transaction_hash, now)
        else:
            order.mark_settled(payout, balances, transaction_hash, now)
    elif step.action == RESOLVE:
        payout = distribution_payout(list(step.distributions), order.platform_fee_bps)
        balances = _pay(order, payout, accounts, transaction_hash)
        if order.multi_release:
            order.mark_milestone_resolved(_index(step), payout, balances, transaction_hash, now)
        else:
            order.mark_settled(payout, balances, transaction_hash, now)
    else:
        raise ValueError(f"unknown escrow action {step.action!r}")


def _pay(
    order: Order, payout: Payout, accounts: dict[str, Account], transaction_hash: str
) -> dict[str, int]:
    """Credits each recipient's net share out of the escrow; returns their available balances."""
    for party, amount in payout.net:
        if amount > 0:
            accounts[party].credit(
                Amount(amount, order.currency),
                source=CREDIT_SOURCE[party],
                counterparty=order.escrow_account,
                source_id=order.public_id,
                transaction_hash=transaction_hash,
            )
    return {party: accounts[party].available_stroops for party, _ in payout.net}


def _index(step: Step) -> int:
    assert step.index is not None, f"{step.name} names no milestone"
    return step.index
