"""Synthetic metering data: deterministic per (seed, EAN), realistic, generated lazily.

Everything is generated per EAN per *block* (one calendar month; for gas one month of gas days,
06:00-06:00 local) with numpy, from a random generator seeded with (seed, EAN, month), and kept in
a small LRU cache. A block holds, per base interval (quarter-hour for electricity, hour for gas):

* the final value of every channel as an integer (Wh, VArh or litres, i.e. the API's 3-decimal
  kWh / kVArh / m3 values times 1000), so that hourly and daily values are exact integer sums;
* a preliminary value (an EST/NVAL estimate) where the interval was first sent estimated;
* per day (local day, or gas day): the first insert time (1 h to 48 h after the day ends, so every
  value arrives 1 h to 72 h after its own end; a few days, 2 % by default, come 48-72 h after they
  end, like the spec's 02/12 seen on 05/12) and, for days with estimates, the later insert time
  of the corrected values (20 h to 6 days after the first);
* for gas: the month's provisional (P) and definitive (D) conversion factor and the moment the
  month is closed, when every kWh value already sent is sent again with the D factor.

A value *version* is (insert time, value, state). What an interval looks like at a moment ``t`` is
given by :meth:`Block.values_at`: the preliminary value while ``t`` is before the correction, the
final one after; the P factor before the month closes, D after. ``readTime`` evaluates that at
"now"; ``insertTime`` at the latest version time inside the requested window.

Weather (temperature, cloudiness, wind) and gas conversion factors depend on the seed only, so all
meters of one sandbox share one climate.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
import math
import threading
from typing import Final

import numpy as np
import numpy.typing as npt

from .eans import MockEan, SubmeterKind
from .timeutil import (
    gas_day_of,
    gas_day_start,
    local_day,
    local_midnight,
    month_index,
    month_of_index,
    utc_offset_seconds,
)

type IntArray = npt.NDArray[np.int64]
type FloatArray = npt.NDArray[np.float64]
type BoolArray = npt.NDArray[np.bool_]

QUARTER_HOUR: Final = 900
HOUR: Final = 3600
DAY: Final = 86400
NEVER: Final = 2**62  # "no such version"

LATITUDE: Final = math.radians(51.0)
SOLAR_NOON_UTC: Final = 12.0 - 4.4 / 15.0  # Flanders, ~4.4 degrees east

# Hourly load shapes (relative power, local time), interpolated linearly between the hours.
_HOUSEHOLD_WEEKDAY: Final = (
    0.35,
    0.30,
    0.28,
    0.27,
    0.27,
    0.30,
    0.50,
    0.85,
    0.70,
    0.50,
    0.45,
    0.45,
    0.50,
    0.45,
    0.42,
    0.45,
    0.60,
    0.90,
    1.20,
    1.25,
    1.10,
    0.90,
    0.70,
    0.50,
)
_HOUSEHOLD_WEEKEND: Final = (
    0.40,
    0.33,
    0.30,
    0.28,
    0.28,
    0.29,
    0.35,
    0.50,
    0.75,
    0.90,
    0.90,
    0.95,
    1.00,
    0.90,
    0.80,
    0.75,
    0.80,
    1.00,
    1.20,
    1.20,
    1.05,
    0.90,
    0.75,
    0.55,
)
_OFFICE_WEEKDAY: Final = (
    0.30,
    0.30,
    0.30,
    0.30,
    0.30,
    0.33,
    0.45,
    0.70,
    0.95,
    1.00,
    1.00,
    1.00,
    0.95,
    1.00,
    1.00,
    0.98,
    0.92,
    0.80,
    0.60,
    0.45,
    0.38,
    0.34,
    0.32,
    0.30,
)
_OFFICE_WEEKEND: Final = (
    0.30,
    0.30,
    0.30,
    0.30,
    0.30,
    0.30,
    0.30,
    0.31,
    0.33,
    0.35,
    0.36,
    0.36,
    0.36,
    0.36,
    0.35,
    0.34,
    0.33,
    0.32,
    0.31,
    0.30,
    0.30,
    0.30,
    0.30,
    0.30,
)
# Gas heating demand over the day (thermostat programme).
_THERMOSTAT: Final = (
    0.35,
    0.35,
    0.35,
    0.35,
    0.35,
    0.60,
    1.40,
    1.30,
    1.00,
    0.90,
    0.85,
    0.85,
    0.85,
    0.85,
    0.85,
    0.90,
    1.00,
    1.15,
    1.20,
    1.20,
    1.15,
    1.00,
    0.60,
    0.40,
)
_OFFICE_HEATING: Final = (
    0.30,
    0.30,
    0.30,
    0.30,
    0.30,
    0.90,
    1.50,
    1.40,
    1.20,
    1.10,
    1.00,
    1.00,
    1.00,
    1.00,
    1.00,
    1.00,
    1.00,
    0.90,
    0.50,
    0.30,
    0.30,
    0.30,
    0.30,
    0.30,
)


def _shape(table: tuple[float, ...], hours: FloatArray) -> FloatArray:
    """Linear interpolation of a 24-value hourly table at fractional local hours (circular)."""
    points = np.asarray((*table, table[0]), dtype=np.float64)
    result: FloatArray = np.interp(hours, np.arange(25, dtype=np.float64), points)
    return result


def _to_milli(kwh: FloatArray) -> IntArray:
    """kWh (or m3, kVArh) to integer thousandths, never negative."""
    result: IntArray = np.rint(np.maximum(kwh, 0.0) * 1000.0).astype(np.int64)
    return result


def _ean_key(ean: str) -> int:
    return int(ean)


# --- weather and gas conversion factors (seed only) -----------------------------------------


@dataclass(frozen=True, slots=True)
class MonthWeather:
    """Per local date of one calendar month: mean temperature, clear-sky share, wind speed."""

    temperature: FloatArray  # degrees C
    clearness: FloatArray  # 0..1, share of clear-sky irradiance
    wind: FloatArray  # m/s at hub height


@lru_cache(maxsize=256)
def month_weather(seed: int, month: int) -> MonthWeather:
    first = month_of_index(month)
    days = (month_of_index(month + 1) - first).days
    rng = np.random.default_rng([seed & 0xFFFFFFFF, 0x57EA, month])
    ordinal = np.arange(days, dtype=np.float64) + (first - date(1970, 1, 1)).days
    seasonal = 10.8 - 7.8 * np.cos(2 * np.pi * (ordinal - 15.0) / 365.2425)
    anomaly = np.empty(days)
    value = rng.normal(0.0, 3.0)
    for index in range(days):  # AR(1): weather fronts last a few days
        value = 0.7 * value + rng.normal(0.0, 2.1)
        anomaly[index] = value
    clearness = np.clip(rng.beta(1.3, 1.1, days), 0.08, 1.0)
    wind = np.clip(rng.lognormal(math.log(6.0), 0.45, days), 0.5, 24.0)
    return MonthWeather(seasonal + anomaly, clearness, wind)


@dataclass(frozen=True, slots=True)
class GasFactors:
    """One (gas) month's conversion factors in thousandths of kWh per m3, and its close time."""

    provisional: int
    definitive: int
    closed_at: int  # epoch seconds: from here on kWh values carry "D"


