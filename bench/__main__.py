"""`python -m bench --db sqlite|postgresql --scale N [--skip-10x] [--out docs/performance.md]`

Measures, in one run and against a real uvicorn server on loopback, the figures of
docs/performance.md, and prints them as one JSON line:

- `findings_s` (GET /api/v1/reports/findings, best of 3 after a warm-up) against `floor_s`
  (one plain `SELECT component_id, role, raci FROM raci_cell`, every row fetched, best of 3);
- `scale_10x_cost`: findings time at 10N over findings time at N;
- `import_vs_raw`: POST /imports of a ~2,000-initiative document into an empty database
  against a plain SQLAlchemy Core executemany of the same rows into an empty database;
- `throughput_vs_bare`: requests/s of authenticated GET /api/v1/initiatives/{key} (random
  keys) over GET /healthz, same server and load generator (a second process); `p99_ms`;
- `csv_peak_rss_mb`: peak RSS (VmHWM) of a fresh server process streaming the findings CSV
  (of the 10N portfolio, or N with --skip-10x);
- `mixed_errors`: non-2xx answers of a mixed workload (80% GET initiative, 15% PUT of a
  RACI cell, 5% findings) against several uvicorn workers; `mixed_locked` counts the
  answers and log lines saying "database is locked".
"""

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from bench import generate as gen
from bench import load, wrk
from bench.server import Server, status_kib

IMPORT_TABLES = ("role", "capability", "initiative", "initiative_tag", "component", "raci_cell")
ROLES = gen.ROLES
LETTERS = ("R", "A", "C", "I", "AR")

# Goal per figure: (comparison, bound, wording).
GOALS: dict[str, tuple[str, float, str]] = {
    "findings_vs_floor": ("<=", 2.0, "within 2x the floor (at 10,000 initiatives)"),
    "scale_10x_cost": ("<=", 12.0, "10x the portfolio at most 12x the time"),
    "import_vs_raw": ("<=", 3.0, "within 3x of a raw Core bulk insert"),
    "throughput_vs_bare": (">=", 0.5, "at least 0.5x the bare endpoint"),
    "csv_peak_rss_mb": ("<", 300.0, "under 300 MB (at 100,000 initiatives)"),
    "mixed_errors": ("<=", 0, "no errors"),
    "mixed_locked": ("<=", 0, 'no "database is locked"'),
}


@dataclass
class Options:
    db: str = "sqlite"
    scale: int = 10_000
    skip_10x: bool = False
    out: Path | None = None
    pg_url: str = load.DEFAULT_PG_URL
    repeats: int = 3
    import_initiatives: int = 2_000
    import_rounds: int = 3
    load_s: float = 5.0
    load_rounds: int = 2
    concurrency: int = 16
    mixed_s: float = 15.0
    mixed_workers: int = 2
    max_requests: int = 50_000
    # "auto": wrk when it is installed (the server sets the pace), else bench.loadgen.
    load_tool: str = "auto"
    seed: int = 20261123
    # True (the smoke test): fewer server starts. The CSV peak is then measured on the
    # findings server after resetting its peak, and the import reuses its emptied database.
    share_servers: bool = False
    verbose: bool = True


def _say(options: Options, message: str) -> None:
    if options.verbose:
        print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def best_of(repeats: int, action: Callable[[], Any], *, warm_up: bool = True) -> float:
    """The shortest wall time of `repeats` calls of `action`, after one untimed call."""
    if warm_up:
        action()
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return min(times)


def floor_seconds(url: str, repeats: int) -> tuple[float, int]:
    """One plain query reading every cell, every row fetched: best of `repeats`."""
    count = 0
    with load.engine_for(url) as engine:

        def read_all() -> None:
            nonlocal count
            with engine.connect() as connection:
                rows = connection.execute(
                    text("SELECT component_id, role, raci FROM raci_cell")
                ).fetchall()
                count = len(rows)

        return best_of(repeats, read_all), count


def findings_seconds(server: Server, repeats: int) -> tuple[float, int]:
    total = 0
    with httpx.Client(base_url=server.base_url, headers=server.headers, timeout=600) as client:

        def fetch() -> None:
            nonlocal total
            answer = client.get("/api/v1/reports/findings")
            answer.raise_for_status()
            total = answer.json()["summary"]["total"]

        return best_of(repeats, fetch), total


def run_loadgen(plan: dict[str, Any]) -> dict[str, Any]:
    """The load generator in its own process, bounded by the plan's time and count."""
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


def _initiative_urls(scale: int, count: int = 2_000, seed: int = 7) -> list[str]:
    import random

    rng = random.Random(seed)
    return [f"/api/v1/initiatives/ini-{rng.randint(1, scale):06d}" for _ in range(count)]


