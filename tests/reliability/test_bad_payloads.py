"""Bad GET Energy payloads after good data, against the API stand-in, the real client and a
real recorder (docs/architecture.md, "Bad payloads").

A response with a unit its series cannot have is refused whole: no statistics row changes, the
insertTime cursor stays, and the entry reports a translated reason; the next good response
imports everything exactly. Negative and impossible values are dropped: the stored rows of
those hours keep their values. In the backfill, a refused chunk pauses it at that chunk's
start; the retry resumes there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
import json
import logging
from typing import Any

from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations
from homeassistant.helpers.update_coordinator import UpdateFailed
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.fluvius import backfill as backfill_module
from custom_components.fluvius.const import DOMAIN
from custom_components.fluvius.coordinator import FluviusCoordinator
from custom_components.fluvius.series import statistic_id
from fluvius_sandbox.config import ENERGY_PATH
from tests.helpers import async_fire_poll, async_wait_backfill

from .conftest import (
    EAN_DIGITAL,
    NOW,
    StandIn,
    advance,
    assert_exact,
    make_entry,
    read_rows,
    setup_entry,
    start_stand_in,
)

DAY = timedelta(days=1)
SERIES = ("offtake", "injection")
type Rewrite = Callable[[dict[str, Any]], None]


def _leaves(node: Any) -> list[tuple[str, dict[str, Any]]]:
    """(direction, leaf) of every measurement leaf in a GET Energy body."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "measurements" and isinstance(value, list):
                for measurement in value:
                    for direction, registers in measurement.items():
                        found += [(direction, leaf) for leaf in registers.values()]
            else:
                found += _leaves(value)
    elif isinstance(node, list):
        for item in node:
            found += _leaves(item)
    return found


def wrong_unit(body: dict[str, Any]) -> None:
    for direction, leaf in _leaves(body):
        if direction == "offtake":
            leaf["unit"] = "kVArh"


def impossible_values(body: dict[str, Any]) -> None:
    for direction, leaf in _leaves(body):
        leaf["value"] = -1.5 if direction == "offtake" else 1e9


async def _rows(hass: HomeAssistant) -> dict[str, list[Any]]:
    return {name: await read_rows(hass, statistic_id(EAN_DIGITAL, name)) for name in SERIES}


async def _reason(hass: HomeAssistant, err: UpdateFailed, language: str) -> str:
    translations = await async_get_translations(hass, language, "exceptions", [DOMAIN])
    text = translations[f"component.{DOMAIN}.exceptions.{err.translation_key}.message"]
    return text.format(**(err.translation_placeholders or {}))


