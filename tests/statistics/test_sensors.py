"""Sensors and statistic metadata through a real setup of the entry (snapshots)."""

from __future__ import annotations

from collections.abc import Generator
from datetime import UTC, datetime
from unittest.mock import PropertyMock, patch

from homeassistant.components.recorder.statistics import get_metadata
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.recorder import get_instance
import pytest
from pytest_homeassistant_custom_component.common import snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.fluvius.const import DOMAIN, TIMEZONE
from custom_components.fluvius.series import statistic_metadata
from custom_components.fluvius.statistics import async_statistic_ids_for
from tests.standin import StandIn

from .conftest import make_entry, start_entry

DIGITAL_QH = "541440110000000008"
GAS = "541441010000000008"
AMR_SUB = "541450211000000008"


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Every sensor enabled, the ones disabled by default too (as core's fixture of that name)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.mark.freeze_time("2025-04-03T08:00:00Z")
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_sensors_and_metadata(
    hass: HomeAssistant,
    stand: StandIn,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Set up like Home Assistant does; after the backfill every sensor has its value."""
    stand.sandbox.add_mandate(
        DIGITAL_QH, mandate_expiration_date=datetime(2027, 12, 1, 23, tzinfo=UTC)
    )
    entry = make_entry(
        stand,
        [DIGITAL_QH, GAS, AMR_SUB],
        backfill_days=5,
        price_day=0.3,
        price_night=0.2,
        price_injection=0.04,
        price_gas=0.1,
    )
    coordinator = await start_entry(hass, entry)
    await hass.async_block_till_done()

    # The last-day sensors show the last complete day the stand-in has sent (day + night).
    now = stand.sandbox.now()
    start = coordinator.cursors.get(DIGITAL_QH).backfill_from
    assert start is not None
    truth = stand.sandbox.truth(DIGITAL_QH, start, now, as_of=now)
    last_day = max(truth["offtake_day"].daily)
    offtake = hass.states.get(f"sensor.fluvius_{DIGITAL_QH}_offtake_last_day")
    assert offtake is not None
    assert offtake.attributes["day"] == last_day.astimezone(TIMEZONE).date().isoformat()
    assert float(offtake.state) == pytest.approx(
        truth["offtake_day"].daily[last_day] + truth["offtake_night"].daily[last_day]
    )

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
