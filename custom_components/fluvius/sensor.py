"""Sensors: the last complete day, this month's peak, the capacity average and its cost, data
freshness and data quality.

None of the energy and power sensors has a ``state_class``. The Energy dashboard reads the
external statistics ``fluvius:<ean>_<series>``, which put every value in the hour it was
measured. A ``state_class`` would make the recorder compile a second long-term series from the
sensor state, timed at the moment the state changed (a day or more after the measurement, all of
it in one hour), next to the correct one: a wrong and confusing duplicate in the dashboard's
pickers and graphs. The estimated share is no energy: its history over months is worth keeping,
so it is a ``measurement``.
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
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfEnergy, UnitOfPower, UnitOfVolume
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .api.models import EnergyType
from .capacity_cost import CapacitySettings, capacity_settings, current_cost, outdated_rate
from .coordinator import FluviusConfigEntry, FluviusCoordinator
from .entity import FluviusEntity
from .repairs import async_set_capacity_rates_outdated
from .state import MeterState
from .tariffs import MonthCost

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


def _capacity_attrs(meter: MeterState) -> Mapping[str, Any] | None:
    """The months the average is built from, oldest first: each peak and whether it is final
    (a month is final when all its quarter-hours arrived read or validated)."""
    if not meter.capacity_months:
        return None
    return {
        "months": [
            {"month": peak.month.isoformat()[:7], "peak_kw": peak.peak_kw, "final": peak.final}
            for peak in meter.capacity_months
        ],
        "months_final": sum(peak.final for peak in meter.capacity_months),
    }


def _quality_value(meter: MeterState) -> StateType:
    quality = meter.data_quality
    return quality.estimated_share if quality is not None else None


def _quality_attrs(meter: MeterState) -> Mapping[str, Any] | None:
    """The last fully validated day, and the counts behind the share (last 30 days)."""
    quality = meter.data_quality
    if quality is None:
        return None
    day = quality.last_validated_day
    return {
        "last_validated_day": day.isoformat() if day is not None else None,
        "missing_values": quality.missing,
        "estimated_values": quality.estimated,
        "values": quality.values,
        "days_counted": quality.days,
    }


def _has_quality(meter: MeterState) -> bool:
    """Every electricity and gas main meter (submeters are counted with their own data)."""
    return meter.main_ean is None and meter.energy_type in (
        EnergyType.ELECTRICITY,
        EnergyType.GAS,
    )


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
        attr_fn=_capacity_attrs,
    ),
    FluviusSensorEntityDescription(
        key="estimated_share",
        translation_key="estimated_share",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        suggested_display_precision=1,
        value_fn=_quality_value,
        has_fn=_has_quality,
        attr_fn=_quality_attrs,
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
        # Rarely looked at: the mandate_expiring repair issue warns 30 days ahead.
        entity_registry_enabled_default=False,
        value_fn=lambda meter: meter.mandate_expiry,
        has_fn=lambda meter: meter.main_ean is None and meter.mandate_expiry is not None,
    ),
)


@dataclass(frozen=True, kw_only=True)
class FluviusCostSensorEntityDescription(SensorEntityDescription):
    """A capacity-cost sensor of one electricity meter."""

    value_fn: Callable[[MonthCost], float]


COST_SENSORS: tuple[FluviusCostSensorEntityDescription, ...] = (
    FluviusCostSensorEntityDescription(
        key="capacity_cost_month",
        translation_key="capacity_cost_month",
        device_class=SensorDeviceClass.MONETARY,
        native_unit_of_measurement="EUR",
        suggested_display_precision=2,
        value_fn=lambda cost: cost.so_far,
    ),
    FluviusCostSensorEntityDescription(
        key="capacity_cost_projected",
        translation_key="capacity_cost_projected",
        device_class=SensorDeviceClass.MONETARY,
        native_unit_of_measurement="EUR",
        suggested_display_precision=2,
        value_fn=lambda cost: cost.projected,
    ),
)


def _has_capacity_cost(meter: MeterState) -> bool:
    return (
        meter.main_ean is None
        and meter.energy_type == EnergyType.ELECTRICITY
        and "peak" in meter.series
    )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FluviusConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of every EAN; more appear when the backfill discovers series."""
    coordinator = entry.runtime_data.coordinator
    known: set[tuple[str, str]] = set()
    tariffs = capacity_settings(entry.options)
    # A meter whose capacity tariff was cleared in the options loses its cost sensors.
    registry = er.async_get(hass)
    cost_keys = {description.key for description in COST_SENSORS}
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        ean, _, key = entity.unique_id.partition("_")
        if key in cost_keys and ean not in tariffs:
            registry.async_remove(entity.entity_id)

    @callback
    def _add_new() -> None:
        new: list[SensorEntity] = []
        for meter in coordinator.data.meters.values():
            for description in SENSORS:
                if (meter.ean, description.key) in known or not description.has_fn(meter):
                    continue
                known.add((meter.ean, description.key))
                new.append(FluviusSensor(coordinator, meter, description))
            settings = tariffs.get(meter.ean)
            if settings is None or not _has_capacity_cost(meter):
                continue
            for cost_description in COST_SENSORS:
                if (meter.ean, cost_description.key) in known:
                    continue
                known.add((meter.ean, cost_description.key))
                new.append(
                    FluviusCapacityCostSensor(coordinator, meter, cost_description, settings)
                )
        if new:
            async_add_entities(new)

    @callback
    def _check_rates(now: datetime | None = None) -> None:
        async_set_capacity_rates_outdated(
            hass, entry, outdated_rate(entry.options, now or dt_util.utcnow())
        )

    _add_new()
    _check_rates()
    entry.async_on_unload(coordinator.async_add_listener(_add_new))
    # The year turns (and the rate table may lag) without any new data: check every hour.
    entry.async_on_unload(async_track_time_change(hass, _check_rates, minute=0, second=0))


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


class FluviusCapacityCostSensor(FluviusEntity, SensorEntity):
    """This month's capacity cost of one electricity meter (so far, or projected)."""

    entity_description: FluviusCostSensorEntityDescription

    def __init__(
        self,
        coordinator: FluviusCoordinator,
        meter: MeterState,
        description: FluviusCostSensorEntityDescription,
        settings: CapacitySettings,
    ) -> None:
        super().__init__(coordinator, meter)
        self.entity_description = description
        self._settings = settings
        self._attr_unique_id = f"{meter.ean}_{description.key}"

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        # The cost so far grows with the month, and a new month starts, without new data.
        self.async_on_remove(async_track_time_change(self.hass, self._on_hour, minute=0, second=0))

    @callback
    def _on_hour(self, _now: datetime) -> None:
        self.async_write_ha_state()

    def _cost(self) -> MonthCost | None:
        meter = self.meter
        if meter is None:
            return None
        return current_cost(
            self._settings, meter.capacity_average, meter.month_peak, dt_util.utcnow()
        )

    @property
    def native_value(self) -> float | None:
        cost = self._cost()
        return self.entity_description.value_fn(cost) if cost is not None else None

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        cost = self._cost()
        if cost is None:
            return None
        return {
            "month": cost.month.isoformat()[:7],
            "peak_final": cost.peak_final,
            "billed_kw": cost.billed_kw,
            "rate": cost.rate.eur_per_kw_year,
            "rate_year": cost.rate.year,
            "vat": cost.vat_percent,
        }
