"""The actions (services.py) on a real recorder, with the stand-in over HTTP.

``fluvius.import_history`` fetches a period again with readTime and rewrites it exactly (a value
Fluvius revised without a poll seeing it, rows lost from the database); bad periods are refused
with translated errors before any request. ``fluvius.clear_statistics`` removes a meter's
statistics and cursor and imports it again from scratch; a meter another entry imports is
refused and its statistics are left alone.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from itertools import pairwise
import json
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.models import StatisticData
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    statistics_during_period,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.recorder import get_instance
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.fluvius import backfill as backfill_module
from custom_components.fluvius.const import CONF_BACKFILL_DAYS, CONF_EANS, DOMAIN
from custom_components.fluvius.coordinator import FluviusCoordinator
from custom_components.fluvius.recorder_compat import async_delete_rows_after
from custom_components.fluvius.series import statistic_id, statistic_metadata
from custom_components.fluvius.statistics import async_statistic_ids_for
from fluvius_sandbox.timeutil import local_midnight
from tests.standin import (
    EAN_AMR_PV,
    EAN_DIGITAL,
    EAN_GAS,
    StandIn,
    advance,
    assert_exact,
    read_rows,
)

from .conftest import EnergyCall, energy_calls, make_entry, utc

TRANSLATIONS = (
    Path(__file__).parents[2] / "custom_components" / "fluvius" / "translations" / "en.json"
)
NOW = "2026-11-19T09:30:00Z"  # a Thursday in November: no DST change in the windows


async def _backfilled(hass: HomeAssistant, coordinator: FluviusCoordinator) -> None:
    """Wait until the entry's backfill is done and recorded."""
    task = coordinator.backfill.task
    assert task is not None
    await asyncio.shield(task)
    await async_wait_recording_done(hass)


async def _start(hass: HomeAssistant, entry: MockConfigEntry) -> FluviusCoordinator:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    coordinator: FluviusCoordinator = entry.runtime_data.coordinator
    await _backfilled(hass, coordinator)
    return coordinator


async def _call(hass: HomeAssistant, action: str, **data: Any) -> None:
    await hass.services.async_call(DOMAIN, action, data, blocking=True)
    await async_wait_recording_done(hass)


async def _all_rows(hass: HomeAssistant, stat_ids: list[str]) -> dict[str, list[Any]]:
    """Every row of these statistics, whatever their kind (sums, monthly peaks)."""
    return await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        utc(2000, 1, 1),
        None,
        set(stat_ids),
        "hour",
        None,
        {"state", "sum", "mean", "min", "max"},
    )


def _window(coordinator: FluviusCoordinator, ean: str) -> tuple[datetime, datetime]:
    cursor = coordinator.cursors.get(ean)
    assert cursor.backfill_from is not None and cursor.backfill_to is not None
    return cursor.backfill_from, cursor.backfill_to


def _action_calls(stand: StandIn, before: int) -> list[EnergyCall]:
    """The GET Energy requests answered since ``before`` (a token refused after the clock moved
    makes the client ask again)."""
    return [call for call in energy_calls(stand)[before:] if call.status == 200]


# --- import_history ----------------------------------------------------------------------------


