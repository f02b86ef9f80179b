"""A second opinion on the generator's ceiling: `wrk` (a C load generator) on the same request
as `http_hello`, when the binary is installed (Debian: `apt-get install wrk`).

If `http_hello_wrk` ever runs well above `http_hello`, the Python generator has become the
bottleneck and the HTTP measures understate the service; today both saturate the API at the
same rate. The bench never installs wrk itself; without it this row is skipped with a note.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

WRK_THREADS_MAX: Final = 2
# wrk's Lua `done` hook prints one machine-readable line; latencies are in microseconds.
REPORT_SCRIPT: Final = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d\\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout + e.status, latency:percentile(50),
    latency:percentile(99)))
end
"""


@dataclass(frozen=True, slots=True)
class WrkResult:
    ops_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int


def wrk_binary() -> str | None:
    return shutil.which("wrk")


def run_wrk(url: str, key: str, clients: int, seconds: float) -> WrkResult:
    binary = wrk_binary()
    assert binary is not None
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as folder:
        script = Path(folder) / "report.lua"
        script.write_text(REPORT_SCRIPT)
        done = subprocess.run(
            [
                binary,
                f"--threads={min(clients, WRK_THREADS_MAX)}",
                f"--connections={clients}",
                f"--duration={max(round(seconds), 1)}s",
                f"--script={script}",
                "--header",
                f"Authorization: Bearer {key}",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=False,
        )
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    requests, duration_us, errors, p50_us, p99_us = (int(x) for x in line.split()[1:])
    answered = max(requests - errors, 0)  # errors (non-2xx, socket errors) are not operations
    return WrkResult(answered / (duration_us / 1e6), p50_us / 1000, p99_us / 1000, errors)
