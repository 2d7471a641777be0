"""The identifier and value types shared by every schema: keys, role codes, RACI values."""

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

KEY_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
ROLE_CODE_PATTERN = r"^[A-Z][A-Z0-9_]{1,15}$"

Key = Annotated[
    str,
    StringConstraints(pattern=KEY_PATTERN, max_length=64),
    Field(examples=["support-chatbot"]),
]


def upper_if_str(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


RoleCode = Annotated[
    str,
    BeforeValidator(upper_if_str),
    StringConstraints(pattern=ROLE_CODE_PATTERN, max_length=16),
    Field(examples=["CMO"]),
]

RaciLetter = Literal["R", "A", "C", "I", "AR"]

_RACI_ALIASES = {
    "R": "R",
    "A": "A",
    "C": "C",
    "I": "I",
    "AR": "AR",
    "A/R": "AR",
    "R/A": "AR",
    "RA": "AR",
}


def normalize_raci(value: Any) -> Any:
    """The one place that turns a cell value such as `a/r` into `AR`."""
    if isinstance(value, str):
        canonical = _RACI_ALIASES.get(re.sub(r"\s+", "", value).upper())
        if canonical is None:
            raise ValueError("must be one of R, A, C, I or AR (also accepted: A/R, R/A, RA)")
        return canonical
    return value


RaciValue = Annotated[RaciLetter, BeforeValidator(normalize_raci), Field(examples=["AR"])]

ACCOUNTABLE = ("A", "AR")
RESPONSIBLE = ("R", "AR")


def _no_control_chars(value: str) -> str:
    # NUL bytes cannot be stored by PostgreSQL, and other control characters in a name
    # are never intended; tabs and newlines in free text are fine.
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        raise ValueError("must not contain control characters")
    return value


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_no_control_chars),
]
Text = Annotated[str, StringConstraints(max_length=10_000), AfterValidator(_no_control_chars)]
ShortText = Annotated[str, StringConstraints(max_length=500), AfterValidator(_no_control_chars)]
Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(_no_control_chars),
]
