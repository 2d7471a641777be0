"""`python -m bench.agreements --db sqlite|postgresql [--components 125] [--repeats 5]`

Agreement decisions through a real server: an initiative of `components` components with a
cell for each of the four seeded roles (500 cells by default), then `POST /api/v1/agreements`
naming every cell in one call (`cells` form), alternately agreeing and disputing, `repeats`
times; and once per role the `initiative` + `role` form. The median, min and max of each are
printed as one JSON line.

Goal (issue 19): 500 cells agreed in one call in under 1 s on SQLite on this machine.
"""

import argparse
import json
import statistics
import sys
import time
from typing import Any

import httpx

from bench import load
from bench.server import Server

ROLES = ("CDO", "CEO", "CIO", "CMO")
LETTERS = ("A", "R", "C", "I")
GOAL_SECONDS = 1.0


def initiative(components: int) -> dict[str, Any]:
    """One initiative whose every component has a cell per role (one A, one R, one C, one I)."""
    return {
        "name": "Agreement benchmark",
        "status": "active",
        "components": [
            {
                "key": f"c{number:05d}",
                "name": f"Component {number}",
                "raci": {role: LETTERS[(number + i) % 4] for i, role in enumerate(ROLES)},
            }
            for number in range(components)
        ],
    }


def timed(client: httpx.Client, body: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    began = time.perf_counter()
    answer = client.post("/api/v1/agreements", json=body)
    seconds = time.perf_counter() - began
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    if result["refused"]:
        raise RuntimeError(f"{result['refused']} cells refused")
    return seconds, result


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--components", type=int, default=125)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pg-url", default=load.DEFAULT_PG_URL)
    options = parser.parse_args(argv)
    cells = [
        {"initiative": "bench-agreements", "component": f"c{number:05d}", "role": role}
        for number in range(options.components)
        for role in ROLES
    ]
    list_times: list[float] = []
    role_times: list[float] = []
    with (
        load.fresh_database(options.db, options.pg_url, "_agreements") as url,
        Server(url) as server,
        httpx.Client(base_url=server.base_url, headers=server.headers, timeout=600) as client,
    ):
        created = client.put(
            "/api/v1/initiatives/bench-agreements", json=initiative(options.components)
        )
        created.raise_for_status()
        for repeat in range(options.repeats):
            decision = (
                {"decision": "agree"}
                if repeat % 2 == 0
                else {"decision": "dispute", "comment": "Not as proposed."}
            )
            seconds, result = timed(client, {**decision, "cells": cells})
            if result["decided"] != len(cells):
                raise RuntimeError(f"decided {result['decided']} of {len(cells)} cells")
            list_times.append(seconds)
        for role in ROLES:
            body = {"decision": "agree", "initiative": "bench-agreements", "role": role}
            role_times.append(timed(client, body)[0])
    result_line: dict[str, Any] = {
        "db": options.db,
        "cells": len(cells),
        "cells_form_s": summary(list_times),
        "role_form_s": summary(role_times),
        "goal_met": statistics.median(list_times) < GOAL_SECONDS,
    }
    sys.stdout.write(json.dumps(result_line) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
