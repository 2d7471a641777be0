"""`python -m bench.sheets --db sqlite|postgresql [--rows 2000] [--roles 12] [--pairs 5]`

The import of a large RACI sheet through a real server: a matrix of `rows` tasks (in groups
of 200) by `roles` role columns, with letter sets, sent as CSV and as xlsx to
`POST /api/v1/initiatives/{key}/raci/import` into a fresh initiative (creating the roles),
then again unchanged (nothing written). Each case is timed `pairs` times on a fresh
initiative, alternating CSV and xlsx; the median, min and max, and the server's peak RSS
(VmHWM, reset before each request) are printed as one JSON line.

Goals (issue 16): under 3 s and under 200 MB for both formats on this machine.
"""

import argparse
import json
import random
import statistics
import sys
import time
from typing import Any

import httpx

from app.sheets import Matrix, MatrixRow, write_csv, write_xlsx
from bench import load
from bench.server import Server, peak_mb, reset_peak

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LETTERS = ("A", "R", "C", "I", "AR", "CI", "RC", "S", "V", "", "", "")
GOAL_SECONDS = 3.0
GOAL_MB = 200.0


def sheet(rows: int, roles: int, seed: int = 20261130) -> Matrix:
    """A matrix like a programme's RACI: groups of 200 tasks, about 3 cells in 4 filled."""
    rng = random.Random(seed)
    headers = [f"Role {number:02d}" for number in range(1, roles + 1)]
    return Matrix(
        headers,
        [
            MatrixRow(
                task=f"Task {number:05d} of the programme",
                cells={h: letters for h in headers if (letters := rng.choice(LETTERS))},
                group=f"Phase {number // 200 + 1}",
            )
            for number in range(rows)
        ],
    )


def timed_post(client: httpx.Client, server: Server, key: str, body: bytes, media: str) -> Any:
    reset_peak(server.pid)
    began = time.perf_counter()
    answer = client.post(
        f"/api/v1/initiatives/{key}/raci/import",
        content=body,
        headers={"Content-Type": media},
        params={"create": "true", "create_roles": "true"},
    )
    seconds = time.perf_counter() - began
    answer.raise_for_status()
    return seconds, peak_mb(server.pid), answer.json()["summary"]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rows", type=int, default=2_000)
    parser.add_argument("--roles", type=int, default=12)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--pg-url", default=load.DEFAULT_PG_URL)
    options = parser.parse_args(argv)
    matrix = sheet(options.rows, options.roles)
    bodies = {"csv": (write_csv(matrix).encode(), "text/csv"), "xlsx": (write_xlsx(matrix), XLSX)}
    times: dict[str, list[float]] = {
        f"{kind}_{run}": [] for kind in bodies for run in ("new", "again")
    }
    peaks: dict[str, float] = dict.fromkeys(times, 0.0)
    with (
        load.fresh_database(options.db, options.pg_url) as url,
        Server(url) as server,
        httpx.Client(
            base_url=server.base_url,
            headers=server.headers,
            timeout=600,
            verify=False,  # noqa: S501 (plain HTTP on loopback)
        ) as client,
    ):
        for pair in range(options.pairs):
            order = list(bodies) if pair % 2 == 0 else list(reversed(bodies))
            for kind in order:
                body, media = bodies[kind]
                key = f"sheet-{kind}-{pair}"
                for run in ("new", "again"):
                    seconds, peak, counts = timed_post(client, server, key, body, media)
                    if run == "again" and (counts["created"] or counts["updated"]):
                        raise RuntimeError(f"an unchanged sheet changed cells: {counts}")
                    times[f"{kind}_{run}"].append(seconds)
                    peaks[f"{kind}_{run}"] = max(peaks[f"{kind}_{run}"], peak)
    result: dict[str, Any] = {"db": options.db, "rows": options.rows, "roles": options.roles}
    for name, values in times.items():
        result[f"{name}_s"] = summary(values)
        result[f"{name}_peak_rss_mb"] = round(peaks[name], 1)
    result["goals_met"] = all(
        result[f"{name}_s"]["median"] < GOAL_SECONDS and peaks[name] < GOAL_MB for name in times
    )
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
