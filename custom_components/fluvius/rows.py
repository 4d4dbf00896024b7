"""One parsed response into hourly statistic states per (EAN, series); pure, no recorder.

* hourly rows at the UTC hour start: quarter-hours are summed per UTC hour (DST days simply have
  23 or 25 hours, nothing special happens); daily-only data gives one row at the local day start
  (gas: at the gas-day start, 06:00 local) and is never spread over hours;
* an hour some of whose slices are missing is written with what arrived and noted as partial;
* the offtake quarter-hours, the input of the monthly peak, come from the same slices.

Runs in a worker thread (importer.py): a 185-day chunk holds a few hundred thousand samples.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Final

from .api.models import (
    Direction,
    EnergyData,
    EnergyType,
    Register,
    Resolution,
    Sample,
    SeriesKey,
    Unit,
    active_series,
)
from .const import LOGGER, TIMEZONE
from .prices import Prices, add_costs
from .series import DECIMALS, SeriesRows, statistic_id
from .timeutil import gas_day_start

_HOUR_SECONDS: Final = 3600.0
PARTIAL_HOURS_KEPT: Final = timedelta(days=10)  # the last complete day looks ~3 days back
_ACTIVE_REGISTERS: Final = frozenset({Register.TOTAL, Register.DAY, Register.NIGHT})
_DAY_NIGHT: Final = frozenset({Register.DAY.value, Register.NIGHT.value})
_KNOWN_REGISTERS: Final = frozenset(str(register) for register in Register)


def hour_start(moment: datetime) -> datetime:
    """The UTC hour an instant belongs to."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _series_name(key: SeriesKey, gas: bool) -> str | None:
    """The series a value goes to; None for a register this integration does not know (a new
    register in kWh must not be added to the offtake or injection of the same direction)."""
    direction = str(key.direction)
    register = str(key.register)
    unit = str(key.unit)
    if register not in _KNOWN_REGISTERS:
        LOGGER.debug("Register %r of %s is not imported (unknown)", register, direction)
        return None
    if gas:
        suffix = "m3" if unit == Unit.M3 else "kwh"
        return f"gas_{suffix}" if direction == Direction.OFFTAKE else f"gas_{direction}_{suffix}"
    if register in (Register.INDUCTIVE, Register.CAPACITIVE):
        return f"{direction}_{register}"
    return direction


def _add_hours(rows: SeriesRows, ean: str, series: str, samples: Iterable[Sample]) -> None:
    """Sub-hourly or hourly values summed into their UTC hour.

    An hour some of whose slices are missing (a ``null`` value, a dropped impossible one, an
    interval the response lacks) gets the sum of what arrived, never 0 for the rest, and is
    noted in ``rows.partial``: it does not count as present for the last complete day.
    """
    hours: dict[datetime, list[float]] = {}
    for sample in samples:
        hour = hour_start(sample.start)
        entry = hours.get(hour)
        if entry is None:
            entry = hours[hour] = [0.0, 0.0]
        entry[0] += sample.value
        entry[1] += (sample.end - sample.start).total_seconds()
    for hour, (value, seconds) in hours.items():
        rows.add(ean, series, hour, value)
        if seconds < _HOUR_SECONDS:
            rows.partial.setdefault((ean, series), set()).add(hour)


def _by_kind(data: EnergyData) -> dict[SeriesKey, list[Sample]]:
    """Every series of the response with its physical meters summed (``meter_id`` None).

    Active energy (``total``/``day``/``night``) comes from :func:`active_series`, the one
    place that decides it, as one ``total`` series; other registers as they are.
    """
    kinds: dict[SeriesKey, list[Sample]] = {
        SeriesKey(key.ean, key.resolution, key.direction, Register.TOTAL, key.unit): samples
        for key, samples in active_series(data).items()
    }
    for key in data.series:
        if key.register in _ACTIVE_REGISTERS:
            continue
        kind = SeriesKey(key.ean, key.resolution, key.direction, key.register, key.unit)
        if kind not in kinds:
            kinds[kind] = data.samples(
                key.ean, key.resolution, key.direction, key.register, key.unit
            )
    return kinds


def rows_from_energy(
    data: EnergyData,
    *,
    hourly_access: bool,
    prices: Prices | None = None,
    tz: tzinfo = TIMEZONE,
) -> SeriesRows:
    """Turn one parsed response into hourly statistic states per (EAN, series).

    ``hourly_access``: the mandate gives quarter-hour (electricity) / hourly (gas) data. Then
    the main series come from those values (whole hours only) and the daily values only feed
    the day/night register series. Without it, the daily values are the main series, at the
    local day start (gas: 06:00). Active energy is :func:`active_series`'s: ``total``, else
    ``day`` + ``night`` (A13).
    """
    gas = data.energy_type == EnergyType.GAS or any(key.unit == Unit.M3 for key in data.series)
    rows = SeriesRows()
    offtake_day_night: dict[datetime, dict[str, float]] = {}
    if not gas:
        # The daily day/night registers, exact as billed, whatever the access.
        for key, samples in data.series.items():
            register = str(key.register)
            if key.resolution != Resolution.DAILY or register not in _DAY_NIGHT:
                continue
            for sample in samples:
                start = hour_start(sample.start)
                rows.add(key.ean, f"{key.direction}_{register}", start, sample.value)
                if key.direction == Direction.OFFTAKE:
                    offtake_day_night.setdefault(start, {})[register] = sample.value
    for kind, samples in _by_kind(data).items():
        name = _series_name(kind, gas)
        if name is None or not samples:
            continue
        if kind.resolution != Resolution.DAILY:
            if hourly_access:
                _add_hours(rows, kind.ean, name, samples)
        elif not hourly_access:
            # Daily-only access: the daily value is the main series, one row at the day start.
            for sample in samples:
                start = gas_day_start(sample.start, tz) if gas else hour_start(sample.start)
                rows.add(kind.ean, name, start, sample.value)

    if prices is not None:
        add_costs(rows, data.ean, prices, hourly_access, offtake_day_night, tz)
    for values in rows.values():
        for start, value in values.items():
            values[start] = round(value, DECIMALS)
    return rows


def track_partial_hours(known: dict[str, list[datetime]], rows: SeriesRows, now: datetime) -> None:
    """Update ``known`` (statistic id -> partial hours, kept in the cursor) with one import.

    Every hour the import writes is settled again: partial hours are added, whole ones
    removed (the missing value arrived). Hours older than :data:`PARTIAL_HOURS_KEPT` are
    forgotten: the last complete day only looks at the last few days.
    """
    horizon = now - PARTIAL_HOURS_KEPT
    for (ean, series), states in rows.items():
        stat_id = statistic_id(ean, series)
        partial = rows.partial.get((ean, series), set())
        hours = set(known.get(stat_id, ())) - states.keys() | partial
        kept = sorted(hour for hour in hours if hour >= horizon)
        if kept:
            known[stat_id] = kept
        else:
            known.pop(stat_id, None)


def offtake_quarter_hours(data: EnergyData) -> dict[str, list[Sample]]:
    """The offtake active energy (kWh) quarter-hours per EAN: the input of the monthly peak.

    The same slices as the hourly rows (:func:`active_series`): ``total``, else ``day`` +
    ``night``; physical meters summed; missing slices left out (the month is then not final).
    """
    return {
        key.ean: samples
        for key, samples in active_series(data).items()
        if key.resolution == Resolution.QUARTER_HOURLY
        and key.direction == Direction.OFFTAKE
        and key.unit == Unit.KWH
        and samples
    }
