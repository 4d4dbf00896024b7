"""The measurements of bench/scale.py (a pytest test, for the harness's real recorder)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import contextlib
from dataclasses import dataclass, field
import gc
import os
from pathlib import Path
import socket
import subprocess
import sys
import threading
import time
import traceback
from typing import Any
from unittest.mock import patch
import urllib.request

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius.api import FluviusClient
from custom_components.fluvius.api.models import EnergyData
from custom_components.fluvius.const import (
    CONF_BACKFILL_DAYS,
    CONF_BASE_URL,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_EANS,
    CONF_ENVIRONMENT,
    CONF_SCOPE,
    CONF_SUBSCRIPTION_KEY,
    CONF_TENANT_ID,
    CONF_TOKEN_URL,
    DOMAIN,
)
from custom_components.fluvius.coordinator import FluviusCoordinator
from custom_components.fluvius.energy_requests import MAX_CONCURRENT_REQUESTS
from custom_components.fluvius.recorder_compat import async_wait_committed
from tests.helpers import async_wait_backfill

ROOT = Path(__file__).resolve().parents[1]
DAYS = int(os.environ.get("FLUVIUS_SCALE_DAYS", "30"))
BIG_DAYS = 185  # one full chunk: the largest response the integration ever parses
METERS = int(os.environ.get("FLUVIUS_SCALE_METERS", "50"))

# Mock EAN kinds (fluvius-api.md §10.2): (digits 5-9 without the leading 5414, label).
KINDS = (
    ("40011", "digital offtake, quarter-hours"),
    ("40111", "digital offtake + injection, quarter-hours"),
    ("41011", "digital gas, hours"),
    ("40001", "digital offtake, days only"),
    ("50011", "AMR offtake, quarter-hours"),
    ("50211", "AMR injection, quarter-hours"),
    ("51011", "AMR gas, hours"),
    ("50011", "AMR offtake + PV production and auxiliary submeters"),
)
ONE = "541440110000000001"  # the single-meter run: digital offtake + injection


def _ean(kind: str, serial: int, *, submeter: bool) -> str:
    # 5414 | kind | energy | direction | granularity | submeter | 9 digits of serial
    head = "5414" + kind[:4] + ("1" if submeter else "0")
    return head + f"{serial:09d}"


def meter_mix(count: int) -> list[str]:
    eans = []
    for n in range(count):
        kind, label = KINDS[n % len(KINDS)]
        eans.append(_ean(kind, n + 100, submeter="submeter" in label))
    return eans


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class LoopMonitor:
    """A task that sleeps 10 ms and measures how late it wakes (the loop's longest block),
    sampling the process's RSS as it goes. A watchdog thread notes where the event loop's
    thread is when it has not woken for 40 ms: the code that blocks it."""

    interval: float = 0.01
    worst: float = 0.0
    over_50ms: int = 0
    samples: int = 0
    rss_peak: float = 0.0
    blockers: dict[str, float] = field(default_factory=dict)  # stack -> longest block seen
    _task: asyncio.Task[None] | None = None
    _woke: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)

    def _watch(self, loop_thread: int) -> None:
        seen_for = 0.0
        stack = ""
        while not self._stop.wait(0.005):
            blocked = time.perf_counter() - self._woke
            if blocked < 0.04:
                if stack:
                    self.blockers[stack] = max(self.blockers.get(stack, 0.0), seen_for)
                stack = ""
                continue
            if not stack and (frame := sys._current_frames().get(loop_thread)) is not None:
                innermost = reversed(traceback.extract_stack(frame)[-8:])
                stack = " < ".join(
                    f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in innermost
                )
            seen_for = blocked

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._woke = time.perf_counter()
            before = loop.time()
            await asyncio.sleep(self.interval)
            late = loop.time() - before - self.interval
            self.samples += 1
            self.worst = max(self.worst, late)
            if late > 0.05:
                self.over_50ms += 1
            if self.samples % 10 == 0:
                self.rss_peak = max(self.rss_peak, _rss_mb())

    def start(self) -> None:
        self.rss_peak = _rss_mb()
        self._woke = time.perf_counter()
        self._task = asyncio.get_running_loop().create_task(self._run())
        threading.Thread(target=self._watch, args=(threading.get_ident(),), daemon=True).start()

    async def stop(self) -> None:
        assert self._task is not None
        self._stop.set()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self.rss_peak = max(self.rss_peak, _rss_mb())


class GcPauses:
    """Durations of the cyclic garbage collector's runs (any thread): a long one stops every
    thread, the event loop's included."""

    def __init__(self) -> None:
        self.started = 0.0
        self.longest = 0.0
        self.over_50ms = 0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.started = time.perf_counter()
            return
        took = time.perf_counter() - self.started
        self.longest = max(self.longest, took)
        if took > 0.05:
            self.over_50ms += 1


GC = GcPauses()


class InFlight:
    """The most GET Energy requests of the integration's client in flight at once, counted
    where the client sends them."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0

    @contextlib.contextmanager
    def counting(self) -> Iterator[None]:
        real = FluviusClient.get_energy

        async def get_energy(client: FluviusClient, *args: Any, **kwargs: Any) -> EnergyData:
            self.now += 1
            self.most = max(self.most, self.now)
            try:
                return await real(client, *args, **kwargs)
            finally:
                self.now -= 1

        with patch.object(FluviusClient, "get_energy", get_energy):
            yield


@dataclass
class Run:
    label: str
    meters: int
    days: int
    seconds: float = 0.0
    rss_growth: float = 0.0
    worst_block: float = 0.0
    blocks_over_50ms: int = 0
    max_in_flight: int = 0
    requests: int = 0
    rows: int = 0
    blockers: list[tuple[float, str]] = field(default_factory=list)


@contextlib.contextmanager
def stand_in(*args: str) -> Iterator[str]:
    """The stand-in in its own process (``args``: more of its command-line options)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fluvius_sandbox",
            "--port",
            str(port),
            "--log-level",
            "ERROR",
            *args,
        ],
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(base + "/_sandbox", timeout=1).read()
                break
            time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(10)


def _admin(base: str, path: str, body: dict[str, Any]) -> None:
    import json

    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request, timeout=10).read()


def _entry(base: str, eans: list[str], days: int, entry_id: str) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"scale {entry_id}",
        entry_id=entry_id,
        unique_id=f"custom_{entry_id}",
        data={
            CONF_ENVIRONMENT: "custom",
            CONF_BASE_URL: base + "/ext/mijnfluvius-profnetgebruiker-sbx/v1",
            CONF_TOKEN_URL: base + "/{tenant_id}/oauth2/v2.0/token",
            CONF_TENANT_ID: "sandbox-tenant",
            CONF_CLIENT_ID: "sandbox-client",
            CONF_CLIENT_SECRET: "sandbox-secret",
            CONF_SCOPE: "api://fluvius-sandbox/.default",
            CONF_SUBSCRIPTION_KEY: "sandbox-subscription-key",
        },
        options={CONF_EANS: eans, CONF_BACKFILL_DAYS: days},
    )


async def _measure(hass: HomeAssistant, base: str, run: Run, eans: list[str]) -> Run:
    await async_wait_committed(hass)
    await asyncio.sleep(0.1)
    monitor = LoopMonitor()
    monitor.start()
    await asyncio.sleep(0)
    rss0 = _rss_mb()
    entry = _entry(base, eans, run.days, run.label.replace(" ", "_"))
    entry.add_to_hass(hass)
    in_flight = InFlight()
    t0 = time.perf_counter()
    with in_flight.counting():
        assert await hass.config_entries.async_setup(entry.entry_id)
        assert entry.state is ConfigEntryState.LOADED
        coordinator: FluviusCoordinator = entry.runtime_data.coordinator
        await async_wait_backfill(coordinator)
    await async_wait_committed(hass)
    run.seconds = time.perf_counter() - t0
    await monitor.stop()
    assert all(coordinator.cursors.get(ean).backfill_done for ean in eans)
    run.rss_growth = max(monitor.rss_peak - rss0, 0.0)
    run.worst_block = monitor.worst
    run.blocks_over_50ms = monitor.over_50ms
    run.max_in_flight = in_flight.most
    run.requests = sum(1 for r in coordinator.diagnostics()["requests"])
    run.rows = sum(coordinator.cursors.get(ean).rows_written for ean in eans)
    run.blockers = sorted(((t, s) for s, t in monitor.blockers.items()), reverse=True)[:5]
    assert await hass.config_entries.async_unload(entry.entry_id)
    return run


async def test_scale(hass: HomeAssistant) -> None:
    # No asyncio debug mode (the test harness turns it on): it records a traceback at every
    # callback and future, which blocks the loop by itself (up to ~80 ms here) and no
    # installation runs with it. LoopMonitor's watchdog names the blockers instead.
    asyncio.get_running_loop().set_debug(False)
    gc.callbacks.append(GC)
    eans = meter_mix(METERS)
    with stand_in() as base:
        warm = "541440010000000099"
        big_ean = _ean("50011", 999, submeter=True)
        for ean in [warm, ONE, big_ean, *eans]:
            _admin(base, "/_sandbox/mandates", {"status": "Approved", "ean": ean})
        await _measure(hass, base, Run("warm up", 1, 2), [warm])
        one = await _measure(hass, base, Run("one meter", 1, DAYS), [ONE])
        many = await _measure(hass, base, Run(f"{METERS} meters", METERS, DAYS), eans)
        big = await _measure(hass, base, Run("one 185-day chunk", 1, BIG_DAYS), [big_ean])

    instance = hass.data.get("recorder_instance")
    print(f"\nrecorder: {getattr(instance, 'db_url', '?')}")
    print(f"backfill depth: {DAYS} days (3 years would be ~{1095 // DAYS}x the rows per meter); "
          "the 185-day run is one full-size chunk of the biggest kind")
    kinds = {label for _, label in KINDS}
    print(f"meter mix: {len(kinds)} kinds cycled over {METERS} EANs")
    header = (f"{'run':<20}{'meters':>7}{'days':>6}{'rows':>9}{'wall s':>9}{'RSS+ MB':>9}"
              f"{'longest block ms':>18}{'>50ms':>7}{'max in flight':>15}")
    print(header)
    for run in (one, many, big):
        print(f"{run.label:<20}{run.meters:>7}{run.days:>6}{run.rows:>9}{run.seconds:>9.1f}"
              f"{run.rss_growth:>9.1f}{run.worst_block * 1000:>18.1f}{run.blocks_over_50ms:>7}"
              f"{run.max_in_flight:>15}")
    print(f"wall-time ratio {METERS} meters / 1 meter:   {many.seconds / one.seconds:8.2f}  "
          f"(rows ratio {many.rows / max(one.rows, 1):.2f}; "
          f"seconds per 1000 rows: 1 meter {one.seconds / one.rows * 1000:.2f}, "
          f"{METERS} meters {many.seconds / many.rows * 1000:.2f})")
    print(f"peak-memory ratio {METERS} meters / 1 meter: "
          f"{max(many.rss_growth, 0.1) / max(one.rss_growth, 0.1):8.2f}  "
          f"(RSS growth {one.rss_growth:.1f} MB vs {many.rss_growth:.1f} MB)")
    print(f"max concurrent GET Energy requests: {max(r.max_in_flight for r in (one, many, big))} "
          f"(limit {MAX_CONCURRENT_REQUESTS})")
    gc.callbacks.remove(GC)
    print(f"longest garbage-collector pause: {GC.longest * 1000:.1f} ms "
          f"({GC.over_50ms} over 50 ms)")
    worst = max(one.worst_block, many.worst_block, big.worst_block)
    print(f"longest event-loop block: {worst * 1000:.1f} ms (target <= 50 ms)")
    for run in (one, many, big):
        for took, where in run.blockers:
            print(f"  loop blocked in '{run.label}': {took * 1000:.0f} ms at {where}")
    assert max(r.max_in_flight for r in (one, many, big)) <= MAX_CONCURRENT_REQUESTS
