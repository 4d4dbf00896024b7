"""One response into the recorder: rows and day peaks, statistics, what the meter's cursor learns.

The decoding of a response into hourly rows and per-day offtake maxima is pure and runs in a
worker thread (a 185-day chunk holds a few hundred thousand samples). The rows go to the
recorder through statistics.py; the day peaks are kept in the cursor for the capacity window
and give the monthly ``peak`` rows and the capacity cost. Nothing here needs a coordinator.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .api.models import EnergyData
from .capacity import DayPeak, day_peaks, month_peaks
from .capacity_cost import async_write_capacity_cost
from .const import TIMEZONE
from .cursors import EanCursor, SubMeter
from .data_quality import day_counts, is_gas, note_day_counts, quality_today
from .dynamic_costs import async_add_dynamic_costs, fixed_prices, forget_unpriced_from
from .gas_factor import note_gas_factors
from .power import PowerRow, power_rows
from .prices import Prices
from .recorder_compat import async_wait_committed
from .rows import offtake_quarter_hours, rows_from_energy, track_partial_hours
from .series import SERIES_CAPACITY_COST, SERIES_PEAK, SERIES_POWER, SeriesRows, statistic_id
from .statistics import (
    async_delete_statistics_after,
    async_import_peaks,
    async_import_power,
    async_import_rows,
    async_last_rows,
    last_complete_day,
)
from .submeter_reactive import drop_submeter_reactive, submeter_reactive
from .timeutil import local_day, local_midnight, month_start

# Per-day offtake maxima are kept for the capacity window (12 months) plus a margin for late
# revisions; older months' peaks are final and stay in the ``peak`` statistic.
PEAK_MONTHS_KEPT: Final = 14
LAST_DAY_SERIES: Final = ("offtake", "injection", "gas_m3", "gas_kwh", "production", "auxiliary")


def rows_and_peaks(
    ean: str, data: EnergyData, hourly_access: bool, prices: Prices
) -> tuple[SeriesRows, dict[date, DayPeak] | None, dict[datetime, PowerRow]]:
    """The hourly rows, the per-day offtake maxima and the hourly power of one response (pure;
    run in a worker thread: for a 185-day chunk this is a few hundred thousand samples)."""
    rows = rows_from_energy(data, hourly_access=hourly_access, prices=prices)
    quarter_hours = offtake_quarter_hours(data).get(ean)
    peaks = day_peaks(quarter_hours, TIMEZONE) if quarter_hours else None
    return rows, peaks, power_rows(quarter_hours or ())


def peak_horizon(now: datetime) -> date:
    """The first day whose per-day maximum we keep: PEAK_MONTHS_KEPT months back."""
    month = month_start(local_day(now, TIMEZONE))
    for _ in range(PEAK_MONTHS_KEPT):
        month = month_start(month - timedelta(days=1))
    return month


def learn_meter(cursor: EanCursor, data: EnergyData) -> None:
    """What a response tells of the meter: its kind, meter id and submeters."""
    cursor.headpoint_type = str(data.headpoint_type) if data.headpoint_type else None
    if data.energy_type is not None:
        cursor.energy_type = str(data.energy_type)
    for meter in data.physical_meters:
        if meter.meter_id:
            cursor.meter_id = meter.meter_id
    for sub in data.sub_headpoints:
        cursor.sub_meters[sub.ean] = SubMeter(str(sub.type), sub.installation_type, sub.seq_number)


async def async_write_peaks(
    hass: HomeAssistant,
    options: Mapping[str, Any],
    ean: str,
    cursor: EanCursor,
    months: set[date],
) -> None:
    """Import the ``peak`` rows of the months whose peak changed."""
    peaks = month_peaks(
        {day: p for day, p in cursor.peak_days.items() if month_start(day) in months},
        TIMEZONE,
    )
    changed = [
        peak
        for month, peak in peaks.items()
        if cursor.peaks_written.get(month) != (peak.peak_kw, peak.final)
    ]
    if changed:
        await async_import_peaks(hass, ean, changed, TIMEZONE)
        for peak in changed:
            cursor.peaks_written[peak.month] = (peak.peak_kw, peak.final)
        cursor.note_series(ean, {"peak"})
        await async_write_capacity_cost(hass, options, ean, cursor.peaks_written)


async def async_import_response(
    hass: HomeAssistant,
    options: Mapping[str, Any],
    cursor: EanCursor,
    ean: str,
    data: EnergyData,
    *,
    hourly_access: bool,
    prices: Prices,
) -> dict[str, int]:
    """Import one response: hourly statistics, monthly peaks, what we learn of the meter.

    The submeters' reactive series are left out unless the ``submeter_reactive`` option is
    on. Returns the rows written per statistic id.
    """
    learn_meter(cursor, data)
    cursor.missing_values += data.missing_values
    note_gas_factors(cursor, data)
    fixed = fixed_prices(prices, options, hourly_access=hourly_access)
    rows, all_peaks, power = await hass.async_add_executor_job(
        rows_and_peaks, ean, data, hourly_access, fixed
    )
    if not submeter_reactive(options):
        drop_submeter_reactive(rows, ean)
    await async_add_dynamic_costs(
        hass, options, cursor, ean, rows, hourly_access=hourly_access, now=dt_util.utcnow()
    )
    series_by_ean: dict[str, set[str]] = {ean: {SERIES_POWER}} if power else {}
    for row_ean, series in rows:
        series_by_ean.setdefault(row_ean, set()).add(series)
    for row_ean, names in series_by_ean.items():
        cursor.note_series(row_ean, names)
    if all_peaks is not None:
        horizon = peak_horizon(dt_util.utcnow())
        peaks = {d: p for d, p in all_peaks.items() if d >= horizon}
        if peaks:
            cursor.peak_days.update(peaks)
            await async_write_peaks(hass, options, ean, cursor, {month_start(d) for d in peaks})
        # Months before the horizon are final and written; their days need not be kept.
        # This keeps the Store (saved after every poll) the same size for 1 or 3 years.
        cursor.peak_days = {d: p for d, p in cursor.peak_days.items() if d >= horizon}
    power_written = await async_import_power(hass, ean, power)  # committed with the rows
    written = await async_import_rows(hass, rows)
    if power:
        written[statistic_id(ean, SERIES_POWER)] = power_written
    now = dt_util.utcnow()
    track_partial_hours(cursor.partial_hours, rows, now)
    # What share of the recent days is estimated, missing or final (the latest response of a
    # day replaces its counts).
    counts = await hass.async_add_executor_job(
        partial(day_counts, data, hourly_access=hourly_access, now=now)
    )
    note_day_counts(cursor.quality_days, counts, quality_today(now, is_gas(data)))
    cursor.rows_written += sum(written.values())
    ends = [samples[-1].end for samples in data.series.values() if samples]
    if ends:
        newest = max(ends)
        if cursor.data_period_to is not None:
            newest = min(newest, cursor.data_period_to)
        if cursor.last_data is None or newest > cursor.last_data:
            cursor.last_data = newest
    return written


async def async_last_day_values(
    hass: HomeAssistant, ean: str, cursor: EanCursor, *, daily: bool
) -> dict[str, dict[str, tuple[date, float]]]:
    """The last complete day of the main series of a meter and its submeters, read back from
    the recorder (per EAN that has one of those series)."""
    result: dict[str, dict[str, tuple[date, float]]] = {}
    for meter_ean in (ean, *cursor.sub_eans):
        names = [s for s in LAST_DAY_SERIES if s in cursor.series.get(meter_ean, [])]
        if not names:
            continue
        ids = {statistic_id(meter_ean, name): name for name in names}
        rows = await async_last_rows(hass, list(ids), 4 if daily else 80)
        values: dict[str, tuple[date, float]] = {}
        for stat_id, name in ids.items():
            found = last_complete_day(
                rows.get(stat_id, []),
                gas=name.startswith("gas"),
                daily=daily,
                partial=cursor.partial_hours.get(stat_id, ()),
            )
            if found is not None:
                values[name] = found
        result[meter_ean] = values
    return result


async def async_purge_after(
    hass: HomeAssistant,
    options: Mapping[str, Any],
    ean: str,
    cursor: EanCursor,
    end: datetime,
    cut: datetime,
) -> None:
    """Remove a meter's statistics from ``cut`` (the day start at or before its new data period
    ``end``) on, and what its cursor knows of them. When ``cut`` equals ``end`` the month's peak
    is rewritten here; else the caller fetches [cut, end) again, which rewrites it."""
    await async_delete_statistics_after(hass, [ean, *cursor.sub_eans], cut)
    # Peak rows start at the month start: the month of the cut is recomputed below.
    cut_month = month_start(local_day(cut, TIMEZONE))
    for series in (SERIES_PEAK, SERIES_CAPACITY_COST):
        await async_delete_statistics_after(
            hass, [ean], local_midnight(cut_month, TIMEZONE), series=series
        )
    cut_day = local_day(cut, TIMEZONE)
    cursor.peak_days = {d: p for d, p in cursor.peak_days.items() if d < cut_day}
    cursor.quality_days = {d: c for d, c in cursor.quality_days.items() if d < cut_day}
    cursor.peaks_written = {m: v for m, v in cursor.peaks_written.items() if m < cut_month}
    forget_unpriced_from(cursor, cut)
    cursor.end_at(end)
    if cursor.last_data is not None and cursor.last_data > end:
        cursor.last_data = end
    if cut >= end:
        await async_write_peaks(hass, options, ean, cursor, {cut_month})
        await async_wait_committed(hass)
