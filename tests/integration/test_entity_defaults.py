"""Which sensors a new entry enables: the rarely used ones start disabled."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .conftest import EAN_ELECTRICITY, EAN_GAS


async def test_mandate_expiry_disabled_by_default(
    hass: HomeAssistant, init_integration: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """The mandate expiry is disabled (the repair issue warns 30 days ahead); the latest data
    time, read when yesterday seems missing, stays enabled."""
    entries = er.async_entries_for_config_entry(entity_registry, init_integration.entry_id)
    by_id = {entry.unique_id: entry for entry in entries}
    for ean in (EAN_ELECTRICITY, EAN_GAS):
        expiry = by_id[f"{ean}_mandate_expiry"]
        assert expiry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
        assert hass.states.get(expiry.entity_id) is None
        latest = by_id[f"{ean}_last_data"]
        assert latest.disabled_by is None
        assert hass.states.get(latest.entity_id) is not None
    assert [entry.unique_id for entry in entries if entry.disabled_by is not None] == [
        unique_id for unique_id in by_id if unique_id.endswith("_mandate_expiry")
    ]
