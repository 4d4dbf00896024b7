"""Revision-safe external statistics for the Energy dashboard: import, read back, remove.

What goes in (design.md "Statistics: the rules"): the batches of hourly rows of rows.py, under
the ids and metadata of series.py; ``sum`` is a running total that starts at 0 at the first row.

How a batch of rows (one ≤185-day chunk, or one poll) is written, per statistic:

1. read, in the recorder's executor, the sum of the row just before the batch's first hour, the
   existing rows inside the batch's range and the start of the newest row;
2. walk the range hour by hour (new values win, existing rows the batch does not mention keep
   their state), recomputing the running sum; write only rows whose state or sum differs;
3. if the running sum at the end of the range moved and rows exist after it, shift every later
   row by that difference with the recorder's ``async_adjust_statistics`` (one UPDATE, not a
   row-by-row rewrite: a revision of an hour three months back touches ~2,000 later rows per
   series, which costs seconds row by row and milliseconds this way).

The same payload imported twice therefore writes nothing; chunk borders and the overlap between
the backfill and the polls cannot double count, because a value is keyed by its hour, never
added on top of a previous sum.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, Final, Literal, cast

from homeassistant.components.recorder.models import StatisticData, StatisticMetaData
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_last_statistics,
    get_metadata,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance

from .capacity import MonthPeak
from .const import DOMAIN, LOGGER, TIMEZONE
from .cursors import CursorStore
from .power import PowerRow
from .recorder_compat import async_delete_rows_after, async_wait_committed
from .series import (
    DECIMALS,
    SERIES_CAPACITY_COST,
    SERIES_PEAK,
    SERIES_POWER,
    SeriesRows,
    statistic_id,
    statistic_metadata,
)
from .timeutil import GAS_DAY_START_HOUR, local_midnight, local_time

HOUR: Final = timedelta(hours=1)
_EPSILON: Final = 1e-7  # sums and states are rounded to 6 decimals


# --- writing -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Context:
    base_sum: float  # sum of the row just before the batch (0 when none)
    existing: dict[float, tuple[float, float]]  # start ts -> (state, sum), inside the range
    last_start: float | None  # newest row of the statistic
    # No row before the batch, rows after it: the sum the batch must end at (the next row's
    # sum less its state), so that nothing after it moves.
    anchor: float | None = None


def _rows_sum(row: Mapping[str, Any]) -> float:
    value = row.get("sum")
    return float(value) if value is not None else 0.0


def _read_context(hass: HomeAssistant, stat_id: str, first: datetime, last: datetime) -> _Context:
    """Runs in the recorder's executor: what the batch needs to know about existing rows."""
    last_rows = get_last_statistics(hass, 1, stat_id, False, {"sum"})
    if not last_rows:
        return _Context(0.0, {}, None)
    last_start = float(last_rows[stat_id][0]["start"])
    types: set[Literal["change", "last_reset", "max", "mean", "min", "state", "sum"]] = {
        "state",
        "sum",
    }
    existing_rows = statistics_during_period(
        hass, first, last + HOUR, {stat_id}, "hour", None, types
    ).get(stat_id, [])
    existing = {
        float(row["start"]): (float(row.get("state") or 0.0), _rows_sum(row))
        for row in existing_rows
    }
    # The row just before the batch: usually within a few days; widen the window if not.
    for back in (timedelta(days=3), timedelta(days=400), None):
        begin = first - back if back is not None else datetime.fromtimestamp(0, UTC)
        before = statistics_during_period(hass, begin, first, {stat_id}, "hour", None, {"sum"}).get(
            stat_id, []
        )
        if before:
            return _Context(_rows_sum(before[-1]), existing, last_start)
    if last_start <= last.timestamp():
        return _Context(0.0, existing, last_start)
    # History put in front of what is stored (the import runs newest first): the first row
    # after the batch, usually right after it; widen the window if not.
    after = last + HOUR
    for ahead in (timedelta(days=3), timedelta(days=400), None):
        end = after + ahead if ahead is not None else None
        rows = statistics_during_period(hass, after, end, {stat_id}, "hour", None, types).get(
            stat_id, []
        )
        if rows:
            next_row = rows[0]
            anchor = _rows_sum(next_row) - float(next_row.get("state") or 0.0)
            return _Context(0.0, existing, last_start, round(anchor, DECIMALS))
    return _Context(0.0, existing, last_start)


