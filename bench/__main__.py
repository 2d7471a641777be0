"""`python -m bench --db sqlite|postgresql --scale N [--pairs 5] [--out docs/performance.md]`

Measures the service against floors and a peer, in one run, against real uvicorn servers on
loopback, and prints one JSON line. Every ratio is the median of `--pairs` alternating
product/floor pairs (the order inside a pair alternating too), with its `_min` and `_max`:

- `findings_vs_floor`: GET /api/v1/reports/findings at N over the driver's own fetch of
  every RACI cell (sqlite3 / psycopg `fetchall()` of `SELECT component_id, role, raci FROM
  raci_cell`);
- `findings_vs_dba`: the same report over the nine plain per-rule SQL queries of
  bench/dba.py (through the driver); `dba_mismatch` counts the rules whose counts differ;
- `scale_10x_cost`: the findings report at 10N over the same at N (two servers, the two
  sizes alternated); `raci_at_10x_cost` and `findings_one_10x_cost`: the same for
  GET /initiatives/{probe}/raci?at= and /reports/findings?initiative={probe} on the probe
  initiatives, identical at both sizes;
- `import_vs_floor`: POST /api/v1/imports of a generated document into an emptied database
  over the driver writing the same rows (COPY on PostgreSQL, executemany on SQLite);
- `throughput_vs_peer`, `list_vs_peer`, `findings_one_vs_peer`: requests/s of ours over the
  peer CRUD app (bench/peer_app.py) on the same database, side by side under wrk: GET of one
  initiative, a filtered list page of 50, one initiative's findings; `p99_ms`; the server's
  CPU ms per request, and `list_cpu_vs_get` / `findings_one_cpu_vs_get`;
- `csv_peak_rss_mb`: a fresh server's peak RSS streaming the findings CSV of 10N;
- `max_route_rss_mb`: a worker's peak RSS per request, for every route the bench drives
  (peak reset before each request), the largest of a sweep; one sweep per pair;
- `put_wide_s` (a PUT changing 4,000 cells), `reimport_s` (POST of the unchanged export),
  `audit_entries_per_s` (GET /audit?limit=500 following next_cursor), the mixed workload;
- `failures`: requests that timed out, were refused or answered non-2xx (counted, never
  fatal), and `goals`: every figure against its goal, met or missed.
"""

import argparse
import gc
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import dba, driver, load, measure, wrk
from bench import generate as gen
from bench.measure import (
    Failures,
    Http,
    Pairs,
    load_run,
    paired,
    run_loadgen,
    spread,
    timed,
)
from bench.server import PeerServer, Server, peak_mb, reset_peak

IMPORT_TABLES = ("role", "capability", "initiative", "initiative_tag", "component", "raci_cell")
LIVE = ("proposed", "planned", "active", "on_hold")
LETTERS = ("R", "A", "C", "I", "AR")
# The matrix as of a moment after every generated audit entry (and before the bench's writes).
AT = "2026-11-01T00:00:00Z"
WIDE_KEY = "bench-wide"
_json = {"Content-Type": "application/json"}
LIST_FILTERS = (
    "status=active",
    "status=active&portfolio=joint",
    "kind=chatbot&status=active&status=planned",
    "sponsor=CIO",
    "tag=ai",
    "portfolio=it&sponsor=CMO",
)

# figure -> (comparison, bound, judged on: the median or the max of the pairs, wording)
GOALS: dict[str, tuple[str, float, str, str]] = {
    "findings_vs_floor": (
        "<=",
        2.0,
        "median",
        "findings within 2x the driver's fetch of the cells",
    ),
    "findings_vs_dba": ("<=", 1.0, "median", "findings within 1x the nine per-rule DBA queries"),
    "dba_mismatch": ("<=", 0, "value", "the report and the DBA queries agree on every rule"),
    "scale_10x_cost": ("<=", 11.0, "median", "10x the portfolio at most 11x the findings time"),
    "raci_at_10x_cost": ("<=", 1.2, "median", "GET raci?at= of one initiative flat from N to 10N"),
    "findings_one_10x_cost": ("<=", 1.2, "median", "one initiative's findings flat from N to 10N"),
    "import_vs_floor": ("<=", 3.0, "median", "import within 3x COPY / executemany"),
    "throughput_vs_peer": (">=", 0.8, "median", "GET initiative at least 0.8x the peer's req/s"),
    "list_vs_peer": (">=", 0.8, "median", "list page of 50 at least 0.8x the peer's req/s"),
    "findings_one_vs_peer": (">=", 0.8, "median", "one initiative's findings 0.8x the peer's"),
    "list_cpu_vs_get": ("<=", 3.0, "median", "list page CPU/request within 3x the GET's"),
    "findings_one_cpu_vs_get": ("<=", 3.0, "median", "one's findings CPU/request within 3x GET's"),
    "csv_peak_rss_mb": ("<", 300.0, "max", "CSV of 10N under 300 MB RSS (goal at 100,000)"),
    "max_route_rss_mb": ("<", 300.0, "max", "no route takes a worker past 300 MB RSS"),
    "put_wide_s": ("<", 1.0, "median", "PUT changing 4,000 cells under 1 s (SQLite)"),
    "reimport_s": ("<", 3.0, "median", "re-import of the unchanged export under 3 s"),
    "audit_entries_per_s": (">=", 30_000, "value", "audit feed at least 30,000 entries/s"),
    "mixed_errors": ("<=", 0, "value", "mixed workload: no errors"),
    "mixed_locked": ("<=", 0, "value", 'mixed workload: no "database is locked"'),
    "failed_requests": ("<=", 0, "value", "no request timed out, was refused or failed"),
}
# The keys the issue names: each a median with `_min` and `_max` companions.
MAIN_KEYS = (
    "findings_vs_floor",
    "scale_10x_cost",
    "import_vs_floor",
    "throughput_vs_peer",
    "csv_peak_rss_mb",
    "max_route_rss_mb",
)


