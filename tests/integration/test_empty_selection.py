"""An empty meter selection follows no meter, never "every mandate".

The missing-mandate fix can deselect an entry's only meter (``eans=[]``); an entry without the
key at all (hand-edited: every flow stores it) reads the same. Neither creates devices nor asks
GET Energy for a meter the user never chose (Finished ones included). The options flow still
asks for at least one meter.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any
from unittest.mock import MagicMock

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import DOMAIN as REPAIRS_DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.fluvius.const import CONF_BACKFILL_DAYS, CONF_EANS, DOMAIN
from custom_components.fluvius.coordinator import FluviusCoordinator
from custom_components.fluvius.repairs import async_set_mandate_missing
from tests.helpers import async_fire_poll

from .conftest import CLIENT_ID, EAN_GAS, USER_INPUT


def _follows_nothing(hass: HomeAssistant, entry: MockConfigEntry, client: MagicMock) -> None:
    assert entry.state is ConfigEntryState.LOADED
    coordinator: FluviusCoordinator = entry.runtime_data.coordinator
    assert coordinator.eans == []
    assert coordinator.data.meters == {}
    client.get_energy.assert_not_called()
    assert not dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert not er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)


async def test_fix_deselecting_the_only_meter_follows_none(
    hass: HomeAssistant,
    mock_client: MagicMock,
    mock_config_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = mock_config_entry
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options={**entry.options, CONF_EANS: [EAN_GAS]})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await async_setup_component(hass, REPAIRS_DOMAIN, {})
    async_set_mandate_missing(hass, entry, EAN_GAS, True)
    issue_id = f"mandate_missing_{entry.entry_id}_{EAN_GAS}"
    client = await hass_client()

    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    assert response.status == HTTPStatus.OK
    flow = await response.json()
    # The only meter: the form says the entry then imports no meter at all.
    assert flow["step_id"] == "confirm_last"
    assert flow["description_placeholders"] == {"ean": EAN_GAS, "title": entry.title}

    mock_client.get_energy.reset_mock()
    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert response.status == HTTPStatus.OK, await response.text()
    assert (await response.json())["type"] == "create_entry"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.options[CONF_EANS] == []
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    _follows_nothing(hass, entry, mock_client)

    # The daily poll asks GET Mandate, and GET Energy for no meter.
    mock_client.get_mandates.reset_mock()
    await async_fire_poll(hass, freezer, entry.runtime_data.coordinator)
    mock_client.get_mandates.assert_called_once()
    mock_client.get_energy.assert_not_called()
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize(
    "options", [{CONF_EANS: []}, {CONF_BACKFILL_DAYS: 10}], ids=["empty", "absent"]
)
async def test_entry_without_meters_follows_none(
    hass: HomeAssistant, mock_client: MagicMock, options: dict[str, Any]
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Fluvius sandbox",
        unique_id=f"sandbox_{CLIENT_ID}",
        data=dict(USER_INPUT),
        options=options,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    _follows_nothing(hass, entry, mock_client)

    # The options flow offers the meters again and still asks for one.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_EANS: [], CONF_BACKFILL_DAYS: 10}
    )
    assert result["errors"] == {"base": "no_meters_selected"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_EANS: [EAN_GAS], CONF_BACKFILL_DAYS: 10}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.runtime_data.coordinator.eans == [EAN_GAS]
    assert await hass.config_entries.async_unload(entry.entry_id)
