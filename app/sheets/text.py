"""Cleaning labels (task names, role headers) and folding them for comparison."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from app.core.letters import ZERO_WIDTH

_DROP_ZERO_WIDTH = dict.fromkeys(map(ord, ZERO_WIDTH))
_SPACES = re.compile(r"\s+")

# Markdown emphasis, not escaped by a backslash: **x**, __x__, *x*, _x_ (not inside words).
_EMPHASIS = [
    re.compile(r"(?<![\\*])\*\*(?=\S)(.+?)(?<=[^\s\\])\*\*(?!\*)", re.DOTALL),
    re.compile(r"(?<![\\\w])__(?=\S)(.+?)(?<=[^\s\\])__(?!\w)", re.DOTALL),
    re.compile(r"(?<![\\*\w])\*(?=[^\s*])(.+?)(?<=[^\s\\*])\*(?![*\w])", re.DOTALL),
    re.compile(r"(?<![\\\w])_(?=[^\s_])(.+?)(?<=[^\s\\_])_(?!\w)", re.DOTALL),
]
_WRAPPED = re.compile(r"^(\*\*|__)(?=\S)(.+?)(?<=\S)\1$", re.DOTALL)
_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def strip_markdown(text: str) -> str:
    """Markdown emphasis removed and backslash escapes resolved: `**Plan** \\| do` -> `Plan | do`."""
    if "*" not in text and "_" not in text and "\\" not in text:
        return text
    for pattern in _EMPHASIS:
        text = pattern.sub(r"\1", text)
    return _MARKDOWN_ESCAPE.sub(r"\1", text)


def clean_label(text: str) -> str:
    """A task name or header as written, tidied: NFKC, zero-width characters dropped, runs of
    white space made one space, ends stripped, and a bold wrapper (`**Name**`, `__Name__`)
    removed. Emphasis inside the text is kept (a file that is not Markdown may mean it)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_DROP_ZERO_WIDTH)
    text = _SPACES.sub(" ", text).strip()
    while match := _WRAPPED.match(text):
        text = match.group(2).strip()
    return text


@lru_cache(maxsize=8192)  # a sheet folds the same headers once per cell
def fold(text: str) -> str:
    """A label for comparison: cleaned, emphasis stripped, accents removed (NFKD), case
    folded, punctuation made space: `**Validation Sécurité**` -> `validation securite`."""
    text = strip_markdown(clean_label(text))
    text = "".join(
        char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char)
    )
    text = "".join(char if char.isalnum() else " " for char in text.casefold())
    return " ".join(text.split())
