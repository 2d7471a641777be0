"""A bounded HTTP load generator, run as its own process: `python -m bench.loadgen PLAN.json`.

asyncio + httpx, N keep-alive connections on loopback, each sending one request after
another until T seconds have passed or M requests have been sent, whichever comes first.
The plan names the requests as a weighted mix:

    {"base_url": "http://127.0.0.1:8123", "headers": {...}, "concurrency": 8,
     "duration_s": 5, "max_requests": 20000, "seed": 1,
     "mix": [{"name": "read", "weight": 80, "method": "GET", "urls": ["/api/v1/..."]},
             {"name": "write", "weight": 15, "method": "PUT", "urls": [...],
              "bodies": [{...}, ...]}]}

Prints one JSON line: requests, errors (non-2xx answers and failed requests), statuses,
`locked` (answers mentioning "database is locked"), rps, latency percentiles in ms, and
the same per mix entry.
"""

import asyncio
import json
import random
import sys
import time
from typing import Any

import httpx

LOCKED = b"database is locked"


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "p50_ms": round(percentile(ordered, 0.50) * 1000, 2),
        "p90_ms": round(percentile(ordered, 0.90) * 1000, 2),
        "p99_ms": round(percentile(ordered, 0.99) * 1000, 2),
        "max_ms": round((ordered[-1] if ordered else 0.0) * 1000, 2),
    }


async def run(plan: dict[str, Any]) -> dict[str, Any]:
    concurrency = int(plan.get("concurrency", 8))
    duration = float(plan.get("duration_s", 5))
    max_requests = int(plan.get("max_requests", 10_000))
    rng = random.Random(plan.get("seed", 1))
    mix = plan["mix"]
    weights = [entry["weight"] for entry in mix]
    latencies: dict[str, list[float]] = {entry["name"]: [] for entry in mix}
    statuses: dict[str, int] = {}
    errors = 0
    locked = 0
    sent = 0

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    timeout = httpx.Timeout(max(30.0, duration * 4))
    # verify=False: plain HTTP on loopback; it spares loading the CA bundle (~0.2 s of CPU).
    async with httpx.AsyncClient(
        base_url=plan["base_url"],
        headers=plan.get("headers", {}),
        limits=limits,
        timeout=timeout,
        verify=False,  # noqa: S501
    ) as client:
        started = time.perf_counter()
        deadline = started + duration

        async def worker() -> None:
            nonlocal sent, errors, locked
            while sent < max_requests and time.perf_counter() < deadline:
                sent += 1
                entry = rng.choices(mix, weights)[0]
                url = rng.choice(entry["urls"])
                bodies = entry.get("bodies")
                body = rng.choice(bodies) if bodies else None
                began = time.perf_counter()
                try:
                    answer = await client.request(entry["method"], url, json=body)
                    content = answer.content
                    status = answer.status_code
                except httpx.HTTPError:
                    content, status = b"", 0
                latencies[entry["name"]].append(time.perf_counter() - began)
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                if not 200 <= status < 300:
                    errors += 1
                    if LOCKED in content:
                        locked += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started

    every = [value for values in latencies.values() for value in values]
    return {
        "requests": len(every),
        "errors": errors,
        "locked": locked,
        "statuses": statuses,
        "elapsed_s": round(elapsed, 3),
        "rps": round(len(every) / elapsed, 1) if elapsed else 0.0,
        **summary(every),
        "by_name": {
            name: {"requests": len(values), **summary(values)} for name, values in latencies.items()
        },
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m bench.loadgen PLAN.json", file=sys.stderr)
        return 2
    with open(argv[0]) as handle:
        plan = json.load(handle)
    print(json.dumps(asyncio.run(run(plan))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
