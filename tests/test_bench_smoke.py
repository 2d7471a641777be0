"""The benchmark in small: the same code as `python -m bench`, in seconds, so that CI fails
when a ratio regresses far past its goal (the bounds here are wide: small portfolios pay
fixed per-request costs that the real run, at 10,000 initiatives, spreads out).

On SQLite, or on the PostgreSQL server that RACI_TEST_DATABASE_URL names (the benchmark
creates and drops its own scratch databases there)."""

import json
from pathlib import Path

import pytest

from bench.__main__ import GOALS, Options, run, write_report
from tests.database import base_url, is_postgres

# Wide margins around the goals of docs/performance.md.
SMOKE_BOUNDS = {
    "findings_vs_floor": 10.0,
    "import_vs_raw": 15.0,
    "throughput_vs_bare": 0.1,
    "csv_peak_rss_mb": 300.0,
}


@pytest.fixture(scope="module")
def figures() -> dict:
    url = base_url()
    options = Options(
        db="postgresql" if is_postgres(url) else "sqlite",
        pg_url=url if is_postgres(url) else Options.pg_url,
        scale=2_000,
        skip_10x=True,
        repeats=2,
        import_initiatives=400,
        import_rounds=1,
        load_s=0.5,
        load_rounds=2,
        concurrency=4,
        mixed_s=1.0,
        max_requests=2_000,
        share_servers=True,
        # The Python load generator, wherever wrk is installed: the bound above is for its
        # figures (wrk drives /healthz much harder, so its ratio is lower; see the docs).
        load_tool="httpx",
        verbose=False,
    )
    return run(options)


def test_the_json_line_has_every_figure(figures: dict) -> None:
    for key in (
        "db",
        "scale",
        "findings_s",
        "floor_s",
        "findings_vs_floor",
        "scale_10x_cost",
        "import_vs_raw",
        "throughput_vs_bare",
        "p99_ms",
        "csv_peak_rss_mb",
        "mixed_errors",
        "mixed_locked",
    ):
        assert key in figures, key
    json.dumps(figures)
    assert figures["scale_10x_cost"] is None
    assert figures["cells"] > 6_000
    assert figures["findings"] > 0
    assert figures["csv_rows"] == figures["findings"]
    assert figures["load_tool"] == "httpx"  # as the fixture asked


def test_ratios_stay_far_from_regressions(figures: dict) -> None:
    assert figures["findings_vs_floor"] < SMOKE_BOUNDS["findings_vs_floor"], figures
    assert figures["import_vs_raw"] < SMOKE_BOUNDS["import_vs_raw"], figures
    assert figures["throughput_vs_bare"] > SMOKE_BOUNDS["throughput_vs_bare"], figures
    assert figures["csv_peak_rss_mb"] < SMOKE_BOUNDS["csv_peak_rss_mb"], figures


def test_mixed_workload_has_no_errors(figures: dict) -> None:
    assert figures["mixed_requests"] > 0
    assert figures["mixed_errors"] == 0, figures["mixed_statuses"]
    assert figures["mixed_locked"] == 0


def test_the_report_table_names_every_goal(figures: dict, tmp_path: Path) -> None:
    report = tmp_path / "performance.md"
    report.write_text("# Performance\n\nnotes stay\n")
    write_report(report, figures)
    write_report(report, figures)  # replaces its own section, keeps the rest
    text = report.read_text()
    assert text.count(f"<!-- bench:{figures['db']}:start -->") == 1
    assert "notes stay" in text
    for key in GOALS:
        assert f"`{key}`" in text
