"""Provisional gas kWh (``gasConversionFactor`` P) end with the definitive factor even when the
insertTime poll never lists the month's re-sent values: past the definitive factor's delay the
poll re-reads that month once with readTime (custom_components/fluvius/gas_factor.py).

The stand-in closes a gas month 2-5 days after it ends and re-inserts every kWh value of it with
the definitive factor (D). In the first case a middleware removes those D values from every
insertTime answer (the re-insert is never reported); in the second the poll sees them as usual
and no extra request is made. Real recorder, real client, the stand-in over HTTP.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, date, datetime, timedelta
import json
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.fluvius.coordinator import FluviusCoordinator
from custom_components.fluvius.gas_factor import gas_month_span
from custom_components.fluvius.series import statistic_id
from fluvius_sandbox.config import ENERGY_PATH
from tests.helpers import async_fire_poll
from tests.standin import StandIn, advance, assert_exact, start_stand_in

from .conftest import energy_calls, make_entry, start_entry, stop_entry
from .helpers import read_rows

EAN = "541441010000000021"  # digital gas, hourly m³ + kWh
NOW = datetime(2026, 10, 20, 8, 0, tzinfo=UTC)  # the October gas month closes 3-6 November
DAY = timedelta(days=1)
OCTOBER = date(2026, 10, 1)


def _without_definitive(node: Any) -> None:
    """Remove every interval whose kWh carry the definitive factor (in place)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("Energy") and isinstance(value, list):
                node[key] = [
                    item for item in value if '"gasConversionFactor": "D"' not in json.dumps(item)
                ]
            else:
                _without_definitive(value)
    elif isinstance(node, list):
        for item in node:
            _without_definitive(item)


def _insert_time_hides_definitive(active: list[bool]) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if (
            active
            and request.path.endswith(ENERGY_PATH)
            and request.query.get("periodType") == "insertTime"
            and response.status == 200
            and isinstance(response, web.Response)
            and response.body is not None
        ):
            body = json.loads(bytes(response.body))  # type: ignore[arg-type]
            _without_definitive(body)
            return web.json_response(body)
        return response

    return middleware


@pytest.fixture
async def hidden(freezer: FrozenDateTimeFactory) -> AsyncGenerator[tuple[StandIn, list[bool]]]:
    freezer.move_to(NOW)
    active: list[bool] = []
    stand, server = await start_stand_in(
        now=NOW, middlewares=[_insert_time_hides_definitive(active)], estimate_share=0.0
    )
    yield stand, active
    await server.close()


def _month_rereads(stand: StandIn, coordinator: FluviusCoordinator) -> int:
    """readTime requests for the October gas month up to its end (the window's part of it)."""
    start = coordinator.cursors.get(EAN).backfill_from
    end = gas_month_span(OCTOBER)[1]
    return sum(
        1
        for call in energy_calls(stand)
        if call.period_type == "readTime" and call.start == start and call.end == end
    )


async def _poll_days(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    stand: StandIn,
    coordinator: FluviusCoordinator,
    days: int,
) -> None:
    for _ in range(days):
        advance(freezer, stand, DAY)
        await async_fire_poll(hass, freezer, coordinator, stand)
        await async_wait_recording_done(hass)
        assert coordinator.last_update_success, coordinator.last_exception


@pytest.mark.parametrize("listed", [False, True], ids=["factor_never_listed", "factor_listed"])
async def test_provisional_gas_month_ends_definitive(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hidden: tuple[StandIn, list[bool]],
    listed: bool,
) -> None:
    stand, active = hidden
    if not listed:
        active.append(True)
    entry = make_entry(stand, [EAN], backfill_days=10)
    coordinator = await start_entry(hass, entry)
    cursor = coordinator.cursors.get(EAN)
    assert cursor.backfill_from is not None
    assert OCTOBER in cursor.gas_provisional  # the month is still open: P
    start = cursor.backfill_from
    kwh = statistic_id(EAN, "gas_kwh")
    provisional = {row[0]: row[1] for row in await read_rows(hass, kwh)}

    # Daily polls until a week into November: the month closes (D) on 3-6 November, and the
    # definitive factor's delay (6 days after the gas month) has passed on 7 November.
    await _poll_days(hass, freezer, stand, coordinator, 20)
    await assert_exact(hass, stand, EAN, start, stand.sandbox.now())
    final = {row[0]: row[1] for row in await read_rows(hass, kwh)}
    changed = [hour for hour, value in provisional.items() if final[hour] != value]
    assert len(changed) > 40  # the definitive factor differs from the provisional one
    assert OCTOBER not in coordinator.cursors.get(EAN).gas_provisional
    # Re-read once when the re-sent values were never listed; not at all when they were.
    assert _month_rereads(stand, coordinator) == (0 if listed else 1)
    assert (OCTOBER in coordinator.cursors.get(EAN).gas_reread) is not listed

    # Never again, across a restart too (the cursor keeps the re-read months).
    await stop_entry(hass, entry)
    coordinator = await start_entry(hass, entry)
    await _poll_days(hass, freezer, stand, coordinator, 3)
    assert _month_rereads(stand, coordinator) == (0 if listed else 1)
    await assert_exact(hass, stand, EAN, start, stand.sandbox.now())
    await stop_entry(hass, entry)
