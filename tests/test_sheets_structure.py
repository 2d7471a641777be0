"""Finding the table and its shape: titles, legends, skipped columns, group rows, the matrix,
list and long forms, formats found from content, name and content type, and worksheets."""

import codecs
import io

import pytest
from openpyxl import Workbook
from openpyxl.styles import PatternFill

from app.sheets import ParsedSheet, SheetErrors, SheetRow, parse_file, read_sheet


def cells(parsed: ParsedSheet) -> dict[tuple[str | None, str, str], str]:
    out = {}
    for cell in parsed.cells:
        task = parsed.tasks[cell.task_index]
        out[(task.group, task.name, cell.header)] = cell.letters
    return out


def workbook_bytes(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_titles_metadata_blank_rows_and_legend_lines_are_skipped() -> None:
    text = (
        "RACI matrix: support chatbot\n"
        "Owner:,PMO\n"
        "\n"
        "Task,CIO,CMO\n"
        "nlu,A,R\n"
        ",,\n"
        "crm,R,A\n"
        "\n"
        "Legend: R = Responsible\n"
        "A = Accountable,C = Consulted,I = Informed\n"
    )
    parsed = parse_file(text.encode())
    assert cells(parsed) == {
        (None, "nlu", "CIO"): "A",
        (None, "nlu", "CMO"): "R",
        (None, "crm", "CIO"): "R",
        (None, "crm", "CMO"): "A",
    }
    assert [task.line for task in parsed.tasks] == [5, 7]
    assert parsed.warnings == []


def test_columns_without_letters_are_skipped_with_a_warning_those_with_are_roles() -> None:
    text = "Task,CIO,Status,CMO,Notes,Comments\nnlu,A,OK,R,see the charter,\ncrm,R,Done,A,,C\n"
    parsed = parse_file(text.encode())
    assert [header.text for header in parsed.headers] == ["CIO", "CMO", "Comments"]
    assert parsed.warnings == [
        "column 3 'Status' holds no RACI letters: skipped",
        "column 5 'Notes' holds no RACI letters: skipped",
    ]
    assert cells(parsed)[(None, "crm", "Comments")] == "C"  # a column holding letters is a role


def test_a_status_column_is_never_a_role_but_a_notes_column_with_text_is_skipped() -> None:
    parsed = parse_file(b"Task,CIO,CMO,Status,Notes\nnlu,A,R,OK,see charter\n")
    assert [header.text for header in parsed.headers] == ["CIO", "CMO"]
    assert parsed.warnings == [
        "column 4 'Status' holds no RACI letters: skipped",
        "column 5 'Notes' holds no RACI letters: skipped",
    ]


def test_group_rows_set_the_group_and_a_group_without_tasks_is_a_warning() -> None:
    text = "Task,CIO,CMO\nPLAN,,\nScope,A,R\nEMPTY PHASE,,\nRUN,,\nOperate,R,A\nTOTALS,,\n"
    parsed = parse_file(text.encode())
    assert [(task.group, task.name) for task in parsed.tasks] == [
        ("PLAN", "Scope"),
        ("RUN", "Operate"),
    ]
    assert parsed.warnings == [
        "line 4: 'EMPTY PHASE' has no letters and no task under it: skipped",
        "line 7: 'TOTALS' has no letters and no task under it: skipped",
    ]


def test_a_task_with_only_not_involved_markers_is_a_task_without_cells() -> None:
    parsed = parse_file("Task,CIO,CMO\nnlu,A,R\nArchive,-,\u2014\n".encode())
    assert [task.name for task in parsed.tasks] == ["nlu", "Archive"]
    assert len(parsed.cells) == 2


def test_a_key_column_and_a_group_column_beside_the_task() -> None:
    text = "key,phase,Task,CIO,CMO\nnlu,Build,Moteur NLU,A,R\nnlu-run,Run,Moteur NLU,R,A\n"
    parsed = parse_file(text.encode())
    assert [(t.key, t.group, t.name) for t in parsed.tasks] == [
        ("nlu", "Build", "Moteur NLU"),
        ("nlu-run", "Run", "Moteur NLU"),
    ]
    assert [header.text for header in parsed.headers] == ["CIO", "CMO"]


def test_roles_named_like_list_columns_are_roles_when_they_hold_letters() -> None:
    parsed = parse_file(b"Activity,Dev,Support,Verification\nDeploy,R,A,V\nTest,-,C,**V**\n")
    assert parsed.shape == "matrix"
    assert [header.text for header in parsed.headers] == ["Dev", "Support", "Verification"]
    assert cells(parsed)[(None, "Test", "Verification")] == "V"


def test_list_form_with_abbreviations_supports_verifies_and_notes() -> None:
    text = (
        "Deliverable,Resp.,Acc.,Supports,Cons.,Inf.,Verifier,Notes\n"
        "Go-live,Dev + Ops,CIO (sign-off),QA,CMO & CDO,,Audit,big day\n"
        "Budget,CFO,CFO,,CIO/CMO,CEO; Board,,\n"
    )
    parsed = parse_file(text.encode())
    assert parsed.shape == "list"
    assert cells(parsed) == {
        (None, "Go-live", "Dev"): "R",
        (None, "Go-live", "Ops"): "R",
        (None, "Go-live", "CIO"): "A",
        (None, "Go-live", "QA"): "S",
        (None, "Go-live", "CMO"): "C",
        (None, "Go-live", "CDO"): "C",
        (None, "Go-live", "Audit"): "V",
        (None, "Budget", "CFO"): "AR",
        (None, "Budget", "CIO"): "C",
        (None, "Budget", "CMO"): "C",
        (None, "Budget", "CEO"): "I",
        (None, "Budget", "Board"): "I",
    }
    assert [c.note for c in parsed.cells if c.header == "CIO" and c.letters == "A"] == ["sign-off"]
    assert parsed.warnings == ["column 8 'Notes' is not a RACI column: skipped"]


def test_list_form_headers_keep_the_first_spelling_and_merge_case() -> None:
    parsed = parse_file(b"Task,Responsible,Accountable\nx,Tech Lead,tech lead\n")
    assert [(h.text, h.column) for h in parsed.headers] == [("Tech Lead", 2)]
    assert cells(parsed) == {(None, "x", "Tech Lead"): "AR"}


def test_long_form_merges_rows_and_keeps_the_note_column() -> None:
    text = (
        "Phase,Activity,Who,RACI,Rationale\n"
        "Build,Code,Dev,R,writes it\n"
        "Build,Code,Dev,A,\n"
        "Build,Code,QA,c (reviews),\n"
        "Run,Code,Ops,-,\n"
    )
    parsed = parse_file(text.encode())
    assert parsed.shape == "long"
    assert [(t.group, t.name) for t in parsed.tasks] == [("Build", "Code"), ("Run", "Code")]
    assert [(c.header, c.letters, c.note, c.line, c.column) for c in parsed.cells] == [
        ("Dev", "AR", "writes it", 2, 4),
        ("QA", "C", "reviews", 4, 4),
    ]
    assert [(h.text, h.column) for h in parsed.headers] == [("Dev", 3), ("QA", 3)]


def test_markdown_is_found_from_content_and_text_around_it_skipped() -> None:
    text = (
        "# RACI\n\nSome words | with a pipe.\n\n"
        "| Task | CIO | CMO |\n| --- | :-: | --: |\n| **Plan** \\| scope | _A_ | R |\n\n"
        "R = Responsible\n"
    )
    sheet = read_sheet(text.encode())
    assert sheet.format == "markdown"
    assert sheet.rows == (
        SheetRow(5, ("Task", "CIO", "CMO")),
        SheetRow(7, ("Plan | scope", "A", "R")),
    )


def test_markdown_picks_the_first_table_holding_letters() -> None:
    text = (
        "| Field | Value |\n|---|---|\n| owner | PMO |\n\n| Task | CIO |\n|---|---|\n| nlu | A |\n"
    )
    parsed = parse_file(text.encode(), filename="raci.md")
    assert cells(parsed) == {(None, "nlu", "CIO"): "A"}
    assert parsed.cells[0].line == 7


@pytest.mark.parametrize(
    ("data", "kwargs", "fmt"),
    [
        (b"Task\tCIO\nnlu\tA\n", {}, "tsv"),
        (b"Task;CIO\nnlu;A\n", {"filename": "x.csv"}, "csv"),
        (b"Task,CIO\nnlu,A\n", {"filename": "x.tsv"}, "tsv"),
        (b"|a|b|\n|-|-|\n", {"content_type": "text/csv"}, "csv"),
        (b"Task,CIO\nnlu,A\n", {"content_type": "text/markdown; charset=utf-8"}, "markdown"),
    ],
)
def test_the_format_comes_from_content_name_and_content_type(
    data: bytes, kwargs: dict[str, str], fmt: str
) -> None:
    if fmt == "markdown":
        with pytest.raises(SheetErrors, match="no Markdown pipe table"):
            read_sheet(data, **kwargs)
    else:
        assert read_sheet(data, **kwargs).format == fmt


def test_bom_crlf_and_utf16_excel_text_are_read() -> None:
    utf8 = codecs.BOM_UTF8 + "Task,CIO\r\nValidation s\u00e9curit\u00e9,A\r\n".encode()
    utf16 = "Task\tCIO\r\nValidation s\u00e9curit\u00e9\tA\r\n".encode("utf-16")
    for data in (utf8, utf16):
        parsed = parse_file(data)
        assert cells(parsed) == {(None, "Validation s\u00e9curit\u00e9", "CIO"): "A"}
        assert parsed.cells[0].line == 2


def test_a_formula_guard_apostrophe_is_dropped_in_csv() -> None:
    parsed = parse_file(b"Task,CIO\n'=SUM(A1),A\n'-1 day,R\n")
    assert [task.name for task in parsed.tasks] == ["=SUM(A1)", "-1 day"]


def test_a_workbook_is_read_from_its_first_worksheet_holding_a_raci_table() -> None:
    workbook = Workbook()
    cover = workbook.active
    assert cover is not None
    cover.title = "Cover"
    cover.append(["About", "This workbook"])
    cover.append(["Owner", "PMO"])
    sheet = workbook.create_sheet("Matrix")
    sheet["B2"] = "RACI \u2014 Support chatbot"
    sheet.merge_cells("B2:E2")
    sheet.append([])
    sheet.append([None, "Task", "CIO", "CMO", "Notes"])
    sheet.append([None, "PLANNING"])
    sheet.merge_cells("B5:E5")
    sheet.append([None, "Scope", "A/R", "c", "agreed"])
    sheet.append([None, 2024, "I", "A"])
    sheet["C7"].fill = PatternFill(fill_type="solid", start_color="FF0000", end_color="FF0000")
    sheet.append([])
    sheet.append([None, "Legend: R = Responsible"])
    parsed = parse_file(workbook_bytes(workbook), filename="raci.xlsx")
    assert parsed.format == "xlsx"
    assert cells(parsed) == {
        ("PLANNING", "Scope", "CIO"): "AR",
        ("PLANNING", "Scope", "CMO"): "C",
        ("PLANNING", "2024", "CIO"): "I",
        ("PLANNING", "2024", "CMO"): "A",
    }
    assert [(c.line, c.column) for c in parsed.cells] == [(6, 3), (6, 4), (7, 3), (7, 4)]
    assert parsed.warnings == [
        "worksheet 'Matrix' was read: the first one holding a RACI table",
        "column 5 'Notes' holds no RACI letters: skipped",
    ]


def test_worksheet_values_that_are_not_text_are_read_as_text() -> None:
    from datetime import date

    from app.sheets.xlsx import cell_text

    assert [cell_text(v) for v in (None, " A ", 3.0, 2.5, True, date(2024, 5, 1), 7)] == [
        "",
        "A",
        "3",
        "2.5",
        "TRUE",
        "2024-05-01",
        "7",
    ]
