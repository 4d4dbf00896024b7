"""Revision-safe external statistics for the Energy dashboard.

What goes in (design.md "Statistics: the rules"):

* ids ``fluvius:<ean>_<series>`` (lower case), source ``fluvius``, metadata in the current form
  (``mean_type``, ``unit_class``);
* hourly rows at the UTC hour start: quarter-hours are summed per UTC hour (DST days simply have
  23 or 25 hours, nothing special happens); daily-only data gives one row at the local day start
  (gas: at the gas-day start, 06:00 local) and is never spread over hours;
* ``sum`` is a running total that starts at 0 at the first row.

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

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_last_statistics,
    get_metadata,
    statistics_during_period,
)
from homeassistant.const import (
    UnitOfEnergy,
    UnitOfPower,
    UnitOfReactiveEnergy,
    UnitOfVolume,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util.unit_conversion import (
    EnergyConverter,
    PowerConverter,
    ReactiveEnergyConverter,
    VolumeConverter,
)

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
from .capacity import MonthPeak
from .const import DOMAIN, LOGGER, TIMEZONE
from .cursors import CursorStore
from .recorder_compat import async_delete_rows_after, async_wait_committed
from .timeutil import GAS_DAY_START_HOUR, gas_day_start, local_midnight, local_time

HOUR: Final = timedelta(hours=1)
DAY_TARIFF_HOURS: Final = range(7, 22)  # Belgian day tariff: 07:00-22:00 Mon-Fri local
_EPSILON: Final = 1e-7  # sums and states are rounded to 6 decimals
_DECIMALS: Final = 6
_HOUR_SECONDS: Final = 3600.0
PARTIAL_HOURS_KEPT: Final = timedelta(days=10)  # the last complete day looks ~3 days back
_ACTIVE_REGISTERS: Final = frozenset({Register.TOTAL, Register.DAY, Register.NIGHT})
_DAY_NIGHT: Final = frozenset({Register.DAY.value, Register.NIGHT.value})

SERIES_PEAK: Final = "peak"


@dataclass(frozen=True, slots=True)
class SeriesSpec:
    """What one statistic measures."""

    unit: str
    unit_class: str | None
    label: str


_ENERGY = (UnitOfEnergy.KILO_WATT_HOUR, EnergyConverter.UNIT_CLASS)
_VOLUME = (UnitOfVolume.CUBIC_METERS, VolumeConverter.UNIT_CLASS)
_REACTIVE = (
    UnitOfReactiveEnergy.KILO_VOLT_AMPERE_REACTIVE_HOUR,
    ReactiveEnergyConverter.UNIT_CLASS,
)
_MONEY = ("EUR", None)  # the ISO code, as Home Assistant's own currency setting


def series_spec(series: str) -> SeriesSpec:
    """Unit and label of a series name (see docs/architecture.md for the list)."""
    label = series.replace("_", " ").replace("m3", "m³").replace("kwh", "kWh")
    if series == SERIES_PEAK:
        return SeriesSpec(UnitOfPower.KILO_WATT, PowerConverter.UNIT_CLASS, "monthly peak")
    if series.endswith(("_cost", "_compensation")):
        unit, unit_class = _MONEY
    elif series.endswith("m3"):
        unit, unit_class = _VOLUME
    elif series.endswith(("_inductive", "_capacitive")):
        unit, unit_class = _REACTIVE
    else:
        unit, unit_class = _ENERGY
    return SeriesSpec(unit, unit_class, label)


def statistic_id(ean: str, series: str) -> str:
    """``fluvius:<ean>_<series>``, lower case."""
    return f"{DOMAIN}:{ean}_{series}".lower()


def statistic_metadata(ean: str, series: str) -> StatisticMetaData:
    """Metadata in the current recorder form (``mean_type`` and ``unit_class``)."""
    spec = series_spec(series)
    return StatisticMetaData(
        # The monthly peak is a level, not a counter: one row per month with mean = min = max =
        # the peak, so that a statistics graph at period "month" shows the peak of each month.
        mean_type=StatisticMeanType.ARITHMETIC if series == SERIES_PEAK else StatisticMeanType.NONE,
        has_sum=series != SERIES_PEAK,
        name=f"Fluvius {ean} {spec.label}",
        source=DOMAIN,
        statistic_id=statistic_id(ean, series),
        unit_class=spec.unit_class,
        unit_of_measurement=spec.unit,
    )


@dataclass(frozen=True, slots=True)
class Prices:
    """Optional prices (EUR/kWh) for the cost series."""

    day: float | None = None
    night: float | None = None
    injection: float | None = None
    gas: float | None = None

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Prices:
        def _get(key: str) -> float | None:
            value: Any = options.get(key)
            return float(value) if value not in (None, "") else None

        return cls(
            day=_get("price_day"),
            night=_get("price_night"),
            injection=_get("price_injection"),
            gas=_get("price_gas"),
        )

    @property
    def offtake_day(self) -> float | None:
        return self.day

    @property
    def offtake_night(self) -> float | None:
        return self.night if self.night is not None else self.day


def is_day_tariff(hour_start: datetime, tz: tzinfo = TIMEZONE) -> bool:
    """Belgian day tariff: 07:00-22:00 local, Monday to Friday; every other hour is night."""
    local = hour_start.astimezone(tz)
    return local.weekday() < 5 and local.hour in DAY_TARIFF_HOURS


def hour_start(moment: datetime) -> datetime:
    """The UTC hour an instant belongs to."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


