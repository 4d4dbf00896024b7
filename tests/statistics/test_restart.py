"""A restart in the middle of the backfill resumes exactly: nothing skipped, nothing twice; a
server error pauses the backfill and it resumes by itself. Over HTTP against the stand-in."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.fluvius.api import FluviusClient
from custom_components.fluvius.cursors import CursorStore
from tests.helpers import async_wait_backfill
from tests.standin import StandIn, advance, assert_exact

from .conftest import energy_calls, make_entry, start_entry, stop_entry

DIGITAL_QH = "541440110000000005"
AMR_SUB = "541450211000000005"  # AMR injection with PV production + auxiliary submeters


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("custom_components.fluvius.backfill.CHUNK_DAYS", 4)
    monkeypatch.setattr("custom_components.fluvius.backfill.FIRST_CHUNK_DAYS", 4)


@pytest.mark.freeze_time("2025-02-10T09:00:00Z")
@pytest.mark.parametrize("crash", ["during_request", "after_write_before_cursor"])
async def test_restart_mid_backfill(
    hass: HomeAssistant,
    stand: StandIn,
    monkeypatch: pytest.MonkeyPatch,
    crash: str,
) -> None:
    """Stop after the third chunk (mid-request, or after the rows but before the cursor)."""
    eans = [DIGITAL_QH, AMR_SUB]
    entry = make_entry(stand, eans, backfill_days=20)
    crashing = {"on": True}
    calls = {"n": 0}
    real_get_energy = FluviusClient.get_energy
    real_save = CursorStore.async_save

    async def get_energy(self: FluviusClient, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if crashing["on"] and crash == "during_request" and calls["n"] == 5:
            raise asyncio.CancelledError  # Home Assistant stops while the request runs
        return await real_get_energy(self, *args, **kwargs)

    saves = {"n": 0}

    async def async_save(self: CursorStore, cursors: Any) -> None:
        saves["n"] += 1
        if crashing["on"] and crash == "after_write_before_cursor" and saves["n"] == 5:
            raise asyncio.CancelledError  # the window save, chunks 1-3 saved; chunk 4 is lost
        await real_save(self, cursors)

    monkeypatch.setattr(FluviusClient, "get_energy", get_energy)
    monkeypatch.setattr(CursorStore, "async_save", async_save)

    coordinator = await start_entry(hass, entry, wait=False)
    with contextlib.suppress(asyncio.CancelledError):
        await async_wait_backfill(coordinator)
    assert coordinator.backfill.task is not None and coordinator.backfill.task.done()
    assert not all(coordinator.cursors.get(ean).backfill_done for ean in eans)
    await async_wait_recording_done(hass)
    await stop_entry(hass, entry)
    crashing["on"] = False
    saved = {
        ean: cursor.imported_from
        for ean, cursor in (await CursorStore(hass, entry.entry_id).async_load()).eans.items()
    }
    assert set(saved) == set(eans)

    # "Restart": the entry set up again, loading the Store.
    stand.sandbox.stats.history.clear()
    coordinator = await start_entry(hass, entry)
    for ean in eans:
        cursor = coordinator.cursors.get(ean)
        assert cursor.backfill_done
        requests = [c for c in energy_calls(stand) if c.ean == ean]
        assert requests
        assert {c.period_type for c in requests} == {"readTime"}
        # Resumed at the last committed cursor saved before the crash (or later), in the same
        # order: newest first, contiguous chunks, no gap, no overlap.
        committed = saved[ean]
        assert committed is not None and requests[0].end >= committed
        starts = [c.start for c in requests]
        ends = [c.end for c in requests]
        assert ends[1:] == starts[:-1]
        assert starts[-1] == cursor.backfill_from
        assert cursor.backfill_from is not None and cursor.backfill_to is not None
        # Every series (submeters and reactive registers included) equals the truth.
        counts = await assert_exact(hass, stand, ean, cursor.backfill_from, cursor.backfill_to)
        assert all(counts.values())
    assert len(coordinator.cursors.get(AMR_SUB).sub_eans) == 2
    await stop_entry(hass, entry)


@pytest.mark.freeze_time("2025-02-10T09:00:00Z")
async def test_server_error_pauses_backfill_cursor_unchanged(
    hass: HomeAssistant, stand: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    """A 5xx pauses the backfill without moving the cursor; it resumes later and completes."""
    # Every attempt of the first GET Energy (the client retries three times) fails.
    rule = stand.sandbox.faults.add("500", next=4, endpoints=frozenset({"energy"}))
    entry = make_entry(stand, [DIGITAL_QH], backfill_days=10)
    coordinator = await start_entry(hass, entry)
    assert rule.done
    cursor = coordinator.cursors.get(DIGITAL_QH)
    assert not cursor.backfill_done
    assert cursor.backfill_from is not None and cursor.backfill_to is not None
    assert cursor.pending == [(cursor.backfill_from, cursor.backfill_to)]
    assert coordinator.diagnostics()["requests"][-1]["outcome"] == "FluviusServerError"
    assert [c.status for c in energy_calls(stand)] == [500] * 4
    # The retry fires a minute later, by itself.
    advance(freezer, stand, timedelta(minutes=1, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    await async_wait_backfill(coordinator)
    await async_wait_recording_done(hass)
    assert cursor.backfill_done
    assert cursor.backfill_from is not None and cursor.backfill_to is not None
    await assert_exact(hass, stand, DIGITAL_QH, cursor.backfill_from, cursor.backfill_to)
    await stop_entry(hass, entry)