@dataclass(slots=True)
class ImportResult:
    """What one batch changed."""

    written: int = 0  # rows written (inserted or updated)
    adjusted_from: datetime | None = None  # later rows shifted from here on


async def async_import_series(
    hass: HomeAssistant,
    metadata: StatisticMetaData,
    states: Mapping[datetime, float],
) -> ImportResult:
    """Upsert hourly states of one statistic, keeping the running sum continuous.

    Idempotent: rows whose state and sum are already right are not written. A batch with rows
    before it continues their sum, and shifts the rows after it when its total changed (a
    revision). A batch with no row before it but rows after it (older history, imported newest
    first) ends at the sum the next row starts from: its sums may go below 0, and nothing after
    it moves, so no reader ever sees a sum shifted half-way (the Energy dashboard reads a
    period's rows and the sum before them in two queries).
    """
    result = ImportResult()
    if not states:
        return result
    stat_id = metadata["statistic_id"]
    hours = sorted(states)
    first, last = hours[0], hours[-1]
    context = await get_instance(hass).async_add_executor_job(
        _read_context, hass, stat_id, first, last
    )
    merged: dict[float, float] = {ts: state for ts, (state, _) in context.existing.items()}
    for start, state in states.items():
        merged[start.timestamp()] = state
    base = context.base_sum
    if context.anchor is not None:
        total = 0.0
        for ts in sorted(merged):
            total = round(total + merged[ts], DECIMALS)
        base = round(context.anchor - total, DECIMALS)
    running = base
    old_end = base
    to_write: list[StatisticData] = []
    for ts in sorted(merged):
        state = merged[ts]
        running = round(running + state, DECIMALS)
        old = context.existing.get(ts)
        if old is not None:
            old_end = old[1]
        if old is None or abs(old[0] - state) > _EPSILON or abs(old[1] - running) > _EPSILON:
            to_write.append(
                StatisticData(start=datetime.fromtimestamp(ts, UTC), state=state, sum=running)
            )
    if to_write:
        async_add_external_statistics(hass, metadata, to_write)
        result.written = len(to_write)
    delta = round(running - old_end, DECIMALS)
    if (
        context.anchor is None
        and context.last_start is not None
        and context.last_start > last.timestamp()
        and abs(delta) > _EPSILON
    ):
        after = last + HOUR
        unit = metadata["unit_of_measurement"]
        assert unit is not None
        get_instance(hass).async_adjust_statistics(stat_id, after, delta, unit)
        result.adjusted_from = after
    return result


async def async_import_rows(hass: HomeAssistant, rows: SeriesRows) -> dict[str, int]:
    """Import every series of one batch, then wait until the recorder has committed them.

    Returns rows written per statistic id. Waiting matters: the next batch reads the sums this
    one wrote, and the caller moves its cursor only after the rows are in the database.
    """
    written: dict[str, int] = {}
    for (ean, series), states in sorted(rows.items()):
        result = await async_import_series(hass, statistic_metadata(ean, series), states)
        written[statistic_id(ean, series)] = result.written
    await async_wait_committed(hass)
    return written


async def async_import_peaks(
    hass: HomeAssistant, ean: str, peaks: Iterable[MonthPeak], tz: tzinfo = TIMEZONE
) -> int:
    """One ``peak`` row per local month (at the month's start): mean = min = max = peak kW."""
    stats = [
        StatisticData(
            start=local_midnight(peak.month, tz),
            mean=peak.peak_kw,
            min=peak.peak_kw,
            max=peak.peak_kw,
        )
        for peak in sorted(peaks, key=lambda p: p.month)
    ]
    if stats:
        async_add_external_statistics(hass, statistic_metadata(ean, SERIES_PEAK), stats)
    return len(stats)


