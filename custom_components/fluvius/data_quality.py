"""How much of a meter's recent data is estimated, missing or final (pure functions).

Learnt at import time from each readTime response: per local day (gas day for gas) the values
of the meter's own active energy (offtake, injection, ... of the main EAN, physical meters
summed, ``total`` else ``day`` + ``night``: :func:`~.api.models.active_series`), at the
resolution its statistics come from (quarter-hours or hours; daily values for a day-level
mandate), one unit per direction (m³ for gas: the kWh are converted from it). Per day:

* ``values``: values received; ``estimated``: of those, EST or NVAL;
* ``missing``: intervals sent with a ``null`` or absent value;
* ``expected``: the intervals the day holds for every direction seen that day (96
  quarter-hours, 92 or 100 on the DST Sundays; 24 hours, 23 or 25; one daily value).

A day is **validated** when every expected value arrived and none is an estimate. Responses
cover whole days (the poll refetches every day it touches with readTime), so the counts of a
day in a newer response replace the older ones: a revision that turns EST into READ lowers
the day's estimated count. Only the last :data:`DAYS_KEPT` days are kept (the Store stays
small for 3 years of history); the sensor looks at the last :data:`WINDOW_DAYS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final, NamedTuple

from .api.models import (
    FINAL_STATES,
    ActiveKey,
    EnergyData,
    EnergyType,
    Register,
    Resolution,
    Sample,
    Unit,
    active_series,
)
from .timeutil import GAS_DAY_START_HOUR, boundary_day, day_boundary

WINDOW_DAYS: Final = 30  # the estimated share covers the last 30 local (gas) days
DAYS_KEPT: Final = 40  # days of counts kept in the cursor: the window plus late revisions
_STEP: Final = {
    Resolution.QUARTER_HOURLY: timedelta(minutes=15),
    Resolution.HOURLY: timedelta(hours=1),
}
_FINEST: Final = (Resolution.QUARTER_HOURLY, Resolution.HOURLY)
_ACTIVE: Final = frozenset({Register.TOTAL, Register.DAY, Register.NIGHT})


class DayCounts(NamedTuple):
    """What one local (gas) day of a meter holds."""

    values: int
    estimated: int
    missing: int
    expected: int

    @property
    def validated(self) -> bool:
        """Every value of the day is there, and none is an estimate."""
        return self.values >= self.expected > 0 and self.estimated == 0


@dataclass(frozen=True, slots=True)
class DataQuality:
    """A meter's data quality over the last :data:`WINDOW_DAYS` days."""

    estimated_share: float | None  # % of the values received; None without values
    values: int
    estimated: int
    missing: int
    days: int  # days with counts in the window
    last_validated_day: date | None  # of the days kept


def is_gas(data: EnergyData) -> bool:
    return data.energy_type == EnergyType.GAS or any(key.unit == Unit.M3 for key in data.series)


def _resolution(keys: Iterable[Resolution], hourly_access: bool) -> Resolution | None:
    """The resolution the main statistics come from: the finest one sent (quarter-hours, then
    hours) with hourly access, else (or when only daily values came) the daily values."""
    present = set(keys)
    if hourly_access:
        for resolution in _FINEST:
            if resolution in present:
                return resolution
    return Resolution.DAILY if Resolution.DAILY in present else None


def _unit_per_direction(keys: Iterable[ActiveKey]) -> dict[str, str]:
    """One unit per direction: m³ over kWh (gas kWh are converted from the m³)."""
    chosen: dict[str, str] = {}
    for key in keys:
        direction, unit = str(key.direction), str(key.unit)
        if direction not in chosen or unit == Unit.M3:
            chosen[direction] = unit
    return chosen


def _expected(day: date, resolution: Resolution, hour: int) -> int:
    if resolution == Resolution.DAILY:
        return 1
    span = day_boundary(day + timedelta(days=1), hour) - day_boundary(day, hour)
    return int(span / _STEP[resolution])


