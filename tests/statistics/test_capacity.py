"""Monthly peak (final or not) and the 12-month capacity average with its 2.5 kW floor."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
import pytest

from custom_components.fluvius.api.models import Sample
from custom_components.fluvius.capacity import (
    DayPeak,
    MonthPeak,
    capacity_average,
    day_peaks,
    expected_quarter_hours,
    month_peaks,
)
from custom_components.fluvius.const import TIMEZONE
from custom_components.fluvius.series import statistic_id
from fluvius_sandbox.timeutil import local_midnight
from tests.standin import StandIn

from .conftest import BOTH_LAYOUTS, Setup, utc

QH = timedelta(minutes=15)


def _month_samples(year: int, month: int, state: str = "READ") -> list[Sample]:
    start = local_midnight(date(year, month, 1))
    end = local_midnight(date(year + month // 12, month % 12 + 1, 1))
    samples = []
    t = start
    i = 0
    while t < end:
        samples.append(Sample(t, t + QH, round(0.1 + (i % 37) / 100, 3), state))
        t += QH
        i += 1
    return samples


def test_expected_quarter_hours_dst() -> None:
    assert expected_quarter_hours(date(2025, 3, 1), TIMEZONE) == 31 * 96 - 4
    assert expected_quarter_hours(date(2024, 10, 1), TIMEZONE) == 31 * 96 + 4
    assert expected_quarter_hours(date(2024, 2, 1), TIMEZONE) == 29 * 96


@pytest.mark.parametrize(("year", "month"), [(2025, 3), (2024, 10), (2025, 6)])
def test_month_peak_final_when_complete(year: int, month: int) -> None:
    samples = _month_samples(year, month)
    top = max(samples, key=lambda s: s.value)
    peaks = month_peaks(day_peaks(samples, TIMEZONE), TIMEZONE)
    peak = peaks[date(year, month, 1)]
    assert peak.final
    assert peak.count == peak.expected == len(samples)
    assert peak.peak_kw == pytest.approx(top.value * 4)
    assert peak.moment == top.start  # the first quarter-hour with the highest value


def test_month_peak_not_final() -> None:
    samples = _month_samples(2025, 3)
    # A missing quarter-hour: not final.
    peaks = month_peaks(day_peaks(samples[:-1], TIMEZONE), TIMEZONE)
    assert not peaks[date(2025, 3, 1)].final
    # An estimated value: not final either, though complete.
    est = [*samples[:-1], samples[-1]._replace(state="EST")]
    peak = month_peaks(day_peaks(est, TIMEZONE), TIMEZONE)[date(2025, 3, 1)]
    assert peak.count == peak.expected and not peak.final
    # A revision lowering the former maximum: the month is recomputed from the days.
    days = day_peaks(samples, TIMEZONE)
    top = max(samples, key=lambda s: s.value)
    top_day = top.start.astimezone(TIMEZONE).date()
    lowered = [s._replace(value=0.01) if s.start == top.start else s for s in samples]
    days.update(
        day_peaks([s for s in lowered if s.start.astimezone(TIMEZONE).date() == top_day], TIMEZONE)
    )
    assert month_peaks(days, TIMEZONE)[date(2025, 3, 1)].moment != top.start


def test_day_peak_store_form() -> None:
    peak = DayPeak(1.234, datetime(2025, 1, 1, 12, tzinfo=UTC), 96, 95)
    assert DayPeak.from_list(peak.as_list()) == peak


def test_capacity_average_floor_and_window() -> None:
    def mp(month: date, kw: float) -> MonthPeak:
        return MonthPeak(month, kw, datetime(2025, 1, 1, tzinfo=UTC), True, 1, 1)

    months = {
        date(2024, m, 1): mp(date(2024, m, 1), kw)
        for m, kw in zip(
            range(1, 13),
            [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0],
            strict=True,
        )
    }
    months[date(2025, 1, 1)] = mp(date(2025, 1, 1), 0.5)
    # Jan 2025 window: Feb 2024 .. Jan 2025; 2.0 and 0.5 count as 2.5.
    expected = (2.5 + sum(range(3, 13)) + 2.5) / 12
    assert capacity_average(months, date(2025, 1, 1)) == pytest.approx(expected)
    # Fewer months: the mean of what there is.
    assert capacity_average({date(2024, 1, 1): mp(date(2024, 1, 1), 1.0)}, date(2024, 1, 1)) == 2.5
    assert capacity_average({}, date(2024, 1, 1)) is None


@pytest.mark.freeze_time("2025-04-05T09:00:00Z")
@BOTH_LAYOUTS
async def test_peak_statistic_and_sensor_state(
    hass: HomeAssistant, setup: Setup, stand: StandIn
) -> None:
    """March complete -> final; April partial -> not final; one ``peak`` row per month."""
    ean = "541440010000000006"
    coordinator = await setup([ean], backfill_days=40)
    cursor = coordinator.cursors.get(ean)
    months = month_peaks(cursor.peak_days, TIMEZONE)
    assert months[date(2025, 3, 1)].final
    assert not months[date(2025, 4, 1)].final
    # The peak of March equals 4 x the highest quarter-hour of the stand-in's truth.
    march = stand.sandbox.truth(
        ean, local_midnight(date(2025, 3, 1)), local_midnight(date(2025, 4, 1)), as_of=None
    )["offtake"].quarter_hourly
    assert len(march) == 31 * 96 - 4
    best = max(march.values())
    assert months[date(2025, 3, 1)].peak_kw == pytest.approx(best * 4)
    assert months[date(2025, 3, 1)].moment == min(t for t, v in march.items() if v == best)
    stats = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        utc(2024, 1, 1),
        None,
        {statistic_id(ean, "peak")},
        "hour",
        None,
        {"mean", "max"},
    )
    rows = stats[statistic_id(ean, "peak")]
    assert [datetime.fromtimestamp(r["start"], UTC) for r in rows] == [
        local_midnight(date(2025, 2, 1)),
        local_midnight(date(2025, 3, 1)),
        local_midnight(date(2025, 4, 1)),
    ]
    assert rows[1]["max"] == pytest.approx(months[date(2025, 3, 1)].peak_kw)
    state = coordinator.data.meters[ean]
    assert state.month_peak is not None and state.month_peak.month == date(2025, 4, 1)
    assert state.capacity_average == pytest.approx(
        sum(max(p.peak_kw, 2.5) for p in months.values()) / len(months)
    )
