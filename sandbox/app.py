"""The sandbox's composition root and its single-port URL layout.

`Sandbox` builds one chain and everything that shares it: the Horizon app under `/horizon`, the
Trustless Work V1 app under `/trustless-work` (both behind their fault gates) and the control API
under `/sandbox`. Nothing is created at import time; every random choice flows from the seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from sandbox.chain.chain import Chain
from sandbox.clock import LedgerClock
from sandbox.control import create_control_app
from sandbox.faucet import Faucet
from sandbox.faults.fault_gate import FaultGate
from sandbox.faults.fault_rules import FaultRegistry
from sandbox.genesis import STANDALONE_PASSPHRASE, SandboxKeys
from sandbox.horizon.horizon_routes import (
    create_horizon_app,
    horizon_fault_renderer,
    horizon_handler_modes,
)
from sandbox.trustless_work.escrow_service import EscrowService
from sandbox.trustless_work.request_limit import RateLimiter
from sandbox.trustless_work.trustless_work_routes import (
    create_trustless_work_app,
    render_trustless_work_fault,
    trustless_work_handler_modes,
)

HORIZON_PREFIX = "/horizon"
TRUSTLESS_WORK_PREFIX = "/trustless-work"
CONTROL_PREFIX = "/sandbox"
# The x-api-key the sandbox's Trustless Work accepts unless told otherwise (documented, not secret).
DEFAULT_TRUSTLESS_API_KEY = "sandbox-trustless-work-key"
ASGIApp = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class SandboxConfig:
    seed: int = 0
    network_passphrase: str = STANDALONE_PASSPHRASE
    usdc_issuer_secret: str | None = None
    trustless_api_key: str = DEFAULT_TRUSTLESS_API_KEY
    trustless_requests_per_window_max: int = 50
    trustless_window_s: float = 60.0
    # V1's OpenAPI lists contract-rule errors under 500; TW's guide says 400 (open question).
    trustless_contract_error_status: int = 500


class Sandbox:
    def __init__(self, config: SandboxConfig, clock: LedgerClock | None = None):
        self.config = config
        self.keys = SandboxKeys.derive(
            config.seed, config.network_passphrase, config.usdc_issuer_secret
        )
        self.chain = Chain(self.keys, clock)
        self.faucet = Faucet(self.chain)
        self.faults = FaultRegistry(config.seed)
        self.escrows = EscrowService(self.chain, config.trustless_contract_error_status)
        self.rate_limiter = RateLimiter(
            config.trustless_requests_per_window_max, config.trustless_window_s
        )
        horizon = FaultGate(
            "horizon",
            create_horizon_app(self.chain, self.faucet),
            self.faults,
            horizon_handler_modes,
            horizon_fault_renderer(self.chain),
        )
        trustless_work = FaultGate(
            "trustless-work",
            create_trustless_work_app(self.escrows, config.trustless_api_key, self.rate_limiter),
            self.faults,
            trustless_work_handler_modes,
            render_trustless_work_fault,
        )
        control = create_control_app(self.chain, self.faucet, self.faults, self.escrows)
        self.asgi = mount(
            {
                HORIZON_PREFIX: horizon,
                TRUSTLESS_WORK_PREFIX: trustless_work,
                CONTROL_PREFIX: control,
            }
        )


def mount(apps: dict[str, ASGIApp]) -> ASGIApp:
    """Routes by path prefix, setting `root_path` so each app sees its own mount point."""

    async def dispatch(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        path = scope.get("path", "")
        for prefix, app in apps.items():
            if path == prefix or path.startswith(prefix + "/"):
                await app(
                    {**scope, "root_path": scope.get("root_path", "") + prefix}, receive, send
                )
                return
        status = 200 if path in ("", "/") else 404
        body = msgspec.json.encode(
            {
                "horizon": HORIZON_PREFIX,
                "trustless_work": TRUSTLESS_WORK_PREFIX,
                "control": CONTROL_PREFIX,
            }
            if status == 200
            else {"error": "not_found", "mounts": list(apps)}
        )
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return dispatch


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
