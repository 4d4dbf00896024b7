"""The fault soak: many simulated days of daily polls against the API stand-in, with faults,
late data, revisions and Home Assistant restarts, ending with every statistic compared row by
row with the stand-in's ground truth and the request pattern checked against the limits.

Shared by ``tests/reliability/test_soak.py`` (a short soak in the test suite) and
``bench/soak.py`` (a simulated year). :func:`run_soak` needs the harness's ``hass`` (with a real
recorder and the custom integration enabled) and ``freezer``.

How a run goes:

1. The stand-in starts frozen at :data:`~.conftest.NOW` with late data (``late_share``), its
   own estimates and their corrections (revisions), and a seeded mix of response faults on the
   API endpoints (429 with Retry-After, 500, 503, answers slower than the client's timeout,
   truncated and malformed JSON bodies) and tokens that stop working early.
2. The entry is set up with a short backfill. With ``install_outage_days``, every API request
   fails (503) for that long right after the set-up, before the first chunk: the backfill and
   the daily polls retry meanwhile. During the backfill, once a chunk is committed, Home
   Assistant "restarts" (the entry is reloaded) while the next chunk is half imported.
3. Then day after day both clocks move an hour at a time and the coordinator's own timer runs
   the daily insertTime poll and its retries. At seeded moments the entry is reloaded; once
   while a poll's import is half done. For ``outage_days`` every API request fails (503).
4. At the end the faults stop, one last poll runs, and every statistic of every meter is
   compared with the truth as a readTime request shows it then.

The client's retries sleep through :class:`RecordingSleep` (no real waiting; the waits asked for
are recorded, so Retry-After can be checked) and its timeout is :data:`CLIENT_TIMEOUT` seconds.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
import logging
import os
import random
import time
from typing import Any
from unittest.mock import patch

from aiohttp import web
from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

import custom_components.fluvius as integration
from custom_components.fluvius import importer as importer_module
from custom_components.fluvius.api import FluviusClient
from custom_components.fluvius.const import (
    TIMEZONE,
)
from custom_components.fluvius.coordinator import FluviusCoordinator
from custom_components.fluvius.helpers import create_client
from custom_components.fluvius.series import SeriesRows, statistic_id
from custom_components.fluvius.statistics import async_import_rows
from fluvius_sandbox import SANDBOX_KEY, FaultRule, SandboxConfig, SandboxCredentials, create_app

from .conftest import (
    DAILY_REGISTERS,
    EAN_AMR_PV,
    EAN_DIGITAL,
    EAN_GAS,
    NOW,
    TOLERANCE,
    StandIn,
    advance,
    make_entry,
    read_rows,
)

SOAK_EANS: tuple[str, ...] = (EAN_DIGITAL, EAN_GAS, EAN_AMR_PV)
CLIENT_TIMEOUT = 0.4  # seconds: the client gives up on a "slow" answer after this
SLOW_DELAY = 0.8  # seconds a "slow" answer takes (real time: the stand-in sleeps)
HOUR = timedelta(hours=1)
STEP = timedelta(hours=2)  # how far the clocks move at a time (due timers then run)
STEPS_PER_DAY = 12
DAY = timedelta(days=1)
# The client's bound: 3 retries = 4 attempts per request (api/retry.py).
ATTEMPTS_PER_REQUEST = 4
# The polls of one local day: the daily one (05:00-11:00) and, while data is missing or a poll
# failed, retries RETRY_INTERVAL (4 h) apart until midnight: at most 5.
POLLS_PER_DAY = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class SoakPlan:
    """What a soak simulates."""

    days: int = 45
    seed: int = 20261123
    eans: tuple[str, ...] = SOAK_EANS
    backfill_days: int = 10
    restarts: int = 2  # plain reloads at random moments (the mid-import ones come on top)
    outage_days: int = 2  # consecutive days on which every API request fails (0: none)
    install_outage_days: int = 0  # days every API request fails right after the set-up
    late_share: float = 0.05  # days whose data arrives 48-72 h late
    # Share of API requests answered with each fault (GET Energy and GET Mandate).
    faults: Mapping[str, float] = field(
        default_factory=lambda: {
            "429": 0.04,
            "500": 0.03,
            "503": 0.03,
            "truncated": 0.02,
            "malformed": 0.02,
            "slow": 0.01,
        }
    )
    early_expiry: float = 0.3  # share of tokens that stop working after two requests


@dataclass(slots=True)
class SoakFigures:
    """What a soak measured."""

    days: int = 0
    meters: int = 0
    requests: Counter[str] = field(default_factory=Counter)  # per endpoint
    faults: Counter[str] = field(default_factory=Counter)  # injected, per kind
    restarts: int = 0
    restarts_mid_import: int = 0
    imports_interrupted: int = 0  # half-done imports the restart cancelled
    setup_retries: int = 0
    failed_polls: int = 0  # scheduled polls that ended in UpdateFailed (retried later)
    client_waits: int = 0  # retries of the client (each after a recorded wait)
    retry_after_honoured: int = 0  # 429/503 waits at least as long as Retry-After said
    rows_compared: int = 0
    series_compared: int = 0
    differences: int = 0
    difference_examples: list[str] = field(default_factory=list)
    max_insert_ok_per_ean_day: int = 0
    max_insert_per_ean_day: int = 0
    max_energy_per_ean_day: int = 0
    recovery_energy_per_ean: int = 0  # GET Energy of one meter on the day after the outage
    normal_energy_per_ean_day: float = 0.0  # median over meter-days (no backfill, no outage)
    max_ordinary_energy_per_ean_day: int = 0  # the most on a meter-day (no backfill, no outage)
    install_outage_days: int = 0
    backfill_hours: float = 0.0  # simulated hours from the set-up to the backfill's end
    polls_during_install_outage: int = 0  # insertTime requests asked for meanwhile
    wall_seconds: float = 0.0

    @property
    def faults_injected(self) -> int:
        return sum(self.faults.values())

    def line(self) -> str:
        faults = ", ".join(f"{kind} {count}" for kind, count in sorted(self.faults.items()))
        requests = ", ".join(f"{k} {v}" for k, v in sorted(self.requests.items()))
        return (
            f"soak: {self.days} simulated days, {self.meters} meters; "
            f"requests {sum(self.requests.values())} ({requests}); "
            f"faults injected {self.faults_injected} ({faults}); "
            f"faults survived {self.faults_injected if not self.differences else 0}; "
            f"client retries {self.client_waits} "
            f"(Retry-After honoured {self.retry_after_honoured}), "
            f"failed polls retried {self.failed_polls}, set-up retries {self.setup_retries}; "
            f"outage at install {self.install_outage_days} days (insertTime asked "
            f"{self.polls_during_install_outage} times meanwhile; backfill done after "
            f"{self.backfill_hours:.1f} h); "
            f"restarts {self.restarts} ({self.restarts_mid_import} mid-import, "
            f"{self.imports_interrupted} cancelled there); "
            f"rows compared {self.rows_compared} in {self.series_compared} series; "
            f"differences {self.differences}; "
            f"per meter and day: insertTime ok <= {self.max_insert_ok_per_ean_day}, "
            f"insertTime <= {self.max_insert_per_ean_day}, GET Energy <= "
            f"{self.max_energy_per_ean_day} (ordinary days: median "
            f"{self.normal_energy_per_ean_day:g}, max {self.max_ordinary_energy_per_ean_day}; "
            f"the day after the outage {self.recovery_energy_per_ean}); "
            f"wall {self.wall_seconds:.1f} s"
        )


def _wall() -> float:
    """Real seconds (freezegun freezes time.time, monotonic and perf_counter, not os.times)."""
    return os.times().elapsed


class RecordingSleep:
    """The client's sleep: records the wait asked for, waits no real time."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.waits.append(delay)
        await asyncio.sleep(0)


