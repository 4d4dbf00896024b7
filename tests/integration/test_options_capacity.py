"""The capacity tariff in the options: per electricity meter a network area, an own rate, VAT."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius.const import (
    CONF_AREA,
    CONF_BACKFILL_DAYS,
    CONF_CAPACITY_TARIFF,
    CONF_EANS,
    CONF_OWN_RATE,
    CONF_SUBMETER_REACTIVE,
    CONF_VAT,
    DEFAULT_BACKFILL_DAYS,
    DOMAIN,
)

from .conftest import EAN_AMR, EAN_ELECTRICITY, EAN_GAS

pytestmark = pytest.mark.usefixtures("mock_setup_entry", "mock_client")

METERS: dict[str, Any] = {
    CONF_EANS: [EAN_ELECTRICITY, EAN_GAS],
    CONF_BACKFILL_DAYS: DEFAULT_BACKFILL_DAYS,
    CONF_SUBMETER_REACTIVE: True,
}


def _field(result: Any, key: str) -> Any:
    for marker, selector in result["data_schema"].schema.items():
        if str(marker) == key:
            return marker, selector
    raise AssertionError(key)


async def _capacity_step(
    hass: HomeAssistant, entry: MockConfigEntry, ean: str, meters: dict[str, Any] = METERS
) -> Any:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**meters, "capacity_meter": ean}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "capacity_tariff"
    assert result["description_placeholders"] == {"ean": ean}
    return result


async def test_only_electricity_meters_are_offered(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    _, selector = _field(result, "capacity_meter")
    offered = [option["value"] for option in selector.config["options"]]
    assert EAN_ELECTRICITY in offered and EAN_AMR in offered
    assert EAN_GAS not in offered


async def test_set_change_and_clear_a_capacity_tariff(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)

    # Set: an area, 21 % VAT.
    result = await _capacity_step(hass, mock_config_entry, EAN_ELECTRICITY)
    marker, _ = _field(result, CONF_VAT)
    assert marker.description["suggested_value"] == "0"  # professional users deduct VAT
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_AREA: "west", CONF_VAT: "21"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mock_config_entry.options == {
        **METERS,
        CONF_CAPACITY_TARIFF: {EAN_ELECTRICITY: {CONF_AREA: "west", CONF_VAT: 21.0}},
    }

    # Change: the form shows what is set; an own rate replaces the area.
    result = await _capacity_step(hass, mock_config_entry, EAN_ELECTRICITY)
    marker, _ = _field(result, CONF_AREA)
    assert marker.description["suggested_value"] == "west"
    marker, _ = _field(result, CONF_VAT)
    assert marker.description["suggested_value"] == "21"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_OWN_RATE: 61.5, CONF_VAT: "6"}
    )
    assert mock_config_entry.options[CONF_CAPACITY_TARIFF] == {
        EAN_ELECTRICITY: {CONF_OWN_RATE: 61.5, CONF_VAT: 6.0}
    }

    # The meters step alone keeps the capacity tariff.
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], METERS)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mock_config_entry.options[CONF_CAPACITY_TARIFF] == {
        EAN_ELECTRICITY: {CONF_OWN_RATE: 61.5, CONF_VAT: 6.0}
    }

    # Clear: neither an area nor an own rate, no capacity tariff (and no key left).
    result = await _capacity_step(hass, mock_config_entry, EAN_ELECTRICITY)
    result = await hass.config_entries.options.async_configure(result["flow_id"], {CONF_VAT: "0"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mock_config_entry.options == METERS


async def test_a_deselected_meter_drops_its_capacity_tariff(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """The other meters keep theirs."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        options={
            **METERS,
            CONF_EANS: [EAN_ELECTRICITY, EAN_AMR],
            CONF_CAPACITY_TARIFF: {
                EAN_ELECTRICITY: {CONF_AREA: "imewo", CONF_VAT: 0.0},
                EAN_AMR: {CONF_OWN_RATE: 80.0, CONF_VAT: 21.0},
            },
        },
    )
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**METERS, CONF_EANS: [EAN_AMR, EAN_GAS]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mock_config_entry.options[CONF_CAPACITY_TARIFF] == {
        EAN_AMR: {CONF_OWN_RATE: 80.0, CONF_VAT: 21.0}
    }


async def test_the_capacity_meter_must_be_imported(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**METERS, "capacity_meter": EAN_AMR}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert result["errors"] == {"capacity_meter": "capacity_meter_not_selected"}
    assert mock_config_entry.options == METERS  # nothing saved


@pytest.mark.parametrize("own_rate", [0, 0.5, 1500])
async def test_a_bad_own_rate_is_refused_with_a_translated_error(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, own_rate: float
) -> None:
    mock_config_entry.add_to_hass(hass)
    meters = {**METERS, CONF_EANS: [EAN_ELECTRICITY, EAN_AMR]}
    result = await _capacity_step(hass, mock_config_entry, EAN_AMR, meters)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_OWN_RATE: own_rate, CONF_VAT: "0"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_OWN_RATE: "invalid_own_rate"}
    assert CONF_CAPACITY_TARIFF not in mock_config_entry.options
    for language in ("en", "nl", "fr", "de"):
        texts = await async_get_translations(hass, language, "options", [DOMAIN])
        assert texts[f"component.{DOMAIN}.options.error.invalid_own_rate"]
    # A right rate then goes through.
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_OWN_RATE: 72.25, CONF_VAT: "0"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mock_config_entry.options[CONF_CAPACITY_TARIFF] == {
        EAN_AMR: {CONF_OWN_RATE: 72.25, CONF_VAT: 0.0}
    }
