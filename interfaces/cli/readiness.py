"""What `ledgerline up` waits for before it says "up", asked of the running API the way a client
would: the API answers, its dependencies are up, every read model is at the log head (a list
right after a write shows it), and the platform wallet is ACTIVE on chain (escrows and
disputes need it). Each thing not there yet is named, so a slow start says what it waits for.
"""

from __future__ import annotations

from typing import Any, Final

import httpx

REQUEST_TIMEOUT_S: Final = 2.0
ACTIVE: Final = "ACTIVE"


def still_waiting(
    http: httpx.Client, base_url: str, master_key: str | None, platform_user_id: str | None
) -> list[str]:
    """What is not ready yet, in words; empty when everything is."""
    try:
        response = http.get(f"{base_url}/health/ready", timeout=REQUEST_TIMEOUT_S)
    except httpx.HTTPError:
        return ["the API to answer"]
    if response.status_code not in (200, 503):
        return [f"the API to answer (it said {response.status_code})"]
    ready = response.json()["data"]
    waiting = [
        f"{name} ({dependency['status']})"
        for name, dependency in ready["dependencies"].items()
        if dependency["status"] != "up"
    ]
    lagging = [_behind(name, p) for name, p in ready["projections"].items() if _lags(p)]
    if lagging:
        waiting.append(f"read models to reach the log head ({', '.join(lagging)})")
    if platform_user_id is not None:
        status = _wallet_status(http, base_url, master_key, platform_user_id)
        if status != ACTIVE:
            waiting.append(f"the platform wallet to be active on chain ({status})")
    return waiting


def _lags(projection: dict[str, Any]) -> bool:
    return bool(projection["lag"] > 0 or projection["needsRebuild"] or projection.get("stall"))


def _behind(name: str, projection: dict[str, Any]) -> str:
    stall = projection.get("stall")
    if stall:  # it will not get there by waiting: say what stops it
        return f"{name} cannot apply position {stall['position']}: {stall['error']}"
    if projection["needsRebuild"]:
        return f"{name} needs a rebuild"
    return f"{name} {projection['lag']} behind"


def _wallet_status(http: httpx.Client, base_url: str, master_key: str | None, user_id: str) -> str:
    headers = {"Authorization": f"Bearer {master_key}"} if master_key else {}
    try:
        response = http.get(
            f"{base_url}/users/{user_id}/wallet", headers=headers, timeout=REQUEST_TIMEOUT_S
        )
    except httpx.HTTPError:
        return "unknown"
    if response.status_code != 200:
        return "not created yet" if response.status_code == 404 else str(response.status_code)
    wallet: Any = response.json()["data"]
    return str(wallet.get("status", "unknown"))
