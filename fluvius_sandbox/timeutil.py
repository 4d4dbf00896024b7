"""Time helpers: the API's strict UTC format, Belgian local days, gas days and months.

Fluvius works in Belgian local time (Europe/Brussels) for day boundaries (local midnight),
gas days (06:00-06:00 local) and months, but every timestamp on the wire is UTC in the form
``YYYY-MM-DDTHH:MM:SSZ`` (fluvius-api.md §5).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
import re
from typing import Final
from zoneinfo import ZoneInfo

TIMEZONE: Final = ZoneInfo("Europe/Brussels")
GAS_DAY_HOUR: Final = 6

_API_FORMAT: Final = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$")


def parse_api_datetime(text: str) -> datetime:
    """Parse ``YYYY-MM-DDTHH:MM:SSZ`` strictly (no offsets, no fractions); raise ValueError."""
    match = _API_FORMAT.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not formatted as YYYY-MM-DDTHH:MM:SSZ")
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def format_api_datetime(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_epoch(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso_datetime(text: str) -> datetime:
    """Lenient ISO 8601 for the CLI and the admin API (naive means UTC; ``Z`` accepted)."""
    moment = datetime.fromisoformat(text.strip().replace("z", "Z").replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def ensure_utc(moment: datetime) -> datetime:
    """Aware datetimes only; converted to UTC."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: give a time zone (UTC or Europe/Brussels)")
    return moment.astimezone(UTC)


def local_day(moment: datetime) -> date:
    return moment.astimezone(TIMEZONE).date()


def local_midnight(day: date) -> datetime:
    """The UTC instant the local (Belgian) day starts."""
    return datetime(day.year, day.month, day.day, tzinfo=TIMEZONE).astimezone(UTC)


def midnight_after(moment: datetime, delta: timedelta) -> datetime:
    """Local midnight of the day ``delta`` after ``moment``."""
    return local_midnight(local_day(moment + delta))


def gas_day_start(day: date) -> datetime:
    """The UTC instant the gas day of ``day`` starts (06:00 local)."""
    return datetime(day.year, day.month, day.day, GAS_DAY_HOUR, tzinfo=TIMEZONE).astimezone(UTC)


def gas_day_of(moment: datetime) -> date:
    """The gas day (named by its start date) an instant belongs to."""
    return (moment.astimezone(TIMEZONE) - timedelta(hours=GAS_DAY_HOUR)).date()


def add_months(day: date, months: int) -> date:
    """``day`` shifted by whole calendar months (the 31st becomes the month's last day)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def add_years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


def month_index(day: date) -> int:
    """Months since year 0: a compact, ordered key for a calendar month."""
    return day.year * 12 + day.month - 1


def month_of_index(index: int) -> date:
    year, month = divmod(index, 12)
    return date(year, month + 1, 1)


def utc_offset_seconds(epoch: int) -> int:
    """Europe/Brussels UTC offset at an instant."""
    offset = datetime.fromtimestamp(epoch, TIMEZONE).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())