async def test_bad_payload_changes_nothing(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    freezer.move_to(NOW)
    rewrite: list[Rewrite] = []

    @web.middleware
    async def corrupt(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        response = await handler(request)
        if not rewrite or not request.path.endswith(ENERGY_PATH):
            return response
        assert isinstance(response, web.Response) and response.body is not None
        body = json.loads(bytes(response.body))  # type: ignore[arg-type]
        rewrite[0](body)
        return web.json_response(body, status=response.status)

    stand, server = await start_stand_in(middlewares=[corrupt])
    try:
        stand.sandbox.add_mandate(EAN_DIGITAL, data_service_type="VH_kwartier_uur")
        coordinator = await setup_entry(hass, make_entry(stand, [EAN_DIGITAL], backfill_days=3))
        await _good_then_bad(hass, freezer, stand, coordinator, rewrite, caplog)
    finally:
        await server.close()


async def _good_then_bad(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    stand: StandIn,
    coordinator: FluviusCoordinator,
    rewrite: list[Rewrite],
    caplog: pytest.LogCaptureFixture,
) -> None:
    advance(freezer, stand, DAY)
    await async_fire_poll(hass, freezer, coordinator, stand)
    await async_wait_recording_done(hass)
    assert coordinator.last_update_success, coordinator.last_exception
    good = await _rows(hass)
    assert all(good.values())
    cursor = coordinator.cursors.get(EAN_DIGITAL)
    polled_until = cursor.last_insert_poll
    assert polled_until is not None

    # --- a unit the series cannot have: the whole response is refused --------------------
    advance(freezer, stand, DAY)
    rewrite.append(wrong_unit)
    await async_fire_poll(hass, freezer, coordinator, stand)
    await async_wait_recording_done(hass)
    assert not coordinator.last_update_success
    err = coordinator.last_exception
    assert isinstance(err, UpdateFailed)
    assert err.translation_key == "invalid_response"
    assert "kVArh" in (err.translation_placeholders or {})["error"]
    assert await _rows(hass) == good
    assert cursor.last_insert_poll == polled_until
    for language in ("en", "nl", "fr", "de"):
        reason = await _reason(hass, err, language)
        assert reason and "{" not in reason
    assert "could not be read" in await _reason(hass, err, "en")

    # --- the next good response (the retry's poll) brings everything, exactly -------------
    rewrite.clear()
    await async_fire_poll(hass, freezer, coordinator, stand)
    await async_wait_recording_done(hass)
    assert coordinator.last_update_success, coordinator.last_exception
    assert cursor.last_insert_poll is not None and cursor.last_insert_poll > polled_until
    start = cursor.backfill_from
    assert start is not None
    await assert_exact(hass, stand, EAN_DIGITAL, start, stand.sandbox.now(), names=SERIES)
    imported = await _rows(hass)
    assert len(imported["offtake"]) > len(good["offtake"])

    # --- negative offtake and impossible injection: dropped, stored rows keep their values
    advance(freezer, stand, DAY)
    rewrite.append(impossible_values)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        await async_fire_poll(hass, freezer, coordinator, stand)
        await async_wait_recording_done(hass)
    assert coordinator.last_update_success, coordinator.last_exception
    after = await _rows(hass)
    for name in SERIES:
        assert after[name] == imported[name], name
        assert all(0 <= state < 1e6 for _, state, _ in after[name])
    assert "negative value -1.5 kWh" in caplog.text
    assert "above the physical bound" in caplog.text
    credentials = stand.credentials
    for secret in (credentials.client_secret, credentials.subscription_key):
        assert secret not in caplog.text


async def test_bad_chunk_pauses_the_backfill(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A refused chunk in the backfill: the rows of the newer chunks stay, the cursor stops at
    its end, the pause is logged with the translated reason; the retry resumes
    there and the history ends up exact."""
    monkeypatch.setattr(backfill_module, "CHUNK_DAYS", 3)
    monkeypatch.setattr(backfill_module, "FIRST_CHUNK_DAYS", 3)
    freezer.move_to(NOW)
    requests = 0
    corrupting = True

    @web.middleware
    async def corrupt_second(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        nonlocal requests
        response = await handler(request)
        if not request.path.endswith(ENERGY_PATH):
            return response
        requests += 1
        if not corrupting or requests != 2:
            return response
        assert isinstance(response, web.Response) and response.body is not None
        body = json.loads(bytes(response.body))  # type: ignore[arg-type]
        wrong_unit(body)
        return web.json_response(body, status=response.status)

    stand, server = await start_stand_in(middlewares=[corrupt_second])
    try:
        stand.sandbox.add_mandate(EAN_DIGITAL, data_service_type="VH_kwartier_uur")
        with caplog.at_level(logging.WARNING):
            coordinator = await setup_entry(hass, make_entry(stand, [EAN_DIGITAL], backfill_days=8))
        cursor = coordinator.cursors.get(EAN_DIGITAL)
        # Newest first: the first chunk is the window's last days, the refused one before it.
        first_chunk_start = cursor.imported_from
        assert cursor.backfill_to is not None and first_chunk_start is not None
        assert not cursor.backfill_done
        assert first_chunk_start > cursor.backfill_to - timedelta(days=4)
        rows = await _rows(hass)
        assert rows["offtake"] and min(hour for hour, _, _ in rows["offtake"]) >= first_chunk_start
        assert "Backfill paused" in caplog.text
        assert "could not be read" in caplog.text
        await assert_exact(hass, stand, EAN_DIGITAL, first_chunk_start, cursor.backfill_to)

        corrupting = False
        advance(freezer, stand, timedelta(minutes=2))  # the first retry is after 1 minute
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        await async_wait_backfill(coordinator)
        await async_wait_recording_done(hass)
        assert cursor.backfill_done
        assert cursor.backfill_to is not None
        await assert_exact(hass, stand, EAN_DIGITAL, cursor.backfill_from, cursor.backfill_to)
    finally:
        await server.close()
