"""GET Energy: which values a request selects, and the response JSON (fluvius-api.md §7.7).

Selection works on whole blocks with numpy (see :mod:`.model`):

* ``readTime``: intervals whose start is in ``[from, to)``, inside the mandate's data period, and
  already inserted at "now"; each shown as known at "now" (latest version).
* ``insertTime``: intervals with a version inserted in ``[from, min(to, now])``; each shown as that
  version (the latest one inside the window).

Daily values are sums of the base intervals of the (gas) day, evaluated at the same moment, so a
day's ``day`` + ``night`` registers equal its quarter-hours exactly and a gas day equals its hours.
A daily value is only given for days entirely inside the data period.

The JSON is written by hand: values keep the spec's three decimals (``7.876``, ``0.000``) and a
185-day answer with submeters is built in a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Final

import numpy as np

from .eans import MockEan
from .model import (
    NEVER,
    Block,
    BoolArray,
    DataModel,
    IntArray,
    Point,
    has_reactive,
    meter_id,
    points,
)
from .scenario import QuarterHourLayout, Scenario, Shown, estimate_copy
from .timeutil import month_index

type Period = tuple[int, int]  # [start, end) epoch seconds


class Granularity(StrEnum):
    DAILY = "daily"
    HOURLY_QUARTERHOURLY = "hourly_quarterhourly"


class PeriodType(StrEnum):
    READ_TIME = "readTime"
    INSERT_TIME = "insertTime"


# How far after its interval a version can be inserted: a late day (4 days) plus a correction
# (6 days); gas kWh is sent again when the month closes (up to 5 days after its end).
_ELECTRICITY_LOOKBACK: Final = 12 * 86400
_GAS_LOOKBACK: Final = 40 * 86400


@dataclass(frozen=True, slots=True)
class Register:
    """One value inside a direction: name, unit and where its numbers come from."""

    name: str  # total, day, night, inductive, capacitive
    unit: str  # kWh, kVArh, m3
    channel: str  # block channel key
    tariff: bool | None = None  # daily digital electricity: day (True) or night (False) hours
    gas_kwh: bool = False  # convert litres to kWh with the month's factor


@dataclass(frozen=True, slots=True)
class Rows:
    """The selected intervals of one granularity, with every register's values."""

    starts: IntArray
    ends: IntArray
    pending: BoolArray  # estimate (EST / NVAL) at the shown version
    definitive: BoolArray  # gas: kWh computed with the D factor
    values: dict[str, IntArray] = field(default_factory=dict)  # register id -> thousandths

    @property
    def size(self) -> int:
        return int(self.starts.shape[0])


def register_id(point: Point, register: Register) -> str:
    return f"{point.key}:{register.name}:{register.unit}"


def registers(
    mock: MockEan,
    point: Point,
    daily: bool,
    *,
    active: bool,
    reactive: bool,
    layout: QuarterHourLayout = QuarterHourLayout.DAY_NIGHT,
) -> list[Register]:
    """The registers one point reports at a granularity (one measurement object's worth);
    ``layout``: those of a digital meter's electricity quarter-hours (see :mod:`.scenario`)."""
    if mock.is_gas:
        result = [] if mock.is_amr else [Register("total", "m3", point.key)]
        return [*result, Register("total", "kWh", point.key, gas_kwh=True)]
    if not mock.is_amr:
        if daily or layout is QuarterHourLayout.DAY_NIGHT:
            return [
                Register("day", "kWh", point.key, tariff=True),
                Register("night", "kWh", point.key, tariff=False),
            ]
        return [Register("total", "kWh", point.key)]
    result = [Register("total", "kWh", point.key)] if active else []
    if reactive and has_reactive(mock):
        result += [
            Register("inductive", "kVArh", point.key + ":inductive"),
            Register("capacitive", "kVArh", point.key + ":capacitive"),
        ]
    return result


