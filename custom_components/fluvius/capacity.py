"""Monthly peak and the 12-month capacity average (Flemish capacity tariff), as pure functions.

The API does not deliver the monthly peak (fluvius-api.md §8): it is the highest offtake
quarter-hour of the local (Europe/Brussels) calendar month, in kWh, times four (kW). It is final
only when every quarter-hour of the month is present (days x 96, minus 4 in March, plus 4 in
October) and READ/VAL.

We never keep all quarter-hours. Per local day we keep one compact :class:`DayPeak` (the day's
highest quarter-hour, its moment, how many quarter-hours were seen and how many were final).
Fetches always cover whole local days, so a revised day simply replaces its entry, and a month's
peak is recomputed exactly from its days even when the revision lowers the former maximum.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from .api.models import FINAL_STATES, Sample, preferred
from .timeutil import local_day, local_midnight, month_start, next_month

QUARTER_HOUR = timedelta(minutes=15)
CAPACITY_FLOOR_KW = 2.5  # the capacity tariff bills at least 2.5 kW per month
CAPACITY_WINDOW_MONTHS = 12


@dataclass(frozen=True, slots=True)
class DayPeak:
    """The highest offtake quarter-hour of one local day and how complete the day is."""

    max_kwh: float
    moment: datetime  # UTC start of the highest quarter-hour (the first one on a tie)
    count: int  # quarter-hours seen
    final_count: int  # of those, READ or VAL

    def as_list(self) -> list[float | int]:
        """Compact form for the Store: [max_kwh, moment (epoch s), count, final_count]."""
        return [self.max_kwh, int(self.moment.timestamp()), self.count, self.final_count]

    @classmethod
    def from_list(cls, raw: list[float | int]) -> DayPeak:
        return cls(
            max_kwh=float(raw[0]),
            moment=datetime.fromtimestamp(int(raw[1]), UTC),
            count=int(raw[2]),
            final_count=int(raw[3]),
        )


@dataclass(frozen=True, slots=True)
class MonthPeak:
    """The capacity-tariff peak of one local calendar month."""

    month: date  # first day of the month
    peak_kw: float
    moment: datetime  # UTC start of the peak quarter-hour
    final: bool
    count: int  # quarter-hours seen in the month
    expected: int  # quarter-hours the month has


def expected_quarter_hours(month: date, tz: tzinfo) -> int:
    """Quarter-hours in a local month: days x 96, minus 4 in March, plus 4 in October (DST)."""
    span = local_midnight(next_month(month), tz) - local_midnight(month, tz)
    return int(span / QUARTER_HOUR)


def day_peaks(samples: Iterable[Sample], tz: tzinfo) -> dict[date, DayPeak]:
    """Per local day: the highest quarter-hour value and how many (final) values were seen.

    ``samples`` are the offtake active-energy quarter-hours of one EAN
    (``rows.offtake_quarter_hours``); a start given twice counts once, by the rule of
    every repeated interval (:func:`~.api.models.preferred`: the most final, then the last).
    """
    by_start: dict[datetime, Sample] = {}
    for sample in samples:
        seen = by_start.get(sample.start)
        by_start[sample.start] = sample if seen is None else preferred(seen, sample)
    best: dict[date, tuple[float, datetime]] = {}
    counts: dict[date, list[int]] = {}
    for start in sorted(by_start):
        sample = by_start[start]
        day = local_day(start, tz)
        current = best.get(day)
        if current is None or sample.value > current[0]:
            best[day] = (sample.value, start)
        count = counts.setdefault(day, [0, 0])
        count[0] += 1
        if sample.state in FINAL_STATES:
            count[1] += 1
    return {
        day: DayPeak(max_kwh=value, moment=moment, count=counts[day][0], final_count=counts[day][1])
        for day, (value, moment) in best.items()
    }


def month_peaks(days: Mapping[date, DayPeak], tz: tzinfo) -> dict[date, MonthPeak]:
    """Monthly peaks (kW) from the per-day maxima; a month is final when it is complete."""
    grouped: dict[date, list[DayPeak]] = {}
    for day, peak in days.items():
        grouped.setdefault(month_start(day), []).append(peak)
    result: dict[date, MonthPeak] = {}
    for month, peaks in sorted(grouped.items()):
        top = max(peaks, key=lambda p: (p.max_kwh, -p.moment.timestamp()))
        count = sum(p.count for p in peaks)
        final_count = sum(p.final_count for p in peaks)
        expected = expected_quarter_hours(month, tz)
        result[month] = MonthPeak(
            month=month,
            peak_kw=round(top.max_kwh * 4, 6),
            moment=top.moment,
            final=count == expected and final_count == expected,
            count=count,
            expected=expected,
        )
    return result


def capacity_average(
    months: Mapping[date, MonthPeak],
    current_month: date,
    *,
    floor_kw: float = CAPACITY_FLOOR_KW,
    window: int = CAPACITY_WINDOW_MONTHS,
) -> float | None:
    """The rolling mean of the monthly peaks of the last ``window`` months up to ``current_month``.

    Each month counts at least ``floor_kw``. Months without data (before the meter or the mandate)
    are left out of the mean rather than counted as zero; None when there is no month at all.
    """
    first = current_month
    for _ in range(window - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    values = [
        max(peak.peak_kw, floor_kw)
        for month, peak in months.items()
        if first <= month <= current_month
    ]
    if not values:
        return None
    return round(sum(values) / len(values), 6)
