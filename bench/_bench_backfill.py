"""The measurements of bench/backfill.py (a pytest test, for the harness's real recorder)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
import json
import resource
import time
from typing import Any
import urllib.parse
import urllib.request

from homeassistant.components.recorder.history import get_significant_states
from homeassistant.components.recorder.models import StatisticData
from homeassistant.components.recorder.statistics import async_add_external_statistics
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from bench._bench_scale import _admin, _entry, stand_in
from custom_components.fluvius import backfill as backfill_module
from custom_components.fluvius.api.models import PeriodType
from custom_components.fluvius.coordinator import FluviusCoordinator
from custom_components.fluvius.helpers import create_client
from custom_components.fluvius.power import power_rows
from custom_components.fluvius.recorder_compat import async_wait_committed
from custom_components.fluvius.rows import offtake_quarter_hours, rows_from_energy
from custom_components.fluvius.series import SERIES_POWER, statistic_metadata
from custom_components.fluvius.timeutil import ceil_local_midnight, chunk_end
from fluvius_sandbox.timeutil import format_api_datetime
from tests.helpers import async_wait_backfill
from tests.standin import read_rows

EAN_3Y = "541440110000000001"  # digital offtake + injection, quarter-hours
EAN_BASE = "541440110000000002"  # the same kind, for the baseline
EAN_1Y = "541440110000000003"  # the same kind, one year of history
EAN_WARM = "541440010000000099"
DAYS = 1095


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _setup(hass: HomeAssistant, entry: MockConfigEntry, *, wait: bool = True) -> Any:
    """Set the entry up as Home Assistant does (real client over HTTP to the stand-in)."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    coordinator: FluviusCoordinator = entry.runtime_data.coordinator
    if wait:
        await async_wait_backfill(coordinator)
        await async_wait_committed(hass)
    return coordinator


async def _baseline(hass: HomeAssistant, base: str) -> tuple[float, int, int]:
    """Same requests (the same chunk sizes, learnt the same way) through the same client, same
    parsing, same final rows; the running sums computed in memory and handed to
    ``async_add_external_statistics`` directly per chunk, then one wait for the recorder."""
    client = create_client(hass, _entry(base, [EAN_BASE], DAYS, "baseline").data)
    now = dt_util.utcnow()
    start = ceil_local_midnight(now - timedelta(days=DAYS))
    end = now.replace(minute=0, second=0, microsecond=0)
    days = backfill_module.FIRST_CHUNK_DAYS
    sums: dict[tuple[str, str], float] = {}
    rows_total = chunks = 0
    t0 = time.perf_counter()
    while start < end:
        stop = chunk_end(start, end, 0, days)
        data = await client.get_energy(EAN_BASE, PeriodType.READ_TIME, start, stop)
        chunks += 1
        per_day = max(data.sample_count / max((stop - start) / timedelta(days=1), 1.0), 1.0)
        days = max(
            1, min(backfill_module.CHUNK_DAYS, int(backfill_module.SAMPLE_BUDGET / per_day))
        )
        rows = rows_from_energy(data, hourly_access=True)
        # The hourly power statistic (mean, min, max of the offtake quarter-hours) too.
        power = power_rows(offtake_quarter_hours(data).get(EAN_BASE) or ())
        if power:
            stats_power: list[StatisticData] = []
            for hour in sorted(power):
                row = power[hour]
                stat = StatisticData(start=hour, mean=row.mean)
                if row.min is not None and row.max is not None:
                    stat["min"], stat["max"] = row.min, row.max
                stats_power.append(stat)
            rows_total += len(stats_power)
            async_add_external_statistics(
                hass, statistic_metadata(EAN_BASE, SERIES_POWER), stats_power
            )
        for key, states in sorted(rows.items()):
            running = sums.get(key, 0.0)
            stats: list[StatisticData] = []
            for hour in sorted(states):
                running = round(running + states[hour], 6)
                stats.append(StatisticData(start=hour, state=states[hour], sum=running))
            sums[key] = running
            rows_total += len(stats)
            async_add_external_statistics(hass, statistic_metadata(*key), stats)
        start = stop
    await async_wait_committed(hass)
    return time.perf_counter() - t0, rows_total, chunks


async def _state_latency(hass: HomeAssistant) -> float:
    """Seconds from a state change to the row being readable from the database."""
    entity_id = "sensor.bench_probe"
    value = str(time.monotonic())
    t0 = time.perf_counter()
    hass.states.async_set(entity_id, value)
    since = dt_util.utcnow() - timedelta(seconds=1)
    while True:
        states: dict[str, Any] = await get_instance(hass).async_add_executor_job(
            get_significant_states, hass, since, None, [entity_id]
        )
        if any(s.state == value for s in states.get(entity_id, [])):
            return time.perf_counter() - t0
        if time.perf_counter() - t0 > 60:
            return float("inf")
        await asyncio.sleep(0.05)