@dataclass
class Options:
    db: str = "sqlite"
    scale: int = 10_000
    skip_10x: bool = False
    out: Path | None = None
    pg_url: str = load.DEFAULT_PG_URL
    pairs: int = 5
    import_initiatives: int = 2_000
    load_s: float = 5.0
    concurrency: int = 16
    mixed_s: float = 15.0
    mixed_workers: int = 2
    max_requests: int = 50_000
    # "auto": wrk when it is installed (the server sets the pace), else bench.loadgen.
    load_tool: str = "auto"
    audit_entries: int = 300_000
    wide_components: int = 500  # x 8 roles = 4,000 cells
    timeout_s: float = 300.0
    rounds: int = 4  # rounds of the probes per timing of an operation on one initiative
    # True (the smoke test): the CSV is streamed by the 10N server already running (its peak
    # reset first) instead of a fresh one, and, without the mixed workload, the import is
    # measured on the N database and server, emptied, last: two server starts fewer.
    share_servers: bool = False
    seed: int = 20261123
    verbose: bool = True


@dataclass
class Sample:
    """What the measurements need of a generated portfolio, kept after it is dropped."""

    keys: list[str] = field(default_factory=list)
    live_keys: list[str] = field(default_factory=list)
    cell_urls: list[str] = field(default_factory=list)
    cells: int = 0


def _say(options: Options, message: str) -> None:
    if options.verbose:
        print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# --- preparing the databases -----------------------------------------------------------


def prepare(url: str, scale: int, audit_total: int, options: Options) -> tuple[Sample, float]:
    """Generate and load a portfolio of `scale` initiatives (and its audit trail) into the
    fresh database at `url`; a sample of its keys, and the load time."""
    portfolio = gen.generate(scale, seed=options.seed)
    began = time.perf_counter()
    with load.engine_for(url) as engine:
        load.load(engine, portfolio)
        entries = load.load_audit(engine, gen.audit_rows(portfolio, audit_total))
    seconds = time.perf_counter() - began
    _say(options, f"scale {scale}: {portfolio.count('raci_cell')} cells, {entries} audit entries")
    rng = random.Random(options.seed)
    initiatives = portfolio.rows["initiative"]
    live = [row[1] for row in initiatives if row[4] in LIVE]
    sample = Sample(
        keys=[rng.choice(initiatives)[1] for _ in range(2_000)],
        live_keys=[rng.choice(live) for _ in range(2_000)],
        cells=portfolio.count("raci_cell"),
    )
    keys = {row[0]: row[1] for row in initiatives}
    components = portfolio.rows["component"]
    for _ in range(2_000):
        _, initiative_id, key, *_rest = rng.choice(components)
        role = rng.choice(gen.ROLES)
        sample.cell_urls.append(
            f"/api/v1/initiatives/{keys[initiative_id]}/components/{key}/raci/{role}"
        )
    del portfolio
    gc.collect()
    return sample, seconds


# --- findings against the floor and the DBA --------------------------------------------


