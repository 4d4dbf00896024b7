"""Every mock-EAN kind of the sandbox addendum, in one entry: after a backfill cut short by a
restart, daily polls that bring late data and replace estimates, and a second restart, every
statistic equals the stand-in's ground truth exactly (each hour's value and the running sum)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.fluvius.coordinator import FluviusCoordinator
from fluvius_sandbox.config import ENERGY_PATH
from fluvius_sandbox.eans import ADDENDUM_ROWS, parse_mock_ean
from tests.helpers import async_fire_poll, async_wait_backfill

from .conftest import (
    NOW,
    StandIn,
    advance,
    assert_exact,
    make_entry,
    start_stand_in,
    wait_during_backfill,
)

DAY = timedelta(days=1)
BACKFILL_DAYS = 9
# Both ranges of every addendum row (day-level and quarter-hour-level access); rows that differ
# only in their data model range (installation types) start at their own model number.
EANS = [ean for row in ADDENDUM_ROWS for ean in (row.day_from, row.quarter_from)]


def test_every_addendum_kind_is_covered() -> None:
    kinds = {(m.addendum_row, m.data_service_type) for m in map(parse_mock_ean, EANS)}
    assert len(EANS) == 2 * len(ADDENDUM_ROWS) == len(kinds)


@pytest.mark.usefixtures("small_chunks")
async def test_every_kind_is_exact_after_restarts_polls_and_revisions(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(NOW)
    energy_requests = 0
    mid_backfill = asyncio.Event()

    @web.middleware
    async def count(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        nonlocal energy_requests
        if request.path.endswith(ENERGY_PATH):
            energy_requests += 1
            if energy_requests == len(EANS):
                mid_backfill.set()
        return await handler(request)

    # Many estimates (replaced later by read values) and late days, so that the polls revise.
    stand, server = await start_stand_in(
        middlewares=[count], estimate_share=0.3, late_share=0.3, seed=7
    )
    try:
        for ean in EANS:
            stand.sandbox.add_mandate(ean)
        entry = make_entry(stand, EANS, backfill_days=BACKFILL_DAYS)
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()

        # Restart while the backfill is under way (about a third of its requests made).
        await wait_during_backfill(entry.runtime_data.coordinator, mid_backfill)
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        coordinator: FluviusCoordinator = entry.runtime_data.coordinator
        await async_wait_backfill(coordinator)
        await async_wait_recording_done(hass)
        backfilled = await _exact_all(hass, stand, coordinator)

        for day in range(4):
            advance(freezer, stand, DAY)
            if day == 2:  # a restart between two daily polls
                assert await hass.config_entries.async_reload(entry.entry_id)
                await hass.async_block_till_done()
                coordinator = entry.runtime_data.coordinator
                await async_wait_backfill(coordinator)
            await async_fire_poll(hass, freezer, coordinator, stand)
            await async_wait_recording_done(hass)
            assert coordinator.last_update_success, coordinator.last_exception
        polled = await _exact_all(hass, stand, coordinator)
    finally:
        await server.close()

    # Every series of every meter (submeters included) was compared, and the polls added rows.
    assert backfilled.keys() == polled.keys()
    assert len(polled) >= len(EANS) * 2
    assert sum(polled.values()) > sum(backfilled.values())


async def _exact_all(
    hass: HomeAssistant, stand: StandIn, coordinator: FluviusCoordinator
) -> dict[str, int]:
    counts: dict[str, int] = {}
    now = stand.sandbox.now()
    for ean in EANS:
        start = coordinator.cursors.get(ean).backfill_from
        assert start is not None, ean
        counts |= await assert_exact(hass, stand, ean, start, now)
    return counts
