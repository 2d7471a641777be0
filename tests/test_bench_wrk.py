"""bench.wrk: the C load generator's figures come back whole, and failures count as errors.

Needs Debian's `wrk` (.ci/run installs it); skipped where it is missing, as `python -m
bench` then falls back to bench.loadgen."""

from collections.abc import Iterator

import pytest

from bench import load, wrk
from bench.server import Server

pytestmark = pytest.mark.skipif(not wrk.available(), reason="wrk is not installed")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with load.fresh_database("sqlite") as url, Server(url) as running:
        yield running


def test_figures_of_an_authorised_run(server: Server) -> None:
    result = wrk.run(
        server.base_url,
        ["/healthz", "/api/v1/roles", "/api/v1/roles/CMO"],
        server.headers,
        concurrency=2,
        seconds=1,
    )
    assert result["tool"] == "wrk"
    assert result["requests"] > 10
    assert result["errors"] == 0
    assert result["rps"] > 0
    assert 0 < result["p50_ms"] <= result["p90_ms"] <= result["p99_ms"] <= result["max_ms"]


def test_refused_requests_are_errors(server: Server) -> None:
    # No key: every answer is a 401, and the benchmark must not take those as throughput.
    result = wrk.run(server.base_url, ["/api/v1/roles"], {}, concurrency=2, seconds=1)
    assert result["requests"] > 0
    assert result["errors"] == result["requests"]
