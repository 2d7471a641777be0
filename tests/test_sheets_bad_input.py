"""Every bad input is an error naming its line, column, value and what is wrong; never dropped."""

import io
import zipfile

import pytest
from openpyxl import Workbook

from app.sheets import (
    SheetError,
    SheetErrors,
    ZipLimits,
    check_workbook_zip,
    parse_file,
    read_sheet,
)

ALLOWED = "(A, R, S, C, I, V separated by / , + & or spaces)"


def errors_of(data: bytes, **kwargs: str) -> list[SheetError]:
    with pytest.raises(SheetErrors) as caught:
        parse_file(data, **kwargs)
    return caught.value.errors


def only_error(data: bytes, **kwargs: str) -> SheetError:
    errors = errors_of(data, **kwargs)
    assert len(errors) == 1, errors
    return errors[0]


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_a_short_row_is_an_error_at_its_first_missing_cell() -> None:
    assert only_error(b"Task,CIO,CMO\r\nnlu,A\r\ncrm,R,A\r\n") == SheetError(
        2, 3, None, "the row has 2 cells but the header (line 1) has 3: a cell is missing"
    )


def test_a_long_row_is_an_error_at_its_first_extra_value() -> None:
    assert only_error(b"Task,CIO,CMO\nnlu,A,R,,I\n") == SheetError(
        2,
        5,
        "I",
        "the row has 5 cells but the header (line 1) has 3: a value beyond the last column",
    )


def test_a_long_row_in_a_worksheet_is_an_error() -> None:
    data = xlsx([["Task", "CIO", "CMO"], ["nlu", "A", "R"], ["crm", "R", "A", "C"]])
    assert only_error(data) == SheetError(
        3,
        4,
        "C",
        "the row has 4 cells but the header (line 1) has 3: a value beyond the last column",
    )


def test_a_short_markdown_row_is_an_error() -> None:
    text = "Intro text\n\n| Task | CIO | CMO |\n|---|---|---|\n| nlu | A |\n"
    assert only_error(text.encode()) == SheetError(
        5, 3, None, "the row has 2 cells but the header (line 3) has 3: a cell is missing"
    )


def test_text_after_a_closing_quote_is_an_error() -> None:
    assert only_error(b'Task,CIO,CMO\nnlu,"A"R,C\n') == SheetError(
        2, 2, '"A"R', 'text after the closing " of a quoted field (write a " inside a field as "")'
    )


def test_a_quote_never_closed_is_an_error_where_it_opens() -> None:
    assert only_error(b'Task,CIO\nnlu,R\ncrm,"A\nbot,R\n') == SheetError(
        3, 2, '"A', 'a quoted field is never closed: its opening " has no closing "'
    )


def test_a_broken_quote_after_a_multi_line_field_names_its_physical_line() -> None:
    data = b'Task,CIO,CMO\n"Two\nlines",A,R\nnlu,R,"A"x\n'
    assert only_error(data) == SheetError(
        4, 3, '"A"x', 'text after the closing " of a quoted field (write a " inside a field as "")'
    )


def test_an_unknown_letter_names_its_code_point() -> None:
    error = only_error("Task,CIO,CMO\nnlu,A,R\ncrm,\u0416,A\n".encode())
    assert (error.line, error.column, error.value) == (3, 2, "\u0416")
    assert error.msg == (
        "'\u0416' is not a set of RACI letters: "
        f"'\u0416' (U+0416 CYRILLIC CAPITAL LETTER ZHE) is not a RACI letter {ALLOWED}"
    )


def test_an_unknown_ascii_letter_is_an_error() -> None:
    error = only_error(b"Task,CIO,CMO\nnlu,A,R/X\n")
    assert error == SheetError(
        2, 3, "R/X", f"'R/X' is not a set of RACI letters: 'X' is not a RACI letter {ALLOWED}"
    )


def test_a_cyrillic_look_alike_is_accepted() -> None:
    parsed = parse_file("Task,CIO,CMO\nnlu,\u0410/\u0421,\u0456\n".encode())
    assert [(cell.header, cell.letters) for cell in parsed.cells] == [("CIO", "AC"), ("CMO", "I")]


def test_a_role_column_whose_only_value_is_a_typo_is_not_skipped() -> None:
    assert errors_of(b"Task,CIO,CMO\nnlu,A,R/X\n") == [
        SheetError(
            2, 3, "R/X", f"'R/X' is not a set of RACI letters: 'X' is not a RACI letter {ALLOWED}"
        )
    ]
    assert errors_of("Task,CIO\nnlu,\u0416\n".encode()) == [
        SheetError(
            2,
            2,
            "\u0416",
            "'\u0416' is not a set of RACI letters: "
            f"'\u0416' (U+0416 CYRILLIC CAPITAL LETTER ZHE) is not a RACI letter {ALLOWED}",
        ),
    ]


def test_a_sheet_without_any_letters_says_why() -> None:
    assert errors_of(b"Task,Notes\nnlu,ask the team\n") == [
        SheetError(1, None, None, "no column holds RACI letters (A, R, S, C, I, V)"),
        SheetError(
            2,
            2,
            "ask the team",
            "'ask the team' is not a set of RACI letters: 'k', 't', 'h', 'e', 'm' are not RACI "
            f"letters {ALLOWED}",
        ),
    ]


def test_bytes_neither_utf8_nor_cp1252_are_an_error() -> None:
    assert only_error(b"Task;CIO\nnlu;A\ncrm\x81x;R\n") == SheetError(
        3,
        1,
        "crm\\x81x",
        "byte 0x81 is neither UTF-8 nor Windows-1252 text: save the file as UTF-8",
    )