class SeriesRows(dict[tuple[str, str], dict[datetime, float]]):
    """(EAN, series name) -> {UTC hour start: state}.

    ``partial``: per series, the hours summed from fewer slices than the hour holds (a value
    was ``null``, dropped or not sent). Their rows are written with what arrived (the
    dashboard keeps the rest of the hour), but they do not make a day complete
    (:func:`last_complete_day`, through :func:`track_partial_hours`).
    """

    __slots__ = ("partial",)

    def __init__(self) -> None:
        super().__init__()
        self.partial: dict[tuple[str, str], set[datetime]] = {}


_KNOWN_REGISTERS: Final = frozenset(str(register) for register in Register)


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


def _add(rows: SeriesRows, ean: str, series: str, start: datetime, value: float) -> None:
    bucket = rows.setdefault((ean, series), {})
    bucket[start] = bucket.get(start, 0.0) + value


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
        _add(rows, ean, series, hour, value)
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
                _add(rows, key.ean, f"{key.direction}_{register}", start, sample.value)
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
                _add(rows, kind.ean, name, start, sample.value)

    if prices is not None:
        _add_costs(rows, data.ean, prices, hourly_access, offtake_day_night, tz)
    for values in rows.values():
        for start, value in values.items():
            values[start] = round(value, _DECIMALS)
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


def _add_costs(
    rows: SeriesRows,
    ean: str,
    prices: Prices,
    hourly_access: bool,
    offtake_day_night: dict[datetime, dict[str, float]],
    tz: tzinfo,
) -> None:
    """Cost series: price x kWh per row.

    Hourly rows take the day or night price by the Belgian tariff windows; daily rows price the
    day and night registers (a daily total without registers takes the day price).
    """
    day_price, night_price = prices.offtake_day, prices.offtake_night
    if day_price is not None and night_price is not None:
        offtake = rows.get((ean, Direction.OFFTAKE.value), {})
        if hourly_access:
            for start, kwh in offtake.items():
                price = day_price if is_day_tariff(start, tz) else night_price
                _add(rows, ean, "offtake_cost", start, kwh * price)
        else:
            for start, kwh in offtake.items():
                registers = offtake_day_night.get(start)
                if registers:
                    cost = registers.get(Register.DAY, 0.0) * day_price
                    cost += registers.get(Register.NIGHT, 0.0) * night_price
                else:
                    cost = kwh * day_price
                _add(rows, ean, "offtake_cost", start, cost)
    if prices.injection is not None:
        for start, kwh in rows.get((ean, Direction.INJECTION.value), {}).items():
            _add(rows, ean, "injection_compensation", start, kwh * prices.injection)
    if prices.gas is not None:
        for start, kwh in rows.get((ean, "gas_kwh"), {}).items():
            _add(rows, ean, "gas_cost", start, kwh * prices.gas)


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


# --- writing -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Context:
    base_sum: float  # sum of the row just before the batch (0 when none)
    existing: dict[float, tuple[float, float]]  # start ts -> (state, sum), inside the range
    last_start: float | None  # newest row of the statistic


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
    base_sum = 0.0
    # The row just before the batch: usually within a few days; widen the window if not.
    for back in (timedelta(days=3), timedelta(days=400), None):
        begin = first - back if back is not None else datetime.fromtimestamp(0, UTC)
        before = statistics_during_period(hass, begin, first, {stat_id}, "hour", None, {"sum"}).get(
            stat_id, []
        )
        if before:
            base_sum = _rows_sum(before[-1])
            break
    return _Context(base_sum, existing, last_start)


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

    Idempotent: rows whose state and sum are already right are not written.
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
    running = context.base_sum
    old_end = context.base_sum
    to_write: list[StatisticData] = []
    for ts in sorted(merged):
        state = merged[ts]
        running = round(running + state, _DECIMALS)
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
    delta = round(running - old_end, _DECIMALS)
    if (
        context.last_start is not None
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


SERIES_CAPACITY_COST: Final = "capacity_cost"


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
        running = round(running + costs[month], _DECIMALS)
        stats.append(
            StatisticData(start=local_midnight(month, tz), state=costs[month], sum=running)
        )
    if stats:
        async_add_external_statistics(hass, statistic_metadata(ean, SERIES_CAPACITY_COST), stats)
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
    hour in ``partial`` (a slice of it is missing, :func:`track_partial_hours`) does not count.
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
            return day, round(sum(state for _, state in entries), _DECIMALS)
        begin = local_time(day, first_hour, tz)
        end = local_time(day + timedelta(days=1), first_hour, tz)
        hours = round((end - begin) / HOUR)
        whole = {start for start, _ in entries if begin <= start < end} - set(partial)
        if len(whole) == hours:
            return day, round(sum(state for _, state in entries), _DECIMALS)
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
