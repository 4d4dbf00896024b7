"""Data quality per day: values, estimates, missing values and validated days, counted from
GET Energy responses in the spec's JSON shape (fluvius-api.md §7.7)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from custom_components.fluvius.api import parse_energy
from custom_components.fluvius.const import TIMEZONE
from custom_components.fluvius.cursors import EanCursor
from custom_components.fluvius.data_quality import (
    DAYS_KEPT,
    DayCounts,
    day_counts,
    note_day_counts,
    summarize,
)

EAN = "541440110000000001"
QH = timedelta(minutes=15)
HOUR = timedelta(hours=1)

type Leaf = Callable[[datetime], dict[str, Any] | None]


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _midnight(day: date, hour: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TIMEZONE).astimezone(UTC)


def _leaf(value: float | None, state: str, unit: str = "kWh") -> dict[str, Any]:
    return {"value": value, "unit": unit, "validationState": state}


def _digital(
    day: date,
    state: Callable[[datetime], str] = lambda _start: "READ",
    *,
    null_at: frozenset[datetime] = frozenset(),
    days: int = 1,
) -> dict[str, Any]:
    """A digital electricity meter's quarter-hours (``day`` + ``night``, the spec's digital
    layout) and daily values for ``days`` local days from ``day``."""
    start, end = _midnight(day), _midnight(day + timedelta(days=days))
    quarters = []
    moment = start
    while moment < end:
        night_value = None if moment in null_at else 0.125
        quarters.append(
            {
                "start": _ts(moment),
                "end": _ts(moment + QH),
                "measurements": [
                    {
                        "offtake": {
                            "day": _leaf(0.0, state(moment)),
                            "night": _leaf(night_value, state(moment)),
                        },
                        "injection": {
                            "day": _leaf(0.0, state(moment)),
                            "night": _leaf(0.0, state(moment)),
                        },
                    }
                ],
            }
        )
        moment += QH
    daily = [
        {
            "start": _ts(_midnight(day + timedelta(days=n))),
            "end": _ts(_midnight(day + timedelta(days=n + 1))),
            "measurements": [
                {
                    "offtake": {"day": _leaf(0.0, "READ"), "night": _leaf(12.0, "READ")},
                    "injection": {"day": _leaf(0.0, "READ"), "night": _leaf(0.0, "READ")},
                }
            ],
        }
        for n in range(days)
    ]
    return {
        "data": {
            "headpoint": {
                "$type": "metering-on-meter",
                "ean": EAN,
                "energyType": "E",
                "physicalMeters": [
                    {
                        "seqNumber": "1",
                        "meterID": "1SAG3105012345",
                        "dailyEnergy": daily,
                        "quarterHourlyEnergy": quarters,
                    }
                ],
            }
        }
    }


def _counts(payload: dict[str, Any], now: datetime, *, hourly_access: bool = True) -> Any:
    return day_counts(parse_energy(payload), hourly_access=hourly_access, now=now)


def test_spec_shaped_day_estimates_and_nulls() -> None:
    """A digital meter's day: offtake and injection quarter-hours counted (not the daily
    values), the EST ones and one null night value (that slice is missing, not 0)."""
    day = date(2026, 11, 16)
    start = _midnight(day)
    estimated = {start + n * QH for n in range(40, 44)}  # an hour estimated (both directions)
    payload = _digital(
        day,
        lambda moment: "EST" if moment in estimated else "READ",
        null_at=frozenset({start + 60 * QH}),
    )
    counts = _counts(payload, datetime(2026, 11, 19, 9, tzinfo=UTC))
    assert counts == {day: DayCounts(values=191, estimated=8, missing=1, expected=192)}
    assert not counts[day].validated

    clean = _counts(_digital(day), datetime(2026, 11, 19, 9, tzinfo=UTC))
    assert clean == {day: DayCounts(192, 0, 0, 192)}
    assert clean[day].validated


def test_daily_access_counts_the_daily_values() -> None:
    """A day-level mandate: the daily values are the meter's data (one per direction)."""
    day = date(2026, 11, 16)
    payload = _digital(day)
    del payload["data"]["headpoint"]["physicalMeters"][0]["quarterHourlyEnergy"]
    counts = _counts(payload, datetime(2026, 11, 19, 9, tzinfo=UTC), hourly_access=False)
    assert counts == {day: DayCounts(2, 0, 0, 2)}
    assert counts[day].validated


def test_dst_days_expect_92_and_100_quarter_hours() -> None:
    """The DST Sundays hold 92 and 100 quarter-hours a direction: complete means all of them."""
    spring, autumn = date(2025, 3, 30), date(2025, 10, 26)
    for day, per_direction in ((spring, 92), (autumn, 100)):
        now = _midnight(day + timedelta(days=3))
        counts = _counts(_digital(day), now)
        assert counts == {day: DayCounts(2 * per_direction, 0, 0, 2 * per_direction)}
        assert counts[day].validated
    # The autumn day's repeated 02:00-03:00 hour missing in the response: not complete.
    payload = _digital(autumn)
    quarters = payload["data"]["headpoint"]["physicalMeters"][0]["quarterHourlyEnergy"]
    del quarters[12:16]  # 02:00-03:00 CEST, the first of the two
    counts = _counts(payload, _midnight(autumn + timedelta(days=3)))
    assert counts == {autumn: DayCounts(192, 0, 0, 200)}
    assert not counts[autumn].validated


