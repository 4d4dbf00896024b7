"""Sensors: the last complete day, this month's peak, the capacity average, data freshness.

None of these sensors has a ``state_class``. The Energy dashboard reads the external statistics
``fluvius:<ean>_<series>``, which put every value in the hour it was measured. A ``state_class``
would make the recorder compile a second long-term series from the sensor state, timed at the
moment the state changed (a day or more after the measurement, all of it in one hour), next to
the correct one: a wrong and confusing duplicate in the dashboard's pickers and graphs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.const import EntityCategory, UnitOfEnergy, UnitOfPower, UnitOfVolume
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .coordinator import FluviusConfigEntry, FluviusCoordinator, MeterState
from .entity import FluviusEntity

# The coordinator does all I/O; entities only read its data.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class FluviusSensorEntityDescription(SensorEntityDescription):
    """A sensor of one EAN."""

    value_fn: Callable[[MeterState], StateType | datetime]
    has_fn: Callable[[MeterState], bool]
    attr_fn: Callable[[MeterState], Mapping[str, Any] | None] = lambda _meter: None


def _last_day(series: str) -> Callable[[MeterState], StateType]:
    def _value(meter: MeterState) -> StateType:
        found = meter.last_day.get(series)
        return found[1] if found else None

    return _value


def _last_day_attrs(series: str) -> Callable[[MeterState], Mapping[str, Any] | None]:
    def _attrs(meter: MeterState) -> Mapping[str, Any] | None:
        found = meter.last_day.get(series)
        return {"day": found[0].isoformat()} if found else None

    return _attrs


def _has(series: str) -> Callable[[MeterState], bool]:
    return lambda meter: series in meter.series


def _peak_attrs(meter: MeterState) -> Mapping[str, Any] | None:
    peak = meter.month_peak
    if peak is None:
        return None
    return {
        "month": peak.month.isoformat()[:7],
        "moment": peak.moment.isoformat(),
        "final": peak.final,
        "quarter_hours": peak.count,
        "quarter_hours_expected": peak.expected,
    }


def _history_attrs(meter: MeterState) -> Mapping[str, Any] | None:
    """Where the imported history starts, and the hours the API no longer reached."""
    if meter.history_start is None:
        return None
    return {
        "history_start": meter.history_start.isoformat(),
        "hours_not_fetched": round(meter.hours_not_fetched, 2),
    }


SENSORS: tuple[FluviusSensorEntityDescription, ...] = (
    *(
        FluviusSensorEntityDescription(
            key=f"{series}_last_day",
            translation_key=f"{series}_last_day",
            device_class=device_class,
            native_unit_of_measurement=unit,
            suggested_display_precision=precision,
            value_fn=_last_day(series),
            has_fn=_has(series),
            attr_fn=_last_day_attrs(series),
        )
        for series, device_class, unit, precision in (
            ("offtake", SensorDeviceClass.ENERGY, UnitOfEnergy.KILO_WATT_HOUR, 3),
            ("injection", SensorDeviceClass.ENERGY, UnitOfEnergy.KILO_WATT_HOUR, 3),
            ("gas_m3", SensorDeviceClass.GAS, UnitOfVolume.CUBIC_METERS, 3),
            ("gas_kwh", SensorDeviceClass.ENERGY, UnitOfEnergy.KILO_WATT_HOUR, 3),
            ("production", SensorDeviceClass.ENERGY, UnitOfEnergy.KILO_WATT_HOUR, 3),
            ("auxiliary", SensorDeviceClass.ENERGY, UnitOfEnergy.KILO_WATT_HOUR, 3),
        )
    ),
    FluviusSensorEntityDescription(
        key="month_peak",
        translation_key="month_peak",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=3,
        value_fn=lambda meter: meter.month_peak.peak_kw if meter.month_peak else None,
        has_fn=_has("peak"),
        attr_fn=_peak_attrs,
    ),
    FluviusSensorEntityDescription(
        key="capacity_average",
        translation_key="capacity_average",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=3,
        value_fn=lambda meter: meter.capacity_average,
        has_fn=_has("peak"),
    ),
    FluviusSensorEntityDescription(
        key="last_data",
        translation_key="last_data",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda meter: meter.last_data,
        has_fn=lambda meter: meter.main_ean is None,
        attr_fn=_history_attrs,
    ),
    FluviusSensorEntityDescription(
        key="mandate_expiry",
        translation_key="mandate_expiry",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda meter: meter.mandate_expiry,
        has_fn=lambda meter: meter.main_ean is None and meter.mandate_expiry is not None,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FluviusConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of every EAN; more appear when the backfill discovers series."""
    coordinator = entry.runtime_data.coordinator
    known: set[tuple[str, str]] = set()

    @callback
    def _add_new() -> None:
        new: list[FluviusSensor] = []
        for meter in coordinator.data.meters.values():
            for description in SENSORS:
                if (meter.ean, description.key) in known or not description.has_fn(meter):
                    continue
                known.add((meter.ean, description.key))
                new.append(FluviusSensor(coordinator, meter, description))
        if new:
            async_add_entities(new)

    _add_new()
    entry.async_on_unload(coordinator.async_add_listener(_add_new))


class FluviusSensor(FluviusEntity, SensorEntity):
    """One value of one EAN."""

    entity_description: FluviusSensorEntityDescription

    def __init__(
        self,
        coordinator: FluviusCoordinator,
        meter: MeterState,
        description: FluviusSensorEntityDescription,
    ) -> None:
        super().__init__(coordinator, meter)
        self.entity_description = description
        self._attr_unique_id = f"{meter.ean}_{description.key}"

    @property
    def native_value(self) -> StateType | datetime:
        meter = self.meter
        return self.entity_description.value_fn(meter) if meter is not None else None

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        meter = self.meter
        return self.entity_description.attr_fn(meter) if meter is not None else None
