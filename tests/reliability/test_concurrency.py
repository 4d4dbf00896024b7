"""Bounded concurrency: however many meters an entry follows, at most
``MAX_CONCURRENT_REQUESTS`` GET Energy requests are in flight, and the backfill holds at most one
response ahead (memory does not grow with the number of meters)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
import math
from typing import Any

from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius import backfill as backfill_module
from custom_components.fluvius.api.models import EnergyData, PeriodType
from custom_components.fluvius.const import DOMAIN
from custom_components.fluvius.coordinator import FluviusCoordinator
from custom_components.fluvius.energy_requests import MAX_CONCURRENT_REQUESTS
from fluvius_sandbox.config import ENERGY_PATH

from .conftest import (
    NOW,
    assert_exact,
    make_entry,
    setup_entry,
    start_stand_in,
)

DAY = timedelta(days=1)
# Eight meters of different kinds: digital offtake, offtake + injection, gas (hourly) and a
# daily-only one; AMR offtake, injection, gas and offtake with a PV submeter.
EANS = [
    "541440010000000011",
    "541440110000000012",
    "541441010000000013",
    "541440000000000014",
    "541450010000000015",
    "541450210000000016",
    "541451010000000017",
    "541450011000000018",
]


@pytest.mark.usefixtures("small_chunks")
async def test_backfill_of_many_meters_keeps_requests_bounded(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(NOW)
    in_flight = 0
    most = 0

    @web.middleware
    async def count(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        nonlocal in_flight, most
        if not request.path.endswith(ENERGY_PATH):
            return await handler(request)
        in_flight += 1
        most = max(most, in_flight)
        try:
            for _ in range(20):  # let every other request that could start, start
                await asyncio.sleep(0)
            return await handler(request)
        finally:
            in_flight -= 1

    stand, server = await start_stand_in(middlewares=[count])
    try:
        for ean in EANS:
            stand.sandbox.add_mandate(ean)
        coordinator = await setup_entry(hass, make_entry(stand, EANS, backfill_days=9))
        assert all(coordinator.cursors.get(ean).backfill_done for ean in EANS)
        # 9 days in 4-day chunks: 3 requests per meter, each one once (the prefetch is used).
        assert stand.sandbox.stats.requests["energy"] == 3 * len(EANS)
        for ean in EANS:
            start = coordinator.cursors.get(ean).backfill_from
            assert start is not None
            await assert_exact(hass, stand, ean, start, stand.sandbox.now())
    finally:
        await server.close()
    assert 1 <= most <= MAX_CONCURRENT_REQUESTS


class _SlowClient:
    """Counts how many get_energy calls overlap."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.most = 0

    async def get_energy(self, ean: str, *args: Any, **kwargs: Any) -> EnergyData:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            for _ in range(10):
                await asyncio.sleep(0)
            return EnergyData(ean=ean, energy_type=None, headpoint_type="metering-on-meter")
        finally:
            self.in_flight -= 1

    async def get_mandates(self) -> list[Any]:
        return []


async def test_requests_share_a_bounded_number_of_slots(hass: HomeAssistant) -> None:
    """Twenty requests asked for at once (polls, prefetch, a refetch): two at a time."""
    entry = MockConfigEntry(domain=DOMAIN, data={}, options={})
    entry.add_to_hass(hass)
    client = _SlowClient()
    coordinator = FluviusCoordinator(hass, entry, client, {})  # type: ignore[arg-type]
    start = datetime(2026, 11, 1, tzinfo=UTC)
    await asyncio.gather(
        *(
            coordinator.requests.async_get(
                f"5414401100000000{n:02d}", PeriodType.READ_TIME, start, start + DAY, "test"
            )
            for n in range(20)
        )
    )
    assert client.most == MAX_CONCURRENT_REQUESTS


async def test_chunks_are_sized_to_a_value_budget(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk holds about SAMPLE_BUDGET values whatever the meter (its JSON is decoded in one
    GIL-holding call): the first spans FIRST_CHUNK_DAYS, the next ones follow the values
    per day seen. Scaled down here: 2,000 values (an AMR meter with PV and auxiliary submeters
    and reactive energy sends ~1,000 a day), a first chunk of 3 days. Nothing is skipped."""
    monkeypatch.setattr(backfill_module, "SAMPLE_BUDGET", 2_000)
    monkeypatch.setattr(backfill_module, "FIRST_CHUNK_DAYS", 3)
    freezer.move_to(NOW)
    ean = "541450011000000021"
    stand, server = await start_stand_in()
    try:
        stand.sandbox.add_mandate(ean)
        coordinator = await setup_entry(hass, make_entry(stand, [ean], backfill_days=11))
        start = coordinator.cursors.get(ean).backfill_from
        assert start is not None
        await assert_exact(hass, stand, ean, start, stand.sandbox.now())
    finally:
        await server.close()
    backfill = [r for r in coordinator.diagnostics()["requests"] if r["kind"] == "backfill"]
    # Local days each request touches (newest first: the first one ends now, mid-day).
    spans = [
        math.ceil((datetime.fromisoformat(r["to"]) - datetime.fromisoformat(r["from"])) / DAY)
        for r in backfill
    ]
    assert spans[0] == 3
    assert len(set(spans[1:-1])) == 1, spans
    assert spans[1] == 2, spans
    assert all(r["values"] <= 2_000 for r in backfill[1:]), backfill