def _inside(starts: IntArray, ends: IntArray, periods: Sequence[Period]) -> BoolArray:
    mask = np.zeros(starts.shape[0], dtype=bool)
    for lo, hi in periods:
        mask |= (starts >= lo) & (ends <= hi)
    return mask


def _latest_in(window: Period, *versions: IntArray) -> IntArray:
    """Per element: the latest version time inside ``window``, or -1."""
    lo, hi = window
    best = np.full(versions[0].shape[0], -1, dtype=np.int64)
    for version in versions:
        best = np.where((version >= lo) & (version < hi) & (version > best), version, best)
    return best


@dataclass(frozen=True, slots=True)
class EnergyRequest:
    """A validated GET Energy request, times in epoch seconds."""

    mock: MockEan
    period_type: PeriodType
    start: int
    end: int
    now: int
    granularities: tuple[Granularity, ...]
    periods: dict[Granularity, list[Period]]  # data periods of the mandates per granularity
    active: bool = True
    reactive: bool = True


class EnergySelector:
    """Turns a request into :class:`Rows` per granularity."""

    def __init__(self, model: DataModel, scenario: Scenario | None = None) -> None:
        self.model = model
        self.scenario = scenario if scenario is not None else Scenario(model.seed)

    def blocks(self, mock: MockEan, start: int, end: int) -> list[Block]:
        """The blocks whose intervals can start in ``[start, end)``."""
        first = month_index(_utc_date(start - 86400))
        last = month_index(_utc_date(end + 86400))
        result = []
        for month in range(first, last + 1):
            block = self.model.block(mock, month)
            if block.day_bounds[-1] > start and block.day_bounds[0] < end:
                result.append(block)
        return result

    def select(self, request: EnergyRequest, granularity: Granularity) -> Rows:
        mock = request.mock
        daily = granularity is Granularity.DAILY
        periods = request.periods.get(granularity, [])
        regs = [
            (point, register)
            for point in points(mock)
            for register in registers(
                mock,
                point,
                daily,
                active=request.active,
                reactive=request.reactive,
                layout=self.scenario.quarter_hours,
            )
        ]
        if request.period_type is PeriodType.READ_TIME:
            scan = (request.start, request.end)
        else:
            lookback = _GAS_LOOKBACK if mock.is_gas else _ELECTRICITY_LOOKBACK
            scan = (request.start - lookback - 86400 * 2, min(request.end, request.now + 1))
        blocks = self.blocks(mock, *scan)
        if request.period_type is PeriodType.INSERT_TIME:
            # Scenario edits inserted in the window may concern intervals far back.
            window = (request.start, min(request.end, request.now + 1))
            months = {block.month for block in blocks}
            for start in self.model.edited_between(mock.ean, *window):
                for block in self.blocks(mock, start, start + 1):
                    if block.month not in months:
                        months.add(block.month)
                        blocks.append(block)
            blocks.sort(key=lambda block: block.month)
        parts: list[Rows] = []
        for block in blocks:
            if daily:
                part = self._daily(block, request, periods, regs)
            else:
                part = self._fine(block, request, periods, regs)
            if part.size:
                parts.append(part)
        return _concat(parts, regs)

    def _fine(
        self,
        block: Block,
        request: EnergyRequest,
        periods: Sequence[Period],
        regs: list[tuple[Point, Register]],
    ) -> Rows:
        starts = block.starts
        ends = starts + block.step
        inside = _inside(starts, ends, periods) & ~block.missing
        if request.period_type is PeriodType.READ_TIME:
            chosen = (
                inside
                & (starts >= request.start)
                & (starts < request.end)
                & (block.insert_first[block.day_of] <= request.now)
            )
            times: IntArray = np.full(block.size, request.now, dtype=np.int64)
        else:
            first = block.insert_first[block.day_of]
            fix = np.where(block.estimated, block.insert_fix[block.day_of], NEVER)
            versions = [first, fix]
            if block.gas is not None:
                versions.append(np.where(first < block.gas.closed_at, block.gas.closed_at, NEVER))
            window = (request.start, min(request.end, request.now + 1))
            times = _latest_in(window, *versions)
            chosen = inside & (times >= 0)
        index = np.flatnonzero(chosen)
        at = times[index]
        pending = block.pending(times)[index]
        definitive = (
            (at >= block.gas.closed_at) if block.gas is not None else np.zeros(index.size, bool)
        )
        rows = Rows(starts[index], ends[index], pending, definitive)
        for point, register in regs:
            values = block.values_at(register.channel, times)[index]
            if register.gas_kwh:
                values = block.gas_kwh(values, definitive)
            if register.tariff is not None:
                values = np.where(block.day_tariff[index] == register.tariff, values, 0)
            rows.values[register_id(point, register)] = values
        return rows

    def _daily(
        self,
        block: Block,
        request: EnergyRequest,
        periods: Sequence[Period],
        regs: list[tuple[Point, Register]],
    ) -> Rows:
        day_starts = block.day_bounds[:-1]
        day_ends = block.day_bounds[1:]
        inside = _inside(day_starts, day_ends, periods)
        has_fix = np.add.reduceat(block.estimated.astype(np.int64), block.day_first[:-1]) > 0
        if request.period_type is PeriodType.READ_TIME:
            chosen = (
                inside
                & (day_starts >= request.start)
                & (day_starts < request.end)
                & (block.insert_first <= request.now)
            )
            day_times: IntArray = np.full(block.days, request.now, dtype=np.int64)
        else:
            versions = [block.insert_first, np.where(has_fix, block.insert_fix, NEVER)]
            if block.gas is not None:
                closed = block.gas.closed_at
                versions.append(np.where(block.insert_first < closed, closed, NEVER))
            window = (request.start, min(request.end, request.now + 1))
            day_times = _latest_in(window, *versions)
            chosen = inside & (day_times >= 0)
        index = np.flatnonzero(chosen)
        times = day_times[block.day_of]
        bounds = block.day_first[:-1]
        pending_days = np.add.reduceat(block.pending(times).astype(np.int64), bounds) > 0
        definitive_days = (
            day_times >= block.gas.closed_at
            if block.gas is not None
            else np.zeros(block.days, dtype=bool)
        )
        rows = Rows(day_starts[index], day_ends[index], pending_days[index], definitive_days[index])
        for point, register in regs:
            values = np.where(block.missing, 0, block.values_at(register.channel, times))
            if register.gas_kwh:
                values = block.gas_kwh(values, definitive_days[block.day_of])
            if register.tariff is not None:
                values = np.where(block.day_tariff == register.tariff, values, 0)
            rows.values[register_id(point, register)] = np.add.reduceat(values, bounds)[index]
        return rows


