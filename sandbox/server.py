"""`SandboxServer`: the sandbox on a real port, in a background thread, with in-process handles.

`start()` returns once the port accepts connections (port 0 picks a free one); `stop()` shuts
down within a bounded time and saves the state file if one was given. Tests and the CLI use the
same object: `.chain` to read balances and history "to the stroop", `.faults` to inject failures,
`.faucet` to fund and mint without HTTP.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn

from sandbox.app import (
    CONTROL_PREFIX,
    DEFAULT_TRUSTLESS_API_KEY,
    HORIZON_PREFIX,
    TRUSTLESS_WORK_PREFIX,
    Sandbox,
    SandboxConfig,
)
from sandbox.chain.chain import Chain
from sandbox.faucet import Faucet
from sandbox.faults.fault_rules import FaultRegistry
from sandbox.faults.transports import TransportExposingH11Protocol
from sandbox.genesis import STANDALONE_PASSPHRASE
from sandbox.state_file import load_state, save_state
from sandbox.trustless_work.escrow_service import EscrowService

STARTUP_TIMEOUT_S = 15.0
SHUTDOWN_TIMEOUT_S = 15.0
# Open streams and hanging requests are cut after this long on shutdown.
GRACEFUL_SHUTDOWN_S = 2
STARTUP_POLL_INTERVAL_S = 0.005


class SandboxServer:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        usdc_issuer_secret: str | None = None,
        api_key: str = DEFAULT_TRUSTLESS_API_KEY,
        state_file: Path | str | None = None,
        network_passphrase: str = STANDALONE_PASSPHRASE,
        trustless_requests_per_window_max: int = 50,
        trustless_window_s: float = 60.0,
        trustless_contract_error_status: int = 500,
        log_level: str = "warning",
    ):
        self.host = host
        self.requested_port = port
        self.log_level = log_level
        self.state_file = Path(state_file) if state_file else None
        self.sandbox = Sandbox(
            SandboxConfig(
                seed=seed,
                network_passphrase=network_passphrase,
                usdc_issuer_secret=usdc_issuer_secret,
                trustless_api_key=api_key,
                trustless_requests_per_window_max=trustless_requests_per_window_max,
                trustless_window_s=trustless_window_s,
                trustless_contract_error_status=trustless_contract_error_status,
            )
        )
        self.restored = load_state(self.sandbox, self.state_file) if self.state_file else False
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None

    # In-process handles -----------------------------------------------------------------------

    @property
    def chain(self) -> Chain:
        return self.sandbox.chain

    @property
    def faults(self) -> FaultRegistry:
        return self.sandbox.faults

    @property
    def faucet(self) -> Faucet:
        return self.sandbox.faucet

    @property
    def escrows(self) -> EscrowService:
        return self.sandbox.escrows

    @property
    def seed(self) -> int:
        return self.sandbox.config.seed

    @property
    def api_key(self) -> str:
        return self.sandbox.config.trustless_api_key

    @property
    def network_passphrase(self) -> str:
        return self.sandbox.config.network_passphrase

    # URLs ---------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the sandbox server is not running")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host  # noqa: S104
        return f"http://{host}:{self.port}"

    @property
    def horizon_url(self) -> str:
        return self.url + HORIZON_PREFIX

    @property
    def trustless_work_url(self) -> str:
        return self.url + TRUSTLESS_WORK_PREFIX

    @property
    def control_url(self) -> str:
        return self.url + CONTROL_PREFIX

    @property
    def friendbot_url(self) -> str:
        return self.horizon_url + "/friendbot"

    # Lifecycle ----------------------------------------------------------------------------------

    def start(self) -> SandboxServer:
        config = uvicorn.Config(
            self.sandbox.asgi,
            host=self.host,
            port=self.requested_port,
            log_level=self.log_level,
            access_log=False,
            lifespan="off",
            http=TransportExposingH11Protocol,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="ledgerline-sandbox", daemon=True)
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the sandbox did not start on {self.host}:{self.requested_port}"
                )
            time.sleep(STARTUP_POLL_INTERVAL_S)
        self.port = server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(SHUTDOWN_TIMEOUT_S)
            self._server, self._thread = None, None
        if self.state_file is not None:
            save_state(self.sandbox, self.state_file)
        self.port = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