def day_counts(data: EnergyData, *, hourly_access: bool, now: datetime) -> dict[date, DayCounts]:
    """The counts per local day (gas day for gas) of one response, of the days kept at ``now``
    (run in a worker thread, next to the rows: a chunk can hold 185 days)."""
    gas = is_gas(data)
    hour = GAS_DAY_START_HOUR if gas else 0
    since = quality_today(now, gas) - timedelta(days=DAYS_KEPT - 1)
    # An older chunk of the history (most of a backfill) holds no day kept: nothing to count.
    since_at = day_boundary(since, 0) - timedelta(days=1)
    if not any(samples and samples[-1].end > since_at for samples in data.series.values()) and (
        not any(slot.start >= since_at for slot in data.missing)
    ):
        return {}
    active = {
        key: samples
        for key, samples in active_series(data).items()
        if key.ean == data.ean and samples
    }
    slots = [slot for slot in data.missing if slot.ean == data.ean and slot.register in _ACTIVE]
    resolution = _resolution(
        [key.resolution for key in active] + [slot.resolution for slot in slots], hourly_access
    )
    if resolution is None:
        return {}
    keys = [key for key in active if key.resolution == resolution]
    units = _unit_per_direction(keys)

    def day_of(start: datetime) -> date:
        # A daily value is its local date (gas: the gas day starting that date, A20).
        if resolution == Resolution.DAILY:
            return boundary_day(start)
        return boundary_day(start, hour)

    present: dict[date, dict[str, dict[datetime, Sample]]] = {}
    for key in keys:
        if str(key.unit) != units[str(key.direction)]:
            continue
        for sample in active[key]:
            day = day_of(sample.start)
            if day >= since:
                present.setdefault(day, {}).setdefault(str(key.direction), {})[sample.start] = (
                    sample
                )
    gaps: dict[date, dict[str, set[datetime]]] = {}
    for slot in slots:
        if slot.resolution != resolution:
            continue
        day = day_of(slot.start)
        if day >= since:
            gaps.setdefault(day, {}).setdefault(str(slot.direction), set()).add(slot.start)
    result: dict[date, DayCounts] = {}
    for day in present.keys() | gaps.keys():
        by_direction = present.get(day, {})
        holes = gaps.get(day, {})
        directions = by_direction.keys() | holes.keys()
        values = sum(len(samples) for samples in by_direction.values())
        estimated = sum(
            sample.state not in FINAL_STATES
            for samples in by_direction.values()
            for sample in samples.values()
        )
        missing = sum(
            len(starts - by_direction.get(direction, {}).keys())
            for direction, starts in holes.items()
        )
        result[day] = DayCounts(
            values, estimated, missing, _expected(day, resolution, hour) * len(directions)
        )
    return result


def note_day_counts(
    known: dict[date, DayCounts], counts: Mapping[date, DayCounts], today: date
) -> None:
    """Update ``known`` (kept in the cursor) with one response's counts: a day it holds is
    replaced (its latest version counts); days before the last :data:`DAYS_KEPT` up to
    ``today`` (:func:`quality_today`) go."""
    known.update(counts)
    horizon = today - timedelta(days=DAYS_KEPT - 1)
    for day in [day for day in known if day < horizon]:
        del known[day]


def summarize(days: Mapping[date, DayCounts], today: date) -> DataQuality:
    """The last :data:`WINDOW_DAYS` days up to ``today`` (local, or the gas day)."""
    first = today - timedelta(days=WINDOW_DAYS - 1)
    window = [counts for day, counts in days.items() if first <= day <= today]
    values = sum(counts.values for counts in window)
    estimated = sum(counts.estimated for counts in window)
    validated = [day for day, counts in days.items() if counts.validated and day <= today]
    return DataQuality(
        estimated_share=round(100 * estimated / values, 2) if values else None,
        values=values,
        estimated=estimated,
        missing=sum(counts.missing for counts in window),
        days=len(window),
        last_validated_day=max(validated) if validated else None,
    )


def quality_today(now: datetime, gas: bool) -> date:
    """The local day (gas day for gas) ``now`` falls in."""
    return boundary_day(now, GAS_DAY_START_HOUR if gas else 0)
