"""The options of dynamic prices: per direction a price sensor (EUR/kWh) and a surcharge.

A direction (offtake, injection) whose price sensor is set is priced hour by hour from that
sensor's long-term statistics (dynamic_costs.py); the fixed price of that direction is then
not used. Without a sensor the fixed prices (prices.py) stay the simple case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.components.sensor import ATTR_STATE_CLASS, SensorStateClass
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)

from .api.models import Direction

CONF_PRICE_SENSOR_OFFTAKE: Final = "price_sensor_offtake"
CONF_PRICE_SENSOR_INJECTION: Final = "price_sensor_injection"
CONF_SURCHARGE_OFFTAKE: Final = "surcharge_offtake"
CONF_SURCHARGE_INJECTION: Final = "surcharge_injection"

# The units of a price per kWh in euro as day-ahead and supplier integrations write them
# (Nord Pool: "EUR/kWh"; others "€/kWh"); spaces are ignored.
PRICE_UNITS: Final = frozenset({"EUR/kWh", "€/kWh"})


@dataclass(frozen=True, slots=True)
class DynamicPrice:
    """One direction priced from a sensor."""

    energy_series: str  # the kWh series priced: "offtake" or "injection"
    cost_series: str  # the cost statistic written, the same as the fixed price's
    sensor: str  # entity id, also the id of its long-term statistics
    surcharge: float  # EUR/kWh added to the sensor's mean


# direction -> (sensor option, surcharge option, cost series)
_DIRECTIONS: Final = {
    Direction.OFFTAKE.value: (CONF_PRICE_SENSOR_OFFTAKE, CONF_SURCHARGE_OFFTAKE, "offtake_cost"),
    Direction.INJECTION.value: (
        CONF_PRICE_SENSOR_INJECTION,
        CONF_SURCHARGE_INJECTION,
        "injection_compensation",
    ),
}
SENSOR_KEYS: Final = tuple(sensor for sensor, _, _ in _DIRECTIONS.values())
SURCHARGE_KEYS: Final = tuple(surcharge for _, surcharge, _ in _DIRECTIONS.values())


def dynamic_prices(options: Mapping[str, Any]) -> list[DynamicPrice]:
    """The directions priced by a sensor."""
    prices: list[DynamicPrice] = []
    for direction, (sensor_key, surcharge_key, cost_series) in _DIRECTIONS.items():
        sensor = options.get(sensor_key)
        if sensor:
            surcharge = options.get(surcharge_key)
            prices.append(
                DynamicPrice(direction, cost_series, str(sensor), float(surcharge or 0.0))
            )
    return prices


def is_price_unit(unit: Any) -> bool:
    """Whether a unit is euro per kWh."""
    return isinstance(unit, str) and unit.replace(" ", "") in PRICE_UNITS


def price_sensor_errors(hass: HomeAssistant, user_input: Mapping[str, Any]) -> dict[str, str]:
    """Per chosen sensor: ``price_sensor_not_found`` (no state), ``price_sensor_unit`` (not in
    EUR/kWh) or ``price_sensor_no_statistics`` (not ``state_class: measurement``: the recorder
    compiles no hourly mean for it)."""
    errors: dict[str, str] = {}
    for key in SENSOR_KEYS:
        entity_id = user_input.get(key)
        if not entity_id:
            continue
        state = hass.states.get(str(entity_id))
        if state is None:
            errors[key] = "price_sensor_not_found"
        elif not is_price_unit(state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)):
            errors[key] = "price_sensor_unit"
        elif state.attributes.get(ATTR_STATE_CLASS) != SensorStateClass.MEASUREMENT:
            errors[key] = "price_sensor_no_statistics"
    return errors


def price_sensor_options(values: Mapping[str, Any]) -> dict[str, Any]:
    """The dynamic-price options set in ``values`` (a form's input or the entry's options)."""
    options: dict[str, Any] = {}
    for key in SENSOR_KEYS:
        if values.get(key):
            options[key] = str(values[key])
    for key in SURCHARGE_KEYS:
        if values.get(key) is not None:
            options[key] = float(values[key])
    return options


_SURCHARGE: Final = NumberSelector(
    NumberSelectorConfig(
        min=-10, max=10, step="any", mode=NumberSelectorMode.BOX, unit_of_measurement="EUR/kWh"
    )
)
_SENSOR: Final = EntitySelector(EntitySelectorConfig(domain="sensor"))


def price_sensor_selectors() -> dict[str, Any]:
    """The options fields (key -> selector), each optional."""
    return {
        CONF_PRICE_SENSOR_OFFTAKE: _SENSOR,
        CONF_SURCHARGE_OFFTAKE: _SURCHARGE,
        CONF_PRICE_SENSOR_INJECTION: _SENSOR,
        CONF_SURCHARGE_INJECTION: _SURCHARGE,
    }
