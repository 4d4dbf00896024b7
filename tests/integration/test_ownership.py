"""One EAN, one importer (custom_components/fluvius/ownership.py).

A meter another entry selects is not offered by the config flow's meter step nor by the options
flow, and the form names that entry. Entries that still share a meter (set up before the rule):
the older one imports it, the younger skips it with a fixable repair issue; removing the older
one keeps that meter's statistics and the younger one takes over.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any
from unittest.mock import MagicMock

from homeassistant.components.recorder import get_instance
from homeassistant.components.recorder.models import StatisticData
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    list_statistic_ids,
)
from homeassistant.components.repairs import DOMAIN as REPAIRS_DOMAIN
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.fluvius.const import (
    CONF_BACKFILL_DAYS,
    CONF_CLIENT_ID,
    CONF_EANS,
    DOMAIN,
)
from custom_components.fluvius.series import statistic_id, statistic_metadata

from .conftest import EAN_AMR, EAN_ELECTRICITY, EAN_FINISHED, EAN_GAS, USER_INPUT

OLDER_CLIENT = "11111111-2222-3333-4444-555555555555"
YOUNGER_CLIENT = "66666666-7777-8888-9999-000000000000"


def _entry(client_id: str, title: str, eans: list[str], created: datetime) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=title,
        unique_id=f"sandbox_{client_id}",
        data={**USER_INPUT, CONF_CLIENT_ID: client_id},
        options={CONF_EANS: eans, CONF_BACKFILL_DAYS: 10},
    )
    entry.created_at = created  # which entry is older decides who imports a shared meter
    return entry


@pytest.fixture
def older() -> MockConfigEntry:
    return _entry(
        OLDER_CLIENT, "Fluvius live", [EAN_ELECTRICITY, EAN_GAS], datetime(2026, 1, 1, tzinfo=UTC)
    )


def _offered(result: Any) -> list[str]:
    for marker, selector in result["data_schema"].schema.items():
        if str(marker) == CONF_EANS:
            return [option["value"] for option in selector.config["options"]]
    raise AssertionError(CONF_EANS)


@pytest.mark.usefixtures("mock_setup_entry")
async def test_config_flow_offers_no_meter_another_entry_imports(
    hass: HomeAssistant, mock_client: MagicMock, older: MockConfigEntry
) -> None:
    older.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], dict(USER_INPUT))
    assert result["step_id"] == "meters"
    assert _offered(result) == sorted([EAN_AMR, EAN_FINISHED])
    taken = result["description_placeholders"]["taken"]
    assert f"- {EAN_ELECTRICITY}: Fluvius live" in taken
    assert f"- {EAN_GAS}: Fluvius live" in taken
    assert "Already imported by another entry" in taken

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_EANS: [EAN_AMR]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"][CONF_EANS] == [EAN_AMR]


@pytest.mark.usefixtures("mock_setup_entry")
async def test_config_flow_aborts_when_every_meter_is_taken(
    hass: HomeAssistant, mock_client: MagicMock
) -> None:
    _entry(
        OLDER_CLIENT,
        "Fluvius stand-in",
        [EAN_ELECTRICITY, EAN_GAS, EAN_AMR, EAN_FINISHED],
        datetime(2026, 1, 1, tzinfo=UTC),
    ).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], dict(USER_INPUT))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "all_meters_taken"
    assert f"- {EAN_AMR}: Fluvius stand-in" in result["description_placeholders"]["taken"]


@pytest.mark.usefixtures("mock_setup_entry")
async def test_options_flow_offers_no_meter_another_entry_imports(
    hass: HomeAssistant, mock_client: MagicMock, older: MockConfigEntry
) -> None:
    older.add_to_hass(hass)
    younger = _entry(
        YOUNGER_CLIENT, "Fluvius stand-in", [EAN_AMR], datetime(2026, 2, 1, tzinfo=UTC)
    )
    younger.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(younger.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert _offered(result) == sorted([EAN_AMR, EAN_FINISHED])
    assert f"- {EAN_GAS}: Fluvius live" in result["description_placeholders"]["taken"]

    # The older entry's form does not offer the younger one's meter either.
    result = await hass.config_entries.options.async_init(older.entry_id)
    assert _offered(result) == sorted([EAN_ELECTRICITY, EAN_GAS, EAN_FINISHED])
    assert f"- {EAN_AMR}: Fluvius stand-in" in result["description_placeholders"]["taken"]


async def _statistic_ids(hass: HomeAssistant) -> set[str]:
    rows = await get_instance(hass).async_add_executor_job(list_statistic_ids, hass)
    return {row["statistic_id"] for row in rows}


async def _write_statistic(hass: HomeAssistant, ean: str, series: str) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    async_add_external_statistics(
        hass,
        statistic_metadata(ean, series),
        [StatisticData(start=start + timedelta(hours=h), state=1.0, sum=h + 1.0) for h in range(3)],
    )
    await async_wait_recording_done(hass)


async def test_shared_meter_imported_once_and_kept_on_removal(
    hass: HomeAssistant,
    mock_client: MagicMock,
    older: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """Two entries set up before the rule share the gas meter: the older imports it."""
    younger = _entry(
        YOUNGER_CLIENT, "Fluvius stand-in", [EAN_GAS, EAN_AMR], datetime(2026, 2, 1, tzinfo=UTC)
    )
    younger.add_to_hass(hass)  # set up first: the order of set-up does not decide
    older.add_to_hass(hass)
    assert await async_setup_component(hass, REPAIRS_DOMAIN, {})
    for entry in (younger, older):
        if entry.state is not ConfigEntryState.LOADED:
            assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert older.runtime_data.coordinator.eans == [EAN_ELECTRICITY, EAN_GAS]
    assert younger.runtime_data.coordinator.eans == [EAN_AMR]
    asked = {call.args[0] for call in mock_client.get_energy.call_args_list}
    assert asked == {EAN_ELECTRICITY, EAN_GAS, EAN_AMR}

    # The gas meter's entities belong to the older entry only; the younger says why.
    entities = er.async_get(hass)
    gas_entities = [e for e in entities.entities.values() if e.unique_id.startswith(EAN_GAS)]
    assert gas_entities
    assert {e.config_entry_id for e in gas_entities} == {older.entry_id}
    issue_id = f"imported_elsewhere_{younger.entry_id}_{EAN_GAS}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders == {
        "ean": EAN_GAS,
        "title": "Fluvius stand-in",
        "other": "Fluvius live",
    }
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"imported_elsewhere_{older.entry_id}_{EAN_GAS}")
        is None
    )

    # The fix flow names both entries.
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    assert response.status == HTTPStatus.OK
    flow = await response.json()
    assert flow["step_id"] == "confirm"
    assert flow["description_placeholders"] == {
        "ean": EAN_GAS,
        "title": "Fluvius stand-in",
        "other": "Fluvius live",
    }

    # Removing the older entry keeps the gas meter's statistics (the younger selects it),
    # clears the others, and the younger entry takes the gas meter over.
    for ean, series in ((EAN_GAS, "gas_m3"), (EAN_ELECTRICITY, "offtake")):
        await _write_statistic(hass, ean, series)
    await hass.config_entries.async_remove(older.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)
    ids = await _statistic_ids(hass)
    assert statistic_id(EAN_GAS, "gas_m3") in ids
    assert statistic_id(EAN_ELECTRICITY, "offtake") not in ids
    assert younger.state is ConfigEntryState.LOADED
    assert younger.runtime_data.coordinator.eans == [EAN_GAS, EAN_AMR]
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    gas_entities = [e for e in entities.entities.values() if e.unique_id.startswith(EAN_GAS)]
    assert {e.config_entry_id for e in gas_entities} == {younger.entry_id}
    assert await hass.config_entries.async_unload(younger.entry_id)


async def test_deselected_in_the_importing_entry_hands_over(
    hass: HomeAssistant, mock_client: MagicMock, older: MockConfigEntry
) -> None:
    """The older entry deselects the shared meter in its options: the younger imports it."""
    younger = _entry(
        YOUNGER_CLIENT, "Fluvius stand-in", [EAN_GAS], datetime(2026, 2, 1, tzinfo=UTC)
    )
    for entry in (older, younger):
        entry.add_to_hass(hass)
        if entry.state is not ConfigEntryState.LOADED:
            assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert younger.runtime_data.coordinator.eans == []

    result = await hass.config_entries.options.async_init(older.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_EANS: [EAN_ELECTRICITY], CONF_BACKFILL_DAYS: 10}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    assert older.runtime_data.coordinator.eans == [EAN_ELECTRICITY]
    assert younger.runtime_data.coordinator.eans == [EAN_GAS]
    assert (
        ir.async_get(hass).async_get_issue(
            DOMAIN, f"imported_elsewhere_{younger.entry_id}_{EAN_GAS}"
        )
        is None
    )
    for entry in (older, younger):
        assert await hass.config_entries.async_unload(entry.entry_id)