def findings_figures(server: Server, plain: driver.Driver, options: Options, failures: Failures):
    http = Http(server, failures)
    by_rule: dict[str, int] = {}
    total = 0

    def product() -> float | None:
        nonlocal total
        began = time.perf_counter()
        answer = http.get("/api/v1/reports/findings")
        if answer is None:
            return None
        seconds = time.perf_counter() - began
        summary = answer.json()["summary"]
        by_rule.update(summary["by_rule"])
        total = summary["total"]
        return seconds

    cells = 0

    def floor() -> float:
        nonlocal cells

        def fetch() -> None:
            nonlocal cells
            cells = driver.fetch_cells(plain)

        return timed(fetch)

    dba_counts: dict[str, int] = {}

    def nine_queries() -> float:
        return timed(lambda: dba_counts.update(dba.findings(plain)))

    against_floor = paired(options.pairs, product, floor, failures)
    _say(options, f"findings vs floor: {against_floor.figure('r')}")
    against_dba = paired(options.pairs, product, nine_queries, failures)
    _say(options, f"findings vs DBA: {against_dba.figure('r')}")
    http.close()
    mismatch = {
        rule: {"api": by_rule.get(rule), "dba": dba_counts.get(rule)}
        for rule in dba.RULES
        if by_rule.get(rule) != dba_counts.get(rule)
    }
    return {
        **against_floor.figure("findings_vs_floor"),
        "findings_s": _median(against_floor.a),
        "floor_s": _median(against_floor.b),
        "findings": total,
        "cells": cells,
        **against_dba.figure("findings_vs_dba"),
        "dba_s": _median(against_dba.b),
        "findings_by_rule": by_rule,
        "dba_mismatch": len(mismatch),
        "dba_mismatches": mismatch,
    }


def _median(values: list[float], digits: int = 4) -> float | None:
    return round(statistics.median(values), digits) if values else None


# --- 10x --------------------------------------------------------------------------------


def _batch(http: Http, paths: list[str]) -> Any:
    """A Timed: the seconds of GETting each of `paths` in turn (None if any failed)."""

    def run() -> float | None:
        began = time.perf_counter()
        for path in paths:
            if http.get(path) is None:
                return None
        return time.perf_counter() - began

    return run


def scale_figures(small: Server, big: Server, options: Options, failures: Failures):
    """The findings report at 10N over N, and two operations on one initiative (each timed
    over `rounds` rounds of the five probe initiatives) at 10N over N: the sizes alternated."""
    at_n, at_10n = Http(small, failures), Http(big, failures)
    report = "/api/v1/reports/findings"
    whole = paired(options.pairs, at_10n.timer("GET", report), at_n.timer("GET", report), failures)
    _say(options, f"10x: {whole.figure('r')}")
    matrix = [f"/api/v1/initiatives/{key}/raci?at={AT}" for key in gen.PROBES] * options.rounds
    raci_at = paired(options.pairs, _batch(at_10n, matrix), _batch(at_n, matrix), failures)
    one = [f"{report}?initiative={key}" for key in gen.PROBES] * options.rounds
    findings_one = paired(options.pairs, _batch(at_10n, one), _batch(at_n, one), failures)
    at_n.close()
    at_10n.close()
    return {
        **whole.figure("scale_10x_cost"),
        "findings_10x_s": _median(whole.a),
        **raci_at.figure("raci_at_10x_cost"),
        "raci_at_ms": _median([1000 * s / len(matrix) for s in raci_at.b], 2),
        "raci_at_10x_ms": _median([1000 * s / len(matrix) for s in raci_at.a], 2),
        **findings_one.figure("findings_one_10x_cost"),
        "findings_one_ms": _median([1000 * s / len(one) for s in findings_one.b], 2),
        "findings_one_10x_ms": _median([1000 * s / len(one) for s in findings_one.a], 2),
    }


# --- memory -------------------------------------------------------------------------------


def csv_figures(
    url: str, scale: int, options: Options, failures: Failures, running: Server | None = None
) -> dict[str, Any]:
    """A fresh server (or `running`, with --share-servers) streams the findings CSV `pairs`
    times, its peak RSS reset before each; the client counts the rows and drops them."""
    peaks: list[float] = []
    rows = size = 0
    with ExitStack() as stack:
        fresh = running or stack.enter_context(Server(url))
        http = Http(fresh, failures)
        http.get("/api/v1/roles")
        idle = reset_peak(fresh.pid)
        for _ in range(options.pairs):
            reset_peak(fresh.pid)
            rows = size = 0
            try:
                with http.client.stream("GET", "/api/v1/reports/findings?format=csv") as answer:
                    if answer.status_code != 200:
                        failures.add("GET findings CSV", f"status {answer.status_code}")
                        continue
                    for chunk in answer.iter_bytes():
                        size += len(chunk)
                        rows += chunk.count(b"\n")
            except httpx.HTTPError as error:
                failures.add("GET findings CSV", type(error).__name__)
                continue
            peaks.append(peak_mb(fresh.pid))
        http.close()
    values = spread(peaks, 1)
    return {
        "csv_peak_rss_mb": values["median"],
        "csv_peak_rss_mb_min": values["min"],
        "csv_peak_rss_mb_max": values["max"],
        "csv_idle_rss_mb": round(idle, 1),
        "csv_rows": rows - 1,
        "csv_mb": round(size / 1e6, 1),
        "csv_scale": scale,
    }


