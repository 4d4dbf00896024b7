"""Provisional gas kWh: re-read a gas month once when its definitive factor never showed up.

Gas kWh are m³ times a conversion factor that becomes definitive 2-5 days after the month
(fluvius-api.md §7.9, §11.3): until then the values carry ``P``, afterwards ``D`` (or ``C``).
Fluvius re-inserts the month's values with the definitive factor, which the daily insertTime poll
picks up; when it does not list them (a re-insert outside the window, or not reported as one),
the provisional kWh would stay for good. So every import notes, per gas month, the gas days whose
kWh still carry ``P``; once a month is past :data:`DEFINITIVE_FACTOR_DELAY` and still has such
days, the poll re-reads that month once with readTime. A month re-read once is not re-read again,
even if Fluvius still sends ``P`` (the insertTime poll still takes a later correction).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Final

from .api.models import EnergyData, EnergyType, GasConversionFactor, Unit
from .cursors import EanCursor
from .timeutil import GAS_DAY_START_HOUR, boundary_day, day_boundary, month_start, next_month

# The definitive factor comes 2-5 days after the month; one more day for the poll to list it.
DEFINITIVE_FACTOR_DELAY: Final = timedelta(days=6)
# Re-read months are remembered this long (a month older than this is not imported as P).
REREAD_KEPT: Final = timedelta(days=400)


def gas_day(moment: datetime) -> date:
    """The gas day (06:00-06:00 local) an instant falls in."""
    return boundary_day(moment, GAS_DAY_START_HOUR)


def gas_month_span(month: date) -> tuple[datetime, datetime]:
    """The UTC instants a gas month starts and ends (06:00 local on the 1st)."""
    return _gas_day_start(month), _gas_day_start(next_month(month))


def _gas_day_start(day: date) -> datetime:
    return day_boundary(day, GAS_DAY_START_HOUR)


def note_gas_factors(cursor: EanCursor, data: EnergyData) -> None:
    """Record which gas days of this response have provisional kWh, and which no longer do."""
    if data.energy_type == EnergyType.ELECTRICITY:
        return
    days: dict[date, bool] = {}  # gas day -> some value of it is provisional
    for key, samples in data.series.items():
        if key.unit != Unit.KWH:  # the factor only comes with kWh
            continue
        for sample in samples:
            factor = sample.gas_conversion_factor
            if factor is None:
                continue
            # The middle of the interval: a daily value may start at 06:00 or midnight (A20).
            day = gas_day(sample.start + (sample.end - sample.start) / 2)
            days[day] = days.get(day, False) or factor == GasConversionFactor.PROVISIONAL
    for day, provisional in days.items():
        month = month_start(day)
        if month in cursor.gas_reread:
            continue
        pending = cursor.gas_provisional.get(month, set())
        if provisional:
            pending.add(day)
        else:
            pending.discard(day)
        if pending:
            cursor.gas_provisional[month] = pending
        else:
            cursor.gas_provisional.pop(month, None)


def months_to_reread(cursor: EanCursor, now: datetime) -> list[date]:
    """Gas months past the definitive factor's delay whose kWh are still provisional."""
    return sorted(
        month
        for month in cursor.gas_provisional
        if gas_month_span(month)[1] + DEFINITIVE_FACTOR_DELAY <= now
    )


def mark_reread(cursor: EanCursor, month: date, now: datetime) -> None:
    """``month`` was re-read: never again; forget months re-read long ago."""
    cursor.gas_provisional.pop(month, None)
    cursor.gas_reread.add(month)
    horizon = month_start(gas_day(now - REREAD_KEPT))
    cursor.gas_reread = {m for m in cursor.gas_reread if m >= horizon}
