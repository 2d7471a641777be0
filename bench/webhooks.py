"""`python -m bench.webhooks --db sqlite|postgresql [--puts 200] [--pairs 5]`

Cell PUT latency with no webhook endpoint and with ten (issue 21: p95 with ten within 1.2x
of none), side by side on one real server whose delivery worker runs, sending to a receiver
on loopback. Each pair measures `--puts` sequential PUTs of one cell with no endpoint, then
with ten registered (five unbound, five bound to roles, all for `cell.changed`), the order
alternating; prints one JSON line: `put_p95_ratio` (median of the pairs' p95 ratios, with
`_min` and `_max`), each side's p95 in ms, and the deliveries the receiver got.
"""

import argparse
import json
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from bench.load import fresh_database
from bench.loadgen import percentile
from bench.measure import Pairs
from bench.server import Server

CELL = "/api/v1/initiatives/bench-hooks/components/nlu/raci/CIO"
ROLES = ("CIO", "CMO", "CDO", "CEO")


@contextmanager
def _receiver() -> Iterator[tuple[str, list[int]]]:
    """A receiver on loopback answering 204 to every POST; the count of what it got."""
    got = [0]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            got[0] += 1
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", got
    finally:
        server.shutdown()
        server.server_close()


def _p95_ms(http: httpx.Client, puts: int) -> float:
    latencies = []
    for index in range(puts):
        body = {"raci": "AR" if index % 2 else "A"}
        began = time.perf_counter()
        response = http.put(CELL, json=body)
        latencies.append((time.perf_counter() - began) * 1000)
        response.raise_for_status()
    return percentile(sorted(latencies), 0.95)


def _endpoints(http: httpx.Client, url: str, count: int) -> None:
    for page in (http.get("/api/v1/webhooks", params={"limit": 500}).json()["items"],):
        for endpoint in page:
            http.delete(f"/api/v1/webhooks/{endpoint['id']}").raise_for_status()
    for index in range(count):
        roles = [ROLES[index % len(ROLES)]] if index % 2 else []
        http.post(
            "/api/v1/webhooks", json={"url": url, "events": ["cell.changed"], "roles": roles}
        ).raise_for_status()


def run(db: str, puts: int, pairs: int, *, worker: str = "process") -> dict[str, Any]:
    settings = {
        "RACI_WEBHOOK_ALLOW_PRIVATE": "true",
        "RACI_WEBHOOK_WORKER": worker,
    }
    with (
        fresh_database(db, tag="hooks") as url,
        Server(url, settings=settings) as server,
        _receiver() as (receiver_url, got),
        httpx.Client(base_url=server.base_url, headers=server.headers, timeout=30) as http,
    ):
        document = {
            "key": "bench-hooks",
            "name": "Webhooks bench",
            "sponsor": "CMO",
            "components": [
                {"key": "nlu", "name": "NLU", "raci": {"CIO": "A", "CMO": "C", "CDO": "I"}},
                {"key": "feed", "name": "Feed", "raci": {"CDO": "AR", "CEO": "I"}},
            ],
        }
        http.put("/api/v1/initiatives/bench-hooks", json=document).raise_for_status()
        found = Pairs()
        for count in (0, 10):  # warm-up
            _endpoints(http, receiver_url, count)
            _p95_ms(http, max(puts // 4, 10))
        for index in range(pairs):
            sides: dict[int, float] = {}
            for count in (10, 0) if index % 2 else (0, 10):
                _endpoints(http, receiver_url, count)
                sides[count] = _p95_ms(http, puts)
            found.a.append(sides[10])
            found.b.append(sides[0])
        time.sleep(2)  # let the worker finish sending
    return {
        "db": db,
        "worker": worker,
        "puts": puts,
        "pairs": pairs,
        **found.figure("put_p95_ratio"),
        "p95_ms_none": round(statistics.median(found.b), 2),
        "p95_ms_ten": round(statistics.median(found.a), 2),
        "deliveries_received": got[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--puts", type=int, default=200)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument(
        "--worker",
        choices=("process", "thread", "off"),
        default="process",
        help="RACI_WEBHOOK_WORKER: the server's child process (the default), a thread of the "
        "server, or none (the cost of writing the outbox alone).",
    )
    options = parser.parse_args(argv)
    print(json.dumps(run(options.db, options.puts, options.pairs, worker=options.worker)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
