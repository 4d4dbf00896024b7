"""The options flow: meters from the current mandates, history depth, prices."""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius.api.errors import (
    FluviusAuthError,
    FluviusConnectionError,
    FluviusSubscriptionKeyError,
)
from custom_components.fluvius.const import (
    CONF_BACKFILL_DAYS,
    CONF_EANS,
    CONF_PRICE_DAY,
    CONF_PRICE_GAS,
    CONF_PRICE_INJECTION,
    CONF_PRICE_NIGHT,
    CONF_SUBMETER_REACTIVE,
    CONF_SUBMETER_REACTIVE_PENDING,
)

from .conftest import EAN_AMR, EAN_ELECTRICITY, EAN_FINISHED, EAN_GAS


def _field(result: dict[str, Any], key: str) -> Any:
    for marker, selector in result["data_schema"].schema.items():
        if str(marker) == key:
            return marker, selector
    raise AssertionError(key)


@pytest.mark.usefixtures("mock_setup_entry")
async def test_options_not_loaded(
    hass: HomeAssistant, mock_client: MagicMock, mock_config_entry: MockConfigEntry
) -> None:
    """Meters come from GET Mandate; prices are optional; blank removes a price."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={**mock_config_entry.options, CONF_PRICE_GAS: 0.09}
    )
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    marker, selector = _field(result, CONF_EANS)
    assert [option["value"] for option in selector.config["options"]] == sorted(
        [EAN_ELECTRICITY, EAN_GAS, EAN_AMR, EAN_FINISHED]
    )
    assert marker.description["suggested_value"] == [EAN_ELECTRICITY, EAN_GAS]
    marker, _ = _field(result, CONF_PRICE_GAS)
    assert marker.description["suggested_value"] == 0.09
    assert "REF-123456" in result["description_placeholders"]["unusable"]

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_EANS: [EAN_AMR, EAN_GAS],
            CONF_BACKFILL_DAYS: 30.0,
            CONF_PRICE_DAY: 0.31,
            CONF_PRICE_NIGHT: 0.24,
            CONF_PRICE_INJECTION: 0.04,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mock_config_entry.options == {
        CONF_EANS: [EAN_GAS, EAN_AMR],
        CONF_BACKFILL_DAYS: 30,
        CONF_PRICE_DAY: 0.31,
        CONF_PRICE_NIGHT: 0.24,
        CONF_PRICE_INJECTION: 0.04,
        CONF_SUBMETER_REACTIVE: True,  # kept
    }
    assert mock_client.get_mandates.await_count == 1


@pytest.mark.usefixtures("mock_setup_entry")
async def test_options_must_select_one_meter(
    hass: HomeAssistant, mock_client: MagicMock, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_EANS: [], CONF_BACKFILL_DAYS: 10}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "no_meters_selected"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_EANS: [EAN_GAS], CONF_BACKFILL_DAYS: 10}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mock_config_entry.options == {
        CONF_EANS: [EAN_GAS],
        CONF_BACKFILL_DAYS: 10,
        CONF_SUBMETER_REACTIVE: True,
    }


@pytest.mark.usefixtures("mock_setup_entry")
@pytest.mark.parametrize(
    ("stored", "suggested"), [({}, True), ({CONF_SUBMETER_REACTIVE: False}, False)]
)
async def test_options_submeter_reactive(
    hass: HomeAssistant,
    mock_client: MagicMock,
    mock_config_entry: MockConfigEntry,
    stored: dict[str, Any],
    suggested: bool,
) -> None:
    """The switch shows the entry's choice (none stored: on). Turning it off is saved as is;
    turning it on also asks the next set-up to import the history again."""
    options = {k: v for k, v in mock_config_entry.options.items() if k != CONF_SUBMETER_REACTIVE}
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, options={**options, **stored})
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    marker, _ = _field(result, CONF_SUBMETER_REACTIVE)
    assert marker.description["suggested_value"] is suggested
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**options, CONF_SUBMETER_REACTIVE: not suggested}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    expected = {**options, CONF_SUBMETER_REACTIVE: not suggested}
    if not suggested:
        expected[CONF_SUBMETER_REACTIVE_PENDING] = True
    assert mock_config_entry.options == expected


@pytest.mark.usefixtures("mock_setup_entry")
@pytest.mark.parametrize("days", [0, 1096])
async def test_options_backfill_range(
    hass: HomeAssistant, mock_client: MagicMock, mock_config_entry: MockConfigEntry, days: int
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_EANS: [EAN_GAS], CONF_BACKFILL_DAYS: days}
        )


@pytest.mark.usefixtures("mock_setup_entry")
async def test_options_keep_meter_without_mandate(
    hass: HomeAssistant, mock_client: MagicMock, mock_config_entry: MockConfigEntry
) -> None:
    """A selected meter whose mandate is gone is still listed, so it can be deselected."""
    mock_config_entry.add_to_hass(hass)
    mock_client.get_mandates.return_value = [
        m for m in mock_client.get_mandates.return_value if m.ean != EAN_GAS
    ]
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    _, selector = _field(result, CONF_EANS)
    labels = {option["value"]: option["label"] for option in selector.config["options"]}
    assert labels[EAN_GAS] == f"{EAN_GAS} · no valid mandate any more"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_EANS: [EAN_GAS, EAN_ELECTRICITY], CONF_BACKFILL_DAYS: 1095}
    )
    assert mock_config_entry.options[CONF_EANS] == [EAN_ELECTRICITY, EAN_GAS]


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (FluviusAuthError("invalid_client"), "invalid_auth"),
        (FluviusSubscriptionKeyError("key"), "invalid_auth"),
        (FluviusConnectionError("timeout"), "cannot_connect"),
    ],
)
@pytest.mark.usefixtures("mock_setup_entry")
async def test_options_api_error_not_loaded(
    hass: HomeAssistant,
    mock_client: MagicMock,
    mock_config_entry: MockConfigEntry,
    error: Exception,
    reason: str,
) -> None:
    mock_config_entry.add_to_hass(hass)
    mock_client.get_mandates.side_effect = error
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason


async def test_options_api_error_loaded_uses_known_mandates(
    hass: HomeAssistant, init_integration: MockConfigEntry, mock_client: MagicMock
) -> None:
    mock_client.get_mandates.side_effect = FluviusConnectionError("timeout")
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["type"] is FlowResultType.FORM
    _, selector = _field(result, CONF_EANS)
    assert {option["value"] for option in selector.config["options"]} >= {
        EAN_ELECTRICITY,
        EAN_GAS,
    }
    assert result["description_placeholders"]["unusable"] == ""