def test_binary_data_is_not_text() -> None:
    assert only_error(b"Task,CIO\x00\x01") == SheetError(
        None, None, None, "binary data (NUL bytes): not a CSV, TSV or Markdown text file"
    )


def test_an_empty_file_is_an_error() -> None:
    assert only_error(b" \r\n") == SheetError(None, None, None, "the file is empty")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"filename": "raci.xlsx"},
        {"content_type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    ],
)
def test_a_file_said_to_be_xlsx_that_is_not_a_zip_is_refused(kwargs: dict[str, str]) -> None:
    assert only_error(b"Task,CIO\nnlu,A\n", **kwargs) == SheetError(
        None, None, None, "not an xlsx file: an xlsx workbook is a zip archive, this is not"
    )


def test_a_damaged_zip_is_refused() -> None:
    error = only_error(b"PK\x03\x04" + b"\x00" * 40)
    assert (error.line, error.column, error.value) == (None, None, None)
    assert error.msg.startswith("not an xlsx file: a damaged zip archive")


def test_an_encrypted_workbook_is_refused_by_its_ole_header() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    assert only_error(data, filename="raci.xlsx") == SheetError(
        None,
        None,
        None,
        "an encrypted (password-protected) workbook or a legacy .xls file (OLE compound file): "
        "save it as .xlsx without a password",
    )


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_a_zip_bomb_is_refused_by_its_ratio_before_openpyxl_opens_it() -> None:
    data = zip_of(
        {"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": b"\x00" * (20 << 20)}
    )
    error = only_error(data)
    assert (error.line, error.column, error.value) == (None, None, None)
    assert error.msg.startswith("refused: the workbook unpacks to ")
    assert error.msg.endswith(" times its compressed size, more than 100 (zip bomb?)")


def test_a_bomb_hidden_among_incompressible_members_is_refused_by_its_own_ratio() -> None:
    import os

    data = zip_of(
        {"xl/media/image1.png": os.urandom(1 << 20), "xl/worksheets/sheet1.xml": b" " * (8 << 20)}
    )
    with pytest.raises(SheetErrors) as caught:
        check_workbook_zip(data)
    assert caught.value.errors[0].msg.startswith("refused: xl/worksheets/sheet1.xml unpacks to ")


def test_a_zip_unpacking_to_too_much_is_refused() -> None:
    data = zip_of({"xl/worksheets/sheet1.xml": b"<worksheet/>" * 100})
    with pytest.raises(SheetErrors) as caught:
        check_workbook_zip(data, ZipLimits(max_uncompressed=1000))
    assert caught.value.errors == [
        SheetError(
            None,
            None,
            None,
            "refused: the workbook would unpack to 0.0 MiB, more than 0.000953674 MiB (zip bomb?)",
        )
    ]


def test_a_zip_without_a_worksheet_is_refused() -> None:
    data = zip_of({"[Content_Types].xml": b"<Types/>", "xl/vbaProject.bin": b"macro" * 10})
    assert only_error(data, filename="macros.xlsm") == SheetError(
        None,
        None,
        None,
        "a zip archive without a worksheet (xl/worksheets/...): not an xlsx workbook",
    )


def test_a_zip_with_a_worksheet_part_openpyxl_cannot_read_is_refused() -> None:
    data = zip_of({"xl/worksheets/sheet1.xml": b"<worksheet/>"})
    error = only_error(data)
    assert error.msg.startswith("not a readable xlsx workbook: ")


def test_no_header_is_an_error() -> None:
    assert only_error(b"just a title\n\nand a line\n") == SheetError(
        1, None, None, "no table: no row has a header of two or more columns"
    )


def test_every_error_of_a_sheet_is_reported_at_once_in_line_order() -> None:
    data = b"Task,CIO,CMO\nnlu,A\nbot,B,R\nfaq,A,R,I\nbot,A,R\n,A,C\n"
    assert errors_of(data) == [
        SheetError(
            2, 3, None, "the row has 2 cells but the header (line 1) has 3: a cell is missing"
        ),
        SheetError(
            3, 2, "B", f"'B' is not a set of RACI letters: 'B' is not a RACI letter {ALLOWED}"
        ),
        SheetError(
            4,
            4,
            "I",
            "the row has 4 cells but the header (line 1) has 3: a value beyond the last column",
        ),
        SheetError(5, 1, "bot", "the task 'bot' is already on line 3"),
        SheetError(6, 1, None, "the row has RACI cells but no task name"),
    ]


def test_letters_under_no_header_and_a_header_twice_are_errors() -> None:
    data = b"Task,CIO,,cio\nnlu,A,R,C\n"
    assert errors_of(data) == [
        SheetError(1, 3, None, "a column holding RACI letters has no header"),
        SheetError(1, 4, "cio", "the header 'cio' is also column 2"),
    ]


def test_long_form_letters_without_a_role_are_an_error() -> None:
    data = b"Task,Role,RACI\nnlu,CIO,A\nnlu,,R\n"
    assert only_error(data) == SheetError(3, 2, None, "the letters 'R' have no role")


def test_the_error_message_lists_where_it_is() -> None:
    with pytest.raises(SheetErrors) as caught:
        read_sheet(b'Task,CIO\nnlu,"A"R\n')
    assert str(caught.value) == (
        'line 2, column 2: text after the closing " of a quoted field (write a " inside a field as "")'
    )
