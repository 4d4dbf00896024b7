"""The submeters' reactive energy (kVArh) is an option: off for a new entry, kept for an entry
from before the option, imported with its history when turned on. The main meter's reactive
energy is always imported (billed on AMR connections). Over HTTP, with a real recorder."""

from __future__ import annotations

from datetime import datetime
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.fluvius.const import (
    CONF_BACKFILL_DAYS,
    CONF_EANS,
    CONF_SUBMETER_REACTIVE,
    CONF_SUBMETER_REACTIVE_PENDING,
    DOMAIN,
)
from custom_components.fluvius.coordinator import FluviusCoordinator
from custom_components.fluvius.series import statistic_id
from custom_components.fluvius.statistics import async_statistic_ids_for
from tests.helpers import async_wait_backfill
from tests.standin import StandIn, assert_exact

from .conftest import make_entry, start_entry, stop_entry

AMR_PV_AUX = "541450211000000003"  # AMR injection, with PV production and auxiliary submeters
REACTIVE = ("_inductive", "_capacitive")


def _truth_series(stand: StandIn, start: datetime) -> dict[str, set[str]]:
    """Statistic ids of the stand-in's truth, main meter (``main``) and submeters (``sub``),
    reactive or not."""
    truth = stand.sandbox.truth(AMR_PV_AUX, start, stand.sandbox.now(), as_of=stand.sandbox.now())
    kinds: dict[str, set[str]] = {"main": set(), "sub": set(), "main_reactive": set()}
    kinds["sub_reactive"] = set()
    for ean, name in truth:
        kind = ("main" if ean == AMR_PV_AUX else "sub") + (
            "_reactive" if name.endswith(REACTIVE) else ""
        )
        kinds[kind].add(statistic_id(ean, name))
    return kinds


async def _entry_from_the_flow(hass: HomeAssistant, stand: StandIn) -> ConfigEntry:
    """A new entry as the config flow creates it, on the stand-in (custom environment), with a
    short history (the flow's default is three years); not set up yet."""
    stand.sandbox.add_mandate(AMR_PV_AUX)
    data = stand.entry_data()
    urls = {key: data.pop(key) for key in list(stand.urls)}
    with (
        patch("custom_components.fluvius.async_setup_entry", return_value=True),
        patch("custom_components.fluvius.async_unload_entry", return_value=True),
    ):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(result["flow_id"], data)
        assert result["step_id"] == "custom"
        result = await hass.config_entries.flow.async_configure(result["flow_id"], urls)
        assert result["step_id"] == "meters"
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_EANS: [AMR_PV_AUX]}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        entry = result["result"]
        assert await hass.config_entries.async_unload(entry.entry_id)
    hass.config_entries.async_update_entry(entry, options={**entry.options, CONF_BACKFILL_DAYS: 10})
    return entry


async def _backfilled(hass: HomeAssistant, entry: ConfigEntry) -> FluviusCoordinator:
    coordinator: FluviusCoordinator = entry.runtime_data.coordinator
    await async_wait_backfill(coordinator)
    await async_wait_recording_done(hass)
    return coordinator


@pytest.mark.freeze_time("2025-02-10T09:00:00Z")
async def test_new_entry_leaves_the_submeters_reactive_energy_out(
    hass: HomeAssistant, stand: StandIn
) -> None:
    entry = await _entry_from_the_flow(hass, stand)
    assert entry.options[CONF_SUBMETER_REACTIVE] is False
    coordinator = await start_entry(hass, entry)
    cursor = coordinator.cursors.get(AMR_PV_AUX)
    assert cursor.backfill_from is not None
    assert len(cursor.sub_eans) == 2
    truth = _truth_series(stand, cursor.backfill_from)
    assert truth["sub_reactive"] and truth["main_reactive"]

    ids = set(await async_statistic_ids_for(hass, [AMR_PV_AUX, *cursor.sub_eans]))
    assert not ids & truth["sub_reactive"]  # not even their metadata
    assert truth["main"] | truth["main_reactive"] | truth["sub"] <= ids
    # What is imported is exact, the main meter's reactive energy included.
    names = {stat_id.removeprefix("fluvius:").split("_", 1)[1] for stat_id in ids}
    counts = await assert_exact(
        hass, stand, AMR_PV_AUX, cursor.backfill_from, stand.sandbox.now(), names=names
    )
    assert all(counts[stat_id] > 0 for stat_id in truth["main_reactive"])
    # The cursor does not list series it did not import.
    for sub_ean in cursor.sub_eans:
        assert not [name for name in cursor.series.get(sub_ean, []) if name.endswith(REACTIVE)]
    await stop_entry(hass, entry)


@pytest.mark.freeze_time("2025-02-10T09:00:00Z")
async def test_entry_from_before_the_option_keeps_importing_it(
    hass: HomeAssistant, stand: StandIn
) -> None:
    entry = make_entry(stand, [AMR_PV_AUX], backfill_days=10)  # version 1.1, no option
    assert CONF_SUBMETER_REACTIVE not in entry.options
    coordinator = await start_entry(hass, entry)
    assert (entry.minor_version, entry.options[CONF_SUBMETER_REACTIVE]) == (2, True)
    cursor = coordinator.cursors.get(AMR_PV_AUX)
    assert cursor.backfill_from is not None
    truth = _truth_series(stand, cursor.backfill_from)
    counts = await assert_exact(hass, stand, AMR_PV_AUX, cursor.backfill_from, stand.sandbox.now())
    assert all(counts[stat_id] > 0 for stat_id in truth["sub_reactive"])
    await stop_entry(hass, entry)


@pytest.mark.freeze_time("2025-02-10T09:00:00Z")
async def test_turning_it_on_imports_the_history(hass: HomeAssistant, stand: StandIn) -> None:
    entry = await _entry_from_the_flow(hass, stand)
    coordinator = await start_entry(hass, entry)
    cursor = coordinator.cursors.get(AMR_PV_AUX)
    assert cursor.backfill_from is not None
    start = cursor.backfill_from
    truth = _truth_series(stand, start)
    assert not set(await async_statistic_ids_for(hass, cursor.sub_eans)) & truth["sub_reactive"]

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_EANS: [AMR_PV_AUX], CONF_BACKFILL_DAYS: 10, CONF_SUBMETER_REACTIVE: True},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()  # the entry reloads
    await _backfilled(hass, entry)
    assert entry.options[CONF_SUBMETER_REACTIVE] is True
    assert CONF_SUBMETER_REACTIVE_PENDING not in entry.options  # done once

    # Every series, the submeters' reactive energy included, exact over the whole window.
    counts = await assert_exact(hass, stand, AMR_PV_AUX, start, stand.sandbox.now())
    assert all(counts[stat_id] > 0 for stat_id in truth["sub_reactive"])
    await stop_entry(hass, entry)
