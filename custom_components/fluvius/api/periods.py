"""Request periods of GET Energy: formatting, limits and splitting into ≤185-day chunks.

* Datetimes go out as UTC ``YYYY-MM-DDTHH:MM:SSZ`` (§5); naive datetimes are refused
  (``ValueError``), sub-second parts are dropped (floored).
* ``to`` is exclusive and must be after ``from``.
* One request covers at most 185 days (§7.2; "about 6 months", A17): 185 x 24 hours, counted in
  UTC, the only reading that is safe whatever the server counts.
* ``readTime`` reaches back 3 years (calendar years), ``insertTime`` 6 months (calendar months,
  A18), from now.

Splitting keeps the chunks consecutive (each chunk's ``to`` is the next one's ``from``, the
first ``from`` and the last ``to`` are the caller's), each at most 185 x 24 hours. When ``start``
is on a boundary of the API's daily values in Europe/Brussels (local midnight for electricity,
06:00 for the gas day), every border is put on that same local time, so no daily interval is cut
between two requests; across a DST change such a chunk is an hour (or, when keeping the time of
day would exceed 185 x 24 hours, a day) shorter. Any other ``start`` gives borders exactly
185 x 24 hours apart.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Final
from zoneinfo import ZoneInfo

from .errors import FluviusPeriodError
from .models import PeriodType

BRUSSELS: Final = ZoneInfo("Europe/Brussels")
MAX_PERIOD: Final = timedelta(days=185)
READ_TIME_YEARS: Final = 3
INSERT_TIME_MONTHS: Final = 6
WIRE_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"
DAY_BOUNDARY_HOURS: Final = frozenset({0, 6})  # local midnight; 06:00, the gas day (§7.9)


def to_utc(value: datetime, name: str = "datetime") -> datetime:
    """``value`` in UTC, floored to the second; ``ValueError`` for a naive datetime."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (got a naive datetime)")
    return value.astimezone(UTC).replace(microsecond=0)


def format_datetime(value: datetime, name: str = "datetime") -> str:
    """The API's datetime format: ``2024-09-18T22:00:00Z``."""
    return to_utc(value, name).strftime(WIRE_FORMAT)


def years_back(moment: datetime, years: int) -> datetime:
    """The same date and time ``years`` calendar years earlier (29 Feb → 28 Feb)."""
    year = moment.year - years
    day = min(moment.day, calendar.monthrange(year, moment.month)[1])
    return moment.replace(year=year, day=day)


def months_back(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (clamped to the month's end)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def earliest_start(period_type: PeriodType | str, now: datetime) -> datetime:
    """The earliest ``from`` the API accepts for ``period_type`` at ``now``."""
    if period_type == PeriodType.INSERT_TIME:
        return months_back(to_utc(now, "now"), INSERT_TIME_MONTHS)
    return years_back(to_utc(now, "now"), READ_TIME_YEARS)


def check_period(
    period_type: PeriodType | str, start: datetime, end: datetime, now: datetime
) -> tuple[datetime, datetime]:
    """``(start, end)`` in UTC (floored to the second), or :class:`FluviusPeriodError`."""
    begin = to_utc(start, "start")
    stop = to_utc(end, "end")
    if stop <= begin:
        raise FluviusPeriodError(
            f"the period must end after it starts ({format_datetime(begin)} to "
            f"{format_datetime(stop)})"
        )
    limit = earliest_start(period_type, now)
    if begin < limit:
        reach = (
            f"{INSERT_TIME_MONTHS} months"
            if period_type == PeriodType.INSERT_TIME
            else f"{READ_TIME_YEARS} years"
        )
        raise FluviusPeriodError(
            f"{period_type} periods reach back {reach}: {format_datetime(begin)} is before "
            f"{format_datetime(limit)}"
        )
    return begin, stop


def split_period(
    start: datetime,
    end: datetime,
    *,
    max_span: timedelta = MAX_PERIOD,
    timezone: tzinfo = BRUSSELS,
) -> list[tuple[datetime, datetime]]:
    """Consecutive ``[from, to)`` chunks of at most ``max_span`` covering ``[start, end)``.

    Borders keep ``start``'s local time of day in ``timezone`` when it is a day boundary
    (00:00 or 06:00; see the module docstring).
    """
    if max_span <= timedelta(0):
        raise ValueError("max_span must be positive")
    start = start.astimezone(UTC)  # UTC arithmetic: a span is 185 x 24 real hours
    end = end.astimezone(UTC)
    reference = start.astimezone(timezone)
    align = (
        reference.hour in DAY_BOUNDARY_HOURS
        and reference.minute == reference.second == reference.microsecond == 0
    )
    chunks: list[tuple[datetime, datetime]] = []
    cursor = start
    while end - cursor > max_span:
        border = cursor + max_span
        aligned = _same_local_time(border, reference, timezone) if align else border
        if not cursor < aligned <= border:
            aligned = border  # pragma: no cover - defensive
        chunks.append((cursor, aligned))
        cursor = aligned
    chunks.append((cursor, end))
    return chunks


def _same_local_time(limit: datetime, reference: datetime, timezone: tzinfo) -> datetime:
    """The last instant at or before ``limit`` whose local time of day is ``reference``'s."""
    local = limit.astimezone(timezone)
    for days in (0, 1):
        day = local - timedelta(days=days)  # wall-clock arithmetic: same tzinfo
        candidate = day.replace(
            hour=reference.hour,
            minute=reference.minute,
            second=reference.second,
            microsecond=reference.microsecond,
            fold=0,
        ).astimezone(UTC)
        if candidate <= limit:
            return candidate
    return limit  # pragma: no cover - one of the two days always qualifies
