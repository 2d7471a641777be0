"""`python -m bench.agreements` runs end to end on a small initiative and reports its figures."""

import json

import pytest

from bench import agreements


def test_the_agreements_benchmark_reports_both_forms(capsys: pytest.CaptureFixture[str]) -> None:
    assert agreements.main(["--db", "sqlite", "--components", "5", "--repeats", "2"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["cells"] == 20
    for name in ("cells_form_s", "role_form_s"):
        figures = result[name]
        assert 0 < figures["min"] <= figures["median"] <= figures["max"]
    assert isinstance(result["goal_met"], bool)


def test_the_benchmark_initiative_has_a_cell_per_role_on_every_component() -> None:
    document = agreements.initiative(3)
    assert [len(c["raci"]) for c in document["components"]] == [4, 4, 4]