@lru_cache(maxsize=256)
def gas_factors(seed: int, month: int) -> GasFactors:
    rng = np.random.default_rng([seed & 0xFFFFFFFF, 0x6CF, month])
    provisional = round(float(rng.uniform(10.2, 11.4)) * 1000)
    definitive = int(np.clip(provisional + round(float(rng.normal(0.0, 45.0))), 10000, 11500))
    if definitive == provisional:
        definitive += 7
    month_end = gas_day_start(month_of_index(month + 1))
    delay = timedelta(days=float(rng.uniform(2.0, 5.0)))
    closed_at = int((month_end + delay).timestamp()) // 60 * 60
    return GasFactors(provisional, definitive, closed_at)


# --- meter parameters (seed and EAN) ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeterParams:
    """What kind of site a mock EAN is, drawn once per (seed, EAN)."""

    office: bool  # office/commercial load shape (else household)
    load_kw: float  # mean-ish load scale, kW
    winter_boost: float  # extra load in winter (lighting), share
    heat_pump_kw_per_k: float  # electric heating, kW per degree below 15 C
    noise: float  # multiplicative load noise (sigma of a log-normal)
    pv_kwp: float  # PV on a digital offtake+injection meter / AMR PV
    nominal_kw: float  # production submeter / injection installation nominal power
    aux_share: float  # auxiliary consumption share of nominal power
    tan_phi: float  # reactive / active power of the load
    cap_bank: float  # capacitor bank, share of load scale (capacitive at low load)
    gas_m3_per_k: float  # gas per degree-hour below 16.5 C
    gas_base_m3: float  # hot water / process gas per hour
    sub_share: float  # share of the load on a non-production submeter
    est_share: float  # share of days first sent with estimates
    meter_serial: int


