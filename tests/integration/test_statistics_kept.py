"""Statistics survive reauth, reconfigure, options changes and reloads; removal clears them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest.mock import MagicMock

from homeassistant.components.recorder import get_instance
from homeassistant.components.recorder.models import StatisticData
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    list_statistic_ids,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.fluvius.const import CONF_CLIENT_SECRET, CONF_EANS, CONF_SUBSCRIPTION_KEY
from custom_components.fluvius.series import statistic_id, statistic_metadata

from .conftest import CLIENT_ID, EAN_ELECTRICITY, EAN_GAS, USER_INPUT

STAT_ID = statistic_id(EAN_ELECTRICITY, "offtake")


async def _write_statistic(hass: HomeAssistant) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    async_add_external_statistics(
        hass,
        statistic_metadata(EAN_ELECTRICITY, "offtake"),
        [
            StatisticData(start=start + timedelta(hours=hour), state=1.0, sum=hour + 1.0)
            for hour in range(3)
        ],
    )
    await async_wait_recording_done(hass)


async def _statistic_ids(hass: HomeAssistant) -> set[str]:
    rows = await get_instance(hass).async_add_executor_job(list_statistic_ids, hass)
    return {row["statistic_id"] for row in rows}


async def test_statistics_survive_reauth_reconfigure_and_options(
    hass: HomeAssistant, init_integration: MockConfigEntry, mock_client: MagicMock
) -> None:
    entry = init_integration
    await _write_statistic(hass)
    assert STAT_ID in await _statistic_ids(hass)

    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_SECRET: "renewed", CONF_SUBSCRIPTION_KEY: "renewed-key"}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    await async_wait_recording_done(hass)
    assert STAT_ID in await _statistic_ids(hass)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "tenant_id": "sandbox-tenant",
            "client_id": CLIENT_ID,
            "scope": USER_INPUT["scope"],
        },
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data[CONF_CLIENT_SECRET] == "renewed"
    await async_wait_recording_done(hass)
    assert STAT_ID in await _statistic_ids(hass)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_EANS: [EAN_ELECTRICITY, EAN_GAS], "backfill_days": 400}
    )
    await hass.async_block_till_done()
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)
    assert STAT_ID in await _statistic_ids(hass)

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)
    assert STAT_ID not in await _statistic_ids(hass)