def _login(http: Http, server: Server) -> None:
    """The dashboard's cookie, as a browser gets it."""
    try:
        http.client.post(
            "/dashboard/login", data={"key": server.secret}, headers={"Origin": server.base_url}
        )
    except httpx.HTTPError as error:
        failures = http.failures
        failures.add("POST /dashboard/login", type(error).__name__)


def route_figures(server: Server, options: Options, failures: Failures):
    """Every route the bench drives, `pairs` sweeps; a worker's peak RSS per request (reset
    before each), and the times of the export and of the re-import of that export."""
    http = Http(server, failures)
    _login(http, server)
    exported = http.get("/api/v1/export")
    body = exported.content if exported is not None else b"{}"
    probe = gen.PROBES[0]
    kpi = "kpi-000001"
    routes: list[tuple[str, str, str, dict[str, Any]]] = [
        ("dashboard", "GET", "/dashboard", {}),
        ("export", "GET", "/api/v1/export", {}),
        ("reimport", "POST", "/api/v1/imports", {"content": body, "headers": _json}),
        ("findings", "GET", "/api/v1/reports/findings", {}),
        ("findings_csv", "GET", "/api/v1/reports/findings?format=csv", {}),
        ("gaps", "GET", "/api/v1/reports/gaps", {}),
        ("overlaps", "GET", "/api/v1/reports/overlaps", {}),
        ("workload", "GET", "/api/v1/reports/roles", {}),
        ("findings_one", "GET", f"/api/v1/reports/findings?initiative={probe}", {}),
        ("matrix", "GET", f"/api/v1/initiatives/{probe}/raci", {}),
        ("matrix_at", "GET", f"/api/v1/initiatives/{probe}/raci?at={AT}", {}),
        ("initiative", "GET", f"/api/v1/initiatives/{probe}?expand=components", {}),
        ("list_initiatives", "GET", "/api/v1/initiatives?limit=500&status=active", {}),
        ("list_components", "GET", f"/api/v1/initiatives/{probe}/components?limit=500", {}),
        ("list_capabilities", "GET", "/api/v1/capabilities?limit=500", {}),
        ("list_kpis", "GET", "/api/v1/kpis?limit=500", {}),
        ("list_measurements", "GET", f"/api/v1/kpis/{kpi}/measurements?limit=500", {}),
        ("list_audit", "GET", "/api/v1/audit?limit=500", {}),
        ("audit_csv", "GET", "/api/v1/audit?limit=500&format=csv", {}),
        ("list_roles", "GET", "/api/v1/roles", {}),
        ("list_rules", "GET", "/api/v1/rules", {}),
        ("list_keys", "GET", "/api/v1/keys", {}),
        ("metrics", "GET", "/metrics", {}),
    ]
    per_route: dict[str, float] = {}
    growth: dict[str, float] = {}  # the peak over the RSS just before the request
    sweeps: list[float] = []
    times: dict[str, list[float]] = {"export": [], "reimport": []}
    reimport_changes: dict[str, Any] = {}
    for _ in range(options.pairs):
        peaks: dict[str, float] = {}
        for name, method, path, kwargs in routes:
            before = reset_peak(server.pid)
            began = time.perf_counter()
            answer = http.request(method, path, what=f"{method} {name}", **kwargs)
            seconds = time.perf_counter() - began
            if answer is None:
                continue
            peaks[name] = peak_mb(server.pid)
            growth[name] = round(max(peaks[name] - before, growth.get(name, 0.0)), 1)
            if name in times:
                times[name].append(seconds)
            if name == "reimport":
                reimport_changes = {
                    what: counts
                    for what, counts in answer.json().items()
                    if isinstance(counts, dict) and (counts.get("created") or counts.get("updated"))
                }
        for name, peak in peaks.items():
            per_route[name] = round(max(peak, per_route.get(name, 0.0)), 1)
        if peaks:
            sweeps.append(max(peaks.values()))
    http.close()
    values = spread(sweeps, 1)
    reimport = spread(times["reimport"])
    return {
        "max_route_rss_mb": values["median"],
        "max_route_rss_mb_min": values["min"],
        "max_route_rss_mb_max": values["max"],
        "route_rss_mb": per_route,
        "route_rss_growth_mb": growth,
        "export_s": _median(times["export"], 3),
        "reimport_s": reimport["median"],
        "reimport_s_min": reimport["min"],
        "reimport_s_max": reimport["max"],
        "reimport_mb": round(len(body) / 1e6, 1),
        "reimport_changes": reimport_changes,
    }


