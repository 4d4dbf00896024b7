"""The measurements of bench/first_value.py (a pytest test, for the harness's real recorder)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, time as dt_time, timedelta
import json
import logging
import os
from pathlib import Path
import time
from typing import Any
import urllib.parse
import urllib.request

from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from bench._bench_scale import KINDS, ONE, _admin, _entry, meter_mix, stand_in
from custom_components.fluvius.const import TIMEZONE
from fluvius_sandbox.timeutil import format_api_datetime

ROOT = Path(__file__).resolve().parents[1]
DAYS = int(os.environ.get("FLUVIUS_FIRST_VALUE_DAYS", "1095"))
METERS = int(os.environ.get("FLUVIUS_FIRST_VALUE_METERS", "50"))
TIMEOUT = float(os.environ.get("FLUVIUS_FIRST_VALUE_TIMEOUT", "600"))
POLL = 0.2  # seconds between two reads of the recorder
AHEAD = timedelta(days=3)  # the stand-in's clock, ahead of Home Assistant's
TARGETS = {1: 15.0, 50: 60.0}  # seconds, on this 2-core machine
MAIN_SERIES = ("offtake", "injection", "gas_m3", "gas_kwh")  # the first one a meter has
WARM = "541440010000000099"


@contextlib.contextmanager
def stand_in_ahead() -> Iterator[str]:
    """The stand-in in its own process, its clock running three days ahead."""
    now = (datetime.now(UTC) + AHEAD).strftime("%Y-%m-%dT%H:%M:%SZ")
    with stand_in("--now", now) as base:
        yield base


def yesterday() -> tuple[datetime, datetime]:
    """The last complete local day (Home Assistant's clock), as UTC bounds."""
    today = dt_util.now(TIMEZONE).date()
    start = datetime.combine(today - timedelta(days=1), dt_time(), tzinfo=TIMEZONE)
    end = datetime.combine(today, dt_time(), tzinfo=TIMEZONE)
    return start.astimezone(UTC), end.astimezone(UTC)


def expected_rows(base: str, ean: str, start: datetime, end: datetime) -> tuple[str, set[float]]:
    """The main active series of ``ean`` and the row starts (UTC timestamps) it must have for
    ``[start, end)``: the stand-in's truth as a readTime request shows it now (hours, or the
    day's one block for a day-level mandate)."""
    query = urllib.parse.urlencode(
        {"ean": ean, "start": format_api_datetime(start), "end": format_api_datetime(end)}
    )
    with urllib.request.urlopen(f"{base}/_sandbox/truth?{query}", timeout=60) as response:
        truth = json.load(response)
    own = {s["name"]: s for s in truth["series"] if s["ean"] == ean}
    for name in MAIN_SERIES:
        series = own.get(name)
        if series and (values := series["hourly"] or series["daily"]):
            starts = {datetime.fromisoformat(k.replace("Z", "+00:00")).timestamp() for k in values}
            return f"fluvius:{ean}_{name}".lower(), starts
    raise AssertionError(f"{ean}: no active series for yesterday in the truth {sorted(own)}")


@dataclass
class Run:
    label: str
    eans: list[str]
    days: int = DAYS
    first_value: float | None = None  # seconds until every meter had yesterday
    history: float | None = None  # seconds until the whole history was in
    meters_with_yesterday: int = 0
    meters_done: int = 0
    rows: int = 0
    timeline: list[tuple[float, int]] = field(default_factory=list)  # (s, meters with yesterday)


def _backfill_task(entry: Any) -> asyncio.Task[None] | None:
    """The entry's history import task."""
    task: asyncio.Task[None] | None = entry.runtime_data.coordinator.backfill.task
    return task


def _meters_done(entry: Any, eans: list[str]) -> int:
    cursors = entry.runtime_data.coordinator.cursors
    return sum(1 for ean in eans if cursors.get(ean).backfill_done)


async def _have_yesterday(
    hass: HomeAssistant, wanted: dict[str, set[float]], start: datetime, end: datetime
) -> int:
    """How many of the wanted series have every wanted row start in the recorder."""
    stats = await get_instance(hass).async_add_executor_job(
        statistics_during_period, hass, start, end, set(wanted), "hour", None, {"sum"}
    )
    return sum(
        1
        for statistic_id, starts in wanted.items()
        if starts <= {row["start"] for row in stats.get(statistic_id, [])}
    )


async def _measure(hass: HomeAssistant, base: str, run: Run) -> Run:
    start, end = yesterday()
    wanted = dict(
        [
            await hass.async_add_executor_job(expected_rows, base, ean, start, end)
            for ean in run.eans
        ]
    )
    await async_wait_recording_done(hass)
    entry = _entry(base, run.eans, run.days, run.label.replace(" ", "_"))
    t0 = time.perf_counter()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED

    # Yesterday: the recorder read every POLL seconds while the backfill runs.
    seen = -1
    while time.perf_counter() - t0 < TIMEOUT:
        have = await _have_yesterday(hass, wanted, start, end)
        if have != seen:
            run.timeline.append((time.perf_counter() - t0, have))
            seen = have
        run.meters_with_yesterday = have
        if have == len(wanted):
            run.first_value = time.perf_counter() - t0
            break
        await asyncio.sleep(POLL)

    # The whole history: the backfill's task ends (again after a retry) with every meter done.
    while time.perf_counter() - t0 < TIMEOUT:
        task = _backfill_task(entry)
        if task is not None and not task.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), TIMEOUT - (time.perf_counter() - t0))
            continue
        if _meters_done(entry, run.eans) == len(run.eans):
            await async_wait_recording_done(hass)
            run.history = time.perf_counter() - t0
            break
        await asyncio.sleep(POLL)  # waiting for a retry of the backfill
    run.meters_done = _meters_done(entry, run.eans)
    coordinator = entry.runtime_data.coordinator
    run.rows = sum(coordinator.cursors.get(ean).rows_written for ean in run.eans)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await async_wait_recording_done(hass)
    return run