def meter_params(seed: int, mock: MockEan) -> MeterParams:
    rng = np.random.default_rng([seed & 0xFFFFFFFF, _ean_key(mock.ean), 0xA11])
    amr = mock.is_amr
    office = amr or bool(rng.random() < 0.25)
    if amr:
        load_kw = float(rng.uniform(15.0, 220.0))
    else:
        load_kw = float(rng.uniform(2500.0, 6000.0)) / 8766.0 / (0.42 if office else 0.62)
    return MeterParams(
        office=office,
        load_kw=load_kw,
        winter_boost=float(rng.uniform(0.1, 0.35)),
        heat_pump_kw_per_k=(
            float(rng.uniform(0.06, 0.14)) if not amr and rng.random() < 0.3 else 0.0
        ),
        noise=float(rng.uniform(0.06, 0.12)) if office else float(rng.uniform(0.2, 0.35)),
        pv_kwp=float(rng.uniform(100.0, 1500.0)) if amr else float(rng.uniform(2.5, 8.0)),
        nominal_kw=float(rng.uniform(80.0, 2500.0)),
        aux_share=float(rng.uniform(0.005, 0.02)),
        tan_phi=float(rng.uniform(0.15, 0.45)),
        cap_bank=float(rng.uniform(0.05, 0.25)),
        gas_m3_per_k=float(rng.uniform(0.02, 0.034)) * (rng.uniform(20.0, 120.0) if amr else 1.0),
        gas_base_m3=float(rng.uniform(0.01, 0.04)) * (rng.uniform(20.0, 120.0) if amr else 1.0),
        sub_share=float(rng.uniform(0.2, 0.5)),
        est_share=0.08 if amr else 0.04,
        meter_serial=int(rng.integers(0, 1_000_000)),
    )


def meter_id(mock: MockEan) -> str:
    """The physical meter number of a digital meter (stable per EAN)."""
    prefix = "7FLO2120" if mock.is_gas else "1SAG3105"
    return prefix + mock.ean[5:8] + mock.ean[15:]


# --- channels -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Point:
    """A headpoint or sub-headpoint and the direction it measures."""

    ean: str
    direction: str  # measurement key: offtake, injection, production, auxiliary
    sub_index: int | None  # index into MockEan.submeters, None for the main EAN

    @property
    def key(self) -> str:
        return f"{self.ean}:{self.direction}"


def points(mock: MockEan) -> tuple[Point, ...]:
    main = tuple(Point(mock.ean, direction, None) for direction in mock.main_directions)
    subs = tuple(Point(sub.ean, sub.direction, index) for index, sub in enumerate(mock.submeters))
    return main + subs


def has_reactive(mock: MockEan) -> bool:
    return mock.is_amr and not mock.is_gas


def channel_keys(mock: MockEan) -> tuple[str, ...]:
    """Every channel a block holds: ``<point key>`` (active / m3) and reactive registers."""
    keys: list[str] = []
    for point in points(mock):
        keys.append(point.key)
        if has_reactive(mock):
            keys += [point.key + ":inductive", point.key + ":capacitive"]
    return tuple(keys)


