"""A restart in the middle of the backfill resumes exactly: nothing skipped, nothing twice."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from custom_components.fluvius.api.errors import FluviusServerError
from custom_components.fluvius.api.models import PeriodType

from ._legacy import assert_matches_truth, make_entry, start_coordinator, stop_coordinator
from .fake_api import FakeFluvius, mock_meter

DIGITAL_QH = "541440110000000005"
AMR_SUB = "541450211000000005"


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("custom_components.fluvius.coordinator.CHUNK_DAYS", 4)


@pytest.mark.freeze_time("2025-02-10T09:00:00Z")
@pytest.mark.parametrize("crash", ["during_request", "after_write_before_cursor"])
async def test_restart_mid_backfill(
    hass: HomeAssistant,
    fake: FakeFluvius,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
    crash: str,
) -> None:
    """Stop after the third chunk (mid-request, or after the rows but before the cursor)."""
    for ean in (DIGITAL_QH, AMR_SUB):
        fake.add(mock_meter(ean))
    entry = make_entry([DIGITAL_QH, AMR_SUB], backfill_days=20)
    real_get_energy = fake.get_energy
    calls = {"n": 0}

    async def crashing_get_energy(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if crash == "during_request" and calls["n"] == 5:
            raise asyncio.CancelledError
        return await real_get_energy(*args, **kwargs)

    monkeypatch.setattr(fake, "get_energy", crashing_get_energy)
    coordinator = await start_coordinator(hass, fake, entry, wait=False)
    if crash == "after_write_before_cursor":
        real_save = coordinator._store.async_save
        saves = {"n": 0}

        async def crashing_save(cursors: Any) -> None:
            saves["n"] += 1
            if saves["n"] == 5:  # the window save, then chunks 1-3 saved; chunk 4 is lost
                raise asyncio.CancelledError
            await real_save(cursors)

        monkeypatch.setattr(coordinator._store, "async_save", crashing_save)
    with contextlib.suppress(asyncio.CancelledError):
        await coordinator.async_wait_backfill()
    assert coordinator.backfill_task is not None and coordinator.backfill_task.done()
    await stop_coordinator(hass, coordinator)
    saved = {ean: coordinator.cursors.get(ean).backfilled_until for ean in (DIGITAL_QH, AMR_SUB)}
    monkeypatch.setattr(fake, "get_energy", real_get_energy)

    # "Restart": a new coordinator on the same entry, loading the Store.
    fake.requests.clear()
    coordinator = await start_coordinator(hass, fake, entry)
    for ean in (DIGITAL_QH, AMR_SUB):
        cursor = coordinator.cursors.get(ean)
        assert cursor.backfill_done
        first = next(r for r in fake.requests if r[1] == ean)
        assert first[0] == PeriodType.READ_TIME
        # Resumed exactly at the last committed cursor saved before the crash (or earlier).
        assert first[2] <= saved[ean] or saved[ean] is None
        starts = [r[2] for r in fake.requests if r[1] == ean]
        ends = [r[3] for r in fake.requests if r[1] == ean]
        assert starts[1:] == ends[:-1]  # contiguous chunks, no gap, no overlap
        assert ends[-1] == cursor.backfill_to
        for series in ("offtake", "injection") if ean == DIGITAL_QH else ("injection",):
            await assert_matches_truth(
                hass, fake, ean, series, cursor.backfill_from, cursor.backfill_to
            )
    for sub_ean, direction in mock_meter(AMR_SUB).subs:
        cursor = coordinator.cursors.get(AMR_SUB)
        await assert_matches_truth(
            hass, fake, sub_ean, direction, cursor.backfill_from, cursor.backfill_to
        )
    await stop_coordinator(hass, coordinator)


@pytest.mark.freeze_time("2025-02-10T09:00:00Z")
async def test_server_error_pauses_backfill_cursor_unchanged(
    hass: HomeAssistant, fake: FakeFluvius, freezer: FrozenDateTimeFactory
) -> None:
    """A 5xx pauses the backfill without moving the cursor; it resumes later and completes."""
    fake.add(mock_meter(DIGITAL_QH))
    fake.fail_next = [FluviusServerError("boom", status=503)]
    entry = make_entry([DIGITAL_QH], backfill_days=10)
    coordinator = await start_coordinator(hass, fake, entry)
    cursor = coordinator.cursors.get(DIGITAL_QH)
    assert not cursor.backfill_done
    assert cursor.backfilled_until == cursor.backfill_from
    assert coordinator.diagnostics()["requests"][-1]["outcome"] == "FluviusServerError"
    # The retry fires a minute later.
    coordinator._unsub_backfill_retry()  # type: ignore[misc]
    coordinator._start_backfill()
    await coordinator.async_wait_backfill()
    assert cursor.backfill_done
    await assert_matches_truth(
        hass, fake, DIGITAL_QH, "offtake", cursor.backfill_from, cursor.backfill_to
    )
    await stop_coordinator(hass, coordinator)
