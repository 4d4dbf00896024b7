"""Newest first: every meter's last month is on the Energy dashboard after one small request
each, then the older history is put in front of it, newest to oldest, with continuous and exact
sums at every moment (over HTTP against the stand-in, on a real recorder)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.fluvius.cursors import CursorStore
from custom_components.fluvius.series import statistic_id
from custom_components.fluvius.timeutil import boundary_day, day_boundary
from fluvius_sandbox.config import ENERGY_PATH
from fluvius_sandbox.timeutil import parse_iso_datetime

from .conftest import (
    EAN_AMR_PV,
    EAN_DIGITAL,
    EAN_GAS,
    NOW,
    assert_exact,
    make_entry,
    read_rows,
    start_stand_in,
    wait_during_backfill,
)

EANS = [EAN_DIGITAL, EAN_AMR_PV, EAN_GAS]
GAS_DAY_HOUR = 6


async def test_the_last_month_of_every_meter_comes_first(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    freezer.move_to(NOW)
    asked: list[tuple[str, datetime, datetime]] = []
    first_round = asyncio.Event()
    release = asyncio.Event()

    @web.middleware
    async def record(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        query = request.query
        if request.path.endswith(ENERGY_PATH) and query["periodType"] == "readTime":
            asked.append(
                (query["ean"], parse_iso_datetime(query["from"]), parse_iso_datetime(query["to"]))
            )
            if len(asked) > len(EANS):
                await release.wait()  # the older history waits until the test has looked
        return await handler(request)

    real_save = CursorStore.async_save

    async def async_save(self: CursorStore, cursors: Any) -> None:
        await real_save(self, cursors)
        if all(
            (cursor := cursors.eans.get(ean)) is not None
            and cursor.imported_from is not None
            and cursor.backfill_to is not None
            and cursor.imported_from < cursor.backfill_to
            for ean in EANS
        ):
            first_round.set()

    monkeypatch.setattr(CursorStore, "async_save", async_save)
    stand, server = await start_stand_in(middlewares=[record])
    try:
        for ean in EANS:
            stand.sandbox.add_mandate(ean)
        entry = make_entry(stand, EANS, backfill_days=70)
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        coordinator = entry.runtime_data.coordinator
        await wait_during_backfill(coordinator, first_round)
        await async_wait_recording_done(hass)

        # One request per meter so far (and the next one in turn, held): its last 31 days.
        assert [ean for ean, _, _ in asked[: len(EANS)]] == EANS
        for ean, start, end in asked[: len(EANS)]:
            cursor = coordinator.cursors.get(ean)
            assert end == cursor.backfill_to
            assert end - start <= timedelta(days=32)
            assert cursor.imported_from == start
            # Yesterday is there, exact, with sums continuous from the first row.
            hour = GAS_DAY_HOUR if ean == EAN_GAS else 0
            yesterday = boundary_day(NOW, hour) - timedelta(days=1)
            assert start <= day_boundary(yesterday, hour)
            counts = await assert_exact(hass, stand, ean, start, end)
            assert all(counts.values())
        offtake = statistic_id(EAN_DIGITAL, "offtake")
        recent = await read_rows(hass, offtake)
        assert recent
        assert coordinator.data is not None
        for ean in (EAN_DIGITAL, EAN_AMR_PV):
            assert coordinator.data.meters[ean].last_day, ean  # the sensors' last day

        release.set()
        backfill = coordinator.backfill.task
        assert backfill is not None
        await asyncio.shield(backfill)
        await async_wait_recording_done(hass)
        for ean in EANS:
            cursor = coordinator.cursors.get(ean)
            assert cursor.backfill_done and cursor.backfill_from is not None
            # Newest to oldest: each chunk ends where the one before it started.
            mine = [(start, end) for asked_ean, start, end in asked if asked_ean == ean]
            assert len(mine) > 1, ean
            assert [end for _, end in mine[1:]] == [start for start, _ in mine[:-1]]
            assert mine[-1][0] == cursor.backfill_from
            assert cursor.backfill_to is not None
            await assert_exact(hass, stand, ean, cursor.backfill_from, cursor.backfill_to)
        # Nothing stored moved: the older history ends at the sum the recent rows start from
        # (a shift would let the Energy dashboard read half of it), so its sums go below 0.
        rows = await read_rows(hass, offtake)
        assert rows[len(rows) - len(recent) :] == recent
        assert rows[0][2] < 0 < recent[0][2]
    finally:
        await hass.config_entries.async_unload(entry.entry_id)
        await server.close()