# --- a block ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Block:
    """One month of one EAN (see the module docstring)."""

    month: int
    step: int
    starts: IntArray  # interval starts, epoch seconds
    day_bounds: IntArray  # D + 1 day boundaries, epoch seconds
    day_first: IntArray  # D + 1 interval indexes where each day starts (last = n)
    day_of: IntArray  # day index of each interval
    insert_first: IntArray  # per day: first insert time
    insert_fix: IntArray  # per day: insert time of the corrected values (NEVER: none)
    estimated: BoolArray  # per interval: first sent as an estimate
    day_tariff: BoolArray  # per interval: Belgian day tariff hour (07-22 local, Mon-Fri)
    final: dict[str, IntArray]
    preliminary: dict[str, IntArray]
    gas: GasFactors | None
    missing: BoolArray  # per interval: never sent (a gap, see :class:`Withheld`)

    @property
    def size(self) -> int:
        return int(self.starts.shape[0])

    @property
    def days(self) -> int:
        return int(self.day_bounds.shape[0]) - 1

    def pending(self, times: IntArray | int) -> BoolArray:
        """Per interval: still the estimate at ``times`` (a scalar or one time per interval)."""
        result: BoolArray = self.estimated & (self.insert_fix[self.day_of] > times)
        return result

    def values_at(self, key: str, times: IntArray | int) -> IntArray:
        """The channel's values as known at ``times`` (litres for gas m3)."""
        result: IntArray = np.where(self.pending(times), self.preliminary[key], self.final[key])
        return result

    def definitive_at(self, times: IntArray | int) -> BoolArray:
        """Gas: the kWh value carries the definitive factor at ``times``."""
        assert self.gas is not None
        result: BoolArray = np.asarray(times >= self.gas.closed_at) & np.ones(self.size, bool)
        return result

    def gas_kwh(self, litres: IntArray, definitive: BoolArray) -> IntArray:
        """Wh from litres with the month's P or D factor (kWh = m3 x factor, 3 decimals)."""
        assert self.gas is not None
        factor = np.where(definitive, self.gas.definitive, self.gas.provisional)
        result: IntArray = (litres * factor + 500) // 1000
        return result


def _day_boundaries(month: int, gas: bool) -> list[int]:
    first = month_of_index(month)
    last = month_of_index(month + 1)
    days = (last - first).days
    start = gas_day_start if gas else local_midnight
    return [int(start(first + timedelta(days=i)).timestamp()) for i in range(days + 1)]


def _offsets(starts: IntArray, bounds: list[int], day_first: IntArray) -> IntArray:
    """Europe/Brussels UTC offset of every interval start (DST days looked at closely)."""
    offsets = np.empty(starts.shape[0], dtype=np.int64)
    previous = utc_offset_seconds(bounds[0])
    for day in range(len(bounds) - 1):
        after = utc_offset_seconds(bounds[day + 1] - 1)
        lo, hi = int(day_first[day]), int(day_first[day + 1])
        if after == previous:
            offsets[lo:hi] = previous
        else:
            offsets[lo:hi] = [utc_offset_seconds(int(t)) for t in starts[lo:hi]]
        previous = utc_offset_seconds(bounds[day + 1])
    return offsets


