"""What a column header says the column holds: the task, a key, a group, a role, letters..."""

from __future__ import annotations

from app.sheets.text import fold

TASK_HEADERS = frozenset(
    {
        "task", "tasks", "task name", "task description", "activity", "activities",
        "deliverable", "deliverables", "work item", "work package", "step", "process",
        "action", "item", "description", "name", "milestone", "decision", "decisions",
        "topic", "task deliverable", "task activity", "responsibility", "responsibilities",
        "tache", "taches", "activite", "livrable", "aufgabe", "tarea", "attivita",
    }
)  # fmt: skip
KEY_HEADERS = frozenset(
    {"key", "id", "component", "components", "component key", "ref", "reference", "no"}
)
GROUP_HEADERS = frozenset(
    {
        "group", "phase", "stage", "category", "area", "workstream", "work stream",
        "section", "stream", "domain", "theme", "epic", "phase group", "etape",
    }
)  # fmt: skip
ROLE_HEADERS = frozenset(
    {
        "role", "roles", "role name", "role code", "person", "people", "who", "stakeholder",
        "stakeholders", "actor", "party", "team", "position", "assignee", "owner", "raci role",
    }
)  # fmt: skip
LETTERS_HEADERS = frozenset(
    {
        "raci", "rasci", "raci vs", "racivs", "letter", "letters", "raci letter",
        "raci letters", "raci code", "raci value", "raci type", "assignment",
        "involvement", "type", "value",
    }
)  # fmt: skip
NOTE_HEADERS = frozenset({"note", "notes", "rationale", "comment", "comments", "reason", "why"})
# Columns beside the roles that never are a role, whatever they hold.
INFO_HEADERS = NOTE_HEADERS | frozenset(
    {
        "remark", "remarks", "status", "state", "description", "details", "due", "due date",
        "date", "deadline", "priority", "progress", "link", "url", "source", "done",
        "agreement",
    }
)  # fmt: skip

# List form: a column per letter, naming the roles that hold it.
_LIST_WORDS = {
    "R": {"responsible", "resp", "r", "doer", "doers"},
    "A": {"accountable", "acc", "acct", "a", "approver", "approvers", "approval"},
    "S": {"supports", "support", "supporting", "supporter", "supporters", "sup", "s"},
    "C": {"consulted", "consult", "cons", "c"},
    "I": {"informed", "inform", "info", "inf", "i", "keep informed"},
    "V": {"verifies", "verify", "verifier", "verifiers", "verification", "ver", "v"},
}
_LIST_FILLERS = {"party", "parties", "role", "roles", "person", "people", "by", "team"}


def list_letter(header: str) -> str | None:
    """The letter a list-form column stands for: `Responsible`, `Resp.`, `Accountable (A)`,
    `Consulted party`, `Supports`, `Verifier`, `keep informed` ... or None."""
    words = fold(header).split()
    if not words:
        return None
    for letter, names in _LIST_WORDS.items():
        if " ".join(words) in names:
            return letter
        if words[0] in names and all(
            word in _LIST_FILLERS or word == letter.lower() for word in words[1:]
        ):
            return letter
    return None


def is_task_header(header: str) -> bool:
    """A task column: `Task`, `Activity`, `Deliverable`, `Tâche`, ..."""
    return fold(header) in TASK_HEADERS


def is_key_header(header: str) -> bool:
    """A key column: `key`, `id`, `component`, `#`, `ref` ..."""
    return fold(header) in KEY_HEADERS or header.strip() in {"#", "\u2116"}


def is_group_header(header: str) -> bool:
    """A group column: `group`, `phase`, `stage`, `workstream`, ..."""
    return fold(header) in GROUP_HEADERS


def is_role_header(header: str) -> bool:
    """The role column of the long form: `role`, `person`, `who`, `stakeholder`, ..."""
    return fold(header) in ROLE_HEADERS


def is_letters_header(header: str) -> bool:
    """The letters column of the long form: `RACI`, `letter`, `assignment`, ..."""
    return fold(header) in LETTERS_HEADERS


def is_note_header(header: str) -> bool:
    """A note column of the long form (its text is the cell's rationale): `note`, `rationale`..."""
    return fold(header) in NOTE_HEADERS


def is_info_header(header: str) -> bool:
    """A column of information beside the roles, never a role: notes, status, due date..."""
    return fold(header) in INFO_HEADERS


def is_label_header(header: str) -> bool:
    """A column naming the task rather than holding roles: task, key or group."""
    return is_task_header(header) or is_key_header(header) or is_group_header(header)
