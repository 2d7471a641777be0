"""KPI status, branch by branch, as the contract's "KPI status" section defines it."""

from datetime import UTC, date, datetime

import pytest

from app.kpis.status import KpiTargets, end_of_day, expected_progress, kpi_status

# Ten days from baseline to target: each day is 10% of the time.
START = date(2026, 1, 1)
DUE = date(2026, 1, 11)
HALFWAY = datetime(2026, 1, 6, tzinfo=UTC)
BEFORE_DUE = date(2026, 1, 10)


def rising(baseline: float = 0, target: float = 100) -> KpiTargets:
    return KpiTargets("increase", baseline, START, target, DUE)


def falling(baseline: float = 100, target: float = 0) -> KpiTargets:
    return KpiTargets("decrease", baseline, START, target, DUE)


def test_no_measurement_is_no_data() -> None:
    assert kpi_status(rising(), None, None, BEFORE_DUE) == "no_data"


@pytest.mark.parametrize("value", [100, 100.0, 130])
def test_increase_at_or_above_target_is_achieved(value: float) -> None:
    assert kpi_status(rising(), value, HALFWAY, BEFORE_DUE) == "achieved"


@pytest.mark.parametrize("value", [0, -5])
def test_decrease_at_or_below_target_is_achieved(value: float) -> None:
    assert kpi_status(falling(), value, HALFWAY, BEFORE_DUE) == "achieved"


def test_target_met_exactly_is_achieved_in_both_directions() -> None:
    assert kpi_status(rising(72, 85), 85, HALFWAY, BEFORE_DUE) == "achieved"
    assert kpi_status(falling(48, 4), 4, HALFWAY, BEFORE_DUE) == "achieved"


def test_achieved_stays_achieved_after_the_target_date() -> None:
    assert kpi_status(rising(), 100, HALFWAY, date(2027, 6, 1)) == "achieved"


def test_unmet_target_after_the_target_date_is_off_track() -> None:
    # 99% of the way would be on track, but the date has passed.
    late = datetime(2026, 1, 10, tzinfo=UTC)
    assert kpi_status(rising(), 99, late, date(2026, 1, 12)) == "off_track"
    assert kpi_status(falling(), 1, late, date(2026, 1, 12)) == "off_track"


def test_on_the_target_date_itself_progress_still_counts() -> None:
    on_due = datetime(2026, 1, 11, tzinfo=UTC)
    assert kpi_status(rising(), 95, on_due, DUE) == "at_risk"


def test_target_equal_to_baseline_unmet_is_off_track() -> None:
    assert kpi_status(rising(50, 50), 49, HALFWAY, BEFORE_DUE) == "off_track"
    assert kpi_status(falling(50, 50), 51, HALFWAY, BEFORE_DUE) == "off_track"


def test_target_equal_to_baseline_met_is_achieved() -> None:
    assert kpi_status(rising(50, 50), 50, HALFWAY, BEFORE_DUE) == "achieved"
    assert kpi_status(falling(50, 50), 49, HALFWAY, BEFORE_DUE) == "achieved"


def test_progress_equal_to_expected_is_on_track() -> None:
    assert kpi_status(rising(), 50, HALFWAY, BEFORE_DUE) == "on_track"
    assert kpi_status(falling(), 50, HALFWAY, BEFORE_DUE) == "on_track"


def test_progress_ahead_of_expected_is_on_track() -> None:
    assert kpi_status(rising(), 70, HALFWAY, BEFORE_DUE) == "on_track"


def test_at_risk_margin_boundary() -> None:
    # Expected 0.5 at half time: at_risk down to exactly 0.40, off_track below it.
    assert kpi_status(rising(), 49.99, HALFWAY, BEFORE_DUE) == "at_risk"
    assert kpi_status(rising(), 40, HALFWAY, BEFORE_DUE) == "at_risk"
    assert kpi_status(rising(), 39.99, HALFWAY, BEFORE_DUE) == "off_track"
    assert kpi_status(falling(), 60, HALFWAY, BEFORE_DUE) == "at_risk"
    assert kpi_status(falling(), 60.01, HALFWAY, BEFORE_DUE) == "off_track"


def test_boundaries_hold_despite_floating_point_rounding() -> None:
    # (0.3 - 0.1) / (0.6 - 0.1) is 0.39999999999999997 in binary floating point.
    assert kpi_status(rising(0.1, 0.6), 0.3, HALFWAY, BEFORE_DUE) == "at_risk"
    # (0.35 - 0.1) / (0.6 - 0.1) should be exactly the expected 0.5.
    assert kpi_status(rising(0.1, 0.6), 0.35, HALFWAY, BEFORE_DUE) == "on_track"


def test_expected_is_measured_at_the_latest_measurement_not_the_as_of_date() -> None:
    # 30% of the time had passed when it was measured; as of later it is still on track.
    early = datetime(2026, 1, 4, tzinfo=UTC)
    assert kpi_status(rising(), 30, early, BEFORE_DUE) == "on_track"


def test_expected_is_clamped_to_zero_before_the_baseline_date() -> None:
    before = datetime(2025, 12, 1, tzinfo=UTC)
    assert expected_progress(rising(), before) == 0.0
    assert kpi_status(rising(), 0, before, BEFORE_DUE) == "on_track"
    # Slightly worse than the baseline is within the margin of an expected 0.
    assert kpi_status(rising(), -5, before, BEFORE_DUE) == "at_risk"
    assert kpi_status(rising(), -11, before, BEFORE_DUE) == "off_track"


def test_expected_is_clamped_to_one_after_the_target_date() -> None:
    # Measured at noon on the target date: 105% of the time unclamped, so 1.0.
    noon_on_due = datetime(2026, 1, 11, 12, tzinfo=UTC)
    assert expected_progress(rising(), noon_on_due) == 1.0
    # 0.91 >= 1.0 - 0.10 is at_risk; against an unclamped 1.05 it would be off_track.
    assert kpi_status(rising(), 91, noon_on_due, DUE) == "at_risk"


def test_expected_progress_is_the_fraction_of_time_passed() -> None:
    assert expected_progress(rising(), HALFWAY) == pytest.approx(0.5)
    assert expected_progress(rising(), datetime(2026, 1, 1, tzinfo=UTC)) == 0.0
    assert expected_progress(rising(), datetime(2026, 1, 11, tzinfo=UTC)) == 1.0


def test_end_of_day_is_the_last_instant_of_the_day_in_utc() -> None:
    last = end_of_day(date(2026, 11, 23))
    assert last.tzinfo is UTC
    assert (last.year, last.month, last.day, last.hour, last.minute) == (2026, 11, 23, 23, 59)
    assert last < datetime(2026, 11, 24, tzinfo=UTC)


@pytest.mark.parametrize(
    ("targets", "value", "measured", "expected"),
    [
        (KpiTargets("increase", 72, date(2026, 1, 1), 85, date(2027, 12, 31)), 74, 10, "off_track"),
        (KpiTargets("increase", 20, date(2026, 1, 1), 60, date(2027, 12, 31)), 45, 10, "on_track"),
        (KpiTargets("decrease", 48, date(2026, 1, 1), 4, date(2027, 12, 31)), 30, 10, "at_risk"),
    ],
    ids=["csat", "containment-rate", "data-freshness"],
)
def test_demo_kpis_as_of_2026_11_23(
    targets: KpiTargets, value: float, measured: int, expected: str
) -> None:
    measured_at = datetime(2026, measured, 31, tzinfo=UTC)
    assert kpi_status(targets, value, measured_at, date(2026, 11, 23)) == expected