def _utc_date(epoch: int) -> date:
    return datetime.fromtimestamp(epoch, UTC).date()


def _concat(parts: list[Rows], regs: list[tuple[Point, Register]]) -> Rows:
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        rows = Rows(empty, empty, np.zeros(0, bool), np.zeros(0, bool))
        for point, register in regs:
            rows.values[register_id(point, register)] = empty
        return rows
    if len(parts) == 1:
        return parts[0]
    rows = Rows(
        np.concatenate([p.starts for p in parts]),
        np.concatenate([p.ends for p in parts]),
        np.concatenate([p.pending for p in parts]),
        np.concatenate([p.definitive for p in parts]),
    )
    for key in parts[0].values:
        rows.values[key] = np.concatenate([p.values[key] for p in parts])
    return rows


# --- rendering ----------------------------------------------------------------------------------


def _timestamps(epochs: IntArray) -> list[str]:
    text = np.datetime_as_string(epochs.astype("datetime64[s]"), unit="s")
    return [f"{value}Z" for value in text.tolist()]


def _numbers(values: IntArray) -> list[str]:
    return [f"{value:.3f}" for value in (values / 1000.0).tolist()]


def _cells(
    rows: Rows, register: Register, values: IntArray, amr: bool, shown: IntArray
) -> list[str]:
    """Per row: ``"<register>":{leaf}``, or "" where the register is left out."""
    ok, estimate = ("VAL", "NVAL") if amr else ("READ", "EST")
    head = f'"{register.name}":{{"value":'
    tail_ok = f',"unit":"{register.unit}","validationState":"{ok}"'
    tail_est = f',"unit":"{register.unit}","validationState":"{estimate}"'
    numbers = _numbers(values)
    pending = rows.pending.tolist()
    if register.gas_kwh:
        codes = [
            ',"gasConversionFactor":"D"}' if d else ',"gasConversionFactor":"P"}'
            for d in rows.definitive.tolist()
        ]
    else:
        codes = ["}"] * rows.size
    cells = [
        head + n + (tail_est if p else tail_ok) + c
        for n, p, c in zip(numbers, pending, codes, strict=True)
    ]
    if shown.any():
        no_value = f'"{register.name}":{{'
        for i in np.flatnonzero(shown).tolist():
            code = int(shown[i])
            tail = (tail_est if pending[i] else tail_ok) + codes[i]
            if code == Shown.NULL:
                cells[i] = head + "null" + tail
            elif code == Shown.NO_VALUE:
                cells[i] = no_value + tail[1:]
            else:
                cells[i] = ""
    return cells