# --- writes and the audit feed -------------------------------------------------------------


def wide_document(components: int, variant: int) -> bytes:
    """An initiative of `components` components x 8 roles; variant 0 and 1 differ in every
    cell (AR -> A, C -> R or I)."""
    rows = []
    for number in range(components):
        cells = {}
        for index, role in enumerate(gen.ROLES):
            if variant == 0:
                cells[role] = "AR" if index == number % 8 else "C"
            else:
                cells[role] = (
                    "A" if index == number % 8 else "R" if index == (number + 1) % 8 else "I"
                )
        rows.append({"key": f"w{number:03d}", "name": f"Wide component {number}", "raci": cells})
    document = {
        "name": "Bench wide initiative",
        "kind": "platform",
        "status": "active",
        "portfolio": "joint",
        "sponsor": "CIO",
        "components": rows,
    }
    return json.dumps(document).encode()


def put_figures(server: Server, options: Options, failures: Failures) -> dict[str, Any]:
    """PUT of one initiative whose cells all change: created first (not timed), then
    `pairs` PUTs alternating between two documents that differ in every cell."""
    http = Http(server, failures)
    path = f"/api/v1/initiatives/{WIDE_KEY}"
    documents = [wide_document(options.wide_components, v) for v in (0, 1)]
    http.request("PUT", path, content=documents[0], headers=_json, what="PUT wide (create)")
    times: list[float] = []
    peaks: list[float] = []
    for index in range(options.pairs):
        reset_peak(server.pid)
        seconds = http.timer("PUT", path, content=documents[(index + 1) % 2], headers=_json)()
        if seconds is not None:
            times.append(seconds)
            peaks.append(peak_mb(server.pid))
    http.close()
    values = spread(times)
    return {
        "put_wide_s": values["median"],
        "put_wide_s_min": values["min"],
        "put_wide_s_max": values["max"],
        "put_wide_cells": options.wide_components * len(gen.ROLES),
        "put_wide_rss_mb": round(max(peaks), 1) if peaks else None,
    }


def audit_figures(server: Server, options: Options, failures: Failures) -> dict[str, Any]:
    """The audit feed paged through, 500 entries a request, following next_cursor until
    `has_more` is false; the entries per second of request time (the client's JSON parsing
    left out)."""
    http = Http(server, failures)
    cursor: str | None = None
    entries = requests = 0
    spent = 0.0
    while True:
        params = {"limit": "500"} | ({"cursor": cursor} if cursor else {})
        began = time.perf_counter()
        answer = http.get("/api/v1/audit", params=params)
        spent += time.perf_counter() - began
        if answer is None:
            break
        page = answer.json()
        requests += 1
        entries += len(page["items"])
        # next_cursor is never null (a feed to poll): has_more tells when it is caught up.
        cursor = page.get("next_cursor")
        if not page.get("has_more") or not cursor:
            break
    http.close()
    _say(options, f"audit feed: {entries} entries in {spent:.1f} s")
    return {
        "audit_entries_per_s": round(entries / spent) if spent and entries else None,
        "audit_entries_paged": entries,
        "audit_requests": requests,
    }


# --- throughput against the peer ---------------------------------------------------------


