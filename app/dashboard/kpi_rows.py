"""The dashboard's KPI rows: status labels, numbers as people read them, and each KPI's trend
as an inline SVG (its newest measurements, read in one query)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.kpis.models import Measurement
from app.kpis.service import KpiView
from app.kpis.status import end_of_day

KPI_STATUS_LABELS = {
    "achieved": "Achieved",
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
    "no_data": "No data",
}
# Findings about one component that mark its row in the heat map: rule -> CSS mark.
TREND_POINTS = 40
TREND_WIDTH = 160
TREND_HEIGHT = 36
TREND_PAD = 4


@dataclass(frozen=True)
class Trend:
    """A KPI's measurements as an inline SVG: a polyline, or one dot, or nothing."""

    count: int
    points: str = ""  # "x,y x,y ..." when two or more measurements
    dot: tuple[float, float] | None = None  # the newest measurement
    target_y: float | None = None
    title: str = ""
    width: int = TREND_WIDTH
    height: int = TREND_HEIGHT


@dataclass(frozen=True)
class KpiRow:
    key: str
    name: str
    unit: str
    direction: str
    owners: list[str]
    initiatives: list[str]
    status: str
    status_label: str
    latest: str
    latest_at: str
    baseline: str
    target: str
    target_date: str
    trend: Trend

    @property
    def joint(self) -> bool:
        return len(self.owners) >= 2


def _number(value: float) -> str:
    return f"{value:g}"


def _trends(
    session: Session, views: list[KpiView], as_of: date
) -> dict[int, list[tuple[datetime, float]]]:
    """KPI id -> its newest TREND_POINTS measurements up to `as_of`, oldest first: one query."""
    ids = [view.kpi.id for view in views]
    if not ids:
        return {}
    ranked = (
        select(
            Measurement.kpi_id,
            Measurement.measured_at,
            Measurement.value,
            func.row_number()
            .over(partition_by=Measurement.kpi_id, order_by=Measurement.measured_at.desc())
            .label("newest_first"),
        )
        .where(Measurement.kpi_id.in_(ids), Measurement.measured_at <= end_of_day(as_of))
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.kpi_id, ranked.c.measured_at, ranked.c.value)
        .where(ranked.c.newest_first <= TREND_POINTS)
        .order_by(ranked.c.kpi_id, ranked.c.measured_at)
    )
    series: dict[int, list[tuple[datetime, float]]] = defaultdict(list)
    for kpi_id, measured_at, value in rows:
        series[kpi_id].append((measured_at, value))
    return series


def trend_of(
    points: list[tuple[datetime, float]], baseline: float, target: float, unit: str = ""
) -> Trend:
    """The SVG geometry of a trend line; the y range spans baseline and target as well, so the
    line shows the way still to go (the target is drawn as a dashed line)."""
    if not points:
        return Trend(count=0, title="No measurements yet")
    values = [value for _, value in points]
    low, high = min([*values, baseline, target]), max([*values, baseline, target])
    inner_w, inner_h = TREND_WIDTH - 2 * TREND_PAD, TREND_HEIGHT - 2 * TREND_PAD

    def y(value: float) -> float:
        if high == low:
            return TREND_HEIGHT / 2
        return round(TREND_PAD + (high - value) / (high - low) * inner_h, 1)

    first, last = points[0][0], points[-1][0]
    span = (last - first).total_seconds()

    def x(moment: datetime) -> float:
        if span <= 0:
            return TREND_WIDTH / 2
        return round(TREND_PAD + (moment - first).total_seconds() / span * inner_w, 1)

    coordinates = [(x(moment), y(value)) for moment, value in points]
    suffix = f" {unit}" if unit else ""
    title = ", ".join(f"{moment.date().isoformat()}: {_number(v)}{suffix}" for moment, v in points)
    return Trend(
        count=len(points),
        points=" ".join(f"{cx},{cy}" for cx, cy in coordinates) if len(points) > 1 else "",
        dot=coordinates[-1],
        target_y=y(target),
        title=title,
    )


def _kpi_row(view: KpiView, points: list[tuple[datetime, float]]) -> KpiRow:
    kpi = view.kpi
    unit = kpi.unit or ""
    return KpiRow(
        key=kpi.key,
        name=kpi.name,
        unit=unit,
        direction=kpi.direction,
        owners=view.owners,
        initiatives=view.initiatives,
        status=view.status,
        status_label=KPI_STATUS_LABELS.get(view.status, view.status),
        latest=_number(view.latest.value) if view.latest else "",
        latest_at=view.latest.measured_at.date().isoformat() if view.latest else "",
        baseline=_number(kpi.baseline),
        target=_number(kpi.target),
        target_date=kpi.target_date.isoformat(),
        trend=trend_of(points, kpi.baseline, kpi.target, unit),
    )