async def async_import_capacity_cost(
    hass: HomeAssistant, ean: str, costs: Mapping[date, float], tz: tzinfo = TIMEZONE
) -> int:
    """One ``capacity_cost`` row (EUR) per local month, at the month's start; the sum runs on.

    Rewritten whole every time (a meter has at most a few dozen months): a revised peak or a
    new rate moves every later sum with it.
    """
    running = 0.0
    stats: list[StatisticData] = []
    for month in sorted(costs):
        running = round(running + costs[month], DECIMALS)
        stats.append(
            StatisticData(start=local_midnight(month, tz), state=costs[month], sum=running)
        )
    if stats:
        async_add_external_statistics(hass, statistic_metadata(ean, SERIES_CAPACITY_COST), stats)
    return len(stats)


def _power_levels(
    hass: HomeAssistant, stat_id: str, first: datetime, end: datetime
) -> dict[float, PowerRow]:
    """Runs in the recorder's executor: the ``power`` rows in [first, end)."""
    rows = statistics_during_period(
        hass, first, end, {stat_id}, "hour", None, {"mean", "min", "max"}
    ).get(stat_id, [])

    def level(value: float | None) -> float | None:
        return None if value is None else round(float(value), DECIMALS)

    return {
        float(row["start"]): PowerRow(
            mean=level(row.get("mean")) or 0.0, min=level(row.get("min")), max=level(row.get("max"))
        )
        for row in rows
    }


async def async_import_power(
    hass: HomeAssistant, ean: str, rows: Mapping[datetime, PowerRow]
) -> int:
    """Upsert the hourly ``power`` rows (power.py) whose mean, min or max differ from the
    stored ones; an hour without min/max (a quarter-hour missing) clears them. Returns the rows
    written (0 for the same payload twice)."""
    if not rows:
        return 0
    metadata = statistic_metadata(ean, SERIES_POWER)
    hours = sorted(rows)
    stored = await get_instance(hass).async_add_executor_job(
        _power_levels, hass, metadata["statistic_id"], hours[0], hours[-1] + HOUR
    )
    stats: list[StatisticData] = []
    for hour in hours:
        row = rows[hour]
        if stored.get(hour.timestamp()) == row:
            continue
        stat = StatisticData(start=hour, mean=row.mean)
        if row.min is not None and row.max is not None:
            stat["min"] = row.min
            stat["max"] = row.max
        stats.append(stat)
    if stats:
        async_add_external_statistics(hass, metadata, stats)
    return len(stats)


# --- reading -------------------------------------------------------------------------------


def _last_rows(hass: HomeAssistant, stat_ids: list[str], count: int) -> dict[str, list[Any]]:
    result: dict[str, list[Any]] = {}
    for stat_id in stat_ids:
        rows = get_last_statistics(hass, count, stat_id, False, {"state", "sum"})
        result[stat_id] = list(reversed(rows.get(stat_id, [])))
    return result


async def async_last_rows(
    hass: HomeAssistant, stat_ids: list[str], count: int
) -> dict[str, list[tuple[datetime, float, float]]]:
    """The newest ``count`` rows (start, state, sum) of each statistic, oldest first."""
    raw = await get_instance(hass).async_add_executor_job(_last_rows, hass, stat_ids, count)
    return {
        stat_id: [
            (
                datetime.fromtimestamp(float(row["start"]), UTC),
                float(row.get("state") or 0.0),
                _rows_sum(row),
            )
            for row in rows
        ]
        for stat_id, rows in raw.items()
    }


