"""Random matrices written as CSV, TSV, Markdown and xlsx read back to the same tasks and cells,
whatever the spelling of their letters; and what the writers write."""

import io

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from app.sheets import (
    Matrix,
    MatrixRow,
    ParsedSheet,
    canonical_letters,
    parse_file,
    parse_letters,
    write_csv,
    write_markdown,
    write_tsv,
    write_xlsx,
)
from app.sheets.headers import (
    is_info_header,
    is_label_header,
    is_letters_header,
    is_role_header,
    list_letter,
)
from app.sheets.table import is_legend
from app.sheets.text import clean_label, fold

WORD_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\u00e9\u00e8\u00e0\u00fc\u00df\u00c9\u00e7\u00f1\u0436\u6570"
NAME_CHARS = WORD_CHARS + "0123456789 -.,&'()_*|\"/+"


def label(chars: str, max_size: int) -> st.SearchStrategy[str]:
    return (
        st.text(chars, min_size=1, max_size=max_size)
        .map(lambda text: " ".join(text.split()))
        .filter(lambda text: any(char.isalpha() for char in text))
        .filter(lambda text: clean_label(text) == text and not is_legend([text]))
    )


role_names = label(WORD_CHARS + " 0123456789", 14).filter(
    lambda text: (
        not (
            is_label_header(text)
            or is_info_header(text)
            or is_role_header(text)
            or is_letters_header(text)
            or list_letter(text)
        )
    )
)
task_names = label(NAME_CHARS, 30)


@st.composite
def spelled(draw: st.DrawFn) -> str:
    """A non-empty letter set spelled as people do: any order, case, separators, bold."""
    letters = draw(st.lists(st.sampled_from("ARSCIV"), min_size=1, max_size=4))
    parts = [draw(st.sampled_from([letter, letter.lower()])) for letter in letters]
    separator = draw(st.sampled_from(["", "/", " / ", ",", ", ", "+", " & ", " "]))
    text = separator.join(parts)
    return f"**{text}**" if draw(st.booleans()) else text


@st.composite
def matrices(draw: st.DrawFn) -> Matrix:
    roles = draw(st.lists(role_names, min_size=1, max_size=5, unique_by=fold))
    groups = draw(st.lists(label(WORD_CHARS + " ", 12), max_size=3))
    with_keys = draw(st.booleans())
    count = draw(st.integers(min_value=1, max_value=7))
    rows: list[MatrixRow] = []
    seen: set[tuple[str, str]] = set()
    for number in range(count):
        name = draw(task_names)
        group = draw(st.sampled_from([None, *groups])) if groups else None
        identity = (fold(group or ""), fold(name))
        if identity in seen:
            continue
        seen.add(identity)
        cells = {role: draw(spelled()) for role in roles if draw(st.booleans())}
        notes = {
            role: draw(label(WORD_CHARS + " ", 12))
            for role in cells
            if draw(st.integers(0, 4)) == 0
        }
        key = f"k{number}-{name[:1].lower()}" if with_keys and name[:1].isascii() else None
        rows.append(
            MatrixRow(name, cells, group, key if key and key[-1].isalnum() else None, notes)
        )
    assume(any(row.cells for row in rows))
    return Matrix(roles, rows)


def expected(
    matrix: Matrix,
) -> tuple[list[tuple[str, str | None, str | None]], set[tuple[int, str, str, str | None]]]:
    tasks = [(row.task, row.group, row.key) for row in matrix.rows]
    cells = set()
    for index, row in enumerate(matrix.rows):
        for role, text in row.cells.items():
            parsed = parse_letters(text)
            assert parsed is not None
            cells.add((index, role, parsed.letters, row.notes.get(role)))
    return tasks, cells


def found(
    parsed: ParsedSheet,
) -> tuple[list[tuple[str, str | None, str | None]], set[tuple[int, str, str, str | None]]]:
    tasks = [(task.name, task.group, task.key) for task in parsed.tasks]
    cells = {(cell.task_index, cell.header, cell.letters, cell.note) for cell in parsed.cells}
    return tasks, cells


