"""Terminal tables for the API's JSON answers. Scripts use `--format json|csv` instead, so these
are free to change for readability."""

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console, Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

SEVERITIES = ("high", "medium", "low")
_SEVERITY_STYLES = {"high": "bold red", "medium": "yellow", "low": "cyan"}
_LETTER_STYLES = {"A": "bold", "AR": "bold", "R": "", "C": "dim", "I": "dim"}
COUNT_NAMES = ("created", "updated", "unchanged")
# Below this many columns the findings table would squeeze its messages to a sliver.
NARROW_WIDTH = 120


def console(*, stderr: bool = False) -> Console:
    # Created per call, not at import, so that it writes to whatever sys.stdout is now
    # (the test runner swaps it).
    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def write_bytes(data: bytes) -> None:
    """Bytes to stdout as they are: a script must get exactly what the endpoint sent."""
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def severity_counts(findings: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(SEVERITIES, 0)
    for finding in findings:
        severity = str(finding.get("severity", ""))
        counts[severity] = counts.get(severity, 0) + 1
    return counts


def findings_summary(count: int, by_severity: Mapping[str, int]) -> str:
    noun = "finding" if count == 1 else "findings"
    parts = [f"{by_severity[name]} {name}" for name in SEVERITIES if by_severity.get(name)]
    return f"{count} {noun}" + (f": {', '.join(parts)}" if parts else "")


def _subject(finding: Mapping[str, Any]) -> str:
    # Portfolio-wide findings have no component; what they are about goes in its place, which
    # keeps the table narrow enough for a terminal.
    if finding.get("component"):
        return _cell(finding["component"])
    for name, label in (("capability", "capability"), ("kpi", "KPI")):
        if finding.get(name):
            return f"{label} {finding[name]}"
    return ""


def _findings_list(findings: Sequence[Mapping[str, Any]]) -> Group:
    # On a narrow terminal a table leaves the message a sliver; a finding per paragraph reads
    # better there.
    parts: list[Text | Padding] = []
    for finding in findings:
        severity = str(finding.get("severity", ""))
        head = Text.assemble(
            (f"{severity:<6}", _SEVERITY_STYLES.get(severity, "")),
            "  ",
            (_cell(finding.get("rule")), "bold"),
        )
        where = "/".join(
            part for part in (_cell(finding.get("initiative")), _subject(finding)) if part
        )
        if where:
            head.append(f"  {where}")
        if finding.get("roles"):
            head.append(f"  [{_cell(finding.get('roles'))}]")
        parts.append(head)
        parts.append(Padding(Text(_message(finding)), (0, 0, 0, 8)))
    return Group(*parts)


def findings_table(
    report: Mapping[str, Any], width: int = NARROW_WIDTH
) -> tuple[Table | Group | None, str]:
    """The findings as a table (a list on a terminal narrower than NARROW_WIDTH; None when
    there are none) and a summary line."""
    findings: list[Mapping[str, Any]] = list(report.get("findings") or [])
    summary = report.get("summary") or {}
    by_severity = summary.get("by_severity") or severity_counts(findings)
    line = findings_summary(int(summary.get("total", len(findings))), by_severity)
    waived = summary.get("waived")
    if isinstance(waived, int) and waived:
        line += f"; {waived} waived" + (
            "" if any(f.get("waiver") for f in findings) else " (--include-waived shows them)"
        )
    if not findings:
        return None, line
    if width < NARROW_WIDTH:
        return _findings_list(findings), line
    table = Table(header_style="bold")
    table.add_column("Severity", no_wrap=True)
    table.add_column("Rule", no_wrap=True)
    table.add_column("Initiative", overflow="fold")
    table.add_column("Component", overflow="fold")
    table.add_column("Roles")
    table.add_column("Message", ratio=1, min_width=30)
    for finding in findings:
        severity = str(finding.get("severity", ""))
        table.add_row(
            Text(severity, style=_SEVERITY_STYLES.get(severity, "")),
            _cell(finding.get("rule")),
            _cell(finding.get("initiative")),
            _subject(finding),
            _cell(finding.get("roles")),
            _message(finding),
        )
    return table, line


def _message(finding: Mapping[str, Any]) -> str:
    waiver = finding.get("waiver")
    message = _cell(finding.get("message"))
    return f"{message} (waived: {_cell(waiver)})" if waiver else message


def roles_table(report: Mapping[str, Any]) -> tuple[Table, str]:
    """Role workload: one row per role, the count of each letter and of sponsored initiatives."""
    rows: list[Mapping[str, Any]] = list(report.get("roles") or [])
    table = Table(header_style="bold")
    table.add_column("Role", no_wrap=True)
    for letter in ("A", "R", "C", "I"):
        table.add_column(letter, justify="right")
    table.add_column("Sponsored", justify="right")
    for row in rows:
        table.add_row(
            _cell(row.get("role")),
            *(_cell(row.get(letter, 0)) for letter in ("A", "R", "C", "I")),
            _cell(row.get("sponsored", 0)),
        )
    return table, f"{len(rows)} role{'s' if len(rows) != 1 else ''}"


def matrix_table(matrix: Mapping[str, Any]) -> tuple[Table, str]:
    """An initiative's RACI matrix: components down, roles across."""
    roles = [str(code) for code in matrix.get("roles") or []]
    rows: list[Mapping[str, Any]] = list(matrix.get("rows") or [])
    table = Table(header_style="bold", title=str(matrix.get("initiative", "")))
    table.add_column("Component", no_wrap=True)
    table.add_column("Name", overflow="fold")
    for role in roles:
        table.add_column(role, justify="center", no_wrap=True)
    for row in rows:
        cells = row.get("cells") or {}
        letters = [str(cells.get(role) or "") for role in roles]
        table.add_row(
            _cell(row.get("component")),
            _cell(row.get("name")),
            *(Text(letter, style=_LETTER_STYLES.get(letter, "")) for letter in letters),
        )
    line = f"{len(rows)} component{'s' if len(rows) != 1 else ''}, {len(roles)} role{'s' if len(roles) != 1 else ''}"
    return table, line


def count_rows(answer: Any, prefix: str = "") -> list[tuple[str, Mapping[str, Any]]]:
    """The `{"created", "updated", "unchanged"}` objects in an import's answer, by resource name
    (nested ones as `initiatives.components`), whatever nesting the server chose."""
    if not isinstance(answer, Mapping):
        return []
    rows: list[tuple[str, Mapping[str, Any]]] = []
    if any(name in answer for name in COUNT_NAMES):
        rows.append((prefix or "total", answer))
    for name, value in answer.items():
        if isinstance(value, Mapping):
            rows.extend(count_rows(value, f"{prefix}.{name}" if prefix else name))
    return rows


def import_table(answer: Any) -> tuple[Table, str]:
    """The counts per resource of an import."""
    rows = count_rows(answer)
    table = Table(header_style="bold")
    table.add_column("Resource", no_wrap=True)
    for name in COUNT_NAMES:
        table.add_column(name.capitalize(), justify="right")
    totals = dict.fromkeys(COUNT_NAMES, 0)
    for resource, counts in rows:
        table.add_row(resource, *(_cell(counts.get(name, 0)) for name in COUNT_NAMES))
        for name in COUNT_NAMES:
            value = counts.get(name, 0)
            totals[name] += value if isinstance(value, int) else 0
    line = ", ".join(f"{totals[name]} {name}" for name in COUNT_NAMES)
    return table, line