def _direction_objects(
    rows: Rows,
    groups: list[tuple[Point, list[Register]]],
    amr: bool,
    shown: dict[str, IntArray],
) -> list[str]:
    """Per row: the members of one measurement object, e.g. ``"offtake":{"day":...}``."""
    parts: list[list[str]] = []
    for point, regs in groups:
        columns = [
            _cells(
                rows,
                register,
                rows.values[register_id(point, register)],
                amr,
                shown[register_id(point, register)],
            )
            for register in regs
        ]
        prefix = f'"{point.direction}":{{'
        parts.append(
            [
                prefix + ",".join(cell for cell in cells if cell) + "}"
                for cells in zip(*columns, strict=True)
            ]
        )
    return [",".join(cells) for cells in zip(*parts, strict=True)]


def _interval_texts(rows: Rows, measurements: list[str]) -> list[str]:
    starts = _timestamps(rows.starts)
    ends = _timestamps(rows.ends)
    return [
        f'{{"start":"{s}","end":"{e}","measurements":[{m}]}}'
        for s, e, m in zip(starts, ends, measurements, strict=True)
    ]


def _estimate_copies(rows: Rows, index: IntArray) -> Rows:
    """The rows at ``index`` as estimates with other numbers (duplicates with mixed states)."""
    copies = Rows(
        rows.starts[index],
        rows.ends[index],
        np.ones(index.shape[0], dtype=bool),
        rows.definitive[index],
    )
    for key, values in rows.values.items():
        copies.values[key] = estimate_copy(values[index])
    return copies


def _measurements(
    mock: MockEan,
    container: list[Point],
    rows: Rows,
    granularity: Granularity,
    request: EnergyRequest,
    scenario: Scenario,
) -> list[str] | None:
    """Per row: the ``measurements`` array's members; None when the container has none."""
    daily = granularity is Granularity.DAILY
    groups = [
        (
            point,
            registers(
                mock,
                point,
                daily,
                active=request.active,
                reactive=request.reactive,
                layout=scenario.quarter_hours,
            ),
        )
        for point in container
    ]
    shown = {
        register_id(point, register): scenario.blanks_of(
            mock.ean,
            point.ean,
            point.direction,
            register.name,
            register.unit,
            granularity.value,
            rows.starts,
        )
        for point, regs in groups
        for register in regs
    }
    if mock.is_gas:
        # One measurement object per unit (fluvius-api.md §7.7: m3 and kWh).
        objects: list[list[str]] = []
        for unit in ("m3", "kWh"):
            unit_groups = [(point, [r for r in regs if r.unit == unit]) for point, regs in groups]
            if all(regs for _, regs in unit_groups):
                objects.append(_direction_objects(rows, unit_groups, mock.is_amr, shown))
        return [",".join("{" + obj + "}" for obj in cells) for cells in zip(*objects, strict=True)]
    groups = [(point, regs) for point, regs in groups if regs]
    if not groups:
        return None
    return ["{" + obj + "}" for obj in _direction_objects(rows, groups, mock.is_amr, shown)]


