"""The options flow's dynamic prices: a price sensor per direction (EUR/kWh) and a surcharge."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius.const import CONF_BACKFILL_DAYS, CONF_EANS, CONF_PRICE_DAY
from custom_components.fluvius.dynamic_price_options import (
    CONF_PRICE_SENSOR_INJECTION,
    CONF_PRICE_SENSOR_OFFTAKE,
    CONF_SURCHARGE_INJECTION,
    CONF_SURCHARGE_OFFTAKE,
)

from .conftest import EAN_ELECTRICITY

PRICE_SENSOR = "sensor.nord_pool_be_current_price"
INJECTION_SENSOR = "sensor.supplier_injection_price"
MEASUREMENT = {"state_class": "measurement"}


def _field(result: dict[str, Any], key: str) -> Any:
    for marker, selector in result["data_schema"].schema.items():
        if str(marker) == key:
            return marker, selector
    raise AssertionError(key)


@pytest.mark.usefixtures("mock_setup_entry", "mock_client")
async def test_price_sensors_and_surcharges_saved(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """A sensor in EUR/kWh (or €/kWh) per direction and the surcharges are saved; the form
    offers them again as they were."""
    hass.states.async_set(PRICE_SENSOR, "0.1", {**MEASUREMENT, "unit_of_measurement": "EUR/kWh"})
    hass.states.async_set(INJECTION_SENSOR, "0.03", {**MEASUREMENT, "unit_of_measurement": "€/kWh"})
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    _, selector = _field(result, CONF_PRICE_SENSOR_OFFTAKE)
    assert selector.config["domain"] == ["sensor"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_EANS: [EAN_ELECTRICITY],
            CONF_BACKFILL_DAYS: 30,
            CONF_PRICE_DAY: 0.3,
            CONF_PRICE_SENSOR_OFFTAKE: PRICE_SENSOR,
            CONF_SURCHARGE_OFFTAKE: 0.12,
            CONF_PRICE_SENSOR_INJECTION: INJECTION_SENSOR,
            CONF_SURCHARGE_INJECTION: -0.01,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mock_config_entry.options[CONF_PRICE_SENSOR_OFFTAKE] == PRICE_SENSOR
    assert mock_config_entry.options[CONF_SURCHARGE_OFFTAKE] == 0.12
    assert mock_config_entry.options[CONF_PRICE_SENSOR_INJECTION] == INJECTION_SENSOR
    assert mock_config_entry.options[CONF_SURCHARGE_INJECTION] == -0.01
    assert mock_config_entry.options[CONF_PRICE_DAY] == 0.3

    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    marker, _ = _field(result, CONF_PRICE_SENSOR_OFFTAKE)
    assert marker.description["suggested_value"] == PRICE_SENSOR
    marker, _ = _field(result, CONF_SURCHARGE_INJECTION)
    assert marker.description["suggested_value"] == -0.01


@pytest.mark.usefixtures("mock_setup_entry", "mock_client")
@pytest.mark.parametrize(
    ("attributes", "error"),
    [
        ({**MEASUREMENT, "unit_of_measurement": "EUR/MWh"}, "price_sensor_unit"),
        (MEASUREMENT, "price_sensor_unit"),
        ({"unit_of_measurement": "EUR/kWh"}, "price_sensor_no_statistics"),
        (None, "price_sensor_not_found"),
    ],
)
async def test_price_sensor_refused(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    attributes: dict[str, str] | None,
    error: str,
) -> None:
    """A sensor in another unit than EUR/kWh, without long-term statistics (no state class
    measurement) or that does not exist is refused on its field and nothing is saved."""
    if attributes is not None:
        hass.states.async_set(PRICE_SENSOR, "95.1", attributes)
    mock_config_entry.add_to_hass(hass)
    options_before = dict(mock_config_entry.options)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_EANS: [EAN_ELECTRICITY],
            CONF_BACKFILL_DAYS: 30,
            CONF_PRICE_SENSOR_OFFTAKE: PRICE_SENSOR,
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_PRICE_SENSOR_OFFTAKE: error}
    assert dict(mock_config_entry.options) == options_before
