"""The identifier and value types shared by every schema: keys, role codes, RACI values."""

import re
import unicodedata
from datetime import UTC, date, datetime, time
from itertools import combinations
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StringConstraints
from typing_extensions import TypeAliasType

from app.core.letters import LETTER_ORDER, LetterError, parse_letters

KEY_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
ROLE_CODE_PATTERN = r"^[A-Z][A-Z0-9_]{1,15}$"
# What a client may send for a role code: lower case is upper-cased.
ROLE_CODE_INPUT_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{1,15}$"

Key = Annotated[
    str,
    StringConstraints(pattern=KEY_PATTERN, max_length=64),
    Field(examples=["support-chatbot"]),
]


def upper_if_str(value: Any) -> Any:
    # ASCII only: "\u0131".upper() is "I", and a code that is not ASCII must stay refused.
    return value.upper() if isinstance(value, str) and value.isascii() else value


RoleCode = Annotated[
    str,
    BeforeValidator(upper_if_str),
    StringConstraints(pattern=ROLE_CODE_PATTERN, max_length=16),
    # Documented as what is accepted (pydantic drops a pattern behind a before-validator).
    Field(examples=["CMO"], json_schema_extra={"pattern": ROLE_CODE_INPUT_PATTERN}),
]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def _date_text(value: Any) -> Any:
    """Dates come as `YYYY-MM-DD`: not as a number or "0", which pydantic reads as a Unix time."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(_date_text)]


def _timestamp_text(value: Any) -> Any:
    if isinstance(value, datetime) or (isinstance(value, str) and _RFC3339.fullmatch(value)):
        return value
    raise ValueError("must be an RFC 3339 timestamp with a zone, e.g. 2026-10-31T00:00:00Z")


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is outside the range of timestamps this service stores") from None


Timestamp = Annotated[AwareDatetime, BeforeValidator(_timestamp_text), AfterValidator(_in_utc)]


def _timestamp_or_date_text(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time.min, tzinfo=UTC)
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)
        except ValueError:
            raise ValueError(f"'{value}' is not a date") from None
    if isinstance(value, datetime) or (isinstance(value, str) and _RFC3339.fullmatch(value)):
        return value
    raise ValueError(
        "must be an RFC 3339 timestamp with a zone (2026-10-31T00:00:00Z) or a date "
        "(2026-10-31, meaning midnight UTC)"
    )


TimestampOrDate = Annotated[
    AwareDatetime, BeforeValidator(_timestamp_or_date_text), AfterValidator(_in_utc)
]
"""A moment given as an RFC 3339 timestamp with a zone, or as a date meaning midnight UTC; an
offset keeps the instant (`2026-10-31T02:00:00+02:00` is `2026-10-31T00:00:00Z`), always
held and shown in UTC."""


RACI_PATTERN = "^A?R?S?C?I?V?$"


def normalize_raci(value: Any) -> Any:
    """A cell's letters as the API takes them: any spelling `app.core.letters` reads (`a/r`,
    `R, A`, `c+i`), in canonical order (`AR`, `CI`). Not "no cell" (`-`, blank): a cell holds
    at least one letter, and removing a cell is a DELETE. A note in brackets belongs in the
    cell's `rationale`."""
    if not isinstance(value, str):
        return value
    try:
        parsed = parse_letters(value)
    except LetterError as error:
        raise ValueError(error.msg) from None
    if parsed is None:
        raise ValueError(
            f"{value!r} means no cell; a cell holds one or more of A, R, S, C, I, V"
            " (DELETE the cell to remove it)"
        )
    if parsed.note is not None:
        raise ValueError(f"{value!r} holds a note in brackets; send it as the cell's rationale")
    return parsed.letters


# Named, so that the document gives every cell, matrix and RACI map the one `RaciLetters`
# schema.
RaciLetters = TypeAliasType(
    "RaciLetters",
    Annotated[
        str,
        BeforeValidator(normalize_raci),
        StringConstraints(pattern=RACI_PATTERN, min_length=1, max_length=6),
        Field(
            examples=["AR"],
            description="A set of RACI letters in the order A R S C I V: `A` accountable, "
            "`R` responsible, `S` supports, `C` consulted, `I` informed, `V` verifies. Input is "
            "case-insensitive and may separate letters with `/ , + &` or spaces (`r/a` is `AR`).",
        ),
    ],
)

# Every canonical cell value, for the database's check constraint.
RACI_VALUES: tuple[str, ...] = tuple(
    "".join(letters)
    for size in range(1, len(LETTER_ORDER) + 1)
    for letters in combinations(LETTER_ORDER, size)
)


def holds(letter: str) -> str:
    """A LIKE pattern for cells holding `letter` (`A` accountable, `R` responsible...)."""
    return f"%{letter}%"


# NUL bytes cannot be stored by PostgreSQL, and other control characters in a name are
# never intended; tabs and newlines in free text are fine. A regular expression, as this
# runs on every string of a bulk import (a character loop in Python cost ~8% of its time).
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _no_control_chars(value: str) -> str:
    if _CONTROL_CHARS.search(value):
        raise ValueError("must not contain control characters")
    return value


def no_control_chars(value: str) -> str:
    """For text that reaches a query: PostgreSQL cannot even compare a NUL byte."""
    return _no_control_chars(value)


# Characters that show nothing or reorder what follows: format characters (zero-width
# spaces and joiners, bidirectional embeddings, overrides and isolates, the BOM, soft
# hyphens, tag characters), line and paragraph separators, private-use, surrogate and
# unassigned code points, and the letters and symbols that render as blanks. In a name two
# different strings would look the same, or a name would display as something else.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Zl", "Zp", "Co", "Cs", "Cn"})
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5")


def _no_invisible_chars(value: str) -> str:
    if value.isascii():  # the common case, and nothing of the kind is ASCII
        return value
    for char in value:
        if char in _BLANK_LOOKING or unicodedata.category(char) in _INVISIBLE_CATEGORIES:
            raise ValueError(
                f"must not contain invisible or direction-changing characters "
                f"(found U+{ord(char):04X} {unicodedata.name(char, 'unnamed')})"
            )
    return value


def no_invisible_chars(value: str) -> str:
    """For names and labels: nothing that displays as nothing or changes the direction of
    what follows."""
    return _no_invisible_chars(_no_control_chars(value))


# Limits count the stored value: whitespace is stripped first, then the length checked.
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(no_invisible_chars),
]
Text = Annotated[str, StringConstraints(max_length=10_000), AfterValidator(_no_control_chars)]
GroupName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_no_control_chars),
]
"""A component's group: the section of a sheet it is listed under (200 characters at most)."""
ShortText = Annotated[str, StringConstraints(max_length=500), AfterValidator(_no_control_chars)]
Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(no_invisible_chars),
]
# A KPI's unit (`%`, `points`, `EUR`): stripped, then at most 64 characters.
Unit = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=64),
    AfterValidator(no_invisible_chars),
]
