"""Load from wrk (Debian's `wrk`), a C load generator: it does not compete with the server
for the CPU the way a Python client does, so the server, not the client, sets the pace.

`python -m bench` uses it for the throughput figures when `wrk` is on the PATH, and the
asyncio + httpx load generator (bench.loadgen) otherwise; the figures say which.
"""

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("wrk_paths.lua")
MARK = "WRK_JSON "


def available() -> bool:
    return shutil.which("wrk") is not None


def run(
    base_url: str, paths: list[str], headers: dict[str, str], *, concurrency: int, seconds: float
) -> dict[str, Any]:
    """GET `paths` in turn over `concurrency` connections for `seconds` (one wrk thread:
    the server has the other core). The same figures as bench.loadgen's: rps, errors,
    latency percentiles in ms."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(paths) + "\n")
    command = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command += ["-s", str(SCRIPT), base_url, "--", listing.name]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, check=True, timeout=seconds + 60
        )
    finally:
        Path(listing.name).unlink()
    line = next(line for line in done.stdout.splitlines() if line.startswith(MARK))
    raw = json.loads(line.removeprefix(MARK))
    seconds_run = raw["duration_us"] / 1e6
    return {
        "tool": "wrk",
        "requests": raw["requests"],
        "errors": raw["status_errors"] + raw["socket_errors"],
        "rps": round(raw["requests"] / seconds_run, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
    }
