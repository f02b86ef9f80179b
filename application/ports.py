"""What the use cases need from the outside world, as protocols the adapters implement.

`StellarNetwork` is Horizon (reads, submissions, the payment feed); `WalletKeys` makes wallets
and signs for them — the only port behind which a secret seed ever exists. The read ports at
the end are the questions use cases ask the read models (implemented by the projections'
views): a read model may be a step behind the log, so what it answers is a candidate that the
aggregate confirms before anything changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Protocol

from domain.chain import SignedEnvelope


@dataclass(frozen=True, slots=True)
class ChainAccount:
    address: str
    xlm_stroops: int
    usdc_stroops: int | None  # None: no USDC trustline
    sequence: int

    @property
    def trusts_usdc(self) -> bool:
        return self.usdc_stroops is not None


class Outcome(Enum):
    APPLIED = "applied"  # in a ledger, successful
    FAILED = "failed"  # in a ledger, failed (fee charged, sequence consumed, nothing moved)
    REJECTED = "rejected"  # never entered a ledger and never will
    UNKNOWN = "unknown"  # the network did not say (timeout, 5xx): ask again later


@dataclass(frozen=True, slots=True)
class Submission:
    outcome: Outcome
    transaction_hash: str
    stellar_ledger_sequence: int | None = None  # the Stellar ledger it is in, once it is
    codes: tuple[str, ...] = ()  # the transaction's result code, then each operation's
    detail: str = ""

    @property
    def error_code(self) -> str | None:
        """The most specific result code: the first operation's, else the transaction's."""
        if not self.codes:
            return None
        return self.codes[1] if len(self.codes) > 1 else self.codes[0]


@dataclass(frozen=True, slots=True)
class Payment:
    """One payment of the network's feed, as the deposit monitor needs it."""

    operation_id: str
    paging_token: str
    transaction_hash: str
    successful: bool
    kind: str
    from_address: str
    to_address: str
    asset: str  # "native" or "CODE:ISSUER"
    amount_stroops: int
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PaymentsPage:
    payments: Sequence[Payment] = field(default_factory=tuple)
    cursor: str | None = None  # the paging token to continue after


@dataclass(frozen=True, slots=True)
class ContractCall:
    """One contract function a transaction invoked, with the scalar arguments a guard may
    match on."""

    contract_id: str  # C…
    function: str
    integers: tuple[int, ...] = ()  # its top-level integer arguments (a milestone index, …)
    strings: tuple[str, ...] = ()  # every string and symbol anywhere in its arguments


@dataclass(frozen=True, slots=True)
class ChainTransaction:
    """A transaction in a ledger, as read back from an account's history."""

    transaction_hash: str
    envelope_xdr: str
    successful: bool
    created_at: datetime  # the close time of its ledger
    stellar_ledger_sequence: int | None = None
    valid_until: datetime | None = None  # its time bounds' end (None: unbounded)
    memo_hash: bytes | None = None  # its MEMO_HASH, when it carries one
    calls: tuple[ContractCall, ...] = ()
    # The manage-data entries it sets, in operation order: (name, value; None deletes).
    data: tuple[tuple[str, bytes | None], ...] = ()


@dataclass(frozen=True, slots=True)
class TransactionsPage:
    transactions: Sequence[ChainTransaction] = field(default_factory=tuple)
    cursor: str | None = None  # the paging token to continue after (older transactions)


class StellarNetwork(Protocol):
    passphrase: str
    usdc_asset: str  # "USDC:ISSUER"

    def account(self, address: str) -> ChainAccount | None:
        """The account, or None when it does not exist on chain."""

    def submit(self, envelope_xdr: str) -> Submission: ...

    def lookup(self, transaction_hash: str) -> Submission | None:
        """APPLIED or FAILED when the transaction is in a ledger, None when it is not."""

    def transaction(self, transaction_hash: str) -> ChainTransaction | None:
        """The transaction as read back from a ledger (memo, manage data, …); None when no
        ledger has it."""

    def friendbot(self, address: str) -> str | None:
        """Funds a new account with test XLM; returns the transaction hash."""

    def payments(self, cursor: str, limit: int) -> PaymentsPage: ...

    def stream_payments(
        self, cursor: str | None, idle_timeout_s: float, window_s: float
    ) -> Iterator[tuple[str, Payment | None]]:
        """The network's payment feed after `cursor` (None: from its beginning), streamed:
        (paging token, payment or None for other operations), until it idles or the window
        ends."""

    def recent_transactions(self, address: str, limit: int) -> list[dict[str, object]]: ...

    def account_transactions(
        self, address: str, cursor: str | None, limit: int
    ) -> TransactionsPage:
        """The transactions in ledgers that `address` took part in, failed ones included,
        newest first, older than `cursor` (None: from the newest); empty for an account the
        network has never seen."""


class KeyGeneration(Protocol):
    """A value every API process reads on each request (with its rate limit) and trusts its
    remembered API keys under; a revocation moves it (application/key_cache.py)."""

    def move(self) -> None:
        """Gives the generation a value it never had; ServiceUnavailableError when it cannot."""