def throughput(server: Server, options: Options) -> dict[str, Any]:
    """Authenticated GET of an initiative vs /healthz, same server, same load generator.

    Each is warmed up for a second, then measured `load_rounds` times, alternating; the
    best run of each counts."""
    tool = options.load_tool
    if tool == "auto":
        tool = "wrk" if wrk.available() else "httpx"
    paths = {"bare": ["/healthz"], "auth": _initiative_urls(options.scale)}

    def measure(name: str, seconds: float) -> dict[str, Any]:
        if tool == "wrk":
            return wrk.run(
                server.base_url,
                paths[name],
                server.headers,
                concurrency=options.concurrency,
                seconds=seconds,
            )
        return run_loadgen(
            {
                "base_url": server.base_url,
                "headers": server.headers,
                "concurrency": options.concurrency,
                "max_requests": options.max_requests,
                "duration_s": seconds,
                "mix": [{"name": name, "weight": 1, "method": "GET", "urls": paths[name]}],
            }
        )

    for name in paths:
        measure(name, min(1.0, options.load_s))
    best: dict[str, dict[str, Any]] = {}
    for _ in range(options.load_rounds):
        for name in paths:
            result = measure(name, options.load_s)
            if result["errors"]:
                raise RuntimeError(f"{name} load had {result['errors']} errors: {result}")
            if name not in best or result["rps"] > best[name]["rps"]:
                best[name] = result
    return {
        "load_tool": tool,
        "rps_auth": best["auth"]["rps"],
        "rps_bare": best["bare"]["rps"],
        "throughput_vs_bare": round(best["auth"]["rps"] / best["bare"]["rps"], 3),
        "p99_ms": best["auth"]["p99_ms"],
        "p50_ms": best["auth"]["p50_ms"],
    }


def _stream_csv(server: Server) -> dict[str, Any]:
    with httpx.Client(base_url=server.base_url, headers=server.headers, timeout=600) as client:
        client.get("/healthz").raise_for_status()
        client.get("/api/v1/roles").raise_for_status()
        before = status_kib(server.pid, "VmHWM") / 1024
        # Linux: "5" resets VmHWM to the RSS of now, so that the peak is the CSV's own and
        # not whatever the process did before (its start-up included).
        Path(f"/proc/{server.pid}/clear_refs").write_text("5")
        idle = status_kib(server.pid, "VmRSS") / 1024
        size = 0
        rows = 0
        with client.stream("GET", "/api/v1/reports/findings?format=csv") as answer:
            answer.raise_for_status()
            for chunk in answer.iter_bytes():
                size += len(chunk)
                rows += chunk.count(b"\n")
        peak = status_kib(server.pid, "VmHWM") / 1024
    return {
        "csv_peak_rss_mb": round(peak, 1),
        "csv_idle_rss_mb": round(idle, 1),
        "startup_peak_rss_mb": round(before, 1),
        "csv_rows": rows - 1,
        "csv_mb": round(size / 1e6, 1),
    }


def csv_peak_rss(url: str, server: Server | None = None) -> dict[str, Any]:
    """Peak RSS of the server process while it streams the findings CSV: a fresh process
    (or `server`), its peak reset just before the request."""
    if server is not None:
        return _stream_csv(server)
    with Server(url) as fresh:
        return _stream_csv(fresh)