def test_gas_day_hours_counted_once_per_direction() -> None:
    """Digital gas, hourly in m³ and kWh (the spec's two measurements per hour): one value per
    hour, grouped by gas day (06:00-06:00 local); an hour in NVAL counts as estimated."""
    gas_day = date(2026, 11, 16)
    start = _midnight(gas_day, 6)
    hours = []
    for n in range(24 + 3):  # the gas day and three hours of the next one
        moment = start + n * HOUR
        state = "EST" if n == 5 else "READ"
        hours.append(
            {
                "start": _ts(moment),
                "end": _ts(moment + HOUR),
                "measurements": [
                    {"offtake": {"total": _leaf(0.243, state, "m3")}},
                    {"offtake": {"total": {**_leaf(2.786, state), "gasConversionFactor": "P"}}},
                ],
            }
        )
    payload = {
        "data": {
            "headpoint": {
                "$type": "metering-on-meter",
                "ean": "541441010000000002",
                "energyType": "G",
                "physicalMeters": [
                    {"seqNumber": "1", "meterID": "7FLO2120012345", "hourlyEnergy": hours}
                ],
            }
        }
    }
    counts = _counts(payload, datetime(2026, 11, 19, 9, tzinfo=UTC))
    assert counts == {
        gas_day: DayCounts(24, 1, 0, 24),
        gas_day + timedelta(days=1): DayCounts(3, 0, 0, 24),
    }


def test_revision_est_to_read_replaces_the_day() -> None:
    """The day's readTime refetch after a correction replaces its counts: the share drops and
    the day becomes the last validated one; the days before keep theirs."""
    now = datetime(2026, 11, 19, 9, tzinfo=UTC)
    first = date(2026, 11, 15)
    revised = date(2026, 11, 17)
    estimated = {_midnight(revised) + n * QH for n in range(32, 48)}
    known: dict[date, DayCounts] = {}
    backfill = _digital(first, lambda moment: "EST" if moment in estimated else "READ", days=3)
    note_day_counts(known, _counts(backfill, now), now.date())
    before = summarize(known, now.date())
    assert before.values == 3 * 192
    assert before.estimated == 32
    assert before.estimated_share == round(100 * 32 / 576, 2)
    assert before.last_validated_day == date(2026, 11, 16)

    note_day_counts(known, _counts(_digital(revised), now), now.date())
    after = summarize(known, now.date())
    assert known[revised] == DayCounts(192, 0, 0, 192)
    assert after.estimated == 0
    assert after.estimated_share == 0.0
    assert after.last_validated_day == revised
    assert after.days == 3


def test_only_the_last_days_are_kept_and_counted() -> None:
    """Counts older than DAYS_KEPT days go; the share covers the last 30 days."""
    now = datetime(2026, 11, 19, 9, tzinfo=UTC)
    today = now.date()
    old = today - timedelta(days=DAYS_KEPT + 5)
    known: dict[date, DayCounts] = {}
    # A response of 45 days up to yesterday: only the kept ones are counted at all.
    note_day_counts(known, _counts(_digital(old, days=DAYS_KEPT + 5), now), today)
    assert min(known) == today - timedelta(days=DAYS_KEPT - 1)
    assert max(known) == today - timedelta(days=1)
    assert len(known) == DAYS_KEPT - 1
    # A response of older days only (most backfill chunks) counts nothing.
    assert _counts(_digital(old, days=3), now) == {}
    # Days 31-40 back hold estimates: outside the 30-day share, but kept.
    for n in range(30, DAYS_KEPT):
        known[today - timedelta(days=n)] = DayCounts(192, 192, 0, 192)
    quality = summarize(known, today)
    assert quality.estimated_share == 0.0
    assert quality.days == 29  # today has no values yet
    assert quality.last_validated_day == today - timedelta(days=1)
    # A later day's counts prune the oldest.
    note_day_counts(known, {}, today + timedelta(days=2))
    assert min(known) == today + timedelta(days=2) - timedelta(days=DAYS_KEPT - 1)


def test_no_values_no_share() -> None:
    quality = summarize({}, date(2026, 11, 19))
    assert quality.estimated_share is None
    assert quality.last_validated_day is None
    assert (quality.values, quality.missing, quality.days) == (0, 0, 0)


def test_counts_persist_in_the_store() -> None:
    """The counts survive a restart; a Store written before them loads with none."""
    cursor = EanCursor()
    cursor.quality_days = {date(2026, 11, 17): DayCounts(191, 8, 1, 192)}
    raw = cursor.as_dict()
    assert raw["quality_days"] == {"2026-11-17": [191, 8, 1, 192]}
    assert EanCursor.from_dict(raw).quality_days == cursor.quality_days
    del raw["quality_days"]
    assert EanCursor.from_dict(raw).quality_days == {}