@dataclass(slots=True)
class _Request:
    day: date  # local day on the simulated clock
    ean: str | None
    endpoint: str
    period_type: str | None
    outcome: str  # "ok", "corrupt", "slow" or the HTTP status


class RequestLog:
    """An aiohttp middleware (outermost, so faults are seen too) recording every request."""

    def __init__(self, stand: StandIn) -> None:
        self.stand = stand
        self.records: list[_Request] = []
        self.in_flight: dict[int, float] = {}  # id(request) -> real start time

    @web.middleware
    async def middleware(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        endpoint = request.match_info.route.name or "other"
        if endpoint.startswith("admin"):
            return await handler(request)
        day = self.stand.sandbox.now().astimezone(TIMEZONE).date()
        started = _wall()
        request["soak_inner"] = None
        self.in_flight[id(request)] = started
        slow_before = self.stand.sandbox.stats.faults["slow"]
        try:
            response = await handler(request)
        finally:
            del self.in_flight[id(request)]
        inner = request.get("soak_inner")
        if self.stand.sandbox.stats.faults["slow"] > slow_before:
            outcome = "slow"
        elif 200 <= response.status < 300:
            outcome = "ok" if inner is response else "corrupt"
        else:
            outcome = str(response.status)
        self.records.append(
            _Request(
                day,
                request.query.get("ean"),
                endpoint,
                request.query.get("periodType"),
                outcome,
            )
        )
        return response

    @web.middleware
    async def inner(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        """Innermost: the handler's own response (the fault middleware may replace it)."""
        response = await handler(request)
        request["soak_inner"] = response
        return response


class ImportGate:
    """Wraps the coordinator's ``async_import_rows``: when armed, the next import writes half of
    its series, then waits (a restart happens meanwhile), then writes the rest if still alive."""

    def __init__(self) -> None:
        self._original = async_import_rows
        self.skip: int | None = None  # armed: imports to let through first
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.interrupted = 0

    def arm(self, skip: int = 0) -> None:
        self.skip = skip
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, hass: HomeAssistant, rows: SeriesRows) -> dict[str, int]:
        if self.skip is None or len(rows) < 2:
            return await self._original(hass, rows)
        if self.skip > 0:
            self.skip -= 1
            return await self._original(hass, rows)
        self.skip = None
        items = sorted(rows.items())
        written = await self._original(hass, dict(items[: len(items) // 2]))
        self.entered.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.interrupted += 1
            raise
        return written | await self._original(hass, dict(items[len(items) // 2 :]))


class _Soak:
    def __init__(
        self, hass: HomeAssistant, freezer: FrozenDateTimeFactory, plan: SoakPlan
    ) -> None:
        self.hass = hass
        self.freezer = freezer
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.figures = SoakFigures(meters=len(plan.eans))
        self.sleep = RecordingSleep()
        self.gate = ImportGate()
        self.stand: StandIn
        self.log: RequestLog
        self.entry: MockConfigEntry
        self.outage: FaultRule | None = None
        self.outage_days: set[date] = set()
        self.backfill_days: set[date] = set()  # local days the backfill ran on

    # --- set-up ------------------------------------------------------------------------------

    def _client(self, hass: HomeAssistant, data: Mapping[str, Any]) -> FluviusClient:
        """``helpers.create_client`` with a short timeout and a sleep that takes no time."""
        return create_client(hass, data, sleep=self.sleep, request_timeout=CLIENT_TIMEOUT)

    async def _start_stand_in(self) -> TestServer:
        credentials = SandboxCredentials()
        app = create_app(
            SandboxConfig(
                now=NOW,
                frozen=True,
                seed=self.plan.seed,
                credentials=credentials,
                late_share=self.plan.late_share,
            )
        )
        server = TestServer(app, host="127.0.0.1")
        self.stand = StandIn(app[SANDBOX_KEY], "", credentials)
        self.log = RequestLog(self.stand)
        app.middlewares.insert(0, self.log.middleware)
        app.middlewares.append(self.log.inner)
        await server.start_server(access_log=None)
        self.stand.base = f"http://127.0.0.1:{server.port}"
        for ean in self.plan.eans:
            self.stand.sandbox.add_mandate(ean, data_service_type="VH_kwartier_uur")
        return server

    def _add_faults(self) -> None:
        faults = self.stand.sandbox.faults
        for kind, share in self.plan.faults.items():
            params: dict[str, object] = {"share": share, "endpoints": "energy|mandate"}
            if kind in ("429", "503"):
                params["retry_after"] = 30
            if kind == "slow":
                params["delay"] = SLOW_DELAY
            faults.add(kind, **params)
        if self.plan.early_expiry:
            faults.add("early_expiry", share=self.plan.early_expiry, uses=2)

    @property
    def coordinator(self) -> FluviusCoordinator:
        coordinator: FluviusCoordinator = self.entry.runtime_data.coordinator
        return coordinator

    # --- moving time -------------------------------------------------------------------------

    async def _pause(self) -> None:
        """A few real milliseconds (Home Assistant's loop time is frozen in these tests, so
        asyncio.sleep would never end; the recorder works in its own thread meanwhile)."""
        await self.hass.loop.run_in_executor(None, time.sleep, 0.002)

    def _nudge(self) -> None:
        """A request held back by a "slow" fault waits on the frozen loop clock, and so does
        the client's timeout: move both clocks past the delay when a request hangs."""
        now = _wall()
        if any(now - started > 0.05 for started in self.log.in_flight.values()):
            advance(self.freezer, self.stand, timedelta(seconds=SLOW_DELAY))

    async def _wait_until(self, done: Callable[[], bool], seconds: float = 60.0) -> bool:
        """Wait (real time, at most ``seconds``) until ``done()``."""
        deadline = _wall() + seconds
        while not done():
            if _wall() > deadline:
                return False
            await self._pause()
            self._nudge()
        return True

    async def _run[T](self, step: Coroutine[Any, Any, T]) -> T:
        """Await a set-up, reload or unload: its GET Mandate may be a "slow" answer too."""
        task = asyncio.ensure_future(step)
        assert await self._wait_until(task.done, 600), "the entry did not get through"
        return await task

    async def _settle(self) -> None:
        """Until every task (background ones too: backfill, polls) is done."""
        waiter = asyncio.ensure_future(
            self.hass.async_block_till_done(wait_background_tasks=True)
        )
        assert await self._wait_until(waiter.done, 600), "Home Assistant did not settle"
        await waiter

    async def _step(self, delta: timedelta = STEP) -> None:
        """Both clocks move on; due timers (polls, retries, set-up retries) run to the end."""
        advance(self.freezer, self.stand, delta)
        async_fire_time_changed(self.hass)
        await self._settle()
        await self._ensure_loaded()

    async def _ensure_loaded(self) -> None:
        """A restart whose GET Mandate failed is retried by Home Assistant: wait for it."""
        for _ in range(48):
            if self.entry.state is ConfigEntryState.LOADED:
                return
            assert self.entry.state is ConfigEntryState.SETUP_RETRY, self.entry.state
            self.figures.setup_retries += 1
            advance(self.freezer, self.stand, timedelta(minutes=5))
            async_fire_time_changed(self.hass)
            await self._settle()
        raise AssertionError(f"the entry did not load again: {self.entry.state}")

    async def _restart(self, *, release: bool = False) -> None:
        """Home Assistant restarts: the entry is unloaded and set up again (``release``: then
        whatever still waits at the import gate goes on)."""
        self.figures.restarts += 1
        await self._run(self.hass.config_entries.async_reload(self.entry.entry_id))
        if release:
            self.gate.release.set()
        await self._settle()
        await self._ensure_loaded()

    async def _restart_mid_import(self) -> bool:
        """The poll due within the hour runs; Home Assistant restarts while its import is half
        done. False if no import came (e.g. every request of the poll failed)."""
        self.gate.arm()
        scheduled = self.coordinator.next_poll
        advance(self.freezer, self.stand, STEP)
        async_fire_time_changed(self.hass)
        await self._wait_until(
            lambda: self.gate.entered.is_set() or self.coordinator.next_poll != scheduled
        )
        if not self.gate.entered.is_set():
            self.gate.skip = None
            await self._settle()
            return False
        self.figures.restarts_mid_import += 1
        # Whatever still waits at the gate (nothing, if the restart cancelled it) goes on.
        await self._restart(release=True)
        return True

    # --- the run -----------------------------------------------------------------------------

    async def run(self) -> SoakFigures:
        began = _wall()
        # The harness echoes every SQL statement at INFO: a soak's imports would spend more
        # time formatting them than writing.
        sql_log = logging.getLogger("sqlalchemy.engine")
        sql_level = sql_log.level
        sql_log.setLevel(logging.WARNING)
        self.freezer.move_to(NOW)
        server = await self._start_stand_in()
        try:
            with (
                patch.object(integration, "create_client", self._client),
                patch.object(importer_module, "async_import_rows", self.gate),
            ):
                await self._backfill()
                await self._days()
                await self._final_poll()
            await self._compare()
            assert await self._run(self.hass.config_entries.async_unload(self.entry.entry_id))
            await self._settle()
        finally:
            await server.close()
            sql_log.setLevel(sql_level)
        self._count()
        self.figures.wall_seconds = _wall() - began
        return self.figures

    async def _backfill(self) -> None:
        """Set-up and backfill, restarted once while the second chunk is half imported."""
        self._add_faults()
        self.entry = make_entry(
            self.stand, list(self.plan.eans), self.plan.backfill_days, "01JSOAK0000000000000000000"
        )
        self.entry.add_to_hass(self.hass)
        self.gate.arm(skip=1)  # the first chunk goes in whole, the second is interrupted
        await self._run(self.hass.config_entries.async_setup(self.entry.entry_id))
        await self.hass.async_block_till_done()
        await self._ensure_loaded()
        if self.plan.install_outage_days:
            await self._install_outage()
        if await self._wait_entered(lambda: self.coordinator.backfill.task):
            self.figures.restarts_mid_import += 1
            await self._restart(release=True)
        # Paused backfills (faults) resume from their own timers: let time pass until done.
        for _ in range(24 * 14):
            await self._settle()
            if self.coordinator.data is not None and self.coordinator.data.backfill_done:
                break
            await self._step(timedelta(minutes=10))
        assert self.coordinator.data is not None and self.coordinator.data.backfill_done
        self.figures.backfill_hours = (self.stand.sandbox.now() - NOW) / HOUR
        day = NOW.astimezone(TIMEZONE).date()
        while day <= self.stand.sandbox.now().astimezone(TIMEZONE).date():
            self.backfill_days.add(day)
            day += DAY

    async def _install_outage(self) -> None:
        """Every API request fails for ``install_outage_days`` after the set-up: the backfill
        has not imported a chunk yet; it and the daily polls keep retrying."""
        outage = self.stand.sandbox.faults.add("503", endpoints="energy|mandate", retry_after=60)
        for _ in range(self.plan.install_outage_days * STEPS_PER_DAY):
            self.outage_days.add(self.stand.sandbox.now().astimezone(TIMEZONE).date())
            await self._step()
        self.stand.sandbox.faults.remove(outage)
        self.figures.install_outage_days = self.plan.install_outage_days
        self.figures.polls_during_install_outage = sum(
            1 for record in self.log.records if record.period_type == "insertTime"
        )
    async def _wait_entered(self, task_of: Callable[[], asyncio.Task[None] | None]) -> bool:
        """Wait until the armed import is half done; False when the run it was armed for
        (``task_of()``) ended without one. A run paused on a fault resumes from its timer."""

        def entered_or_ended() -> bool:
            if self.gate.entered.is_set():
                return True
            task = task_of()
            if task is not None and task.done():
                if self.gate.skip is None:
                    return True
                advance(self.freezer, self.stand, timedelta(minutes=10))
                async_fire_time_changed(self.hass)
            return False

        await self._wait_until(entered_or_ended)
        if self.gate.entered.is_set():
            return True
        self.gate.skip = None
        return False

    async def _days(self) -> None:
        plan = self.plan
        restart_days = set(self.rng.sample(range(1, plan.days), min(plan.restarts, plan.days - 1)))
        # Days left after it: a poll that brings nothing new is not interrupted, the next is.
        mid_poll_day = self.rng.randrange(1, max(2, plan.days - 5))
        outage_start = self.rng.randrange(2, max(3, plan.days - plan.outage_days - 2))
        for day_index in range(plan.days):
            if plan.outage_days and day_index == outage_start:
                self.outage = self.stand.sandbox.faults.add(
                    "503", endpoints="energy|mandate", retry_after=60
                )
            if self.outage is not None and day_index == outage_start + plan.outage_days:
                self.stand.sandbox.faults.remove(self.outage)
                self.outage = None
            if self.outage is not None:
                self.outage_days.add(self.stand.sandbox.now().astimezone(TIMEZONE).date())
            restart_step = self.rng.randrange(STEPS_PER_DAY) if day_index in restart_days else None
            for step in range(STEPS_PER_DAY):
                if day_index == mid_poll_day and self._poll_due_within_step():
                    interrupted = await self._restart_mid_import()
                    mid_poll_day = -1 if interrupted else mid_poll_day + 1
                else:
                    before = self.coordinator.last_update_success
                    await self._step()
                    if before and not self.coordinator.last_update_success:
                        self.figures.failed_polls += 1
                if step == restart_step:
                    await self._restart()
            self.figures.days += 1

    def _poll_due_within_step(self) -> bool:
        when = self.coordinator.next_poll
        now = self.stand.sandbox.now()
        return when is not None and now < when <= now + STEP

    async def _final_poll(self) -> None:
        """The faults stop; the next daily poll (or retry) brings everything inserted until
        then: both clocks move on to it and its timer fires."""
        self.stand.sandbox.faults.clear()
        scheduled = self.coordinator.next_poll
        assert scheduled is not None
        await self._step(max(scheduled - self.stand.sandbox.now(), timedelta(0)))
        assert self.coordinator.next_poll != scheduled, "the last poll did not run"
        await async_wait_recording_done(self.hass)
        assert self.coordinator.last_update_success, self.coordinator.last_exception

    async def _compare(self) -> None:
        """Every statistic equals the truth a readTime request shows now, row by row."""
        sandbox = self.stand.sandbox
        now = sandbox.now()
        for ean in self.plan.eans:
            start = self.coordinator.cursors.get(ean).backfill_from
            assert start is not None
            truth = sandbox.truth(ean, start, now, as_of=now)
            for series_ean, name in truth:
                series = truth[(series_ean, name)]
                daily = name.endswith(DAILY_REGISTERS) or not series.hourly
                expected = series.daily if daily else series.hourly
                stat_id = statistic_id(series_ean, name)
                rows = await read_rows(self.hass, stat_id)
                self.figures.series_compared += 1
                self.figures.rows_compared += max(len(rows), len(expected))
                got = {hour: state for hour, state, _ in rows}
                for hour in sorted(set(got) ^ set(expected)):
                    self._difference(f"{stat_id} {hour.isoformat()}: row "
                                     f"{'missing' if hour in expected else 'not in the truth'}")
                running = rows[0][2] - rows[0][1] if rows else 0.0  # sums continue from there
                for hour, state, total in rows:
                    running += state
                    if hour in expected and abs(state - expected[hour]) >= TOLERANCE:
                        self._difference(
                            f"{stat_id} {hour.isoformat()}: {state} != {expected[hour]}"
                        )
                    elif abs(total - running) >= TOLERANCE * 10:
                        self._difference(f"{stat_id} {hour.isoformat()}: sum {total} != {running}")

    def _difference(self, text: str) -> None:
        self.figures.differences += 1
        if len(self.figures.difference_examples) < 10:
            self.figures.difference_examples.append(text)

    def _count(self) -> None:
        """Requests, faults and the per-meter per-day request pattern."""
        figures = self.figures
        sandbox = self.stand.sandbox
        figures.requests = Counter(record.endpoint for record in self.log.records)
        figures.faults = Counter(sandbox.stats.faults)
        figures.client_waits = len(self.sleep.waits)
        figures.retry_after_honoured = sum(1 for wait in self.sleep.waits if wait >= 30)
        energy: Counter[tuple[str, date]] = Counter()
        inserts: Counter[tuple[str, date]] = Counter()
        inserts_ok: Counter[tuple[str, date]] = Counter()
        for record in self.log.records:
            if record.endpoint != "energy" or record.ean is None:
                continue
            key = (record.ean, record.day)
            energy[key] += 1
            if record.period_type == "insertTime":
                inserts[key] += 1
                if record.outcome == "ok":
                    inserts_ok[key] += 1
        figures.max_energy_per_ean_day = max(energy.values(), default=0)
        figures.max_insert_per_ean_day = max(inserts.values(), default=0)
        figures.max_insert_ok_per_ean_day = max(inserts_ok.values(), default=0)
        if self.plan.outage_days:
            recovery = max(self.outage_days) + DAY
            figures.recovery_energy_per_ean = max(
                (count for (_, day), count in energy.items() if day == recovery), default=0
            )
        ordinary = sorted(
            count
            for (_, day), count in energy.items()
            if day not in self.backfill_days and day not in self.outage_days
        )
        figures.normal_energy_per_ean_day = ordinary[len(ordinary) // 2] if ordinary else 0.0
        figures.max_ordinary_energy_per_ean_day = max(ordinary, default=0)
        figures.imports_interrupted = self.gate.interrupted


async def run_soak(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, plan: SoakPlan | None = None
) -> SoakFigures:
    """Run a soak (see the module docstring) and return its figures."""
    return await _Soak(hass, freezer, plan or SoakPlan()).run()