def throughput_figures(
    server: Server, url: str, sample: Sample, options: Options, failures: Failures, tool: str
) -> dict[str, Any]:
    """Ours and the peer side by side (alternating, the order too), per route: req/s, p99,
    the server's CPU per request."""
    rng = random.Random(options.seed)
    routes = {
        "get": [f"/api/v1/initiatives/{key}" for key in sample.keys],
        "list": [f"/api/v1/initiatives?limit=50&{rng.choice(LIST_FILTERS)}" for _ in range(200)],
        "findings_one": [f"/api/v1/reports/findings?initiative={key}" for key in sample.live_keys],
    }
    figures: dict[str, Any] = {"load_tool": tool}
    with PeerServer(url) as peer:
        figures["peer_findings_agree"] = _peer_agrees(server, peer, sample, failures)
        cpu: dict[str, dict[str, list[float]]] = {}
        for route, paths in routes.items():

            def run(target: Server, seconds: float, route: str = route, paths=paths) -> Any:
                return load_run(
                    tool,
                    target,
                    paths,
                    concurrency=options.concurrency,
                    seconds=seconds,
                    max_requests=options.max_requests,
                    failures=failures,
                    what=f"{'peer' if target is peer else 'ours'} {route}",
                )

            run(server, min(1.0, options.load_s))
            run(peer, min(1.0, options.load_s))
            found: dict[str, list[dict[str, Any]]] = {"ours": [], "peer": []}
            pairs = Pairs()
            for index in range(options.pairs):
                order = [("ours", server), ("peer", peer)]
                if index % 2:
                    order.reverse()
                results = {name: run(target, options.load_s) for name, target in order}
                if results["ours"] is None or results["peer"] is None:
                    failures.dropped_pairs += 1
                    continue
                for name in found:
                    found[name].append(results[name])
                pairs.a.append(results["ours"]["rps"])
                pairs.b.append(results["peer"]["rps"])
            name = {"get": "throughput", "list": "list", "findings_one": "findings_one"}[route]
            figures |= pairs.figure(f"{name}_vs_peer")
            figures[f"rps_{route}"] = {
                side: _median([r["rps"] for r in runs], 1) for side, runs in found.items()
            }
            figures[f"p99_ms_{route}"] = {
                side: _median([r["p99_ms"] for r in runs], 2) for side, runs in found.items()
            }
            cpu[route] = {
                side: [r["cpu_ms_per_request"] for r in runs] for side, runs in found.items()
            }
            figures[f"cpu_ms_{route}"] = {
                side: _median(values, 3) for side, values in cpu[route].items()
            }
            _say(options, f"{route}: ours/peer {pairs.figure('r')}, rps {figures[f'rps_{route}']}")
    figures["p99_ms"] = figures["p99_ms_get"]["ours"]
    figures["p99_peer_ms"] = figures["p99_ms_get"]["peer"]
    for route in ("list", "findings_one"):
        # Run i of the route over run i of the GET (both ours): the median of those ratios.
        count = min(len(cpu[route]["ours"]), len(cpu["get"]["ours"]))
        per_index = Pairs(cpu[route]["ours"][:count], cpu["get"]["ours"][:count])
        figures |= per_index.figure(f"{route}_cpu_vs_get")
    return figures


def _peer_agrees(server: Server, peer: Server, sample: Sample, failures: Failures) -> bool:
    """Ours and the peer count the same findings per rule for a few live initiatives."""
    ours, theirs = Http(server, failures), Http(peer, failures)
    agree = True
    for key in [*sample.live_keys[:10], *gen.PROBES]:
        path = f"/api/v1/reports/findings?initiative={key}"
        a, b = ours.get(path), theirs.get(path)
        if a is None or b is None:
            agree = False
            continue
        counts = {k: v for k, v in a.json()["summary"]["by_rule"].items() if v}
        agree = agree and counts == b.json()["summary"]["by_rule"]
    ours.close()
    theirs.close()
    return agree


# --- import ---------------------------------------------------------------------------------


def import_figures(
    options: Options, failures: Failures, shared: tuple[str, Server] | None = None
) -> dict[str, Any]:
    """POST /imports of a generated document into an emptied database, against the driver
    writing the same rows into the same emptied database (COPY / executemany). A fresh
    database and server, or (--share-servers) the given ones, emptied first."""
    portfolio = gen.generate(options.import_initiatives, seed=options.seed + 1, with_kpis=False)
    body = json.dumps(gen.import_document(portfolio)).encode()
    with ExitStack() as stack:
        if shared is None:
            url = stack.enter_context(load.fresh_database(options.db, options.pg_url, "_import"))
            server = stack.enter_context(Server(url))
        else:
            url, server = shared
        plain = stack.enter_context(driver.connect(url))
        rows = driver.prepared_rows(plain.kind, portfolio, IMPORT_TABLES)
        http = Http(server, failures)
        post = http.timer("POST", "/api/v1/imports", content=body, headers=_json)

        def product() -> float | None:
            driver.wipe(plain)
            return post()

        def floor() -> float:
            driver.wipe(plain)
            return timed(lambda: driver.write_rows(plain, rows))

        pairs = paired(options.pairs, product, floor, failures)
        http.close()
    return {
        **pairs.figure("import_vs_floor"),
        "import_s": _median(pairs.a, 3),
        "import_floor_s": _median(pairs.b, 3),
        "import_floor": "COPY" if options.db == "postgresql" else "executemany",
        "import_rows": {
            "initiatives": portfolio.count("initiative"),
            "components": portfolio.count("component"),
            "cells": portfolio.count("raci_cell"),
            "body_mb": round(len(body) / 1e6, 1),
        },
    }


# --- the mixed workload ---------------------------------------------------------------------


