"""Keys and role codes from what a sheet says, and matching headers to known roles (no database)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from slugify import slugify

from app.sheets.model import SheetTask
from app.sheets.text import clean_label, fold, strip_markdown

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
ROLE_CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]{1,15}$")
KEY_MAX = 64
CODE_MAX = 16
_STOPWORDS = frozenset(
    {"of", "the", "and", "for", "to", "in", "on", "a", "an", "de", "du", "des", "la", "le", "et"}
)
_BRACKETED = re.compile(r"^(?P<outside>[^(\[]*?)\s*[(\[](?P<inside>.*)[)\]]$", re.DOTALL)


def slug(text: str, max_length: int = KEY_MAX) -> str:
    """A key-shaped slug of a text ("" when nothing is left): `Validation sécurité` ->
    `validation-securite`, CJK and Cyrillic transliterated (`数据` -> `shu-ju`)."""
    return str(slugify(strip_markdown(clean_label(text)), max_length=max_length))


def _with_suffix(base: str, number: int, limit: int, separator: str) -> str:
    suffix = f"{separator}{number}"
    return base[: limit - len(suffix)].rstrip("-._") + suffix


def component_keys(tasks: Sequence[SheetTask]) -> list[str]:
    """A component key for each task, in order, each matching `^[a-z0-9][a-z0-9._-]{0,63}$`,
    all different, and the same for the same tasks.

    The key column's value when there is one (lower-cased; slugged when it is not a key),
    else a slug of the task (`Validation sécurité` -> `validation-securite`). A task whose
    slug another task in another group shares gets its group in it (`run-phase-triggering`).
    A task with nothing to slug is `task-<n>` (n its 1-based place). Keys still shared get
    `-2`, `-3`...; tasks with a key column value keep theirs first.
    """
    bases: list[str] = []
    for number, task in enumerate(tasks, start=1):
        if task.key:
            lowered = task.key.strip().lower()
            base = lowered if KEY_PATTERN.match(lowered) else slug(task.key)
        else:
            base = slug(task.name)
        bases.append(base or f"task-{number}")
    groups_of: dict[str, set[str | None]] = {}
    for task, base in zip(tasks, bases, strict=True):
        if not task.key:
            groups_of.setdefault(base, set()).add(task.group)
    for index, task in enumerate(tasks):
        if not task.key and task.group and len(groups_of[bases[index]]) > 1:
            bases[index] = slug(f"{task.group} {task.name}") or bases[index]
    keys: list[str | None] = [None] * len(tasks)
    used: set[str] = set()
    order = [i for i, t in enumerate(tasks) if t.key] + [
        i for i, t in enumerate(tasks) if not t.key
    ]
    for index in order:
        key, number = bases[index], 2
        while key in used:
            key, number = _with_suffix(bases[index], number, KEY_MAX, "-"), number + 1
        used.add(key)
        keys[index] = key
    return [key for key in keys if key is not None]


def role_code_from_name(name: str, taken: set[str]) -> str:
    """A role code `^[A-Z][A-Z0-9_]{1,15}$` for a header, not in `taken` (compared upper-case;
    `taken` is not changed: add the code to it yourself).

    A code as header stays (`cio` -> `CIO`); a name of several words gives their initials,
    small words left out and acronyms kept whole (`Project Manager` -> `PM`, `Head of IT` ->
    `HIT`); one word gives itself upper-cased (`Développeur` -> `DEVELOPPEUR`, cut at 16).
    Accents are dropped and other scripts transliterated (`数据治理` -> `SJZL`). A code that
    would start with a digit gets `R` before it; one of a single letter becomes `ROLE_X`;
    nothing left gives `ROLE`. A taken code gets `_2`, `_3`...
    """
    words = str(slugify(strip_markdown(clean_label(name)), lowercase=False, separator=" ")).split()
    meaningful = [word for word in words if word.lower() not in _STOPWORDS] or words
    if len(meaningful) >= 2:
        code = "".join(
            word if len(word) > 1 and word.isupper() else word[0] for word in meaningful
        ).upper()
    else:
        code = "_".join(meaningful).upper()
    code = re.sub(r"[^A-Z0-9_]", "", code)[:CODE_MAX]
    if not code:
        code = "ROLE"
    elif code[0].isdigit():
        code = ("R" + code)[:CODE_MAX]
    elif len(code) == 1:
        code = f"ROLE_{code}"
    upper_taken = {existing.upper() for existing in taken}
    candidate, number = code, 2
    while candidate in upper_taken:
        candidate, number = _with_suffix(code, number, CODE_MAX, "_"), number + 1
    return candidate


def match_header(header: str, roles: Mapping[str, str]) -> str | None:
    """The code of the role a header names, from `roles` (code -> name), or None.

    By code first, then by name; case, accents (NFKD), Markdown emphasis, spacing and
    punctuation are ignored. `CIO (Chief Information Officer)` is also tried as `CIO` and as
    `Chief Information Officer`. A name two roles share matches neither (None).
    """
    texts = [header]
    if match := _BRACKETED.match(clean_label(header)):
        texts += [match.group("outside"), match.group("inside")]
    for text in texts:
        target = fold(text)
        if not target:
            continue
        for code in roles:
            if fold(code) == target:
                return code
        named = [code for code, role_name in roles.items() if fold(role_name) == target]
        if len(named) == 1:
            return named[0]
    return None
