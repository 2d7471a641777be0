"""RACI cell letters: the one place that turns a cell value such as `a/r` into `AR`.

A cell is a non-empty set of the letters A (accountable), R (responsible), S (supports,
RASCI), C (consulted), I (informed) and V (verifies, RACI-VS), written in the canonical
order `A R S C I V`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache


class LetterError(ValueError):
    """A cell value that is not a set of RACI letters; `str(error)` is a message for people."""

    def __init__(self, value: str, msg: str) -> None:
        self.value = value
        self.msg = msg
        super().__init__(msg)


LETTER_ORDER = "ARSCIV"
LETTER_MEANINGS = {
    "A": "accountable",
    "R": "responsible",
    "S": "supports",
    "C": "consulted",
    "I": "informed",
    "V": "verifies",
}
SEPARATORS = "/,+&"

# Zero-width characters pasted along with a value: dropped before reading it.
ZERO_WIDTH = "\u200b\u200c\u200d\ufeff\u2060"
_DROP_ZERO_WIDTH = dict.fromkeys(map(ord, ZERO_WIDTH))

# Letters of other scripts that look like ours (after NFKC, which already folds full-width
# and Roman-numeral forms): Cyrillic and Greek capitals and small letters, dotless i.
_LOOKALIKES = {
    "\u0410": "A",  # CYRILLIC CAPITAL LETTER A
    "\u0430": "A",  # CYRILLIC SMALL LETTER A
    "\u0391": "A",  # GREEK CAPITAL LETTER ALPHA
    "\u03b1": "A",  # GREEK SMALL LETTER ALPHA
    "\u0421": "C",  # CYRILLIC CAPITAL LETTER ES
    "\u0441": "C",  # CYRILLIC SMALL LETTER ES
    "\u03f9": "C",  # GREEK CAPITAL LUNATE SIGMA SYMBOL
    "\u03f2": "C",  # GREEK LUNATE SIGMA SYMBOL
    "\u0406": "I",  # CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I
    "\u0456": "I",  # CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I
    "\u04c0": "I",  # CYRILLIC LETTER PALOCHKA
    "\u04cf": "I",  # CYRILLIC SMALL LETTER PALOCHKA
    "\u0399": "I",  # GREEK CAPITAL LETTER IOTA
    "\u03b9": "I",  # GREEK SMALL LETTER IOTA
    "\u0131": "I",  # LATIN SMALL LETTER DOTLESS I
    "\u0130": "I",  # LATIN CAPITAL LETTER I WITH DOT ABOVE
    "\u0405": "S",  # CYRILLIC CAPITAL LETTER DZE
    "\u0455": "S",  # CYRILLIC SMALL LETTER DZE
    "\u0474": "V",  # CYRILLIC CAPITAL LETTER IZHITSA
    "\u0475": "V",  # CYRILLIC SMALL LETTER IZHITSA
}

# Every character a letters value may hold: the letter it stands for, or "" (a separator,
# a space, Markdown emphasis).
_READS_AS: dict[str, str] = {
    **{letter: letter for letter in LETTER_ORDER},
    **{letter.lower(): letter for letter in LETTER_ORDER},
    **_LOOKALIKES,
    **dict.fromkeys(SEPARATORS + " \t\r\n*_", ""),
}

_PLAIN = frozenset(char for char in _READS_AS if char.isascii())

# Values meaning "no cell": not involved.
NO_CELL = frozenset({"", "-", "\u2013", "\u2014", "n/a"})

_WRAPPING_EMPHASIS = re.compile(r"^(\*\*|__|\*|_)(.+)\1$", re.DOTALL)
_TRAILING_NOTE = re.compile(r"^(?P<letters>[^(\[]*)[(\[](?P<note>.*)[)\]]$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class ParsedCell:
    """A cell value read: `letters` canonical (`AR`, `CI`...), `note` the text in brackets
    after them (`R/A (platform)` has the note `platform`), or None."""

    letters: str
    note: str | None = None


def canonical_letters(letters: Iterable[str]) -> str:
    """The canonical spelling (order `A R S C I V`, each letter once) of some letters.

    `letters` holds letters, or strings of letters: `["R", "A"]`, `"ra"` and `{"AR"}` all give
    `"AR"`. ASCII case is ignored. Raises LetterError when one is not a RACI letter or when
    there is none (a cell is never empty).
    """
    found: set[str] = set()
    for item in letters:
        for char in item:
            letter = char.upper() if char.isascii() else char
            if letter not in LETTER_MEANINGS:
                raise LetterError(str(item), f"{char!r} is not a RACI letter ({_ALLOWED})")
            found.add(letter)
    if not found:
        raise LetterError("", f"no RACI letter: a cell holds one or more of {_ALLOWED}")
    return "".join(letter for letter in LETTER_ORDER if letter in found)


def parse_letters(text: str) -> ParsedCell | None:
    """Read a cell value as written by people; None when it means "no cell".

    Case is ignored; `/ , + &` and spaces separate letters, a repeated letter counts once,
    Markdown emphasis (`**A**`, `_R_`) is formatting. A trailing note in brackets is kept:
    `R/A (platform)` gives `ParsedCell("AR", "platform")`. Blank, `-`, en and em dashes
    (U+2013, U+2014) and `N/A` mean no cell. The value is NFKC-normalised (full-width
    letters), zero-width characters are dropped, and Cyrillic/Greek look-alikes (Cyrillic
    U+0410 A, U+0421 ES, U+0406 I, Greek U+0391 ALPHA, U+0399 IOTA, their small letters...)
    read as the letters they look like.

    Raises LetterError, whose message shows the value and, for each non-ASCII character
    refused, its code point and name: `'Ж' (U+0416 CYRILLIC CAPITAL LETTER ZHE)`.
    """
    return _parse(text)


_ALLOWED = "A, R, S, C, I, V separated by / , + & or spaces"


@lru_cache(maxsize=4096)
def _parse(text: str) -> ParsedCell | None:
    if text.isascii() and _PLAIN.issuperset(text):  # the common case: `A`, `a/r`, `R, C`
        plain = {_READS_AS[char] for char in text} - {""}
        if plain:
            return ParsedCell("".join(letter for letter in LETTER_ORDER if letter in plain))
    value = text if text.isascii() else unicodedata.normalize("NFKC", text)
    value = value.translate(_DROP_ZERO_WIDTH).strip()
    while match := _WRAPPING_EMPHASIS.match(value):
        value = match.group(2).strip()
    note: str | None = None
    if value.endswith((")", "]")) and (match := _TRAILING_NOTE.match(value)):
        value = match.group("letters")
        note = match.group("note").strip().strip("*_").strip() or None
    bare = value.replace("*", "").replace("_", "").strip()
    if bare.casefold() in NO_CELL:
        if bare or note is None:
            return None
        raise LetterError(text, f"{text!r} has a note but no RACI letter ({_ALLOWED})")
    found: set[str] = set()
    refused: list[str] = []
    for char in bare:
        letter = _READS_AS.get(char)
        if letter is None:
            if char not in refused:
                refused.append(char)
        elif letter:
            found.add(letter)
    if refused:
        raise LetterError(text, _refusal(text, refused))
    if not found:
        raise LetterError(text, f"{text!r} holds no RACI letter ({_ALLOWED})")
    return ParsedCell("".join(letter for letter in LETTER_ORDER if letter in found), note)


def describe_char(char: str) -> str:
    """`'Ж' (U+0416 CYRILLIC CAPITAL LETTER ZHE)` for a non-ASCII character, `'X'` otherwise."""
    if char.isascii() and char.isprintable():
        return repr(char)
    name = unicodedata.name(char, "unnamed character")
    return f"{char!r} (U+{ord(char):04X} {name})"


def _refusal(text: str, refused: list[str]) -> str:
    chars = ", ".join(describe_char(char) for char in refused)
    noun = "is not a RACI letter" if len(refused) == 1 else "are not RACI letters"
    return f"{text!r} is not a set of RACI letters: {chars} {noun} ({_ALLOWED})"