def _container_arrays(
    mock: MockEan,
    container: list[Point],
    selected: dict[Granularity, Rows],
    request: EnergyRequest,
    scenario: Scenario,
) -> list[str]:
    """The ``"dailyEnergy":[...]`` / ``"quarterHourlyEnergy":[...]`` members of a container."""
    members = []
    for granularity in (Granularity.DAILY, Granularity.HOURLY_QUARTERHOURLY):
        if granularity not in selected:
            continue
        rows = selected[granularity]
        daily = granularity is Granularity.DAILY
        fine = "hourlyEnergy" if mock.is_gas else "quarterHourlyEnergy"
        name = "dailyEnergy" if daily else fine
        measurements = (
            _measurements(mock, container, rows, granularity, request, scenario)
            if rows.size
            else None
        )
        if measurements is None:
            members.append(f'"{name}":[]')
            continue
        texts = _interval_texts(rows, measurements)
        twice, est_first = scenario.duplicates_of(mock.ean, granularity.value, rows.starts)
        index = np.flatnonzero(twice & ~rows.pending)
        if index.size:
            copies = _estimate_copies(rows, index)
            copy_measurements = _measurements(
                mock, container, copies, granularity, request, scenario
            )
            assert copy_measurements is not None
            copy_texts = dict(
                zip(index.tolist(), _interval_texts(copies, copy_measurements), strict=True)
            )
            merged: list[str] = []
            for i, text in enumerate(texts):
                copy = copy_texts.get(i)
                if copy is None:
                    merged.append(text)
                elif est_first[i]:
                    merged += [copy, text]
                else:
                    merged += [text, copy]
            texts = merged
        members.append(f'"{name}":[' + ",".join(texts) + "]")
    return members


def render_energy(
    request: EnergyRequest, selected: dict[Granularity, Rows], scenario: Scenario | None = None
) -> str:
    """The whole GET Energy response body."""
    scenario = scenario if scenario is not None else Scenario()
    mock = request.mock
    pts = points(mock)
    main = [point for point in pts if point.sub_index is None]
    head = f'"$type":"{"metering-on-headpoint" if mock.is_amr else "metering-on-meter"}",'
    head += f'"ean":"{mock.ean}","energyType":"{mock.energy_type.value}"'
    arrays = _container_arrays(mock, main, selected, request, scenario)
    if not mock.is_amr:
        meter = f'{{"seqNumber":"1","meterID":"{meter_id(mock)}"'
        meter += "".join("," + member for member in arrays) + "}"
        body = head + ',"physicalMeters":[' + meter + "]"
    else:
        body = head + "".join("," + member for member in arrays)
        subs = []
        for point in pts:
            if point.sub_index is None:
                continue
            info = mock.submeters[point.sub_index]
            sub = f'"$type":"{info.sub_type.value}","ean":"{info.ean}"'
            sub += f',"seqNumber":"{info.seq_number}"'
            if info.installation_type is not None:
                sub += f',"type":"{info.installation_type}"'
            sub += "".join(
                "," + member
                for member in _container_arrays(mock, [point], selected, request, scenario)
            )
            subs.append("{" + sub + "}")
        if subs:
            body += ',"subHeadpoints":[' + ",".join(subs) + "]"
    return '{"data":{"headpoint":{' + body + "}}}"


def energy_response(selector: EnergySelector, request: EnergyRequest) -> str:
    selected = {g: selector.select(request, g) for g in request.granularities}
    return render_energy(request, selected, selector.scenario)
