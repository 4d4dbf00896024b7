"""Long faults against the API stand-in over HTTP, a real recorder and time travel: nothing stops
an import for good (docs/architecture.md, "Backfill window" and "Backfill load").

(a) Home Assistant stopped for 2 days before the first chunk of a 3-year history; (b) a 45-day
outage in the middle of the backfill; (c) a 3-day quota 403; (d) one chunk refused for good;
(e) 60 consecutive failures. Each ends with every hour the API still reaches exact against the
stand-in's truth, the daily poll running, and a repair issue where a chunk was skipped.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator, Mapping
from datetime import datetime, timedelta
import logging
from typing import Any
from unittest.mock import patch

from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

import custom_components.fluvius as integration
from custom_components.fluvius import backfill as backfill_module
from custom_components.fluvius.api import FluviusClient
from custom_components.fluvius.const import DOMAIN, TIMEZONE
from custom_components.fluvius.coordinator import FluviusCoordinator
from custom_components.fluvius.helpers import create_client
from custom_components.fluvius.series import statistic_id
from fluvius_sandbox import FaultRule
from fluvius_sandbox.config import ENERGY_PATH
from tests.helpers import async_fire_poll

from .conftest import (
    EAN_DIGITAL,
    NOW,
    TOLERANCE,
    StandIn,
    advance,
    assert_exact,
    make_entry,
    read_rows,
    start_stand_in,
)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
EAN_DAILY = "541440100000000001"  # digital electricity, offtake + injection, days only
THREE_YEARS = 1095
type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _no_wait(_delay: float) -> None:
    """The client's retry sleep: the loop clock is frozen, so waits take no time here."""


def _client(hass: HomeAssistant, data: Mapping[str, Any]) -> FluviusClient:
    return create_client(hass, data, sleep=_no_wait)


@pytest.fixture(autouse=True)
def _quiet_client(small_chunks: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """4-day chunks (a short history takes several), and a client whose retries take no time."""
    monkeypatch.setattr(backfill_module, "FIRST_CHUNK_DAYS", 4)
    with patch.object(integration, "create_client", _client):
        yield


class Refuser:
    """A middleware: readTime answers whose period holds ``day_start`` are not JSON (while
    ``active``), as if Fluvius had one bad value there it never corrects. With
    ``insert_time`` set, every insertTime answer is refused instead."""

    def __init__(self) -> None:
        self.day_start: datetime | None = None
        self.insert_time = False
        self.active = True
        self.refused = 0

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if not (self.active and request.path.endswith(ENERGY_PATH)) or response.status != 200:
            return response
        query = request.query
        if self.insert_time and query.get("periodType") == "insertTime":
            self.refused += 1
            return web.Response(body=b"{not json", status=200, content_type="application/json")
        if self.day_start is None or query.get("periodType") != "readTime":
            return response
        start, end = (datetime.fromisoformat(query[key]) for key in ("from", "to"))
        if not start <= self.day_start < end:
            return response
        self.refused += 1
        return web.Response(body=b"{not json", status=200, content_type="application/json")


@pytest.fixture
async def refuser(freezer: FrozenDateTimeFactory) -> AsyncGenerator[tuple[StandIn, Refuser]]:
    freezer.move_to(NOW)
    refuse = Refuser()
    stand, server = await start_stand_in(middlewares=[refuse.middleware])
    yield stand, refuse
    await server.close()


@pytest.fixture
async def stand(refuser: tuple[StandIn, Refuser]) -> StandIn:
    return refuser[0]


async def _start(
    hass: HomeAssistant, stand: StandIn, backfill_days: int, ean: str = EAN_DIGITAL
) -> FluviusCoordinator:
    """Set the entry up (the backfill starts in the background, maybe into a fault)."""
    stand.sandbox.add_mandate(ean)
    entry = make_entry(stand, [ean], backfill_days)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    coordinator: FluviusCoordinator = entry.runtime_data.coordinator
    return coordinator


async def _pass(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    stand: StandIn,
    duration: timedelta,
    step: timedelta = HOUR,
    until: Callable[[], bool] | None = None,
) -> None:
    """Both clocks move ``step`` at a time for ``duration``; due timers (backfill retries,
    polls) run to the end after each step. Stops early once ``until()``."""
    passed = timedelta(0)
    while passed < duration:
        advance(freezer, stand, step)
        passed += step
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        if until is not None and until():
            return


def _polls(stand: StandIn, since: datetime, *, ok: bool = True) -> int:
    """insertTime requests after ``since`` (answered 200 if ``ok``)."""
    return sum(
        1
        for record in stand.sandbox.stats.history
        if record.endpoint == "energy"
        and "insertTime" in record.path
        and record.at >= since
        and (record.status == 200 or not ok)
    )


async def _poll_runs(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    stand: StandIn,
    coordinator: FluviusCoordinator,
) -> None:
    """The daily poll's timer is set, and when it is due it asks (and gets) an insertTime."""
    assert coordinator.next_poll is not None and coordinator.next_poll > stand.sandbox.now()
    since = stand.sandbox.now()
    await _pass(hass, freezer, stand, coordinator.next_poll - since + timedelta(minutes=1))
    assert _polls(stand, since) >= 1
    assert coordinator.last_update_success
    assert coordinator.next_poll is not None and coordinator.next_poll > stand.sandbox.now()


async def _exact_now(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    stand: StandIn,
    coordinator: FluviusCoordinator,
    ean: str = EAN_DIGITAL,
) -> None:
    """After one more daily poll, every statistic equals the truth from the history's start
    on."""
    await async_fire_poll(hass, freezer, coordinator, stand)
    await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)
    assert coordinator.last_update_success, coordinator.last_exception
    cursor = coordinator.cursors.get(ean)
    assert cursor.backfill_done
    assert cursor.backfill_from is not None
    await assert_exact(hass, stand, ean, cursor.backfill_from, stand.sandbox.now())