class _Generator:
    """Builds one block; kept as a class so the many intermediate arrays have names."""

    def __init__(
        self,
        seed: int,
        mock: MockEan,
        params: MeterParams,
        month: int,
        *,
        late_share: float = 0.02,
        estimate_share: float | None = None,
    ) -> None:
        self.seed = seed
        self.late_share = late_share
        self.estimate_share = estimate_share
        self.mock = mock
        self.params = params
        self.month = month
        self.rng = np.random.default_rng([seed & 0xFFFFFFFF, _ean_key(mock.ean), month])
        self.step = HOUR if mock.is_gas else QUARTER_HOUR
        bounds = _day_boundaries(month, mock.is_gas)
        self.bounds = np.asarray(bounds, dtype=np.int64)
        self.starts = np.arange(bounds[0], bounds[-1], self.step, dtype=np.int64)
        self.n = int(self.starts.shape[0])
        self.day_first = (self.bounds - bounds[0]) // self.step
        self.days = len(bounds) - 1
        self.day_of = np.repeat(np.arange(self.days, dtype=np.int64), np.diff(self.day_first))
        local = self.starts + _offsets(self.starts, bounds, self.day_first)
        self.local_hour = (local % DAY).astype(np.float64) / HOUR
        self.mid_hour = self.local_hour + self.step / 2 / HOUR
        local_days = local // DAY
        self.weekend = ((local_days + 3) % 7) >= 5
        self.ordinal = local_days.astype(np.float64)
        weather = month_weather(seed, month)
        self.day_temperature = weather.temperature[self.day_of]
        self.temperature = self.day_temperature + 4.0 * np.sin(
            2 * np.pi * (self.mid_hour - 9.0) / 24.0
        )
        self.clearness = weather.clearness[self.day_of]
        self.wind_day = weather.wind[self.day_of]
        self.hours = self.step / HOUR

    # -- physical profiles (kW, or m3/h) --

    def load_kw(self, scale: float) -> FloatArray:
        p = self.params
        if p.office:
            shape = np.where(
                self.weekend,
                _shape(_OFFICE_WEEKEND, self.mid_hour),
                _shape(_OFFICE_WEEKDAY, self.mid_hour),
            )
        else:
            shape = np.where(
                self.weekend,
                _shape(_HOUSEHOLD_WEEKEND, self.mid_hour),
                _shape(_HOUSEHOLD_WEEKDAY, self.mid_hour),
            )
        season = 1.0 + p.winter_boost * np.cos(2 * np.pi * (self.ordinal - 15.0) / 365.2425)
        heating = p.heat_pump_kw_per_k * np.maximum(0.0, 15.0 - self.temperature)
        noise = self.rng.lognormal(-(p.noise**2) / 2, p.noise, self.n)
        power = scale * shape * season * noise + heating
        if not p.office:  # appliances: kettle, oven, washing machine
            events = self.rng.random(self.n) < 0.02 + 0.05 * shape
            bursts = np.where(events, self.rng.uniform(0.8, 2.5, self.n), 0.0)
            power = power + bursts + np.concatenate(([0.0], bursts[:-1])) * 0.6
        return np.asarray(power, dtype=np.float64)

    def solar(self) -> FloatArray:
        """Relative PV output (0..~0.9) from the sun's elevation and the day's clouds."""
        utc_hour = (self.starts % DAY).astype(np.float64) / HOUR + self.hours / 2
        declination = math.radians(23.44) * np.sin(2 * np.pi * (self.ordinal - 80.0) / 365.2425)
        angle = np.radians(15.0 * (utc_hour - SOLAR_NOON_UTC))
        sin_elevation = np.sin(LATITUDE) * np.sin(declination) + np.cos(LATITUDE) * np.cos(
            declination
        ) * np.cos(angle)
        clear = np.maximum(sin_elevation, 0.0) ** 1.2
        passing = 1.0 - (1.0 - self.clearness) * self.rng.uniform(0.3, 1.0, self.n)
        return np.asarray(0.88 * clear * passing, dtype=np.float64)

    def production_kw(self, installation: str | None) -> FloatArray:
        p = self.params
        nominal = p.nominal_kw
        if installation == "WTR":
            season = 0.55 + 0.25 * np.cos(2 * np.pi * (self.ordinal - 15.0) / 365.2425)
            flow = season * self.rng.lognormal(0.0, 0.05, self.n)
            return np.asarray(np.clip(flow, 0.0, 1.0) * nominal, dtype=np.float64)
        if installation == "WND":
            gust = np.cumsum(self.rng.normal(0.0, 0.35, self.n))
            gust -= np.convolve(gust, np.ones(16) / 16, mode="same")
            speed = np.maximum(self.wind_day * 1.25 + gust, 0.0)
            curve = np.clip((speed - 3.0) / 9.0, 0.0, 1.0) ** 2.2
            curve = np.where(speed > 25.0, 0.0, curve)
            return np.asarray(curve * nominal, dtype=np.float64)
        if installation == "WKKA":
            heat = (self.day_temperature < 16.0) | (
                ~self.weekend & (self.local_hour >= 6.0) & (self.local_hour < 22.0)
            )
            running = heat & (self.rng.random(self.n) > 0.02)
            output = np.where(running, self.rng.uniform(0.85, 1.0, self.n), 0.0)
            return np.asarray(output * nominal, dtype=np.float64)
        kwp = p.pv_kwp if installation is None else nominal
        return self.solar() * kwp

    def gas_m3_per_hour(self) -> FloatArray:
        p = self.params
        if self.mock.direction.value == "injection":  # biomethane injection
            available = self.rng.random(self.days) > 0.05
            flow = np.where(available[self.day_of], 1.0, 0.0)
            flow = flow * self.rng.lognormal(0.0, 0.03, self.n) * p.gas_m3_per_k * 400
            return np.asarray(flow, dtype=np.float64)
        table = _OFFICE_HEATING if p.office else _THERMOSTAT
        programme = _shape(table, self.mid_hour)
        if p.office:
            programme = np.where(self.weekend, 0.35, programme)
        heating = p.gas_m3_per_k * np.maximum(0.0, 16.5 - self.temperature) * programme
        water = (
            p.gas_base_m3
            * (0.3 + _shape(_HOUSEHOLD_WEEKDAY, self.mid_hour) ** 2)
            * self.rng.lognormal(0.0, 0.4, self.n)
        )
        noise = self.rng.lognormal(-0.02, 0.2, self.n)
        return np.asarray(heating * noise + water, dtype=np.float64)

    def reactive(self, active_kw: FloatArray, tan_phi: float) -> tuple[IntArray, IntArray]:
        """Inductive and capacitive thousandths of kVArh for an active power profile.

        A capacitor bank sized on the channel's mean power makes it capacitive at low load.
        """
        p = self.params
        bank = p.cap_bank * float(active_kw.mean()) if self.n else 0.0
        q = active_kw * tan_phi * self.rng.lognormal(0.0, 0.1, self.n) - bank
        return _to_milli(np.maximum(q, 0.0) * self.hours), _to_milli(
            np.maximum(-q, 0.0) * self.hours
        )

    # -- the block --

    def channels(self) -> dict[str, FloatArray]:
        """Active power (kW) or gas flow (m3/h) of every point."""
        mock, p = self.mock, self.params
        result: dict[str, FloatArray] = {}
        pts = points(mock)
        main = [pt for pt in pts if pt.sub_index is None]
        subs = mock.submeters
        if mock.is_gas:
            flow = self.gas_m3_per_hour()
            for pt in main:
                result[pt.key] = flow
            for pt in pts:
                if pt.sub_index is not None:
                    result[pt.key] = flow * p.sub_share * self.rng.lognormal(0.0, 0.1, self.n)
            return result
        if not mock.is_amr:
            load = self.load_kw(p.load_kw)
            if len(main) == 2:
                net = load - self.production_kw(None)
                result[main[0].key] = np.maximum(net, 0.0)
                result[main[1].key] = np.maximum(-net, 0.0)
            else:
                result[main[0].key] = load
            return result
        # AMR electricity.
        own_production = np.zeros(self.n)
        if mock.submeter is SubmeterKind.PRODUCTION:
            production = self.production_kw(mock.installation_type)
            aux = np.zeros(self.n)
            if mock.auxiliary:
                aux = p.nominal_kw * p.aux_share * self.rng.lognormal(0.0, 0.15, self.n)
                aux = aux + 0.015 * production
            for pt in pts:
                if pt.sub_index is not None:
                    result[pt.key] = (
                        production if subs[pt.sub_index].direction == "production" else aux
                    )
            own_production = production - aux
        direction = main[0].direction
        if direction == "injection":
            site = self.load_kw(p.load_kw * 0.1)
            if mock.submeter is SubmeterKind.NONE:
                own_production = self.production_kw(None)
            result[main[0].key] = np.maximum(own_production - site, 0.0)
        else:
            site = self.load_kw(p.load_kw)
            result[main[0].key] = np.maximum(site - own_production, 0.0)
            if mock.submeter is SubmeterKind.NON_PRODUCTION:
                share = p.sub_share * self.rng.lognormal(0.0, 0.1, self.n)
                for pt in pts:
                    if pt.sub_index is not None:
                        result[pt.key] = np.minimum(site * share, site)
        return result

    def build(self) -> Block:
        mock, p = self.mock, self.params
        final: dict[str, IntArray] = {}
        for key, power in self.channels().items():
            final[key] = _to_milli(power * self.hours)
            if has_reactive(mock):
                tan_phi = p.tan_phi if key.endswith(":offtake") else p.tan_phi / 3
                inductive, capacitive = self.reactive(power, tan_phi)
                final[key + ":inductive"] = inductive
                final[key + ":capacitive"] = capacitive
        # Insert times per day: mostly hours after the day ends, some a day or two; a few days
        # (late_share) only 48-72 h after their end, the spec's latest (02/12 seen on 05/12).
        u = self.rng.random(self.days)
        normal = 1.0 - self.late_share
        delay_hours = np.where(
            u < 0.7 * normal,
            self.rng.uniform(1.0, 8.0, self.days),
            np.where(
                u < 0.9 * normal,
                self.rng.uniform(8.0, 30.0, self.days),
                np.where(
                    u < normal,
                    self.rng.uniform(30.0, 47.5, self.days),
                    self.rng.uniform(48.0, 72.0, self.days),
                ),
            ),
        )
        insert_first = self.bounds[1:] + (delay_hours * 60).astype(np.int64) * 60
        # Estimates: some days have a stretch first sent estimated, corrected later.
        estimated = np.zeros(self.n, dtype=bool)
        est_share = p.est_share if self.estimate_share is None else self.estimate_share
        fixes = self.rng.random(self.days) < est_share
        fix_delay = self.rng.uniform(20.0, 144.0, self.days)
        insert_fix = np.where(fixes, insert_first + (fix_delay * 60).astype(np.int64) * 60, NEVER)
        per_hour = HOUR // self.step
        factors = np.where(
            self.rng.random(self.days) < 0.3, 1.0, self.rng.uniform(0.75, 1.25, self.days)
        )
        first_idx = self.rng.random(self.days)
        length = self.rng.integers(per_hour, 8 * per_hour + 1, self.days)
        for day in np.flatnonzero(fixes):
            lo, hi = int(self.day_first[day]), int(self.day_first[day + 1])
            begin = lo + int(first_idx[day] * (hi - lo))
            estimated[begin : min(hi, begin + int(length[day]))] = True
        preliminary: dict[str, IntArray] = {}
        factor_per_interval = factors[self.day_of]
        for key, values in final.items():
            guess = np.rint(values * factor_per_interval).astype(np.int64)
            preliminary[key] = np.where(estimated, guess, values)
        day_tariff = (~self.weekend) & (self.local_hour >= 7.0) & (self.local_hour < 22.0)
        return Block(
            month=self.month,
            step=self.step,
            starts=self.starts,
            day_bounds=self.bounds,
            day_first=self.day_first,
            day_of=self.day_of,
            insert_first=insert_first,
            insert_fix=insert_fix,
            estimated=estimated,
            day_tariff=day_tariff,
            final=final,
            preliminary=preliminary,
            gas=gas_factors(self.seed, self.month) if mock.is_gas else None,
            missing=np.zeros(self.n, dtype=bool),
        )


