"""Telling a table's shape from its header (and values), and cells that are letters from text."""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.core.letters import parse_letters
from app.sheets.errors import LetterError
from app.sheets.headers import is_letters_header, is_role_header, list_letter
from app.sheets.model import Shape, SheetRow
from app.sheets.table import find_header
from app.sheets.text import clean_label

_TRAILING_NOTE = re.compile(r"\s*[(\[].*[)\]]\s*$", re.DOTALL)
_LETTER_SEPARATORS = re.compile(r"[\s/,+&]+")


def detect_shape(header: Sequence[str], rows: Sequence[SheetRow] = ()) -> Shape:
    """`long` with a role and a letters column (`Task | Role | RACI`), `list` with two or more
    letter columns (`Task | Responsible | Accountable`) naming roles, else `matrix`.

    Letter columns whose values are all RACI letters are roles of a matrix (a role may be
    called `Support`): a list form names roles in them.
    """
    if any(map(is_role_header, header)) and any(map(is_letters_header, header)):
        return "long"
    columns = [column for column, text in enumerate(header) if list_letter(text) is not None]
    if len(columns) < 2:
        return "matrix"
    values = [row.values[c] for row in rows for c in columns if c < len(row.values)]
    if any(map(has_letters, values)) and all(map(letters_or_none, values)):
        return "matrix"
    return "list"


def holds_raci_table(rows: Sequence[SheetRow]) -> bool:
    """Whether rows hold a RACI table: a header in the list or long form, or a header followed
    by a row with a RACI letters value after its first column."""
    start = find_header(rows)
    if start is None:
        return False
    header = [clean_label(value) for value in rows[start].values]
    if detect_shape(header, rows[start + 1 :]) != "matrix":
        return True
    return any(has_letters(value) for row in rows[start + 1 :] for value in row.values[1:])


def has_letters(value: str) -> bool:
    """Whether a value is RACI letters (not no cell, not an error)."""
    try:
        return parse_letters(value) is not None
    except LetterError:
        return False


def letters_or_none(value: str) -> bool:
    """Whether a value is RACI letters or no cell (blank, `-`, `N/A`)."""
    try:
        parse_letters(value)
    except LetterError:
        return False
    return True


def looks_like_letters(value: str) -> bool:
    """Whether a value that is not RACI letters was meant as some (`R/X`, `Ж`, `AX`) rather
    than being text (`Done`, `see below`): one to six tokens of one or two characters."""
    try:
        return parse_letters(value) is not None
    except LetterError:
        pass
    value = _TRAILING_NOTE.sub("", value).replace("*", "").replace("_", "").strip()
    tokens = [token for token in _LETTER_SEPARATORS.split(value) if token]
    return 0 < len(tokens) <= 6 and all(len(token) <= 2 for token in tokens)