def mixed(url: str, portfolio: gen.Portfolio, options: Options) -> dict[str, Any]:
    """80% GET initiative, 15% PUT of a RACI cell, 5% findings, on several workers."""
    import random

    rng = random.Random(options.seed)
    components = portfolio.rows["component"]
    cell_urls = []
    for _ in range(2_000):
        _, initiative_id, key, *_rest = rng.choice(components)
        cell_urls.append(
            f"/api/v1/initiatives/ini-{initiative_id:06d}/components/{key}/raci/{rng.choice(ROLES)}"
        )
    plan = {
        "concurrency": options.concurrency,
        "duration_s": options.mixed_s,
        "max_requests": options.max_requests,
        "mix": [
            {
                "name": "read",
                "weight": 80,
                "method": "GET",
                "urls": _initiative_urls(options.scale),
            },
            {
                "name": "write",
                "weight": 15,
                "method": "PUT",
                "urls": cell_urls,
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
        result = run_loadgen(plan | {"base_url": server.base_url, "headers": server.headers})
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


def import_vs_raw(
    options: Options, url: str | None = None, server: Server | None = None
) -> dict[str, Any]:
    """POST /imports of a document into an empty database vs a raw Core insert of its rows,
    each into an emptied database, alternating, best of `import_rounds`. A fresh database
    and server, or `url` and its `server` (emptied first)."""
    if url is None or server is None:
        with (
            load.fresh_database(options.db, options.pg_url, "_import") as url,
            Server(url) as server,
        ):
            return import_vs_raw(options, url, server)
    portfolio = gen.generate(options.import_initiatives, seed=options.seed + 1, with_kpis=False)
    body = json.dumps(gen.import_document(portfolio)).encode()
    raw_times, import_times = [], []
    with load.engine_for(url) as engine:
        headers = server.headers | {"Content-Type": "application/json"}
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=600) as client:
            for _ in range(options.import_rounds):
                load.wipe(engine)
                began = time.perf_counter()
                load.raw_insert(engine, portfolio, IMPORT_TABLES)
                raw_times.append(time.perf_counter() - began)
                load.wipe(engine)
                began = time.perf_counter()
                answer = client.post("/api/v1/imports", content=body)
                import_times.append(time.perf_counter() - began)
                if answer.status_code != 200:
                    raise RuntimeError(f"import failed: {answer.status_code} {answer.text[:500]}")
                created = answer.json()["raci_cells"]["created"]
                if created != portfolio.count("raci_cell"):
                    raise RuntimeError(f"import created {created} cells")
    return {
        "import_s": round(min(import_times), 3),
        "raw_s": round(min(raw_times), 3),
        "import_vs_raw": round(min(import_times) / min(raw_times), 2),
        "import_rows": {
            "initiatives": portfolio.count("initiative"),
            "components": portfolio.count("component"),
            "cells": portfolio.count("raci_cell"),
            "body_mb": round(len(body) / 1e6, 1),
        },
    }


def measure_portfolio(options: Options, scale: int, *, csv: bool, workload: bool) -> dict[str, Any]:
    """Load a portfolio of `scale` initiatives into a fresh database and measure it."""
    figures: dict[str, Any] = {}
    portfolio = gen.generate(scale, seed=options.seed)
    _say(options, f"{options.db} scale {scale}: {portfolio.count('raci_cell')} cells generated")
    with load.fresh_database(options.db, options.pg_url, f"_{scale}") as url:
        with load.engine_for(url) as engine:
            began = time.perf_counter()
            load.load(engine, portfolio)
            figures["load_s"] = round(time.perf_counter() - began, 2)
        _say(options, f"loaded in {figures['load_s']} s")
        floor, cells = floor_seconds(url, options.repeats)
        figures |= {"floor_s": round(floor, 4), "cells": cells}
        with Server(url) as server:
            findings, total = findings_seconds(server, options.repeats)
            figures |= {"findings_s": round(findings, 4), "findings": total}
            _say(options, f"findings {findings:.3f} s ({total}), floor {floor:.3f} s")
            if workload:
                figures |= throughput(server, options)
                _say(options, f"throughput {figures['rps_auth']} vs {figures['rps_bare']} rps")
            if csv and options.share_servers:
                figures |= csv_peak_rss(url, server) | {"csv_scale": scale}
            if workload:
                figures |= mixed(url, portfolio, options)
                _say(options, f"mixed: {figures['mixed_errors']} errors")
            if workload and options.share_servers:
                figures |= import_vs_raw(options, url, server)
        if csv and not options.share_servers:
            figures |= csv_peak_rss(url) | {"csv_scale": scale}
        if "csv_scale" in figures:
            _say(options, f"CSV peak RSS {figures['csv_peak_rss_mb']} MB")
    del portfolio
    gc.collect()
    return figures


def run(options: Options) -> dict[str, Any]:
    """Every figure, in one run: a dict whose keys are those of the JSON line."""
    result: dict[str, Any] = {"db": options.db, "scale": options.scale}
    base = measure_portfolio(options, options.scale, csv=options.skip_10x, workload=True)
    result |= {
        "findings_s": base["findings_s"],
        "floor_s": base["floor_s"],
        "findings_vs_floor": round(base["findings_s"] / base["floor_s"], 2),
    }
    if options.skip_10x:
        result["scale_10x_cost"] = None
    else:
        big = measure_portfolio(options, options.scale * 10, csv=True, workload=False)
        result |= {
            "scale_10x_cost": round(big["findings_s"] / base["findings_s"], 2),
            "findings_10x_s": big["findings_s"],
            "floor_10x_s": big["floor_s"],
            "findings_vs_floor_10x": round(big["findings_s"] / big["floor_s"], 2),
            "findings_10x": big["findings"],
            "load_10x_s": big["load_s"],
        }
        for key in (
            "csv_peak_rss_mb",
            "csv_idle_rss_mb",
            "startup_peak_rss_mb",
            "csv_rows",
            "csv_mb",
            "csv_scale",
        ):
            base[key] = big[key]
    if not options.share_servers:
        _say(options, "import vs raw")
        base |= import_vs_raw(options)
    result |= {key: base[key] for key in ("import_s", "raw_s", "import_vs_raw", "import_rows")}
    result |= {
        key: base[key]
        for key in (
            "throughput_vs_bare",
            "load_tool",
            "p99_ms",
            "p50_ms",
            "rps_auth",
            "rps_bare",
            "csv_peak_rss_mb",
            "csv_idle_rss_mb",
            "startup_peak_rss_mb",
            "csv_rows",
            "csv_mb",
            "csv_scale",
            "mixed_errors",
            "mixed_locked",
            "mixed_workers",
            "mixed_requests",
            "mixed_rps",
            "mixed_statuses",
            "mixed_p99_ms",
            "findings",
            "cells",
            "load_s",
        )
    }
    result["date"] = datetime.now(UTC).strftime("%Y-%m-%d")
    result["machine"] = f"{os.cpu_count()} cores, Python {platform.python_version()}"
    return result


def verdict(key: str, value: Any) -> str:
    if value is None:
        return "not run"
    comparison, bound, _ = GOALS[key]
    ok = {"<=": value <= bound, ">=": value >= bound, "<": value < bound}[comparison]
    return "pass" if ok else "FAIL"


def _table(result: dict[str, Any]) -> str:
    rows = [
        (
            "findings_vs_floor",
            f"{result['findings_vs_floor']} ({result['findings_s']} s / {result['floor_s']} s, "
            f"{result['findings']} findings, {result['cells']} cells)",
        ),
        (
            "scale_10x_cost",
            "not run (--skip-10x)"
            if result["scale_10x_cost"] is None
            else f"{result['scale_10x_cost']} ({result['findings_10x_s']} s at "
            f"{result['scale'] * 10} initiatives; vs floor there: "
            f"{result['findings_vs_floor_10x']})",
        ),
        (
            "import_vs_raw",
            f"{result['import_vs_raw']} ({result['import_s']} s / {result['raw_s']} s; "
            f"{result['import_rows']['initiatives']} initiatives, "
            f"{result['import_rows']['components']} components, "
            f"{result['import_rows']['cells']} cells)",
        ),
        (
            "throughput_vs_bare",
            f"{result['throughput_vs_bare']} ({result['rps_auth']} vs {result['rps_bare']} req/s "
            f"under {result['load_tool']}, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms)",
        ),
        (
            "csv_peak_rss_mb",
            f"{result['csv_peak_rss_mb']} MB at {result['csv_scale']} initiatives "
            f"(idle {result['csv_idle_rss_mb']} MB, start-up peak {result['startup_peak_rss_mb']} MB; "
            f"{result['csv_rows']} rows, {result['csv_mb']} MB)",
        ),
        (
            "mixed_errors",
            f"{result['mixed_errors']} of {result['mixed_requests']} "
            f"({result['mixed_workers']} workers, {result['mixed_rps']} req/s, "
            f"statuses {result['mixed_statuses']})",
        ),
        ("mixed_locked", str(result["mixed_locked"])),
    ]
    lines = [
        f"Run {result['date']}, `--scale {result['scale']}`, machine: {result['machine']}.",
        "",
        "| figure | measured | goal | result |",
        "|---|---|---|---|",
    ]
    for key, shown in rows:
        value = result.get(key)
        lines.append(f"| `{key}` | {shown} | {GOALS[key][2]} | {verdict(key, value)} |")
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
    parser.add_argument("--skip-10x", action="store_true", help="do not measure 10x the scale")
    parser.add_argument("--out", type=Path, help="update this Markdown file's table")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("RACI_BENCH_PG_URL", load.DEFAULT_PG_URL),
        help="a PostgreSQL server to create the scratch databases on",
    )
    parser.add_argument("--import-initiatives", type=int, default=2_000)
    parser.add_argument("--load-seconds", type=float, default=5.0)
    parser.add_argument("--mixed-seconds", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--load-tool",
        choices=("auto", "wrk", "httpx"),
        default="auto",
        help="load generator for the throughput figures (auto: wrk if installed)",
    )
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    return Options(
        db=args.db,
        scale=args.scale,
        skip_10x=args.skip_10x,
        out=args.out,
        pg_url=args.pg_url,
        import_initiatives=args.import_initiatives,
        load_s=args.load_seconds,
        mixed_s=args.mixed_seconds,
        concurrency=args.concurrency,
        load_tool=args.load_tool,
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