def _issue(hass: HomeAssistant, coordinator: FluviusCoordinator) -> ir.IssueEntry | None:
    entry_id = coordinator.config_entry.entry_id
    return ir.async_get(hass).async_get_issue(DOMAIN, f"periods_skipped_{entry_id}_{EAN_DIGITAL}")


def _done(coordinator: FluviusCoordinator, ean: str = EAN_DIGITAL) -> Callable[[], bool]:
    return lambda: coordinator.cursors.get(ean).backfill_done


async def test_stopped_two_days_before_the_first_chunk(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    stand: StandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """(a) A 3-year history is chosen; the first chunk fails and Home Assistant is stopped for
    2 days. Its start is then beyond the API's reach: the day that can no longer be fetched is
    recorded (cursor, diagnostics), the history starts where the API reaches, the rest is
    imported exactly and the daily poll runs."""
    monkeypatch.setattr(backfill_module, "CHUNK_DAYS", 185)  # 3 years of days: 6 chunks
    outage = stand.sandbox.faults.add("503", endpoints="energy")
    coordinator = await _start(hass, stand, THREE_YEARS, EAN_DAILY)
    cursor = coordinator.cursors.get(EAN_DAILY)
    first_start = cursor.backfill_from
    assert first_start is not None and cursor.backfill_to is not None
    assert cursor.pending == [(first_start, cursor.backfill_to)]
    entry = coordinator.config_entry
    assert await hass.config_entries.async_unload(entry.entry_id)
    advance(freezer, stand, 2 * DAY)
    stand.sandbox.faults.remove(outage)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    coordinator = entry.runtime_data.coordinator
    cursor = coordinator.cursors.get(EAN_DAILY)
    assert cursor.backfill_done
    assert cursor.backfill_from is not None and cursor.backfill_from > first_start
    assert cursor.lost == [(first_start, cursor.backfill_from)]
    assert 24 <= cursor.lost_hours <= 48
    shown = coordinator.diagnostics()["cursors"][EAN_DAILY]
    assert shown["lost_hours"] == cursor.lost_hours
    assert shown["lost"] == [[first_start.isoformat(), cursor.backfill_from.isoformat()]]
    sensor = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{EAN_DAILY}_last_data")
    assert sensor is not None
    state = hass.states.get(sensor)
    assert state is not None
    assert state.attributes["history_start"] == cursor.backfill_from.isoformat()
    assert state.attributes["hours_not_fetched"] == round(cursor.lost_hours, 2)
    await _poll_runs(hass, freezer, stand, coordinator)
    await _exact_now(hass, freezer, stand, coordinator, EAN_DAILY)


async def test_a_45_day_outage_in_the_middle_of_the_backfill(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, stand: StandIn
) -> None:
    """(b) After the first chunk every GET Energy fails for 45 days (the clocks move 6 hours at
    a time: 180 backfill retries, far past the 42 that overflowed the backoff). The daily poll
    asks every day meanwhile; afterwards the backfill goes on where it stood and everything is
    exact."""
    outage = stand.sandbox.faults.add("503", endpoints="energy", after=1)
    coordinator = await _start(hass, stand, 12)
    cursor = coordinator.cursors.get(EAN_DIGITAL)
    assert cursor.imported_from is not None and cursor.backfill_from is not None
    assert cursor.backfill_from < cursor.imported_from and not cursor.backfill_done
    began = stand.sandbox.now()
    await _pass(hass, freezer, stand, 45 * DAY, step=6 * HOUR)
    assert not cursor.backfill_done
    # The daily poll was asked for on every day of the outage (and its retries).
    assert _polls(stand, began, ok=False) >= 45
    stand.sandbox.faults.remove(outage)
    await _pass(hass, freezer, stand, DAY, until=_done(coordinator))
    assert cursor.backfill_done
    await _poll_runs(hass, freezer, stand, coordinator)
    await _exact_now(hass, freezer, stand, coordinator)


async def test_a_3_day_quota(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    stand: StandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """(c) The call volume quota is used up for 3 days ("replenished in 23:59:59", a 403): the
    backfill waits as long as said each time, its 3-year start moves out of reach meanwhile and
    is recorded as lost; then the history is imported exactly and the polls run."""
    monkeypatch.setattr(backfill_module, "CHUNK_DAYS", 185)  # 3 years of days: 6 chunks
    quota = stand.sandbox.faults.add("quota", endpoints="energy", retry_after=86_399)
    coordinator = await _start(hass, stand, THREE_YEARS, EAN_DAILY)
    cursor = coordinator.cursors.get(EAN_DAILY)
    first_start = cursor.backfill_from
    assert first_start is not None
    await _pass(hass, freezer, stand, 3 * DAY)
    # It waited as long as the quota said: one attempt a day (4 client attempts each at most).
    attempts = stand.sandbox.stats.faults["quota"]
    assert attempts <= 4 * 4 + 4 * 4  # backfill + daily polls, a few days
    assert not cursor.backfill_done
    stand.sandbox.faults.remove(quota)
    await _pass(hass, freezer, stand, 2 * DAY, until=_done(coordinator, EAN_DAILY))
    assert cursor.backfill_done
    assert cursor.lost and cursor.lost[0][0] == first_start
    assert cursor.lost_hours >= 24
    await _poll_runs(hass, freezer, stand, coordinator)
    await _exact_now(hass, freezer, stand, coordinator, EAN_DAILY)


async def test_one_chunk_refused_for_good(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    refuser: tuple[StandIn, Refuser],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """(d) Every answer for one chunk is not JSON. After 3 refusals the chunk is skipped and
    recorded, a repair issue names the meter and the days, the backfill goes on, and the polls
    run. The days are asked for again each day; once Fluvius answers them, they are imported
    with continuous sums and the issue is gone."""
    stand, refuse = refuser
    sandbox = stand.sandbox
    refuse.day_start = datetime(2026, 11, 12, 23, 0, tzinfo=NOW.tzinfo)  # local 13 November
    with caplog.at_level(logging.WARNING):
        coordinator = await _start(hass, stand, 12)
        await _pass(hass, freezer, stand, HOUR, step=timedelta(minutes=5), until=_done(coordinator))
    cursor = coordinator.cursors.get(EAN_DIGITAL)
    assert cursor.backfill_done
    assert refuse.refused == 3
    assert len(cursor.skipped) == 1
    skipped_from, skipped_to = cursor.skipped[0]
    assert skipped_from <= refuse.day_start < skipped_to
    assert "Skipping" in caplog.text
    issue = _issue(hass, coordinator)
    assert issue is not None and issue.translation_key == "periods_skipped"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["ean"] == EAN_DIGITAL
    first_day = skipped_from.astimezone(TIMEZONE).date().isoformat()
    assert issue.translation_placeholders["periods"].startswith(first_day)
    assert coordinator.diagnostics()["cursors"][EAN_DIGITAL]["skipped"] == [
        [skipped_from.isoformat(), skipped_to.isoformat()]
    ]
    # Everything but the skipped days is there, with sums continuous over the gap.
    assert cursor.backfill_from is not None
    truth = sandbox.truth(EAN_DIGITAL, cursor.backfill_from, sandbox.now(), as_of=sandbox.now())
    offtake = truth[(EAN_DIGITAL, "offtake")].hourly
    rows = await read_rows(hass, statistic_id(EAN_DIGITAL, "offtake"))
    assert rows and not [hour for hour, _, _ in rows if skipped_from <= hour < skipped_to]
    running = rows[0][2] - rows[0][1]  # continuous sums from the first row on
    for hour, state, total in rows:
        assert abs(state - offtake[hour]) < TOLERANCE
        running += state
        assert abs(total - running) < 10 * TOLERANCE

    # The next day's poll asks again: still refused, still skipped, the poll itself runs.
    await _poll_runs(hass, freezer, stand, coordinator)
    assert refuse.refused == 4
    assert cursor.skipped and _issue(hass, coordinator) is not None
    # Fluvius corrects it: the day after, the days come in and the issue goes.
    refuse.active = False
    await _poll_runs(hass, freezer, stand, coordinator)
    assert cursor.skipped == []
    assert _issue(hass, coordinator) is None
    await _exact_now(hass, freezer, stand, coordinator)


async def test_60_consecutive_failures(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, stand: StandIn
) -> None:
    """(e) Every GET Energy fails with a 500 until the backfill has failed 60 times in a row
    (the backoff stays capped at an hour); then the backfill goes on and ends exact."""
    failing: FaultRule = stand.sandbox.faults.add("500", endpoints="energy")
    coordinator = await _start(hass, stand, 8)
    cursor = coordinator.cursors.get(EAN_DIGITAL)

    def backfill_attempts() -> int:
        return sum(
            1
            for record in stand.sandbox.stats.history
            if "readTime" in record.path and record.status == 500
        )

    await _pass(hass, freezer, stand, 5 * DAY, until=lambda: backfill_attempts() >= 60 * 4)
    assert backfill_attempts() >= 60 * 4  # 4 client attempts per backfill attempt
    # The waits were capped: 60 attempts took under 3 days.
    assert stand.sandbox.now() - NOW < 3 * DAY
    assert not cursor.backfill_done
    stand.sandbox.faults.remove(failing)
    await _pass(hass, freezer, stand, 2 * HOUR, until=_done(coordinator))
    assert cursor.backfill_done
    await _poll_runs(hass, freezer, stand, coordinator)
    await _exact_now(hass, freezer, stand, coordinator)


async def test_no_retry_timer_outlives_an_unload(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, stand: StandIn
) -> None:
    """A backfill restarted (as the mandate sync does) while its retry is pending, then Home
    Assistant restarts: no timer of the old coordinator starts a backfill next to the new
    one."""
    outage = stand.sandbox.faults.add("503", endpoints="energy")
    coordinator = await _start(hass, stand, 4)
    entry = coordinator.config_entry
    coordinator.backfill.start()  # the mandate sync: a meter's mandate is back
    await hass.async_block_till_done(wait_background_tasks=True)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    new: FluviusCoordinator = entry.runtime_data.coordinator
    assert new is not coordinator
    old_task = coordinator.backfill.task
    stand.sandbox.faults.remove(outage)
    await _pass(hass, freezer, stand, 10 * timedelta(minutes=1), step=timedelta(minutes=1))
    assert coordinator.backfill.task is old_task  # the old one never started again
    assert new.cursors.get(EAN_DIGITAL).backfill_done
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_a_day_the_polls_get_refused_for_good(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, refuser: tuple[StandIn, Refuser]
) -> None:
    """The daily poll's refetch of a day is refused every time. After 3 refusals (the poll and
    its retries) the days are skipped and recorded, the polls go on with the days after them,
    and once Fluvius answers them the daily retry imports them exactly."""
    stand, refuse = refuser
    coordinator = await _start(hass, stand, 4)
    cursor = coordinator.cursors.get(EAN_DIGITAL)
    assert cursor.backfill_done
    refuse.day_start = datetime(2026, 11, 18, 23, 0, tzinfo=NOW.tzinfo)  # local 19 November
    await _pass(hass, freezer, stand, 2 * DAY, until=lambda: bool(cursor.skipped))
    assert refuse.refused >= 3
    assert len(cursor.skipped) == 1
    assert cursor.skipped[0][0] <= refuse.day_start < cursor.skipped[0][1]
    assert _issue(hass, coordinator) is not None
    # The polls go on: the next one succeeds and brings the days after the skipped ones.
    await _poll_runs(hass, freezer, stand, coordinator)
    assert cursor.last_insert_poll is not None
    assert cursor.last_insert_poll > cursor.skipped[0][1]
    refuse.active = False
    await _poll_runs(hass, freezer, stand, coordinator)
    assert cursor.skipped == []
    assert _issue(hass, coordinator) is None
    await _exact_now(hass, freezer, stand, coordinator)


async def test_insert_time_answers_refused_for_good(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, refuser: tuple[StandIn, Refuser]
) -> None:
    """Every insertTime answer is refused. After 3 refusals (the poll and its retries) the
    poll reads its window's days by measurement time instead, so the polls move on and every
    hour stays exact; once Fluvius answers again the ordinary insertTime poll takes over."""
    stand, refuse = refuser
    coordinator = await _start(hass, stand, 4)
    cursor = coordinator.cursors.get(EAN_DIGITAL)
    assert cursor.backfill_done
    first_poll, first_data = cursor.last_insert_poll, cursor.last_data
    assert first_poll is not None and first_data is not None
    refuse.insert_time = True
    await _pass(
        hass,
        freezer,
        stand,
        2 * DAY,
        until=lambda: cursor.last_insert_poll is not None and cursor.last_insert_poll > first_poll,
    )
    assert refuse.refused >= 3
    assert cursor.last_insert_poll is not None and cursor.last_insert_poll > first_poll
    assert cursor.last_data is not None and cursor.last_data > first_data
    assert cursor.skipped == []
    refuse.active = False
    before = refuse.refused
    await _poll_runs(hass, freezer, stand, coordinator)
    assert refuse.refused == before
    await _exact_now(hass, freezer, stand, coordinator)


async def test_a_revision_beyond_the_reach_is_left_out(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    stand: StandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 3-year history; two days later Fluvius revises a value of its first day, which the
    API no longer reaches by readTime. The poll's refetch starts where the API still reaches:
    no refused request, nothing skipped, no repair issue, the polls go on."""
    monkeypatch.setattr(backfill_module, "CHUNK_DAYS", 185)
    coordinator = await _start(hass, stand, THREE_YEARS, EAN_DAILY)
    cursor = coordinator.cursors.get(EAN_DAILY)
    assert cursor.backfill_done and cursor.backfill_from is not None
    await _pass(hass, freezer, stand, 2 * DAY)
    stand.sandbox.correct(
        EAN_DAILY, cursor.backfill_from + timedelta(hours=2), 0.5, at=stand.sandbox.now()
    )
    await _poll_runs(hass, freezer, stand, coordinator)
    await _poll_runs(hass, freezer, stand, coordinator)
    assert cursor.skipped == []
    entry_id = coordinator.config_entry.entry_id
    issue_id = f"periods_skipped_{entry_id}_{EAN_DAILY}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    refused = [r for r in coordinator.diagnostics()["requests"] if r["outcome"] != "ok"]
    assert refused == []