WRITERS = {
    "csv": lambda matrix: write_csv(matrix).encode(),
    "tsv": lambda matrix: write_tsv(matrix).encode(),
    "md": lambda matrix: write_markdown(matrix).encode(),
    "xlsx": write_xlsx,
}


@pytest.mark.parametrize("fmt", sorted(WRITERS))
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(matrix=matrices())
def test_a_written_matrix_reads_back_to_the_same_tasks_and_cells(fmt: str, matrix: Matrix) -> None:
    parsed = parse_file(WRITERS[fmt](matrix), filename=f"raci.{fmt}")
    assert parsed.shape == "matrix"
    assert found(parsed) == expected(matrix)
    used = [role for role in matrix.roles if any(role in row.cells for row in matrix.rows)]
    assert [header.text for header in parsed.headers] == used
    # Written again from what was read, it reads the same (canonical letters this time).
    again = parse_file(WRITERS[fmt](parsed.to_matrix()), filename=f"raci.{fmt}")
    assert found(again) == found(parsed)


SAMPLE = Matrix(
    ["CIO", "CMO"],
    [
        MatrixRow("Plan", {"CIO": "AR", "CMO": "C"}, group="Build", notes={"CIO": "platform"}),
        MatrixRow('=HYPERLINK("x")', {"CIO": "I", "CMO": "S"}),
        MatrixRow("Retire", {}),
    ],
)


def test_csv_has_a_group_column_formula_guard_and_not_involved_markers() -> None:
    assert write_csv(SAMPLE) == (
        "group,task,CIO,CMO\r\n"
        "Build,Plan,AR (platform),C\r\n"
        ',"\'=HYPERLINK(""x"")",I,S\r\n'
        ",Retire,-,-\r\n"
    )


def test_markdown_escapes_what_markdown_would_read() -> None:
    matrix = Matrix(["QA"], [MatrixRow("a|b *c* _d_ \\", {"QA": "R"})])
    assert (
        write_markdown(matrix) == "| task | QA |\n|---|---|\n| a\\|b \\*c\\* \\_d\\_ \\\\ | R |\n"
    )
    assert parse_file(write_markdown(matrix).encode()).tasks[0].name == "a|b *c* _d_ \\"


def test_writers_refuse_letters_that_are_not_raci() -> None:
    with pytest.raises(ValueError, match="task 'x', role 'QA': 'Q' is not"):
        write_csv(Matrix(["QA"], [MatrixRow("x", {"QA": "Q"})]))


def test_xlsx_fills_letter_cells_with_the_heat_map_and_keeps_formulas_as_text() -> None:
    workbook = load_workbook(io.BytesIO(write_xlsx(SAMPLE)))
    sheet = workbook.active
    assert sheet is not None
    assert sheet.title == "RACI"
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [
        ["group", "task", "CIO", "CMO"],
        ["Build", "Plan", "AR (platform)", "C"],
        [None, '=HYPERLINK("x")', "I", "S"],
        [None, "Retire", "-", "-"],
    ]
    assert sheet["B3"].data_type == "s"
    fills = {ref: sheet[ref].fill.fgColor.rgb for ref in ("C2", "D2", "C3", "D3")}
    assert fills == {"C2": "00F4B6B6", "D2": "00FFE9A8", "C3": "00E3E3E3", "D3": "00CDE8C4"}
    assert sheet["C4"].fill.fill_type is None
    assert sheet["A1"].font.bold
    assert sheet.freeze_panes == "C2"


def test_xlsx_without_colours_has_no_fills_but_the_letters() -> None:
    workbook = load_workbook(io.BytesIO(write_xlsx(SAMPLE, colours=False)))
    sheet = workbook.active
    assert sheet is not None
    assert sheet["C2"].value == "AR (platform)"
    assert all(cell.fill.fill_type is None for row in sheet.iter_rows() for cell in row)


def test_the_letters_written_are_canonical_when_given_canonical() -> None:
    parsed = parse_file(write_tsv(SAMPLE).encode())
    assert {cell.letters for cell in parsed.cells} == {"AR", "C", "I", "S"}
    assert canonical_letters("RA") == "AR"