class WalletKeys(Protocol):
    def create(self, user_id: str) -> str:
        """Makes a keypair, seals its seed in the vault, returns the address."""

    def owner_of(self, address: str) -> str | None:
        """The user whose wallet `address` is, known from the moment it was created."""

    def sign_payment(
        self,
        step: str,
        source: str,
        destination: str,
        amount_stroops: int,
        asset: str,
        valid_until: datetime,
        memo_hash: bytes | None = None,
    ) -> SignedEnvelope:
        """A payment from `source`; `memo_hash` (32 bytes) ties it to what it pays for."""

    def sign_change_trust(
        self, step: str, address: str, asset: str, valid_until: datetime
    ) -> SignedEnvelope: ...

    def sign_create_account(
        self,
        step: str,
        funder: str,
        destination: str,
        starting_xlm_stroops: int,
        valid_until: datetime,
    ) -> SignedEnvelope: ...

    def sign_anchor(
        self,
        step: str,
        source: str,
        memo_hash: bytes,
        data: Sequence[tuple[str, bytes]],
        valid_until: datetime,
    ) -> SignedEnvelope:
        """A transaction of `source` moving nothing: MEMO_HASH `memo_hash` and one manage-data
        operation per (name, value) of `data` (an audit anchor)."""

    def sign_xdr(self, step: str, address: str, unsigned_xdr: str) -> SignedEnvelope:
        """Signs a transaction someone else built (Trustless Work) with `address`'s key."""


# -- Trustless Work ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EscrowTerms:
    """What a new escrow contract is initialised with (deploy only)."""

    engagement_id: str
    title: str
    description: str
    amount_stroops: int
    platform_fee_bps: int
    roles: dict[str, str]  # approver, serviceProvider, platformAddress, releaseSigner, …
    milestones: tuple[tuple[str, int], ...]  # (description, amount in stroops)
    asset_code: str  # the escrow's token, e.g. USDC
    asset_issuer: str


@dataclass(frozen=True, slots=True)
class EscrowCall:
    """One escrow transaction for Trustless Work to build: `action` is an escrow step's action
    (`domain.escrow_steps`), `signer` the address that will sign what comes back."""

    action: str
    multi_release: bool
    signer: str
    contract_id: str | None = None
    index: int | None = None
    amount_stroops: int | None = None
    distributions: tuple[tuple[str, int], ...] = ()  # (address, stroops)
    terms: EscrowTerms | None = None


class EscrowRefusedError(Exception):
    """Trustless Work refused to build the call (a contract rule, a bad request): asking again
    unchanged will not help, though a later state of the escrow might."""


@dataclass(frozen=True, slots=True)
class EscrowSubmission:
    submission: Submission
    contract_id: str | None = None  # a deploy's new contract


class EscrowProvider(Protocol):
    def build(self, call: EscrowCall) -> str:
        """The unsigned transaction (base64 XDR) for `call`. Raises EscrowRefusedError, or
        ProviderUnavailableError / ProviderTimeoutError when asking again may succeed."""

    def send(self, envelope: SignedEnvelope) -> EscrowSubmission:
        """Submits a signed transaction; resubmitting the same bytes never applies twice."""

    def find_contract(self, engagement_id: str, deployer: str) -> str | None:
        """The contract deployed for `engagement_id` (when a deploy's answer was lost)."""

    def contract_function(self, call: EscrowCall) -> str:
        """The contract function the transaction built for `call` invokes (what a step's
        guard looks for in the signer's history)."""

    def balances(self, contract_ids: Sequence[str], multi_release: bool) -> dict[str, int]:
        """What each escrow contract holds, in stroops."""


# -- The read side ---------------------------------------------------------------------------


class ListedWallet(Protocol):
    @property
    def user_id(self) -> str: ...

    @property
    def address(self) -> str: ...


class WalletDirectory(Protocol):
    def all(self) -> Iterable[ListedWallet]:
        """Every wallet with its user, read a page at a time."""


class ListedEscrow(Protocol):
    @property
    def order_id(self) -> str: ...

    @property
    def contract_id(self) -> str | None: ...

    @property
    def multi_release(self) -> bool: ...

    @property
    def created_position(self) -> int: ...


class EscrowDirectory(Protocol):
    def escrows(self, after_position: int, limit: int) -> Sequence[ListedEscrow]:
        """Orders with a deployed escrow, in creation order after `after_position`."""


class StalledSaga(Protocol):
    @property
    def saga_id(self) -> str: ...

    @property
    def step(self) -> str | None: ...

    @property
    def updated_at(self) -> datetime: ...

    @property
    def position(self) -> int: ...


class SagasInFlight(Protocol):
    def users_in_flight(self) -> set[str]:
        """Users with a wallet or withdrawal saga in flight."""

    def sagas_in_flight(self, kind: str) -> set[str]:
        """Public ids of the sagas of `kind` (wallet, withdrawal, order) in flight."""

    def stalled(self, older_than_s: float, limit: int) -> Sequence[StalledSaga]:
        """Sagas in flight whose last progress is older than `older_than_s`, oldest first."""


class DueOrders(Protocol):
    def due_for_auto_release(self, now: datetime, limit: int) -> Sequence[str]:
        """Public ids of funded orders past their auto-release deadline, nothing in flight."""


class AccountBalances(Protocol):
    def balance_of(self, account: str) -> int:
        """A ledger account's balance in stroops (0 for an account never posted to)."""


class UserBalancesAsOf(Protocol):
    def position(self) -> int:
        """The log position the books (the ledger-entries read model) have reached."""

    def user_balances_as_of(self, position: int) -> dict[str, int]:
        """Every user a posting at or before `position` touched, with their available +
        reserved stroops as of it (zero for one whose balance went back to zero)."""


class BooksAsOf(UserBalancesAsOf, Protocol):
    def balances_as_of(self, position: int) -> dict[str, int]:
        """Every ledger account a posting at or before `position` touched, with its balance."""

    def off_chain_as_of(self, position: int) -> dict[str, int]:
        """Per user, what crossed the fiat ramp by `position` (top-ups in minus fiat
        withdrawals out), for users it is not zero for."""


class ReadModelProgress(Protocol):
    def wait_for(self, position: int, timeout_s: float) -> bool:
        """Blocks until the read model has applied `position`, at most `timeout_s`; False
        when it has not by then."""