def _seconds(value: float | None) -> str:
    return f"{value:8.1f} s" if value is not None else f"  > {TIMEOUT:.0f} s (not reached)"


def _report(run: Run) -> None:
    meters = len(run.eans)
    target = TARGETS.get(meters)
    verdict = ""
    if target is not None:
        ok = run.first_value is not None and run.first_value <= target
        verdict = f"   (target <= {target:.0f} s: {'met' if ok else 'MISSED'})"
    print(f"{run.label}:")
    print(f"  yesterday for every meter:   {_seconds(run.first_value)}{verdict}")
    if run.first_value is None:
        print(f"    ({run.meters_with_yesterday} of {meters} meters had yesterday by then)")
    print(
        f"  whole history in:            {_seconds(run.history)}"
        f"   ({run.meters_done} of {meters} meters done, {run.rows} rows written)"
    )
    if meters > 1:  # when the first meter, half of them and all of them had yesterday
        marks = [
            f"{label} at {reached:.1f} s"
            for share, label in ((1 / meters, "the first"), (0.5, "half"), (1.0, "all"))
            if (reached := next((t for t, n in run.timeline if n >= share * meters), None))
        ]
        print(f"  meters with yesterday: {', '.join(marks) or 'none'}")


@pytest.fixture(autouse=True)
def _quiet_registry() -> Iterator[None]:
    """No INFO line per registered entity (hundreds with 50 meters) between the figures."""
    logger = logging.getLogger("homeassistant.helpers.entity_registry")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


async def test_first_value(hass: HomeAssistant) -> None:
    eans = meter_mix(METERS)
    with stand_in_ahead() as base:
        for ean in [WARM, ONE, *eans]:
            _admin(base, "/_sandbox/mandates", {"status": "Approved", "ean": ean})
        # Warm-up (imports, metadata caches, the stand-in's first blocks) on a few days' meter.
        await _measure(hass, base, Run("warm up", [WARM], days=3))
        one = await _measure(hass, base, Run("1 meter", [ONE]))
        many = await _measure(hass, base, Run(f"{METERS} meters", eans))

    instance = get_instance(hass)
    print(f"\nrecorder: {instance.db_url}")
    print(
        "data: the API stand-in (fluvius_sandbox) in its own process, over HTTP, real client; "
        "its clock 3 days ahead"
    )
    kinds = len({label for _, label in KINDS})
    print(
        f"history: {DAYS} days per meter; {METERS} meters: {kinds} kinds cycled "
        f"(bench/scale.py's mix); yesterday = {yesterday()[0].isoformat()} (UTC start)"
    )
    print(
        "measured from creating the entry to every meter's yesterday rows in the recorder "
        f"(read every {POLL} s), then to the end of the backfill"
    )
    _report(one)
    _report(many)