def mixed_figures(url: str, sample: Sample, options: Options, failures: Failures):
    """80% GET initiative, 15% PUT of a RACI cell, 5% findings, on several workers."""
    plan = {
        "concurrency": options.concurrency,
        "duration_s": options.mixed_s,
        "max_requests": options.max_requests,
        "mix": [
            {
                "name": "read",
                "weight": 80,
                "method": "GET",
                "urls": [f"/api/v1/initiatives/{key}" for key in sample.keys],
            },
            {
                "name": "write",
                "weight": 15,
                "method": "PUT",
                "urls": sample.cell_urls,
                "bodies": [{"raci": letter} for letter in LETTERS],
            },
            {
                "name": "findings",
                "weight": 5,
                "method": "GET",
                "urls": ["/api/v1/reports/findings"],
            },
        ],
    }
    with Server(url, workers=options.mixed_workers) as server:
        try:
            result = run_loadgen(plan | {"base_url": server.base_url, "headers": server.headers})
        except (subprocess.SubprocessError, OSError, ValueError) as error:
            failures.add("mixed workload", f"load generator failed ({type(error).__name__})")
            return {"mixed_errors": None, "mixed_locked": None}
        log_locked = server.log_text().count("database is locked")
    return {
        "mixed_workers": options.mixed_workers,
        "mixed_requests": result["requests"],
        "mixed_rps": result["rps"],
        "mixed_errors": result["errors"],
        "mixed_locked": result["locked"] + log_locked,
        "mixed_statuses": result["statuses"],
        "mixed_p99_ms": {name: r["p99_ms"] for name, r in result["by_name"].items()},
    }


# --- the run ----------------------------------------------------------------------------------


def run(options: Options) -> dict[str, Any]:
    """Every figure, in one run: a dict whose keys are those of the JSON line."""
    failures = Failures()
    measure.TIMEOUT_S = options.timeout_s
    tool = options.load_tool
    if tool == "auto":
        tool = "wrk" if wrk.available() else "httpx"
    result: dict[str, Any] = {
        "db": options.db,
        "scale": options.scale,
        "pairs": options.pairs,
        "skip_10x": options.skip_10x,
    }
    with ExitStack() as stack:
        url = stack.enter_context(
            load.fresh_database(options.db, options.pg_url, f"_{options.scale}")
        )
        sample, result["load_s"] = prepare(url, options.scale, options.audit_entries, options)
        big_url = None
        if not options.skip_10x:
            big_url = stack.enter_context(
                load.fresh_database(options.db, options.pg_url, f"_{options.scale * 10}")
            )
            # The history grows with the portfolio: 10N's audit trail padded to 10x N's.
            _, result["load_10x_s"] = prepare(
                big_url, options.scale * 10, 10 * options.audit_entries, options
            )
        csv: dict[str, Any] = {}
        with Server(url) as server, driver.connect(url) as plain:
            result |= findings_figures(server, plain, options, failures)
            if big_url is not None:
                with Server(big_url) as big:
                    result |= scale_figures(server, big, options, failures)
                    if options.share_servers:
                        _say(options, "CSV peak RSS")
                        csv = csv_figures(big_url, options.scale * 10, options, failures, big)
            else:
                result |= dict.fromkeys(
                    ("scale_10x_cost", "raci_at_10x_cost", "findings_one_10x_cost")
                )
            result |= throughput_figures(server, url, sample, options, failures, tool)
            _say(options, "routes: peak RSS per request")
            result |= route_figures(server, options, failures)
            result |= audit_figures(server, options, failures)
            result |= put_figures(server, options, failures)
            if options.share_servers and options.mixed_s <= 0:
                _say(options, "import vs floor (the N database, emptied)")
                result |= import_figures(options, failures, (url, server))
        if not csv:
            _say(options, "CSV peak RSS")
            csv_scale = options.scale if big_url is None else options.scale * 10
            csv = csv_figures(big_url or url, csv_scale, options, failures)
        result |= csv
        if options.mixed_s > 0:
            _say(options, "mixed workload")
            result |= mixed_figures(url, sample, options, failures)
        else:
            result |= {"mixed_skipped": True, "mixed_errors": None, "mixed_locked": None}
    if "import_vs_floor" not in result:
        _say(options, "import vs floor")
        result |= import_figures(options, failures)
    result["failed_requests"] = failures.total
    result["failures"] = failures.counts
    result["dropped_pairs"] = failures.dropped_pairs
    result["date"] = datetime.now(UTC).strftime("%Y-%m-%d")
    result["machine"] = f"{os.cpu_count()} cores, Python {platform.python_version()}"
    result["goals"] = goals(result)
    return result


