"""Local midnights, gas days and chunk ends: one home for the calendar arithmetic.

Fluvius counts electricity in local (Europe/Brussels) days and gas in gas days, which run
06:00-06:00 local. Every instant handed to the recorder or the API is UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Final

from .api.models import EnergyData, Resolution
from .const import TIMEZONE

GAS_DAY_START_HOUR: Final = 6  # the gas day runs 06:00-06:00 local
MAX_CHUNK_DAYS: Final = 185  # local days per readTime request at most
MAX_CHUNK: Final = timedelta(days=MAX_CHUNK_DAYS)


def local_day(moment: datetime, tz: tzinfo) -> date:
    """The local calendar day an instant falls in."""
    return moment.astimezone(tz).date()


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """The UTC instant of a local day's midnight."""
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def local_time(day: date, hour: int, tz: tzinfo = TIMEZONE) -> datetime:
    """The UTC instant of ``hour``:00 local on ``day`` (0: midnight; 6: the gas day's start)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=tz).astimezone(UTC)


def gas_day_start(moment: datetime, tz: tzinfo = TIMEZONE) -> datetime:
    """The 06:00 local start of the gas day a daily gas value belongs to, in UTC.

    Whether gas daily values carry 06:00 or midnight boundaries is not specified (A20): a value
    starting at local midnight is put at 06:00 of that same date, one starting at 06:00 stays.
    """
    local = moment.astimezone(tz)
    start = datetime(local.year, local.month, local.day, GAS_DAY_START_HOUR, tzinfo=tz)
    return start.astimezone(UTC)


def day_boundary(day: date, hour: int = 0) -> datetime:
    """The UTC instant a local day starts: midnight, or 06:00 for the gas day."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=TIMEZONE).astimezone(UTC)


def boundary_day(moment: datetime, hour: int = 0) -> date:
    """The local (gas) day an instant falls in."""
    return (moment.astimezone(TIMEZONE) - timedelta(hours=hour)).date()


def ceil_local_midnight(moment: datetime, hour: int = 0) -> datetime:
    """The first local day start at or after ``moment`` (UTC)."""
    day = boundary_day(moment, hour)
    start = day_boundary(day, hour)
    return start if start >= moment else day_boundary(day + timedelta(days=1), hour)


def floor_local_midnight(moment: datetime, hour: int = 0) -> datetime:
    return day_boundary(boundary_day(moment, hour), hour)


def chunk_end(
    start: datetime,
    limit: datetime,
    hour: int = 0,
    days: int | None = None,
    max_days: int = MAX_CHUNK_DAYS,
) -> datetime:
    """End of the chunk starting at ``start``: a local day start ``days`` (≤ ``max_days``, at
    most 185) days on, or ``limit``."""
    day = boundary_day(start, hour) + timedelta(days=min(days or max_days, max_days))
    end = day_boundary(day, hour)
    while end - start > MAX_CHUNK:  # a DST change inside the chunk can add an hour
        day -= timedelta(days=1)
        end = day_boundary(day, hour)
    return min(end, limit)


def chunk_start(
    end: datetime,
    floor: datetime,
    hour: int = 0,
    days: int | None = None,
    max_days: int = MAX_CHUNK_DAYS,
) -> datetime:
    """Start of the chunk ending at ``end`` (the backfill goes newest first): the local day
    start ``days`` (≤ ``max_days``, at most 185) days before the first day start at or after
    ``end``, or ``floor``. The first chunk of a window that ends mid-day covers that day too."""
    day = boundary_day(ceil_local_midnight(end, hour), hour) - timedelta(
        days=min(days or max_days, max_days)
    )
    start = day_boundary(day, hour)
    while end - start > MAX_CHUNK:  # a DST change or a mid-day end can add hours
        day += timedelta(days=1)
        start = day_boundary(day, hour)
    return max(start, floor)


def days_in(start: datetime, end: datetime, hour: int = 0) -> set[date]:
    """The local days (gas days for gas) measured in [start, end)."""
    days: set[date] = set()
    day = boundary_day(start, hour)
    while day_boundary(day, hour) < end:
        days.add(day)
        day += timedelta(days=1)
    return days


def days_touched(data: EnergyData, limit: datetime, hour: int = 0) -> set[date]:
    """The local days (gas days for gas) the values of a response starting before ``limit``
    fall in."""
    days: set[date] = set()
    for key, samples in data.series.items():
        for sample in samples:
            if sample.start >= limit:
                continue
            days.add(boundary_day(sample.start, hour))
            if key.resolution == Resolution.DAILY:
                # A daily value may not follow our day boundaries (A20): take both ends.
                days.add(boundary_day(sample.end - timedelta(seconds=1), hour))
    return days


def day_runs(days: set[date], gap_days: int) -> list[tuple[date, date]]:
    """The days as (first, last) runs, merging runs at most ``gap_days`` apart."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and (day - runs[-1][1]).days <= gap_days:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs
