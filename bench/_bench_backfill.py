"""The measurements of bench/backfill.py (a pytest test, for the harness's real recorder)."""

from __future__ import annotations

# isort: off
import tests.statistics._shim  # noqa: F401  # before the integration is imported

# isort: on

import asyncio
import resource
import time
from typing import Any

from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.history import get_significant_states
from homeassistant.components.recorder.models import StatisticData
from homeassistant.components.recorder.statistics import async_add_external_statistics
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.fluvius import coordinator as coordinator_module
from custom_components.fluvius.api.models import PeriodType
from custom_components.fluvius.coordinator import ceil_local_midnight, chunk_end
from custom_components.fluvius.statistics import (
    async_wait_committed,
    rows_from_energy,
    statistic_metadata,
)
from tests.statistics.conftest import make_entry, start_coordinator, stop_coordinator
from tests.statistics.fake_api import FakeFluvius, mock_meter
from tests.statistics.helpers import read_rows

EAN_3Y = "541440110000000001"
EAN_BASE = "541440110000000002"
EAN_1Y = "541440110000000003"
DAYS = 1095


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.fixture(autouse=True)
def _custom(recorder_mock: Recorder, enable_custom_integrations: None) -> None:
    """A real (file-backed, --dburl) recorder and the custom integration."""


async def _baseline(hass: HomeAssistant, fake: FakeFluvius) -> tuple[float, int]:
    """Same responses, same final rows, direct async_add_external_statistics per chunk."""
    now = dt_util.utcnow()
    start = ceil_local_midnight(now - coordinator_module.timedelta(days=DAYS))
    end = now.replace(minute=0, second=0, microsecond=0)
    sums: dict[tuple[str, str], float] = {}
    rows_total = 0
    t0 = time.perf_counter()
    while start < end:
        stop = chunk_end(start, end)
        data = await fake.get_energy(EAN_BASE, PeriodType.READ_TIME, start, stop)
        rows = rows_from_energy(data, hourly_access=True)
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
    return time.perf_counter() - t0, rows_total


async def _state_latency(hass: HomeAssistant) -> float:
    """Seconds from a state change to the row being readable from the database."""
    entity_id = "sensor.bench_probe"
    value = str(time.monotonic())
    t0 = time.perf_counter()
    hass.states.async_set(entity_id, value)
    since = dt_util.utcnow() - coordinator_module.timedelta(seconds=1)
    while True:
        states: dict[str, Any] = await get_instance(hass).async_add_executor_job(
            get_significant_states, hass, since, None, [entity_id]
        )
        if any(s.state == value for s in states.get(entity_id, [])):
            return time.perf_counter() - t0
        if time.perf_counter() - t0 > 60:
            return float("inf")
        await asyncio.sleep(0.05)


async def _poll_costs(hass: HomeAssistant, coordinators: list[Any]) -> list[float]:
    """Median time of a daily poll per coordinator, the coordinators taking turns.

    Each poll covers the last day again (insertTime, then that day with readTime), so it
    reads and compares a day of rows and writes nothing: the recurring cost of a poll.
    """
    runs: list[list[float]] = [[] for _ in coordinators]
    for _ in range(9):
        for index, coordinator in enumerate(coordinators):
            cursor = coordinator.cursors.get(coordinator.eans[0])
            cursor.last_insert_poll = cursor.backfill_to - coordinator_module.timedelta(days=1)
            await async_wait_recording_done(hass)
            t0 = time.perf_counter()
            await coordinator.async_poll_now()
            runs[index].append(time.perf_counter() - t0)
    return [sorted(r)[len(r) // 2] for r in runs]


async def test_bench(hass: HomeAssistant) -> None:
    fake = FakeFluvius()
    for ean in (EAN_3Y, EAN_BASE, EAN_1Y):
        fake.add(mock_meter(ean))
    print(f"\nrecorder: {get_instance(hass).db_url}")

    # Warm-up (imports, metadata caches) on a few days, not measured.
    warm = await start_coordinator(hass, fake, make_entry([EAN_1Y], 3, entry_id="warm"))
    await stop_coordinator(hass, warm)

    rss0 = _rss_mb()
    base_time, base_rows = await _baseline(hass, fake)
    await async_wait_recording_done(hass)
    rss_base = _rss_mb()

    entry = make_entry([EAN_3Y], DAYS, entry_id="bench3y")
    t0 = time.perf_counter()
    coordinator = await start_coordinator(hass, fake, entry, wait=False)
    await asyncio.sleep(5)  # well inside the backfill
    latency = await _state_latency(hass)
    await coordinator.async_wait_backfill()
    await async_wait_committed(hass)
    ours_time = time.perf_counter() - t0
    rss_ours = _rss_mb()
    ours_rows = coordinator.cursors.get(EAN_3Y).rows_written
    chunks = sum(1 for r in fake.requests if r[1] == EAN_3Y)

    rows = await read_rows(hass, f"fluvius:{EAN_3Y}_offtake")
    truth = fake.truth(
        EAN_3Y, "offtake", coordinator.cursors.get(EAN_3Y).backfill_from, dt_util.utcnow()
    )
    one = await start_coordinator(hass, fake, make_entry([EAN_1Y], 365, entry_id="bench1y"))
    poll_3y, poll_1y = await _poll_costs(hass, [coordinator, one])
    await stop_coordinator(hass, coordinator)
    await stop_coordinator(hass, one)

    growth = max(rss_ours - rss_base, 0.0)
    ratio = ours_time / base_time
    print(f"chunks: {chunks} (<=185 days each), rows written: ours {ours_rows}, "
          f"baseline {base_rows}")
    print(f"baseline (parse + direct add, same chunks): {base_time:8.1f} s")
    print(f"ours (coordinator backfill):                {ours_time:8.1f} s")
    print(f"wall-time ratio:                            {ratio:8.3f}   (target <= 1.15)")
    print(f"peak RSS: start {rss0:.0f} MB, after baseline {rss_base:.0f} MB, "
          f"after ours {rss_ours:.0f} MB")
    print(f"memory growth during our backfill:          {growth:8.1f} MB (target <= 100 MB)")
    print(f"state change written during the backfill:   {latency:8.2f} s  (target <= 5 s)")
    print(f"daily poll: 1 year {poll_1y * 1000:.0f} ms, 3 years {poll_3y * 1000:.0f} ms, "
          f"ratio {poll_3y / poll_1y:.3f} (target <= 1.2)")
    print(f"offtake sum {rows[-1][2]:.3f} kWh vs truth {truth:.3f} kWh")
    assert abs(rows[-1][2] - truth) < 1e-6
