"""Sensors and statistic metadata through a real setup of the entry (snapshots)."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest.mock import patch

from homeassistant.components.recorder.statistics import get_metadata
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.recorder import get_instance
import pytest
from pytest_homeassistant_custom_component.common import snapshot_platform
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.fluvius.const import DOMAIN
from custom_components.fluvius.statistics import (
    async_statistic_ids_for,
    statistic_metadata,
)

from ._legacy import make_entry
from .fake_api import FakeFluvius, mock_meter

DIGITAL_QH = "541440110000000008"
GAS = "541441010000000008"
AMR_SUB = "541450211000000008"


@pytest.mark.freeze_time("2025-04-03T08:00:00Z")
async def test_sensors_and_metadata(
    hass: HomeAssistant,
    fake: FakeFluvius,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Set up like Home Assistant does; after the backfill every sensor has its value."""
    for ean in (DIGITAL_QH, GAS, AMR_SUB):
        fake.add(mock_meter(ean))
    fake.meters[DIGITAL_QH].expiry = datetime(2027, 12, 1, 23, tzinfo=UTC)
    entry = make_entry(
        [DIGITAL_QH, GAS, AMR_SUB],
        backfill_days=5,
        price_day=0.3,
        price_night=0.2,
        price_injection=0.04,
        price_gas=0.1,
    )
    entry.add_to_hass(hass)
    with patch("custom_components.fluvius.create_client", return_value=fake):
        assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    await entry.runtime_data.coordinator.async_wait_backfill()
    await async_wait_recording_done(hass)
    await hass.async_block_till_done()

    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)
    devices = sorted(
        dr.async_entries_for_config_entry(device_registry, entry.entry_id),
        key=lambda d: sorted(d.identifiers),
    )
    assert [
        (sorted(d.identifiers), d.model, d.serial_number, d.via_device_id is not None)
        for d in devices
    ] == snapshot(name="devices")

    subs = entry.runtime_data.coordinator.cursors.get(AMR_SUB).sub_eans
    ids = await async_statistic_ids_for(hass, [DIGITAL_QH, GAS, AMR_SUB, *subs])
    metadata = await get_instance(hass).async_add_executor_job(
        lambda: get_metadata(hass, statistic_ids=set(ids))
    )
    assert {stat_id: meta for stat_id, (_, meta) in sorted(metadata.items())} == snapshot(
        name="statistic_metadata"
    )
    assert statistic_metadata(DIGITAL_QH, "offtake")["source"] == DOMAIN