async def _poll_cost(hass: HomeAssistant, coordinator: FluviusCoordinator) -> float:
    """Median time of the entry's daily poll, the only entry loaded (its timer fired ahead of
    the wall clock, which the poll itself reads; another entry's timer would fire with it).

    Each poll covers the last day again (insertTime, then that day with readTime), so it
    reads and compares a day of rows and writes nothing: the recurring cost of a poll.
    """
    runs: list[float] = []
    for _ in range(9):
        cursor = coordinator.cursors.get(coordinator.eans[0])
        polled_from = cursor.last_insert_poll = cursor.backfill_to - timedelta(days=1)
        await async_wait_recording_done(hass)
        due = coordinator.next_poll
        assert due is not None
        t0 = time.perf_counter()
        async_fire_time_changed(hass, due)
        await hass.async_block_till_done()
        runs.append(time.perf_counter() - t0)
        assert coordinator.last_update_success, coordinator.last_exception
        assert cursor.last_insert_poll > polled_from, "the timer ran no poll"
    return sorted(runs)[len(runs) // 2]


def _truth_total(base: str, ean: str, start: datetime, end: datetime) -> float:
    """The stand-in's truth: the sum of every offtake quarter-hour known now in [start, end)."""
    query = urllib.parse.urlencode(
        {
            "ean": ean,
            "start": format_api_datetime(start),
            "end": format_api_datetime(end),
            "as_of": format_api_datetime(dt_util.utcnow()),
        }
    )
    with urllib.request.urlopen(f"{base}/_sandbox/truth?{query}", timeout=120) as response:
        body = json.load(response)
    (offtake,) = [s for s in body["series"] if s["ean"] == ean and s["name"] == "offtake"]
    return round(sum(round(v * 1000) for v in offtake["quarterHourly"].values()) / 1000, 6)


async def test_bench(hass: HomeAssistant) -> None:
    print(f"\nrecorder: {get_instance(hass).db_url}")
    with stand_in() as base:
        for ean in (EAN_3Y, EAN_BASE, EAN_1Y, EAN_WARM):
            _admin(base, "/_sandbox/mandates", {"status": "Approved", "ean": ean})

        # Warm-up (imports, metadata caches, the stand-in's first blocks) on a few days.
        warm_entry = _entry(base, [EAN_WARM], 3, "warm")
        await _setup(hass, warm_entry)
        assert await hass.config_entries.async_unload(warm_entry.entry_id)

        rss0 = _rss_mb()
        base_time, base_rows, base_chunks = await _baseline(hass, base)
        await async_wait_recording_done(hass)
        rss_base = _rss_mb()

        entry = _entry(base, [EAN_3Y], DAYS, "bench3y")
        t0 = time.perf_counter()
        coordinator = await _setup(hass, entry, wait=False)
        await asyncio.sleep(5)  # well inside the backfill
        latency = await _state_latency(hass)
        await async_wait_backfill(coordinator)
        await async_wait_committed(hass)
        ours_time = time.perf_counter() - t0
        rss_ours = _rss_mb()
        cursor = coordinator.cursors.get(EAN_3Y)
        ours_rows = cursor.rows_written
        chunks = sum(1 for r in coordinator.diagnostics()["requests"] if r["kind"] == "backfill")

        rows = await read_rows(hass, f"fluvius:{EAN_3Y}_offtake")
        truth = _truth_total(base, EAN_3Y, cursor.backfill_from, cursor.backfill_to)
        poll_3y = await _poll_cost(hass, coordinator)
        assert await hass.config_entries.async_unload(entry.entry_id)
        one = await _setup(hass, _entry(base, [EAN_1Y], 365, "bench1y"))
        poll_1y = await _poll_cost(hass, one)
        assert await hass.config_entries.async_unload("bench1y")

    growth = max(rss_ours - rss_base, 0.0)
    ratio = ours_time / base_time
    print("data: the API stand-in (fluvius_sandbox) in its own process, over HTTP, real client")
    print(
        f"chunks: ours {chunks}, baseline {base_chunks} (<=185 days, ~25,000 values each); "
        f"rows written: ours {ours_rows}, baseline {base_rows}"
    )
    print(f"baseline (fetch + parse + direct add, same chunks): {base_time:8.1f} s")
    print(f"ours (coordinator backfill):                        {ours_time:8.1f} s")
    print(f"wall-time ratio:                                    {ratio:8.3f}   (target <= 1.15)")
    print(
        f"peak RSS: start {rss0:.0f} MB, after baseline {rss_base:.0f} MB, "
        f"after ours {rss_ours:.0f} MB"
    )
    print(
        f"memory growth during our backfill:                  {growth:8.1f} MB (target <= 100 MB)"
    )
    print(f"state change written during the backfill:           {latency:8.2f} s  (target <= 5 s)")
    print(
        f"daily poll: 1 year {poll_1y * 1000:.0f} ms, 3 years {poll_3y * 1000:.0f} ms, "
        f"ratio {poll_3y / poll_1y:.3f} (target <= 1.2)"
    )
    total = rows[-1][2] - rows[0][2] + rows[0][1]  # sums may start below 0 (newest first)
    print(f"offtake total {total:.3f} kWh vs truth {truth:.3f} kWh")
    assert abs(total - truth) < 1e-3
