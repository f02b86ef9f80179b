"""Saving the sandbox to a JSON file on shutdown and loading it on start (`--state-file`).

The file holds the chain snapshot and Trustless Work's own state (index, built transactions,
answered submissions). It is written to a temporary file and renamed, so a crash mid-write never
leaves a half file behind. A file from another passphrase or USDC issuer is refused, not merged.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import msgspec

from sandbox.app import Sandbox
from sandbox.chain.chain import ChainSnapshot
from sandbox.trustless_work.escrow_service import TrustlessWorkState


@dataclass
class SandboxSnapshot:
    chain: ChainSnapshot
    trustless_work: TrustlessWorkState


def save_state(sandbox: Sandbox, path: Path) -> None:
    snapshot = SandboxSnapshot(sandbox.chain.snapshot(), sandbox.escrows.state)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(msgspec.json.encode(snapshot))
    os.replace(temporary, path)


def load_state(sandbox: Sandbox, path: Path) -> bool:
    """Restores a saved sandbox; False when the file does not exist yet."""
    if not path.exists():
        return False
    snapshot = msgspec.json.decode(path.read_bytes(), type=SandboxSnapshot)
    sandbox.chain.restore(snapshot.chain)
    sandbox.escrows.state = snapshot.trustless_work
    return True
