"""A deeper history chosen later in the options: the older days are imported in front of what
is stored (nothing fetched twice, sums continuous), across a restart in the middle; a shallower
choice keeps every stored row."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.fluvius import backfill as backfill_module
from custom_components.fluvius.const import CONF_BACKFILL_DAYS, CONF_EANS
from custom_components.fluvius.coordinator import FluviusCoordinator
from custom_components.fluvius.series import statistic_id
from fluvius_sandbox.config import ENERGY_PATH
from fluvius_sandbox.timeutil import parse_iso_datetime
from tests.helpers import async_wait_backfill

from .conftest import (
    EAN_AMR_PV,
    EAN_DIGITAL,
    EAN_GAS,
    NOW,
    StandIn,
    assert_exact,
    make_entry,
    read_rows,
    setup_entry,
    start_stand_in,
    wait_during_backfill,
)

EANS = [EAN_DIGITAL, EAN_GAS, EAN_AMR_PV]


@pytest.fixture(autouse=True)
def _four_day_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backfill_module, "CHUNK_DAYS", 4)
    monkeypatch.setattr(backfill_module, "FIRST_CHUNK_DAYS", 4)


async def _exact(hass: HomeAssistant, coordinator: FluviusCoordinator, stand: StandIn) -> int:
    rows = 0
    for ean in EANS:
        start = coordinator.cursors.get(ean).backfill_from
        assert start is not None
        counts = await assert_exact(hass, stand, ean, start, NOW)
        rows += sum(counts.values())
    return rows


async def test_deeper_history_is_added_in_front(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(NOW)
    asked: list[tuple[str, datetime, datetime]] = []
    first_extension_answered = asyncio.Event()
    extending = False

    @web.middleware
    async def record(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        response = await handler(request)
        if request.path.endswith(ENERGY_PATH) and request.query["periodType"] == "readTime":
            query = request.query
            asked.append(
                (query["ean"], parse_iso_datetime(query["from"]), parse_iso_datetime(query["to"]))
            )
            if extending:
                first_extension_answered.set()
        return response

    stand, server = await start_stand_in(middlewares=[record])
    try:
        for ean in EANS:
            stand.sandbox.add_mandate(ean)
        entry = make_entry(stand, EANS, backfill_days=6)
        coordinator = await setup_entry(hass, entry)
        shallow = {ean: coordinator.cursors.get(ean).backfill_from for ean in EANS}
        shallow_rows = await _exact(hass, coordinator, stand)
        digital_offtake = statistic_id(EAN_DIGITAL, "offtake")
        kept = await read_rows(hass, digital_offtake)

        # The user asks for 15 days instead of 6; a restart comes after the first older chunk.
        asked.clear()
        extending = True
        hass.config_entries.async_update_entry(
            entry, options={CONF_EANS: EANS, CONF_BACKFILL_DAYS: 15}
        )
        assert await hass.config_entries.async_reload(entry.entry_id)
        await wait_during_backfill(entry.runtime_data.coordinator, first_extension_answered)
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        coordinator = entry.runtime_data.coordinator
        await async_wait_backfill(coordinator)
        await async_wait_recording_done(hass)

        # Only days before the old window were asked for, and every meter got its older days.
        assert asked
        for ean, start, end in asked:
            old_start = shallow[ean]
            assert old_start is not None
            assert end <= old_start, (ean, start, end, old_start)
        for ean in EANS:
            cursor = coordinator.cursors.get(ean)
            assert cursor.backfill_from is not None and cursor.backfill_from < shallow[ean]
            assert cursor.backfill_done and not cursor.pending
        deep_rows = await _exact(hass, coordinator, stand)
        assert deep_rows > shallow_rows
        # The stored rows did not move: the days put in front end at the sum they start from.
        rows = await read_rows(hass, digital_offtake)
        added = [row for row in rows if row[0] < kept[0][0]]
        assert added
        assert abs(added[-1][2] - (kept[0][2] - kept[0][1])) < 1e-6
        assert rows[len(added) :] == kept

        # Back to a shallower history: nothing is removed, nothing is asked for.
        asked.clear()
        hass.config_entries.async_update_entry(
            entry, options={CONF_EANS: EANS, CONF_BACKFILL_DAYS: 3}
        )
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        coordinator = entry.runtime_data.coordinator
        await async_wait_backfill(coordinator)
        await async_wait_recording_done(hass)
        assert asked == []
        assert await _exact(hass, coordinator, stand) == deep_rows
    finally:
        await server.close()