# --- scenario edits: a chosen correction, late day or gap -------------------------------------


@dataclass(frozen=True, slots=True)
class Correction:
    """One interval corrected at a chosen moment: first sent as generated, flagged as an
    estimate (EST / NVAL, like every correction of the stand-in), then at ``at`` sent again as
    READ / VAL with ``delta`` (kWh, kVArh or m3) added to one channel.

    ``channel`` is a block channel key (``<point EAN>:<direction>[:inductive|:capacitive]``).
    The interval's day gets ``at`` as its correction time (other estimates of that day, if
    any, are corrected then too).
    """

    start: datetime
    channel: str
    delta: float
    at: datetime

    @property
    def version_time(self) -> datetime | None:
        return self.at


@dataclass(frozen=True, slots=True)
class LateDay:
    """The (gas) day containing ``moment`` is first inserted only at ``at``."""

    moment: datetime
    at: datetime

    @property
    def version_time(self) -> datetime | None:
        return self.at


@dataclass(frozen=True, slots=True)
class Withheld:
    """Intervals starting in ``[start, end)`` are never sent (a gap in the data): not by
    ``readTime``, not by ``insertTime``, and not counted in the day's daily values."""

    start: datetime
    end: datetime

    @property
    def version_time(self) -> datetime | None:
        return None