def goals(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each figure with a goal: the value judged (the median, or the max for peaks), the
    goal, and whether it was met (False when the figure could not be measured; None when
    the options left it out: --skip-10x, --mixed-seconds 0)."""
    judged: dict[str, dict[str, Any]] = {}
    skipped = set()
    if result.get("mixed_skipped"):
        skipped |= {"mixed_errors", "mixed_locked"}
    if result.get("skip_10x"):
        skipped |= {"scale_10x_cost", "raci_at_10x_cost", "findings_one_10x_cost"}
    for key, (comparison, bound, on, wording) in GOALS.items():
        if key == "put_wide_s" and result["db"] != "sqlite":
            continue  # the goal is SQLite's; PostgreSQL's time is reported all the same
        if key in skipped:
            judged[key] = {"value": None, "goal": f"{comparison} {bound:g}", "met": None,
                           "judged_on": on, "what": wording + " (not run: options)"}  # fmt: skip
            continue
        value = result.get(f"{key}_max" if on == "max" else key)
        met = (
            value is not None
            and {
                "<=": value <= bound,
                ">=": value >= bound,
                "<": value < bound,
            }[comparison]
        )
        judged[key] = {
            "value": value,
            "goal": f"{comparison} {bound:g}",
            "judged_on": on,
            "met": bool(met),
            "what": wording,
        }
    return judged


# --- the report --------------------------------------------------------------------------------


def _shown(result: dict[str, Any], key: str) -> str:
    value = result.get(key)
    if value is None:
        return "not measured"
    low, high = result.get(f"{key}_min"), result.get(f"{key}_max")
    return f"{value} ({low} to {high})" if low is not None and high is not None else str(value)


def _table(result: dict[str, Any]) -> str:
    lines = [
        f"Run {result['date']}, `--scale {result['scale']} --pairs {result['pairs']}`, "
        f"machine: {result['machine']}. Medians of the pairs (min to max).",
        "",
        "| figure | measured | goal | met |",
        "|---|---|---|---|",
    ]
    for key, goal in result["goals"].items():
        met = {True: "yes", False: "**missed**", None: "not run"}[goal["met"]]
        judged = " (judged on the max)" if goal["judged_on"] == "max" else ""
        lines.append(
            f"| `{key}` | {_shown(result, key)} | {goal['goal']}: {goal['what']}{judged} | {met} |"
        )
    lines += ["", "```json", json.dumps(result), "```"]
    return "\n".join(lines)


def write_report(path: Path, result: dict[str, Any]) -> None:
    """Replace this database's section of `path` (between its markers) with the figures."""
    start, end = f"<!-- bench:{result['db']}:start -->", f"<!-- bench:{result['db']}:end -->"
    section = f"{start}\n{_table(result)}\n{end}"
    content = path.read_text() if path.exists() else "# Performance\n"
    if start in content and end in content:
        before, rest = content.split(start, 1)
        _, after = rest.split(end, 1)
        content = before + section + after
    else:
        content = content.rstrip("\n") + f"\n\n## {result['db']}\n\n{section}\n"
    path.write_text(content)


def parse(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--scale", type=int, default=10_000, help="initiatives")
    parser.add_argument("--pairs", type=int, default=5, help="alternating pairs per ratio")
    parser.add_argument("--skip-10x", action="store_true", help="do not measure 10x the scale")
    parser.add_argument("--out", type=Path, help="update this Markdown file's table")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("RACI_BENCH_PG_URL", load.DEFAULT_PG_URL),
        help="a PostgreSQL server to create the scratch databases on",
    )
    parser.add_argument("--import-initiatives", type=int, default=2_000)
    parser.add_argument(
        "--audit-entries", type=int, default=300_000, help="audit entries at N (at least)"
    )
    parser.add_argument("--load-seconds", type=float, default=5.0, help="per load run")
    parser.add_argument("--mixed-seconds", type=float, default=15.0, help="0: no mixed workload")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--load-tool",
        choices=("auto", "wrk", "httpx", "inline"),
        default="auto",
        help="load generator for the throughput figures (auto: wrk if installed; inline: "
        "bench.loadgen in the bench's own process, for tests)",
    )
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="seconds before a request counts as failed"
    )
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.pairs < 1:
        parser.error("--pairs must be at least 1")
    return Options(
        db=args.db,
        scale=args.scale,
        pairs=args.pairs,
        skip_10x=args.skip_10x,
        out=args.out,
        pg_url=args.pg_url,
        import_initiatives=args.import_initiatives,
        audit_entries=args.audit_entries,
        load_s=args.load_seconds,
        mixed_s=args.mixed_seconds,
        concurrency=args.concurrency,
        load_tool=args.load_tool,
        timeout_s=args.timeout,
        verbose=not args.quiet,
    )


def main(argv: list[str] | None = None) -> int:
    options = parse(sys.argv[1:] if argv is None else argv)
    result = run(options)
    print(json.dumps(result), flush=True)
    if options.out is not None:
        write_report(options.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
