"""`python -m bench.sheets` runs end to end on a tiny sheet and reports every figure."""

import json

import pytest

from bench import sheets


def test_the_sheet_benchmark_reports_times_and_peaks_for_both_formats(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert sheets.main(["--db", "sqlite", "--rows", "30", "--roles", "3", "--pairs", "1"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for name in ("csv_new", "csv_again", "xlsx_new", "xlsx_again"):
        figures = result[f"{name}_s"]
        assert 0 < figures["min"] <= figures["median"] <= figures["max"]
        assert result[f"{name}_peak_rss_mb"] > 0
    assert isinstance(result["goals_met"], bool)


def test_the_generated_sheet_has_the_asked_size_and_groups() -> None:
    matrix = sheets.sheet(450, 5)
    assert len(matrix.rows) == 450 and len(matrix.roles) == 5
    assert {row.group for row in matrix.rows} == {"Phase 1", "Phase 2", "Phase 3"}