@pytest.mark.freeze_time(NOW)
async def test_import_history_rewrites_a_revised_day_exactly(
    hass: HomeAssistant, stand: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    """Fluvius revised a quarter-hour after the backfill read it, and no poll has seen it yet:
    importing that day again rewrites its hour and shifts every later sum; the statistics then
    equal what Fluvius sends, and a second call writes nothing."""
    revised = utc(2026, 11, 12, 13, 45)
    stand.sandbox.correct(EAN_DIGITAL, revised, 1.25, at=utc(2026, 11, 19, 10))
    coordinator = await _start(hass, make_entry(stand, [EAN_DIGITAL], 10))
    start, end = _window(coordinator, EAN_DIGITAL)
    await assert_exact(hass, stand, EAN_DIGITAL, start, end)
    before = {row[0]: row for row in await read_rows(hass, statistic_id(EAN_DIGITAL, "offtake"))}

    advance(freezer, stand, timedelta(hours=1))  # the revision is inserted now
    with pytest.raises(AssertionError):
        await assert_exact(hass, stand, EAN_DIGITAL, start, end)
    calls_before = len(energy_calls(stand))

    await _call(
        hass, "import_history", ean=EAN_DIGITAL, start=date(2026, 11, 12), end=date(2026, 11, 13)
    )

    await assert_exact(hass, stand, EAN_DIGITAL, start, end)
    day = local_midnight(date(2026, 11, 12))
    assert [(c.period_type, c.start, c.end) for c in _action_calls(stand, calls_before)] == [
        ("readTime", day, day + timedelta(days=1))
    ]
    after = await read_rows(hass, statistic_id(EAN_DIGITAL, "offtake"))
    hour = revised.replace(minute=0)
    for row_start, state, total in after:
        old_state, old_sum = before[row_start][1:]
        if row_start < hour:
            assert (state, total) == (old_state, old_sum)
        else:
            assert abs(state - old_state - (1.25 if row_start == hour else 0.0)) < 1e-9
            assert abs(total - old_sum - 1.25) < 1e-6

    # Idempotent: the same period again changes no row.
    written = coordinator.cursors.get(EAN_DIGITAL).rows_written
    await _call(
        hass, "import_history", ean=EAN_DIGITAL, start=date(2026, 11, 12), end=date(2026, 11, 13)
    )
    assert coordinator.cursors.get(EAN_DIGITAL).rows_written == written
    assert await read_rows(hass, statistic_id(EAN_DIGITAL, "offtake")) == after


@pytest.mark.freeze_time(NOW)
async def test_import_history_restores_deleted_rows_in_chunks(
    hass: HomeAssistant, stand: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows lost from the database (every series, from a day on) come back exact, every meter
    of the entry, in readTime requests of at most the chunk size that tile the period; an end
    in the future stops at now."""
    monkeypatch.setattr(backfill_module, "CHUNK_DAYS", 4)
    coordinator = await _start(hass, make_entry(stand, [EAN_DIGITAL, EAN_GAS], 10))
    cut = local_midnight(date(2026, 11, 13))
    stat_ids = await async_statistic_ids_for(hass, [EAN_DIGITAL, EAN_GAS])
    await async_delete_rows_after(hass, stat_ids, cut)
    offtake = statistic_id(EAN_DIGITAL, "offtake")
    assert max(row[0] for row in await read_rows(hass, offtake)) < cut
    calls_before = len(energy_calls(stand))

    entry_id = coordinator.config_entry.entry_id
    # From the day before the cut: the gas day of the 12th runs to 06:00 on the 13th.
    await _call(
        hass,
        "import_history",
        config_entry_id=entry_id,
        start=date(2026, 11, 12),
        end=date(2026, 11, 25),
    )

    now = stand.sandbox.now()
    for ean in (EAN_DIGITAL, EAN_GAS):
        start, _ = _window(coordinator, ean)
        await assert_exact(hass, stand, ean, start, now)
        calls = [c for c in _action_calls(stand, calls_before) if c.ean == ean]
        assert {c.period_type for c in calls} == {"readTime"}
        assert len(calls) == 2  # 7 days and a bit in chunks of at most 4
        assert all(c.end - c.start <= timedelta(days=4) for c in calls)
        assert calls[-1].end == now
        hour = coordinator.day_hour(ean)
        first = local_midnight(date(2026, 11, 12)) + timedelta(hours=hour)
        assert calls[0].start == first
        assert all(a.end == b.start for a, b in pairwise(calls))
    # The sensors read the last complete day again.
    assert coordinator.data is not None


@pytest.mark.freeze_time(NOW)
@pytest.mark.parametrize(
    ("start", "end", "key", "placeholders"),
    [
        (
            date(2026, 11, 15),
            date(2026, 11, 15),
            "action_end_before_start",
            {"start": "2026-11-15", "end": "2026-11-15"},
        ),
        (
            date(2026, 11, 16),
            date(2026, 11, 14),
            "action_end_before_start",
            {"start": "2026-11-16", "end": "2026-11-14"},
        ),
        (date(2026, 11, 20), date(2026, 11, 25), "action_range_in_future", {"start": "2026-11-20"}),
        # Before the API's 3-year reach.
        (
            date(2023, 1, 1),
            date(2023, 2, 1),
            "action_range_out_of_reach",
            {"start": "2023-01-01", "end": "2023-02-01", "reach": "2023-11-20"},
        ),
        # Within the API's reach, but before the meter's history (10 days).
        (
            date(2026, 9, 1),
            date(2026, 10, 1),
            "action_range_out_of_reach",
            {"start": "2026-09-01", "end": "2026-10-01", "reach": "2023-11-20"},
        ),
    ],
)
async def test_import_history_refuses_a_bad_period(
    hass: HomeAssistant,
    stand: StandIn,
    start: date,
    end: date,
    key: str,
    placeholders: dict[str, str],
) -> None:
    """A period that ends before it starts, starts in the future or lies out of reach is
    refused with a translated error, before any request."""
    await _start(hass, make_entry(stand, [EAN_DIGITAL], 10))
    calls_before = len(energy_calls(stand))
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "import_history", ean=EAN_DIGITAL, start=start, end=end)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == key
    assert err.value.translation_placeholders == placeholders
    english = json.loads(TRANSLATIONS.read_text(encoding="utf-8"))["exceptions"][key]["message"]
    assert str(err.value) == english.format(**placeholders).rstrip(".")
    assert _action_calls(stand, calls_before) == []


@pytest.mark.freeze_time(NOW)
async def test_import_history_names_the_meter_and_the_api_failure(
    hass: HomeAssistant, stand: StandIn
) -> None:
    """An unknown meter or entry is refused; an API failure gives its translated reason."""
    coordinator = await _start(hass, make_entry(stand, [EAN_DIGITAL], 10))
    period = {"start": date(2026, 11, 12), "end": date(2026, 11, 13)}
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "import_history", ean=EAN_GAS, **period)
    assert err.value.translation_key == "action_meter_not_found"
    assert err.value.translation_placeholders == {"ean": EAN_GAS}
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "import_history", config_entry_id="01JNOSUCHENTRY", **period)
    assert err.value.translation_key == "action_entry_not_found"

    stand.sandbox.faults.add("500", endpoints="energy")
    with pytest.raises(HomeAssistantError) as failed:
        await _call(hass, "import_history", ean=EAN_DIGITAL, **period)
    assert not isinstance(failed.value, ServiceValidationError)
    assert failed.value.translation_domain == DOMAIN
    assert failed.value.translation_key == "server_error"
    assert coordinator.config_entry.state is ConfigEntryState.LOADED


# --- clear_statistics --------------------------------------------------------------------------


@pytest.mark.freeze_time(NOW)
async def test_clear_statistics_imports_the_meter_again_from_scratch(
    hass: HomeAssistant, stand: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    """The meter's statistics (its submeters' too) and its cursor go; a new backfill with a
    new window imports it again: exact, and nothing of the old window before it is left."""
    entry = make_entry(stand, [EAN_AMR_PV], 5)
    coordinator = await _start(hass, entry)
    old_start, _ = _window(coordinator, EAN_AMR_PV)
    stat_ids = await async_statistic_ids_for(
        hass, [EAN_AMR_PV, *coordinator.cursors.get(EAN_AMR_PV).sub_eans]
    )
    assert len({stat_id.split("_")[0] for stat_id in stat_ids}) == 3  # the meter, 2 submeters

    advance(freezer, stand, timedelta(days=2))
    await _call(hass, "clear_statistics", ean=EAN_AMR_PV)

    assert entry.state is ConfigEntryState.LOADED
    fresh: FluviusCoordinator = entry.runtime_data.coordinator
    assert fresh is not coordinator
    await _backfilled(hass, fresh)
    start, end = _window(fresh, EAN_AMR_PV)
    assert start == old_start + timedelta(days=2)
    counts = await assert_exact(hass, stand, EAN_AMR_PV, start, end)
    assert set(counts) <= set(stat_ids)
    assert {
        statistic_id(sub, "production") for sub in fresh.cursors.get(EAN_AMR_PV).sub_eans
    } & set(counts)
    assert sorted(
        await async_statistic_ids_for(hass, [EAN_AMR_PV, *fresh.cursors.get(EAN_AMR_PV).sub_eans])
    ) == sorted(stat_ids)


@pytest.mark.freeze_time(NOW)
async def test_clear_statistics_refuses_a_meter_another_entry_imports(
    hass: HomeAssistant, stand: StandIn
) -> None:
    """Two entries select one meter: the older imports it. The younger entry cannot clear it,
    and clearing the younger entry's meters leaves it alone."""
    older = make_entry(stand, [EAN_DIGITAL], 5)
    older.created_at = utc(2026, 1, 1)
    await _start(hass, older)
    stand.sandbox.add_mandate(EAN_GAS)
    younger = MockConfigEntry(
        domain=DOMAIN,
        title="Fluvius second",
        entry_id="01JTESTENTRYSECOND0000000",
        unique_id="custom_second",
        data=stand.entry_data(),
        options={CONF_EANS: [EAN_DIGITAL, EAN_GAS], CONF_BACKFILL_DAYS: 5},
    )
    young = await _start(hass, younger)
    assert young.eans == [EAN_GAS]
    digital_ids = await async_statistic_ids_for(hass, [EAN_DIGITAL])
    digital_rows = await _all_rows(hass, digital_ids)
    assert len(digital_rows) == len(digital_ids) >= 3

    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "clear_statistics", config_entry_id=younger.entry_id, ean=EAN_DIGITAL)
    assert err.value.translation_key == "action_meter_imported_elsewhere"
    assert err.value.translation_placeholders == {"ean": EAN_DIGITAL, "other": older.title}

    # A stray gas row before the window: only a clear removes it (an import keeps it).
    old_start, _ = _window(young, EAN_GAS)
    stray = old_start - timedelta(days=2)
    async_add_external_statistics(
        hass,
        statistic_metadata(EAN_GAS, "gas_m3"),
        [StatisticData(start=stray, state=5.0, sum=5.0)],
    )
    await async_wait_recording_done(hass)
    assert (await read_rows(hass, statistic_id(EAN_GAS, "gas_m3")))[0][0] == stray

    await _call(hass, "clear_statistics", config_entry_id=younger.entry_id)
    # Cleared and imported again: exact, the stray row gone ...
    fresh: FluviusCoordinator = younger.runtime_data.coordinator
    assert fresh is not young
    await _backfilled(hass, fresh)
    start, end = _window(fresh, EAN_GAS)
    assert start == old_start
    await assert_exact(hass, stand, EAN_GAS, start, end)
    # ... while the older entry's meter was not touched.
    assert await _all_rows(hass, digital_ids) == digital_rows
    assert older.state is ConfigEntryState.LOADED
