"""`GET /users/{id}/balance/proof?anchor=POSITION` (read scope): the user's leaf in the Merkle
sum tree over every user's balance as of that position, its salt and the path to the root, for
the user to check offline (`ops/audit/verify_balance_proof.py`, the SDK's
`verify_balance_proof`) against the root anchored on Stellar.

The tree is the use case's (`application/balance_proofs.py`), built once per position and
cached; the edge only parses the position and translates.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, QueryParameter

from application.balance_proofs import BalanceProofs
from domain import identifiers
from domain.api_keys import READ
from domain.errors import ValidationError
from interfaces.http.as_of import POSITION_DIGITS_MAX
from interfaces.http.edge.admission import scope
from interfaces.http.edge.dependencies import Provided, Respond
from interfaces.http.edge.read_your_writes import ReadYourWrites
from interfaces.http.edge.responses import Envelope
from interfaces.http.schemas.balance_proofs import BalanceProofBody, balance_proof_body

Anchor = Annotated[
    str,
    QueryParameter(
        name="anchor",
        description="The log POSITION whose balance tree to prove against: an anchor's"
        " position (GET /audit/anchors), whose root is recorded on Stellar; any position the"
        " books have reached is answered, but only an anchored root proves anything to others.",
        max_length=POSITION_DIGITS_MAX + 1,
    ),
]


def anchor_position(text: str) -> int:
    if not (text.isdigit() and len(text) <= POSITION_DIGITS_MAX):
        raise ValidationError("anchor must be a log position (a whole number)", field="anchor")
    return int(text)


class BalanceProofsController(Controller):
    path = "/users"
    tags = ["audit"]

    @get(
        "/{user_id:str}/balance/proof",
        opt=scope(READ),
        sync_to_thread=True,
        operation_id="getBalanceProof",
    )
    def proof(
        self,
        request: Request[Any, Any, Any],
        user_id: FromPath[str],
        anchor: Anchor,
        balance_proofs: Provided[BalanceProofs],
        read_your_writes: Provided[ReadYourWrites],
        respond: Respond,
    ) -> Response[Envelope[BalanceProofBody]]:
        """The user's balance (available + reserved) as of `anchor`, the salt of their leaf and
        the path of sibling hashes and sums up to the tree's root; USER_NOT_IN_BALANCE_TREE
        when no posting had touched their accounts by then, VALIDATION_ERROR for a position
        past what the books have reached."""
        identifiers.parse_public_id(identifiers.USER, user_id)
        read_your_writes.wait(request, "ledger_entries")
        position = anchor_position(anchor)
        try:
            tree = balance_proofs.tree_at(position)
        except ValidationError as refused:
            raise ValidationError(refused.message, field="anchor") from None
        proof = balance_proofs.proof(user_id, position)
        return respond.ok(balance_proof_body(proof, position, tree.root))
