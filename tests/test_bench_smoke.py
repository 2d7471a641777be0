"""The benchmark in small: `python -m bench`'s own code end to end on a tiny portfolio, in
seconds, so that CI catches a bench that no longer measures (a key missing, a spread that
makes no sense, the DBA queries disagreeing with the report). The goals are not asserted
here: a tiny portfolio pays fixed per-request costs that the real run spreads out.

On SQLite, or on the PostgreSQL server that RACI_TEST_DATABASE_URL names (the benchmark
creates and drops its own scratch databases there)."""

import json
from pathlib import Path

import pytest

from bench.__main__ import GOALS, MAIN_KEYS, Options, run, write_report
from tests.database import base_url, is_postgres

SPREAD_KEYS = (
    *MAIN_KEYS,
    "findings_vs_dba",
    "raci_at_10x_cost",
    "findings_one_10x_cost",
    "list_vs_peer",
    "findings_one_vs_peer",
    "list_cpu_vs_get",
    "findings_one_cpu_vs_get",
    "put_wide_s",
    "reimport_s",
)


@pytest.fixture(scope="module")
def figures() -> dict:
    url = base_url()
    options = Options(
        db="postgresql" if is_postgres(url) else "sqlite",
        pg_url=url if is_postgres(url) else Options.pg_url,
        scale=60,
        pairs=3,
        import_initiatives=60,
        audit_entries=3_000,
        wide_components=50,
        rounds=1,
        load_s=0.2,
        concurrency=4,
        mixed_s=0,  # the mixed workload's several workers take long to start
        max_requests=2_000,
        load_tool="inline",  # no load generator process to start: seconds, not minutes
        share_servers=True,  # the CSV streamed by the 10N server: one server start fewer
        timeout_s=60.0,
        verbose=False,
    )
    return run(options)


def test_every_figure_is_a_median_between_its_min_and_max(figures: dict) -> None:
    json.dumps(figures)
    for key in SPREAD_KEYS:
        low, median, high = figures[f"{key}_min"], figures[key], figures[f"{key}_max"]
        assert all(isinstance(v, int | float) for v in (low, median, high)), (key, figures)
        assert 0 < low <= median <= high, (key, low, median, high)


def test_the_dba_queries_agree_with_the_report(figures: dict) -> None:
    assert figures["dba_mismatch"] == 0, figures["dba_mismatches"]
    assert figures["findings"] > 0
    assert sum(figures["findings_by_rule"].values()) == figures["findings"]
    assert figures["peer_findings_agree"] is True


def test_memory_and_feed_figures(figures: dict) -> None:
    assert figures["csv_rows"] > 0
    assert figures["csv_scale"] == 600
    # every route the bench drives answered, with a peak of its own
    assert {"dashboard", "export", "reimport", "findings", "list_initiatives"} <= set(
        figures["route_rss_mb"]
    )
    assert figures["max_route_rss_mb_max"] >= max(figures["route_rss_mb"].values()) - 0.1
    assert figures["reimport_changes"] == {}  # the export re-imported changes nothing
    assert figures["audit_entries_paged"] >= 3_000
    assert figures["audit_entries_per_s"] > 0
    assert figures["put_wide_cells"] == 400


def test_nothing_failed_and_every_goal_is_judged(figures: dict) -> None:
    assert figures["failed_requests"] == 0, figures["failures"]
    assert figures["dropped_pairs"] == 0
    expected = set(GOALS) - ({"put_wide_s"} if figures["db"] != "sqlite" else set())
    assert set(figures["goals"]) == expected
    for key, goal in figures["goals"].items():
        if key in ("mixed_errors", "mixed_locked"):  # --mixed-seconds 0
            assert goal["met"] is None and goal["value"] is None
            continue
        assert isinstance(goal["met"], bool), key
        assert goal["value"] is not None, key


def test_the_report_table_names_every_goal(figures: dict, tmp_path: Path) -> None:
    report = tmp_path / "performance.md"
    report.write_text("# Performance\n\nnotes stay\n")
    write_report(report, figures)
    write_report(report, figures)  # replaces its own section, keeps the rest
    text = report.read_text()
    assert text.count(f"<!-- bench:{figures['db']}:start -->") == 1
    assert "notes stay" in text
    for key in figures["goals"]:
        assert f"`{key}`" in text