type Edit = Correction | LateDay | Withheld


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def apply_edits(block: Block, edits: Sequence[Edit]) -> Block:
    """The block with the edits that concern its intervals applied (the input stays as is)."""
    lo, hi = int(block.day_bounds[0]), int(block.day_bounds[-1])

    def concerns(edit: Edit) -> bool:
        if isinstance(edit, Withheld):
            return _epoch(edit.start) < hi and _epoch(edit.end) > lo
        return lo <= _epoch(edit.moment if isinstance(edit, LateDay) else edit.start) < hi

    relevant = [edit for edit in edits if concerns(edit)]
    if not relevant:
        return block
    insert_first = block.insert_first.copy()
    insert_fix = block.insert_fix.copy()
    estimated = block.estimated.copy()
    missing = block.missing.copy()
    final = {key: values.copy() for key, values in block.final.items()}
    for edit in relevant:
        if isinstance(edit, Withheld):
            missing |= (block.starts >= _epoch(edit.start)) & (block.starts < _epoch(edit.end))
        elif isinstance(edit, LateDay):
            day = int(np.searchsorted(block.day_bounds, _epoch(edit.moment), side="right")) - 1
            at = _epoch(edit.at)
            if at < int(block.day_bounds[day + 1]):
                raise ValueError(f"a day cannot be inserted before it ends: {edit}")
            insert_first[day] = at
            if insert_fix[day] != NEVER:
                insert_fix[day] = max(int(insert_fix[day]), at + 3600)
        else:
            if edit.channel not in final:
                raise ValueError(f"no channel {edit.channel!r} (known: {sorted(final)})")
            found = np.flatnonzero(block.starts == _epoch(edit.start))
            if not found.size:
                raise ValueError(f"no interval starts at {edit.start.isoformat()}")
            index = int(found[0])
            day = int(block.day_of[index])
            at = _epoch(edit.at)
            if at <= int(insert_first[day]):
                raise ValueError(f"a correction comes after the first insertion: {edit}")
            final[edit.channel][index] += round(edit.delta * 1000)
            estimated[index] = True
            insert_fix[day] = at
    return replace(
        block,
        insert_first=insert_first,
        insert_fix=insert_fix,
        estimated=estimated,
        missing=missing,
        final=final,
    )


