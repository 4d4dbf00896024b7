"""Ground truth: the values a client should end up with, to compare its statistics exactly.

Series are named as the integration names its statistics (``fluvius:<ean>_<series>``):
electricity ``offtake``, ``injection``, ``production``, ``auxiliary``, reactive
``<direction>_inductive`` / ``<direction>_capacitive`` (AMR), the digital meters' daily registers
``<direction>_day`` / ``<direction>_night``; gas ``gas_m3`` (digital meters) and ``gas_kwh``
(``gas_injection_m3`` / ``gas_injection_kwh`` for gas injection). Submeter series carry the
submeter's EAN.

Values the stand-in sends as missing (``null``, no ``value``, no register; see
:mod:`fluvius_sandbox.scenario`) are missing here too, never 0: a quarter-hour or hour is left
out of ``quarter_hourly``, an hour sums its values that arrive (and is left out when none
does), a daily register value is left out of ``daily``. A series made of several registers is
missing where a register that carries its value is: ``total``; on a digital quarter-hour in the
``day_night`` layout the register of the quarter-hour's tariff period (the other one is a
structural 0.000 and changes nothing); on a digital day both ``day`` and ``night``. Duplicate
intervals change nothing: the final copy wins.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from .eans import MockEan
from .energy import EnergySelector, Granularity, Period
from .model import Block, BoolArray, IntArray, Point, has_reactive, points
from .scenario import QuarterHourLayout, Scenario


@dataclass(frozen=True, slots=True)
class SeriesTruth:
    """One series: values in kWh / kVArh / m3 (3 decimals) keyed by the UTC start instant.

    ``quarter_hourly``: electricity quarter-hours; ``hourly``: per UTC hour (electricity: the sum
    of its quarter-hours; gas: the hourly value); ``daily``: complete local days (gas: gas days
    from 06:00 local), keyed by the day's start. ``estimated`` lists quarter-hours / hours still
    estimates at ``as_of`` (always empty for final values).
    """

    ean: str
    name: str
    unit: str
    quarter_hourly: dict[datetime, float] = field(default_factory=dict)
    hourly: dict[datetime, float] = field(default_factory=dict)
    daily: dict[datetime, float] = field(default_factory=dict)
    estimated: frozenset[datetime] = frozenset()

    def total(self) -> float:
        """Sum of the finest values (quarter-hours or hours; days for daily-only registers)."""
        values = self.quarter_hourly or self.hourly or self.daily
        return round(sum(round(v * 1000) for v in values.values()) / 1000, 3)


@dataclass(frozen=True, slots=True)
class Truth:
    """Ground truth of one (main) EAN and its submeters over ``[start, end)``."""

    ean: str
    start: datetime
    end: datetime
    as_of: datetime | None
    series: dict[tuple[str, str], SeriesTruth]

    def __getitem__(self, key: str | tuple[str, str]) -> SeriesTruth:
        """``truth["offtake"]`` (main EAN) or ``truth[(sub_ean, "production")]``."""
        if isinstance(key, str):
            return self.series[(self.ean, key)]
        return self.series[key]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.series)

    def names(self, ean: str | None = None) -> list[str]:
        return [name for (e, name) in self.series if ean is None or e == ean]


def _times(epochs: IntArray) -> list[datetime]:
    return [datetime.fromtimestamp(t, UTC) for t in epochs.tolist()]


def _milli_dict(keys: list[datetime], values: IntArray) -> dict[datetime, float]:
    return {k: v / 1000 for k, v in zip(keys, values.tolist(), strict=True)}


def _inside(starts: IntArray, step: int | IntArray, periods: Sequence[Period] | None) -> BoolArray:
    if periods is None:
        return np.ones(starts.shape[0], dtype=bool)
    mask = np.zeros(starts.shape[0], dtype=bool)
    for lo, hi in periods:
        mask |= (starts >= lo) & (starts + step <= hi)
    return mask


@dataclass
class _Acc:
    unit: str
    qh: dict[datetime, float] = field(default_factory=dict)
    hourly: dict[datetime, float] = field(default_factory=dict)
    daily: dict[datetime, float] = field(default_factory=dict)
    estimated: set[datetime] = field(default_factory=set)


def build_truth(
    selector: EnergySelector,
    mock: MockEan,
    start: datetime,
    end: datetime,
    *,
    as_of: datetime | None,
    fine_periods: Sequence[Period] | None,
    daily_periods: Sequence[Period] | None,
) -> Truth:
    """See :meth:`fluvius_sandbox.Sandbox.truth`."""
    lo, hi = int(start.timestamp()), int(end.timestamp())
    at = None if as_of is None else int(as_of.timestamp())
    accs: dict[tuple[str, str], _Acc] = {}
    for block in selector.blocks(mock, lo, hi):
        _block_truth(block, mock, lo, hi, at, fine_periods, daily_periods, accs, selector.scenario)
    series = {
        key: SeriesTruth(
            key[0], key[1], acc.unit, acc.qh, acc.hourly, acc.daily, frozenset(acc.estimated)
        )
        for key, acc in accs.items()
    }
    return Truth(mock.ean, start, end, as_of, series)


def _block_truth(
    block: Block,
    mock: MockEan,
    lo: int,
    hi: int,
    at: int | None,
    fine_periods: Sequence[Period] | None,
    daily_periods: Sequence[Period] | None,
    accs: dict[tuple[str, str], _Acc],
    scenario: Scenario,
) -> None:
    starts = block.starts
    present = ~block.missing
    if at is not None:
        present &= block.insert_first[block.day_of] <= at
    in_range = (starts >= lo) & (starts < hi) & present
    fine = in_range & _inside(starts, block.step, fine_periods)
    day_starts = block.day_bounds[:-1]
    day_ok = (
        (day_starts >= lo)
        & (day_starts < hi)
        & _inside(day_starts, np.diff(block.day_bounds), daily_periods)
    )
    if at is not None:
        day_ok &= block.insert_first <= at
    fine_index = np.flatnonzero(fine)
    all_times = _times(starts[fine_index])
    day_index = np.flatnonzero(day_ok)
    bounds = block.day_first[:-1]
    if at is None:
        pending = np.zeros(block.size, dtype=bool)
        definitive = np.ones(block.size, dtype=bool)
    else:
        pending = block.pending(at)
        definitive = block.definitive_at(at) if block.gas is not None else pending

    def values(channel: str) -> IntArray:
        known = block.final[channel] if at is None else block.values_at(channel, at)
        result: IntArray = np.where(block.missing, 0, known)
        return result

    def blank(point: Point, register: str, unit: str, daily: bool) -> BoolArray:
        """Per interval (per day when ``daily``): the register value is sent as missing."""
        granularity = Granularity.DAILY if daily else Granularity.HOURLY_QUARTERHOURLY
        result: BoolArray = (
            scenario.blanks_of(
                mock.ean,
                point.ean,
                point.direction,
                register,
                unit,
                granularity.value,
                day_starts if daily else starts,
            )
            != 0
        )
        return result

    def put(
        ean: str,
        name: str,
        unit: str,
        data: IntArray,
        *,
        fine_missing: BoolArray | None,
        day_missing: BoolArray,
    ) -> None:
        acc = accs.setdefault((ean, name), _Acc(unit))
        if fine_missing is not None:
            gaps = fine_missing[fine_index]
            index = fine_index[~gaps] if gaps.any() else fine_index
            selected = data[index]
            times = _times(starts[index]) if gaps.any() else all_times
            if not mock.is_gas:
                acc.qh.update(_milli_dict(times, selected))
            unique, inverse = np.unique(starts[index] // 3600 * 3600, return_inverse=True)
            sums = np.zeros(unique.shape[0], dtype=np.int64)
            np.add.at(sums, inverse, selected)
            acc.hourly.update(_milli_dict(_times(unique), sums))
            acc.estimated.update(
                t for t, p in zip(times, pending[index].tolist(), strict=True) if p
            )
        days = day_index[~day_missing[day_index]]
        daily_values = np.add.reduceat(data, bounds)[days]
        acc.daily.update(_milli_dict(_times(day_starts[days]), daily_values))

    for point in points(mock):
        channel = point.key
        if mock.is_gas:
            base = "gas" if point.direction == "offtake" else f"gas_{point.direction}"
            litres = values(channel)
            if not mock.is_amr:
                put(
                    point.ean,
                    f"{base}_m3",
                    "m3",
                    litres,
                    fine_missing=blank(point, "total", "m3", False),
                    day_missing=blank(point, "total", "m3", True),
                )
            assert block.gas is not None
            put(
                point.ean,
                f"{base}_kwh",
                "kWh",
                block.gas_kwh(litres, definitive),
                fine_missing=blank(point, "total", "kWh", False),
                day_missing=blank(point, "total", "kWh", True),
            )
            continue
        active = values(channel)
        if mock.is_amr:
            fine_missing = blank(point, "total", "kWh", False)
            day_missing = blank(point, "total", "kWh", True)
        else:
            if scenario.quarter_hours is QuarterHourLayout.DAY_NIGHT:
                tariff = block.day_tariff
                fine_missing = (blank(point, "day", "kWh", False) & tariff) | (
                    blank(point, "night", "kWh", False) & ~tariff
                )
            else:
                fine_missing = blank(point, "total", "kWh", False)
            day_missing = blank(point, "day", "kWh", True) | blank(point, "night", "kWh", True)
        put(
            point.ean,
            point.direction,
            "kWh",
            active,
            fine_missing=fine_missing,
            day_missing=day_missing,
        )
        if has_reactive(mock):
            for register in ("inductive", "capacitive"):
                put(
                    point.ean,
                    f"{point.direction}_{register}",
                    "kVArh",
                    values(f"{channel}:{register}"),
                    fine_missing=blank(point, register, "kVArh", False),
                    day_missing=blank(point, register, "kVArh", True),
                )
        if not mock.is_amr:
            for register, tariff_hours in (("day", True), ("night", False)):
                data = np.where(block.day_tariff == tariff_hours, active, 0)
                put(
                    point.ean,
                    f"{point.direction}_{register}",
                    "kWh",
                    data,
                    fine_missing=None,
                    day_missing=blank(point, register, "kWh", True),
                )
