"""The sandbox's money taps: Friendbot for XLM and the USDC issuer for minting.

Both are ordinary transactions signed by sandbox-held keys (the network root for lumens, the
issuer for USDC), so they show up in Horizon's history and payment feeds like any other
payment, and minting to a wallet without a USDC trustline fails with `op_no_trust`.
"""

from __future__ import annotations

from stellar_sdk import Asset
from stellar_sdk.operation import CreateAccount, Payment

from sandbox.chain.amounts import STROOPS_PER_UNIT, format_stroops
from sandbox.chain.chain import Chain
from sandbox.chain.transactions import SubmissionOutcome

FRIENDBOT_STARTING_BALANCE_STROOPS = 10_000 * STROOPS_PER_UNIT


class AlreadyFundedError(Exception):
    """Friendbot's refusal: the account already holds at least the starting balance."""


class Faucet:
    def __init__(self, chain: Chain):
        self._chain = chain

    def fund_xlm(self, address: str) -> SubmissionOutcome:
        """Creates the account with 10,000 XLM, or tops an existing one up to that balance."""
        root = self._chain.keys.root
        with self._chain.lock:
            account = self._chain.account(address)
            if account is None:
                starting = format_stroops(FRIENDBOT_STARTING_BALANCE_STROOPS)
                return self._chain.submit_as(root, [CreateAccount(address, starting)])
            shortfall = FRIENDBOT_STARTING_BALANCE_STROOPS - account.balance_stroops
            if shortfall <= 0:
                raise AlreadyFundedError("account already funded to starting balance")
            top_up = Payment(address, Asset.native(), format_stroops(shortfall))
            return self._chain.submit_as(root, [top_up])

    def mint_usdc(self, address: str, amount_stroops: int) -> SubmissionOutcome:
        """A payment from the USDC issuer (minting); needs the receiver's USDC trustline."""
        if amount_stroops <= 0:
            raise ValueError("mint a positive amount")
        payment = Payment(address, self._chain.keys.usdc, format_stroops(amount_stroops))
        return self._chain.submit_as(self._chain.keys.usdc_issuer, [payment])