def generate_block(
    seed: int,
    mock: MockEan,
    month: int,
    *,
    late_share: float = 0.02,
    estimate_share: float | None = None,
) -> Block:
    """Generate one month of one EAN (uncached).

    ``late_share``: share of days inserted only 48-72 h after they end (else within 48 h).
    ``estimate_share``: share of days first sent with estimates (None: 4 % digital, 8 % AMR).
    """
    generator = _Generator(
        seed,
        mock,
        meter_params(seed, mock),
        month,
        late_share=late_share,
        estimate_share=estimate_share,
    )
    return generator.build()


class DataModel:
    """Blocks on demand, with a small LRU cache (never every EAN x 3 years at once)."""

    def __init__(
        self,
        seed: int,
        cache_size: int = 96,
        *,
        late_share: float = 0.02,
        estimate_share: float | None = None,
    ) -> None:
        self.seed = seed
        self.late_share = late_share
        self.estimate_share = estimate_share
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[str, int], Block] = OrderedDict()
        self._lock = threading.Lock()  # long answers are built in worker threads
        self.generated = 0  # blocks generated (cache misses), for the stats
        self._edits: dict[str, list[Edit]] = {}  # main EAN -> scenario edits

    def add_edit(self, mock: MockEan, edit: Edit) -> None:
        """A scenario edit on a main EAN's data (its cached blocks are built again); raises
        ValueError, and keeps nothing, when the edit does not fit the data."""
        with self._lock:
            edits = self._edits.setdefault(mock.ean, [])
            edits.append(edit)
            for key in [key for key in self._cache if key[0] == mock.ean]:
                del self._cache[key]
            if isinstance(edit, Withheld):
                return
            moment = edit.moment if isinstance(edit, LateDay) else edit.start
            day = gas_day_of(moment) if mock.is_gas else local_day(moment)
            try:
                self._block(mock, month_index(day))
            except ValueError:
                edits.remove(edit)
                raise

    def edits(self, ean: str) -> tuple[Edit, ...]:
        return tuple(self._edits.get(ean, ()))

    def edited_between(self, ean: str, lo: int, hi: int) -> list[int]:
        """Interval (or day) starts of the edits whose new version is inserted in [lo, hi)."""
        result = []
        for edit in self._edits.get(ean, ()):
            version = edit.version_time
            if version is not None and lo <= _epoch(version) < hi:
                result.append(_epoch(edit.moment if isinstance(edit, LateDay) else edit.start))
        return result

    def block(self, mock: MockEan, month: int) -> Block:
        with self._lock:
            return self._block(mock, month)

    def _block(self, mock: MockEan, month: int) -> Block:
        key = (mock.ean, month)
        block = self._cache.get(key)
        if block is not None:
            self._cache.move_to_end(key)
            return block
        block = generate_block(
            self.seed,
            mock,
            month,
            late_share=self.late_share,
            estimate_share=self.estimate_share,
        )
        edits = self._edits.get(mock.ean)
        if edits:
            block = apply_edits(block, edits)
        self.generated += 1
        self._cache[key] = block
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return block

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
