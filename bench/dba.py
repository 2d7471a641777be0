"""The findings as a DBA would write them: one plain SQL query per rule, through the driver.

Each query returns the rule's findings as rows (one per finding, as the API reports them),
over the live initiatives (`proposed`, `planned`, `active`, `on_hold`) as the report does by
default; KPI_OFF_TRACK reads each counted KPI with its newest measurement as of today and
applies the contract's status in Python (README.md's Findings section,
app/rules/catalog.py, app/kpis/status.py). The SQL is the same on SQLite and PostgreSQL.

`python -m bench` times the nine together against GET /reports/findings and checks that
both count the same findings per rule.
"""

# ruff: noqa: S608 (the SQL is built from this module's constants only, never from input)

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

from bench.driver import Driver

LIVE = "('proposed', 'planned', 'active', 'on_hold')"
ACCOUNTABLE = "('A', 'AR')"
RESPONSIBLE = "('R', 'AR')"

QUERIES: dict[str, str] = {
    "UNOWNED_COMPONENT": f"""
        SELECT i.key, c.key FROM component c JOIN initiative i ON i.id = c.initiative_id
        WHERE i.status IN {LIVE} AND NOT EXISTS (
            SELECT 1 FROM raci_cell r WHERE r.component_id = c.id AND r.raci IN {ACCOUNTABLE})
    """,
    "MULTIPLE_ACCOUNTABLE": f"""
        SELECT i.key, c.key, count(*) FROM component c
        JOIN initiative i ON i.id = c.initiative_id
        JOIN raci_cell r ON r.component_id = c.id AND r.raci IN {ACCOUNTABLE}
        WHERE i.status IN {LIVE}
        GROUP BY i.key, c.key HAVING count(*) >= 2
    """,
    "NO_RESPONSIBLE": f"""
        SELECT i.key, c.key FROM component c JOIN initiative i ON i.id = c.initiative_id
        WHERE i.status IN {LIVE} AND NOT EXISTS (
            SELECT 1 FROM raci_cell r WHERE r.component_id = c.id AND r.raci IN {RESPONSIBLE})
    """,
    "UNSPONSORED_INITIATIVE": f"""
        SELECT key FROM initiative WHERE status IN {LIVE} AND sponsor IS NULL
    """,
    "SILOED_INITIATIVE": f"""
        SELECT i.key, min(r.role) FROM initiative i
        JOIN component c ON c.initiative_id = i.id
        JOIN raci_cell r ON r.component_id = c.id
        WHERE i.status IN {LIVE}
        GROUP BY i.key HAVING count(DISTINCT r.role) = 1
    """,
    "CAPABILITY_OVERLAP": f"""
        SELECT c.capability FROM component c
        JOIN initiative i ON i.id = c.initiative_id
        LEFT JOIN raci_cell r ON r.component_id = c.id AND r.raci IN {ACCOUNTABLE}
        WHERE i.status IN {LIVE} AND c.capability IS NOT NULL
        GROUP BY c.capability
        HAVING count(DISTINCT i.id) >= 2 AND count(DISTINCT r.role) >= 2
    """,
    "OWNER_DRIFT": f"""
        SELECT i.key, c.key, k.agreed_owner FROM component c
        JOIN initiative i ON i.id = c.initiative_id
        JOIN capability k ON k.key = c.capability
        WHERE i.status IN {LIVE} AND k.agreed_owner IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM raci_cell r WHERE r.component_id = c.id
            AND r.role = k.agreed_owner AND r.raci IN {ACCOUNTABLE})
    """,
    "NO_JOINT_KPI": f"""
        SELECT i.key FROM initiative i
        WHERE i.status IN {LIVE} AND NOT EXISTS (
            SELECT 1 FROM kpi_initiative ki WHERE ki.initiative_id = i.id AND ki.kpi_id IN (
                SELECT kpi_id FROM kpi_owner GROUP BY kpi_id HAVING count(*) >= 2))
    """,
}

# Each counted KPI (serving no initiative, or a live one) with its newest measurement taken
# on or before the end of today; {end} is filled in per database.
KPI_QUERY = f"""
    SELECT k.key, k.direction, k.baseline, k.baseline_date, k.target, k.target_date,
           m.value, m.measured_at
    FROM kpi k
    LEFT JOIN measurement m ON m.kpi_id = k.id AND m.measured_at = (
        SELECT max(n.measured_at) FROM measurement n
        WHERE n.kpi_id = k.id AND n.measured_at <= {{end}})
    WHERE NOT EXISTS (SELECT 1 FROM kpi_initiative ki WHERE ki.kpi_id = k.id)
       OR EXISTS (SELECT 1 FROM kpi_initiative ki JOIN initiative i ON i.id = ki.initiative_id
                  WHERE ki.kpi_id = k.id AND i.status IN {LIVE})
"""

RULES = (*QUERIES, "KPI_OFF_TRACK")


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _datetime(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def off_track(row: tuple[Any, ...], as_of: date) -> bool:
    """The contract's KPI status (off_track or not) for a row of KPI_QUERY."""
    _key, direction, baseline, baseline_date, target, target_date, value, measured_at = row
    if value is None:
        return False  # no data
    met = value >= target if direction == "increase" else value <= target
    if met:
        return False
    if target == baseline or _date(target_date) < as_of:
        return True
    progress = (value - baseline) / (target - baseline)
    start = datetime.combine(_date(baseline_date), time.min, tzinfo=UTC)
    end = datetime.combine(_date(target_date), time.min, tzinfo=UTC)
    span = (end - start).total_seconds()
    expected = (
        1.0
        if span <= 0
        else min(1.0, max(0.0, (_datetime(measured_at) - start).total_seconds() / span))
    )
    return bool(progress < expected - 0.10 - 1e-9)


def kpis_off_track(driver: Driver, as_of: date) -> list[tuple[Any, ...]]:
    end = datetime.combine(as_of, time.max)
    literal = (
        f"'{end:%Y-%m-%d %H:%M:%S.%f}'"
        if driver.kind == "sqlite"
        else f"'{end:%Y-%m-%d %H:%M:%S.%f}+00'::timestamptz"
    )
    return [row for row in driver.rows(KPI_QUERY.format(end=literal)) if off_track(row, as_of)]


def findings(driver: Driver, as_of: date | None = None) -> dict[str, int]:
    """Run the nine queries, every row fetched; the number of findings per rule."""
    day = as_of or datetime.now(UTC).date()
    counts = {rule: len(driver.rows(sql)) for rule, sql in QUERIES.items()}
    counts["KPI_OFF_TRACK"] = len(kpis_off_track(driver, day))
    return counts


def runner(driver: Driver) -> Callable[[], dict[str, int]]:
    return lambda: findings(driver)
