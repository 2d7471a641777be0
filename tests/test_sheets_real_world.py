"""The sheets people keep (tests/data/real-world, copied from the shared examples) give exactly
the cells expected.json lists for them."""

import json
import re
from pathlib import Path

import pytest

from app.sheets import ParsedSheet, match_header, parse_file, role_code_from_name

DATA = Path(__file__).parent / "data" / "real-world"
EXPECTED = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))
CASES = {case["file"]: case for case in EXPECTED["cases"]}
KNOWN_ROLES = {
    "CIO": "Chief Information Officer",
    "CMO": "Chief Marketing Officer",
    "CDO": "Chief Data Officer",
    "CEO": "Chief Executive Officer",
}


def task_label(parsed: ParsedSheet, index: int) -> str:
    """A task as expected.json keys it: `group / task` where the sheet groups tasks."""
    task = parsed.tasks[index]
    return f"{task.group} / {task.name}" if task.group else task.name


def cells_of(parsed: ParsedSheet) -> dict[str, dict[str, frozenset[str]]]:
    cells: dict[str, dict[str, frozenset[str]]] = {}
    for cell in parsed.cells:
        row = cells.setdefault(task_label(parsed, cell.task_index), {})
        assert cell.header not in row, f"{cell.header} twice for one task"
        row[cell.header] = frozenset(cell.letters)
    return cells


def parse(name: str) -> ParsedSheet:
    return parse_file((DATA / name).read_bytes(), filename=name)


def test_every_example_file_has_a_case() -> None:
    files = {path.name for path in DATA.iterdir()} - {"expected.json"}
    assert files == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_real_world_sheet_gives_exactly_the_expected_cells(name: str) -> None:
    expected = {
        task: {header: frozenset(letters) for header, letters in row.items()}
        for task, row in CASES[name]["cells"].items()
    }
    assert cells_of(parse(name)) == expected


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_letters_of_every_cell_are_canonical(name: str) -> None:
    order = "ARSCIV"
    for cell in parse(name).cells:
        assert cell.letters == "".join(letter for letter in order if letter in cell.letters)


def test_the_markdown_notes_are_the_cells_rationales() -> None:
    parsed = parse("markdown-annotated.md")
    notes = {
        (task_label(parsed, cell.task_index), cell.header): cell.note
        for cell in parsed.cells
        if cell.note is not None
    }
    expected = CASES["markdown-annotated.md"]["rationales"]
    assert notes == {
        (task, header): note for task, row in expected.items() for header, note in row.items()
    }


@pytest.mark.parametrize(
    ("name", "fmt", "shape"),
    [
        ("semicolon.csv", "csv", "matrix"),
        ("tab.tsv", "tsv", "matrix"),
        ("markdown-annotated.md", "markdown", "matrix"),
        ("list-format.csv", "csv", "list"),
        ("long-format.csv", "csv", "long"),
    ],
)
def test_format_and_shape_are_found(name: str, fmt: str, shape: str) -> None:
    parsed = parse(name)
    assert (parsed.format, parsed.shape) == (fmt, shape)


def test_columns_without_letters_are_named_in_warnings_not_made_roles() -> None:
    markers = parse("not-involved-markers.csv")
    assert [header.text for header in markers.headers] == ["DEV", "QA", "PM"]
    assert markers.warnings == ["column 4 'BIZ' holds no RACI letters: skipped"]
    lookalike = parse("lookalike-letters.csv")
    assert lookalike.warnings == ["column 4 'CDO' holds no RACI letters: skipped"]


def test_cp1252_is_read_and_said() -> None:
    parsed = parse("cp1252.csv")
    assert parsed.tasks[0].name == "Moteur NLU \u00e9t\u00e9"
    assert parsed.warnings == ["the file is not UTF-8: it was read as Windows-1252"]


def test_cells_say_where_they_are() -> None:
    parsed = parse("title-and-legend.csv")
    assert [(c.header, c.letters, c.line, c.column) for c in parsed.cells] == [
        ("CIO", "A", 4, 2),
        ("CMO", "R", 4, 3),
    ]
    assert parsed.tasks[0].line == 4
    assert parsed.tasks[0].key == "nlu"  # the `component` column is also the key


def test_a_task_under_two_groups_is_two_tasks() -> None:
    parsed = parse("phase-rows-repeated-task.csv")
    assert [(t.group, t.name, t.line) for t in parsed.tasks] == [
        ("PLANNING PHASE", "Triggering", 3),
        ("PLANNING PHASE", "Maintenance", 4),
        ("RUN PHASE", "Triggering", 6),
    ]


@pytest.mark.parametrize(
    "name", sorted(name for name, case in CASES.items() if case.get("create_roles"))
)
def test_headers_of_roles_to_create_give_valid_distinct_codes(name: str) -> None:
    taken: set[str] = set()
    for header in parse(name).headers:
        code = role_code_from_name(header.text, taken)
        assert re.fullmatch(r"[A-Z][A-Z0-9_]{1,15}", code)
        assert code not in taken
        taken.add(code)


@pytest.mark.parametrize(
    "name", sorted(name for name, case in CASES.items() if not case.get("create_roles"))
)
def test_headers_of_existing_roles_match_them(name: str) -> None:
    for header in parse(name).headers:
        assert match_header(header.text, KNOWN_ROLES) == header.text