def last_complete_day(
    rows: list[tuple[datetime, float, float]],
    *,
    gas: bool,
    daily: bool,
    partial: Collection[datetime] = (),
    tz: tzinfo = TIMEZONE,
) -> tuple[date, float] | None:
    """The newest local day (gas day for gas) whose every hour has a whole row, and its total.

    A gas day runs 06:00-06:00 local, so on the DST weekends the gas day that holds the
    change (Saturday's) has 23 or 25 hours, like the calendar Sunday does for electricity. An
    hour in ``partial`` (a slice of it is missing, :func:`.rows.track_partial_hours`) does not
    count.
    Daily-only series have one row per day, so any day with a row is complete.
    """
    first_hour = GAS_DAY_START_HOUR if gas else 0
    shift = timedelta(hours=first_hour)
    days: dict[date, list[tuple[datetime, float]]] = {}
    for start, state, _ in rows:
        # Wall-clock arithmetic: 05:00 local belongs to the gas day of the day before.
        day = (start.astimezone(tz) - shift).date()
        days.setdefault(day, []).append((start, state))
    for day in sorted(days, reverse=True):
        entries = days[day]
        if daily:
            return day, round(sum(state for _, state in entries), DECIMALS)
        begin = local_time(day, first_hour, tz)
        end = local_time(day + timedelta(days=1), first_hour, tz)
        hours = round((end - begin) / HOUR)
        whole = {start for start, _ in entries if begin <= start < end} - set(partial)
        if len(whole) == hours:
            return day, round(sum(state for _, state in entries), DECIMALS)
    return None


# --- removing ------------------------------------------------------------------------------


def _entry_statistic_ids(hass: HomeAssistant, eans: set[str]) -> list[str]:
    metadata = get_metadata(hass, statistic_source=DOMAIN)
    prefixes = tuple(f"{DOMAIN}:{ean}_".lower() for ean in eans)
    return sorted(stat_id for stat_id in metadata if stat_id.startswith(prefixes))


async def async_statistic_ids_for(hass: HomeAssistant, eans: Iterable[str]) -> list[str]:
    """Every statistic id of these EANs that exists in the recorder."""
    ean_set = set(eans)
    if not ean_set:
        return []
    return await get_instance(hass).async_add_executor_job(_entry_statistic_ids, hass, ean_set)


async def async_delete_statistics_after(
    hass: HomeAssistant, eans: Iterable[str], start: datetime, *, series: str | None = None
) -> list[str]:
    """Delete every row starting at or after ``start`` of these EANs' statistics.

    ``series`` limits it to one series (e.g. ``peak``). Earlier rows keep their sums (nothing
    before the cut changes). Returns the ids touched.
    """
    stat_ids = await async_statistic_ids_for(hass, eans)
    if series is not None:
        wanted = {statistic_id(ean, series) for ean in eans}
        stat_ids = [stat_id for stat_id in stat_ids if stat_id in wanted]
    if stat_ids:
        await async_delete_rows_after(hass, stat_ids, start)
    return stat_ids


async def async_clear_statistics_for(hass: HomeAssistant, eans: Iterable[str]) -> list[str]:
    """Remove every statistic (rows and metadata) of these EANs."""
    stat_ids = await async_statistic_ids_for(hass, eans)
    if stat_ids:
        get_instance(hass).async_clear_statistics(stat_ids)
        await async_wait_committed(hass)
    return stat_ids


async def async_clear_entry_statistics(
    hass: HomeAssistant, entry: Any, *, keep: Iterable[str] = ()
) -> list[str]:
    """Remove every statistic of a config entry's meters, submeters included, except those of
    the meters in ``keep`` (another entry imports them).

    Called from ``async_remove_entry`` (never on unload or reload). The submeter EANs are read
    from the entry's cursor Store, which must therefore be removed after this call.
    """
    kept = set(keep)
    eans: set[str] = set(cast(list[str], entry.options.get("eans") or [])) - kept
    store = CursorStore(hass, entry.entry_id)
    cursors = await store.async_load()
    for ean, cursor in cursors.eans.items():
        if ean in kept:
            continue
        eans.add(ean)
        eans.update(cursor.sub_eans)
    LOGGER.debug("Clearing the statistics of %s", sorted(eans))
    return await async_clear_statistics_for(hass, eans)
