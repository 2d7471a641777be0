"""KPI status, exactly as the API contract defines it. Pure: no database, no clock."""

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from fractions import Fraction
from typing import Literal

from typing_extensions import TypeAliasType

KpiStatus = TypeAliasType(
    "KpiStatus", Literal["no_data", "achieved", "on_track", "at_risk", "off_track"]
)

AT_RISK_MARGIN = 0.10
# Progress is a ratio of differences of decimal numbers held in binary floating point:
# (0.3 - 0.1) / (0.6 - 0.1) comes out as 0.39999999999999997, not 0.4. Comparisons allow
# for that rounding so that a value exactly on a boundary lands on the side the contract says.
_ROUNDING = 1e-9


@dataclass(frozen=True)
class KpiTargets:
    direction: str  # "increase" | "decrease"
    baseline: float
    baseline_date: date
    target: float
    target_date: date


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def expected_progress(kpi: KpiTargets, at: datetime) -> float:
    """The fraction of the time from baseline_date to target_date passed at `at`, in 0..1."""
    start, end = _start_of(kpi.baseline_date), _start_of(kpi.target_date)
    span = (end - start).total_seconds()
    if span <= 0:
        return 1.0
    return min(1.0, max(0.0, (at - start).total_seconds() / span))


def kpi_status(
    kpi: KpiTargets, latest_value: float | None, latest_at: datetime | None, as_of: date
) -> KpiStatus:
    """The status of `kpi` given its newest measurement seen as of `as_of`.

    The caller passes the newest measurement taken on or before `as_of` (or None).
    """
    if latest_value is None or latest_at is None:
        return "no_data"
    met = latest_value >= kpi.target if kpi.direction == "increase" else latest_value <= kpi.target
    if met:
        return "achieved"
    if kpi.target == kpi.baseline or kpi.target_date < as_of:
        return "off_track"
    progress = _progress(latest_value, kpi.baseline, kpi.target)
    expected = expected_progress(kpi, latest_at)
    if progress >= expected - _ROUNDING:
        return "on_track"
    if progress >= expected - AT_RISK_MARGIN - _ROUNDING:
        return "at_risk"
    return "off_track"


def _progress(value: float, baseline: float, target: float) -> float:
    """(value - baseline) / (target - baseline). Near ±1e308 the differences overflow to
    infinity (inf/inf is NaN, which compares false with everything, and a finite over an
    infinite difference is a wrong 0): then the ratio is taken exactly and brought back into
    a range where comparing it with 0..1 means the same."""
    moved, span = value - baseline, target - baseline
    if math.isfinite(moved) and math.isfinite(span):
        return moved / span
    exact = (Fraction(value) - Fraction(baseline)) / (Fraction(target) - Fraction(baseline))
    return float(min(max(exact, Fraction(-2)), Fraction(2)))


def end_of_day(day: date) -> datetime:
    """The last instant of `day` (UTC): measurements up to it are seen as of `day`."""
    return datetime.combine(day, time.max, tzinfo=UTC)
