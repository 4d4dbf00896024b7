"""What the integration's statistics are: their names, ids and metadata, and a batch of rows.

* ids ``fluvius:<ean>_<series>`` (lower case), source ``fluvius``, metadata in the current form
  (``mean_type``, ``unit_class``); the series names are listed in docs/architecture.md;
* a batch of rows (:class:`SeriesRows`) holds, per EAN and series, a state per UTC hour start
  (or per day start for daily-only data); states and sums are rounded to :data:`DECIMALS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from homeassistant.components.recorder.models import StatisticMeanType, StatisticMetaData
from homeassistant.const import (
    UnitOfEnergy,
    UnitOfPower,
    UnitOfReactiveEnergy,
    UnitOfVolume,
)
from homeassistant.util.unit_conversion import (
    EnergyConverter,
    PowerConverter,
    ReactiveEnergyConverter,
    VolumeConverter,
)

from .const import DOMAIN

DECIMALS: Final = 6  # states and sums are rounded to 6 decimals

SERIES_PEAK: Final = "peak"
SERIES_POWER: Final = "power"  # hourly mean/min/max offtake power from quarter-hours (power.py)
SERIES_CAPACITY_COST: Final = "capacity_cost"


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
    if series == SERIES_POWER:
        return SeriesSpec(UnitOfPower.KILO_WATT, PowerConverter.UNIT_CLASS, "offtake power")
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
    # The monthly peak and the power are levels, not counters: rows of mean, min and max (the
    # peak: one row per month with mean = min = max = the peak, so that a statistics graph at
    # period "month" shows the peak of each month).
    level = series in (SERIES_PEAK, SERIES_POWER)
    return StatisticMetaData(
        mean_type=StatisticMeanType.ARITHMETIC if level else StatisticMeanType.NONE,
        has_sum=not level,
        name=f"Fluvius {ean} {spec.label}",
        source=DOMAIN,
        statistic_id=statistic_id(ean, series),
        unit_class=spec.unit_class,
        unit_of_measurement=spec.unit,
    )


class SeriesRows(dict[tuple[str, str], dict[datetime, float]]):
    """(EAN, series name) -> {UTC hour start: state}.

    ``partial``: per series, the hours summed from fewer slices than the hour holds (a value
    was ``null``, dropped or not sent). Their rows are written with what arrived (the
    dashboard keeps the rest of the hour), but they do not make a day complete
    (:func:`.statistics.last_complete_day`, through :func:`.rows.track_partial_hours`).
    """

    __slots__ = ("partial",)

    def __init__(self) -> None:
        super().__init__()
        self.partial: dict[tuple[str, str], set[datetime]] = {}

    def add(self, ean: str, series: str, start: datetime, value: float) -> None:
        """Add ``value`` to the state of one series at ``start``."""
        bucket = self.setdefault((ean, series), {})
        bucket[start] = bucket.get(start, 0.0) + value
