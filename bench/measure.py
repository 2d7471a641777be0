"""How `python -m bench` measures: alternating pairs, spreads, requests that may fail.

- `paired(pairs, a, b)`: for i in range(pairs), time a and b, the order inside the pair
  alternating (a then b, b then a, ...), after one untimed warm-up of each; the figure is
  the median of the per-pair ratios a/b, with their min and max. A pair where either side
  failed is dropped and counted.
- `Http`: an httpx client whose failures (timeouts, refused connections, non-2xx answers)
  are counted in a `Failures` tally and answered with None, never raised: a loaded machine
  makes the figures worse, it does not end the run.
- `load_run`: a load generator run (wrk, or bench.loadgen) against one server, with the server
  process's CPU time per request served (/proc/PID/stat utime + stime).
"""

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench import loadgen, wrk
from bench.server import Server

Timed = Callable[[], float | None]
# Seconds a request may take before it counts as timed out (`python -m bench --timeout`).
TIMEOUT_S = 300.0


@dataclass
class Failures:
    """Requests that did not get a 2xx answer, by what was asked and how it failed."""

    counts: dict[str, int] = field(default_factory=dict)
    dropped_pairs: int = 0

    def add(self, what: str, how: str, count: int = 1) -> None:
        if count:
            name = f"{what}: {how}"
            self.counts[name] = self.counts.get(name, 0) + count

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def spread(values: list[float], digits: int = 3) -> dict[str, float | None]:
    """median, min and max of `values` (None each when there are none)."""
    if not values:
        return {"median": None, "min": None, "max": None}
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
    }


@dataclass
class Pairs:
    """Per-pair values of a and b and their ratios a/b."""

    a: list[float] = field(default_factory=list)
    b: list[float] = field(default_factory=list)

    @property
    def ratios(self) -> list[float]:
        return [x / y for x, y in zip(self.a, self.b, strict=True) if y > 0]

    def figure(self, name: str, digits: int = 3) -> dict[str, float | None]:
        """`name`, `name_min`, `name_max`: the ratio's median, min and max."""
        values = spread(self.ratios, digits)
        return {name: values["median"], f"{name}_min": values["min"], f"{name}_max": values["max"]}


def paired(pairs: int, a: Timed, b: Timed, failures: Failures, *, warm_up: bool = True) -> Pairs:
    """Alternating pairs of a and b (a first in even pairs, b first in odd ones)."""
    if warm_up:
        a()
        b()
    found = Pairs()
    for index in range(pairs):
        if index % 2 == 0:
            x = a()
            y = b()
        else:
            y = b()
            x = a()
        if x is None or y is None:
            failures.dropped_pairs += 1
            continue
        found.a.append(x)
        found.b.append(y)
    return found


def timed(action: Callable[[], Any]) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


class Http:
    """httpx against one server; failures are counted, not raised."""

    def __init__(self, server: Server, failures: Failures, timeout: float | None = None) -> None:
        timeout = TIMEOUT_S if timeout is None else timeout
        self.failures = failures
        # verify=False: plain HTTP on loopback; each client would otherwise load the CA
        # bundle (~0.2 s of CPU, a quarter of a loaded smoke run's time).
        self.client = httpx.Client(
            verify=False,  # noqa: S501
            base_url=server.base_url,
            headers=server.headers,
            timeout=timeout,
        )

    def close(self) -> None:
        self.client.close()

    def request(
        self, method: str, path: str, *, what: str | None = None, **kwargs: Any
    ) -> httpx.Response | None:
        """The answer (body read), or None when it timed out, was refused or was not 2xx."""
        name = what or f"{method} {path.split('?')[0]}"
        if os.environ.get("BENCH_DEBUG"):
            print(f"[bench request] {method} {path[:80]}", file=sys.stderr, flush=True)
        try:
            answer = self.client.request(method, path, **kwargs)
        except httpx.TimeoutException:
            self.failures.add(name, "timeout")
            return None
        except httpx.ConnectError:
            self.failures.add(name, "refused")
            return None
        except httpx.TransportError as error:
            self.failures.add(name, type(error).__name__)
            return None
        if not 200 <= answer.status_code < 300:
            self.failures.add(name, f"status {answer.status_code}")
            return None
        return answer

    def get(self, path: str, **kwargs: Any) -> httpx.Response | None:
        return self.request("GET", path, **kwargs)

    def timer(self, method: str, path: str, **kwargs: Any) -> Timed:
        """A Timed: the seconds until the whole answer was received, or None on failure."""

        def run() -> float | None:
            began = time.perf_counter()
            answer = self.request(method, path, **kwargs)
            return None if answer is None else time.perf_counter() - began

        return run


def run_loadgen(plan: dict[str, Any]) -> dict[str, Any]:
    """bench.loadgen in its own process, bounded by the plan's time and count."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(plan, handle)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.loadgen", handle.name],
            capture_output=True,
            text=True,
            check=True,
            timeout=float(plan["duration_s"]) + 120,
            cwd=Path(__file__).resolve().parent.parent,
        )
    finally:
        os.unlink(handle.name)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _plan(
    server: Server, paths: list[str], concurrency: int, seconds: float, most: int, what: str
) -> dict[str, Any]:
    return {
        "base_url": server.base_url,
        "headers": server.headers,
        "concurrency": concurrency,
        "max_requests": most,
        "duration_s": seconds,
        "mix": [{"name": what, "weight": 1, "method": "GET", "urls": paths}],
    }


def load_run(
    tool: str,
    server: Server,
    paths: list[str],
    *,
    concurrency: int,
    seconds: float,
    max_requests: int,
    failures: Failures,
    what: str,
) -> dict[str, Any] | None:
    """GET `paths` in turn for `seconds`: rps, p99, errors and the server's CPU ms per
    request served; None (counted) when the load generator itself failed."""
    cpu_before = server.cpu_seconds()
    try:
        if tool == "wrk":
            result = wrk.run(
                server.base_url, paths, server.headers, concurrency=concurrency, seconds=seconds
            )
        elif tool == "inline":  # bench.loadgen in this very process: for tests only
            result = asyncio.run(
                loadgen.run(_plan(server, paths, concurrency, seconds, max_requests, what))
            )
        else:
            result = run_loadgen(_plan(server, paths, concurrency, seconds, max_requests, what))
    except (subprocess.SubprocessError, OSError, ValueError, StopIteration) as error:
        failures.add(what, f"load generator failed ({type(error).__name__})")
        return None
    cpu = server.cpu_seconds() - cpu_before
    failures.add(what, "errors under load", int(result["errors"]))
    served = max(1, int(result["requests"]))
    result["cpu_ms_per_request"] = round(cpu * 1000 / served, 3)
    return result
