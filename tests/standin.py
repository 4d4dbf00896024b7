"""The API stand-in for tests that go through HTTP: the stand-in on loopback, the real client
(through the config entry's data), a real recorder, Home Assistant's clock moved together with the
stand-in's simulated clock, and exact comparison of recorder rows with the stand-in's truth.

Shared by ``tests/reliability`` and ``tests/statistics`` (their ``conftest.py`` import the
fixtures from here). These suites run on SQLite and again on PostgreSQL (``scripts/test`` passes
``--dburl``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.fluvius import backfill as backfill_module
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
from custom_components.fluvius.series import statistic_id
from fluvius_sandbox import SANDBOX_KEY, Sandbox, SandboxConfig, SandboxCredentials, create_app
from fluvius_sandbox.config import API_PREFIX, TOKEN_PATH
from tests.helpers import async_wait_backfill

# A Thursday morning in November: no DST change inside the short backfill windows used here.
NOW = datetime(2026, 11, 19, 9, 0, tzinfo=UTC)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
TOLERANCE = 1e-6

# Sandbox mock EANs (fluvius-api.md §10.2 / fluvius_sandbox.eans).
EAN_DIGITAL = "541440110000000001"  # digital electricity, offtake + injection, quarter-hours
EAN_GAS = "541441010000000002"  # digital gas, hourly
EAN_AMR_PV = "541450011000000003"  # AMR electricity offtake, PV production + auxiliary submeters


# The registers of a digital meter's quarter-hours (fluvius-api.md §14 A13): tests where digital
# electricity matters run on both (``@BOTH_LAYOUTS`` with the ``quarter_hours`` fixture).
LAYOUTS = ("total", "day_night")
BOTH_LAYOUTS = pytest.mark.parametrize("quarter_hours", LAYOUTS, ids=LAYOUTS)


@pytest.fixture(autouse=True)
def _harness(
    recorder_mock: Recorder, enable_custom_integrations: None, socket_enabled: None
) -> None:
    """A real recorder (before ``hass``), the custom integration, loopback sockets."""


@dataclass
class StandIn:
    """The running stand-in: its state and the addresses a config entry needs."""

    sandbox: Sandbox
    base: str
    credentials: SandboxCredentials

    @property
    def urls(self) -> dict[str, str]:
        return {
            CONF_BASE_URL: self.base + API_PREFIX,
            CONF_TOKEN_URL: self.base + TOKEN_PATH,
        }

    def entry_data(self) -> dict[str, Any]:
        c = self.credentials
        return {
            CONF_ENVIRONMENT: "custom",
            CONF_TENANT_ID: c.tenant_id,
            CONF_CLIENT_ID: c.client_id,
            CONF_CLIENT_SECRET: c.client_secret,
            CONF_SCOPE: c.scope,
            CONF_SUBSCRIPTION_KEY: c.subscription_key,
            **self.urls,
        }


async def start_stand_in(
    credentials: SandboxCredentials | None = None,
    *,
    middlewares: Iterable[Any] = (),
    now: datetime = NOW,
    **config: Any,
) -> tuple[StandIn, TestServer]:
    """The stand-in on 127.0.0.1 with its clock frozen at ``now`` (``middlewares`` go inside its
    own, e.g. to observe requests). ``config``: further :class:`SandboxConfig` fields (no late
    days unless ``late_share`` says so)."""
    credentials = credentials or SandboxCredentials()
    config.setdefault("late_share", 0.0)
    app = create_app(SandboxConfig(now=now, frozen=True, credentials=credentials, **config))
    app.middlewares.extend(middlewares)
    server = TestServer(app, host="127.0.0.1")
    # No access log: its timing breaks under the frozen clock (and adds nothing here).
    await server.start_server(access_log=None)
    return StandIn(app[SANDBOX_KEY], f"http://127.0.0.1:{server.port}", credentials), server


@pytest.fixture
async def stand_in(freezer: FrozenDateTimeFactory) -> AsyncGenerator[StandIn]:
    freezer.move_to(NOW)
    stand, server = await start_stand_in()
    yield stand
    await server.close()


def advance(freezer: FrozenDateTimeFactory, stand: StandIn, delta: timedelta) -> None:
    """Move Home Assistant's clock and the stand-in's simulated clock together."""
    freezer.tick(delta)
    stand.sandbox.clock.advance(delta)


def make_entry(
    stand: StandIn,
    eans: list[str],
    backfill_days: int,
    entry_id: str = "01JRELIABILITY00000000000",
    *,
    title: str = "Fluvius reliability",
    **options: Any,
) -> MockConfigEntry:
    """A config entry on the stand-in's credentials and addresses; ``options``: prices etc."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=title,
        entry_id=entry_id,
        unique_id=f"custom_{stand.credentials.client_id}",
        data=stand.entry_data(),
        options={CONF_EANS: eans, CONF_BACKFILL_DAYS: backfill_days, **options},
    )


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> FluviusCoordinator:
    """Set the entry up (real client, one GET Mandate), wait for the backfill to finish."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    coordinator: FluviusCoordinator = entry.runtime_data.coordinator
    await async_wait_backfill(coordinator)
    await async_wait_recording_done(hass)
    return coordinator


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backfill in 4-day chunks, so that a short history still takes several requests."""
    monkeypatch.setattr(backfill_module, "CHUNK_DAYS", 4)


async def read_rows(hass: HomeAssistant, stat_id: str) -> list[tuple[datetime, float, float]]:
    stats = await get_instance(hass).async_add_executor_job(
        statistics_during_period, hass, EPOCH, None, {stat_id}, "hour", None, {"state", "sum"}
    )
    return [
        (datetime.fromtimestamp(row["start"], UTC), float(row["state"]), float(row["sum"]))
        for row in stats.get(stat_id, [])
    ]


# Truth series the integration writes hour by hour (the daily registers go to the day start).
DAILY_REGISTERS = ("_day", "_night")


async def assert_exact(
    hass: HomeAssistant,
    stand: StandIn,
    ean: str,
    start: datetime,
    end: datetime,
    *,
    names: Iterable[str] | None = None,
) -> dict[str, int]:
    """Every statistic of ``ean`` (submeters included) equals the stand-in's truth over
    [start, end) as a readTime request shows it now, row by row, with continuous sums starting
    at 0; and no row lies outside what the truth holds. Returns rows per statistic id."""
    truth = stand.sandbox.truth(ean, start, end, as_of=stand.sandbox.now())
    counts: dict[str, int] = {}
    for series_ean, name in truth:
        if names is not None and name not in names:
            continue
        series = truth[(series_ean, name)]
        # Daily registers, and every series of a daily-only meter: one row at the day start.
        daily = name.endswith(DAILY_REGISTERS) or not series.hourly
        expected = series.daily if daily else series.hourly
        stat_id = statistic_id(series_ean, name)
        rows = await read_rows(hass, stat_id)
        got = {hour: state for hour, state, _ in rows}
        assert got.keys() == expected.keys(), (
            stat_id,
            sorted(set(got) ^ set(expected))[:4],
            len(got),
            len(expected),
        )
        # Continuous sums from the first row on (older history imported in front of newer
        # rows ends at the sum they start from: the first row's sum need not be its state).
        running = rows[0][2] - rows[0][1] if rows else 0.0
        for hour, state, total in rows:
            assert abs(state - expected[hour]) < TOLERANCE, (stat_id, hour, state, expected[hour])
            running += state
            assert abs(total - running) < TOLERANCE * 10, (stat_id, hour, total, running)
        counts[stat_id] = len(rows)
    assert counts, f"no truth series for {ean}"
    return counts


async def wait_during_backfill(coordinator: FluviusCoordinator, event: asyncio.Event) -> None:
    """Wait until ``event`` is set, failing if the backfill ends first (the clock is frozen:
    no timeout would ever fire)."""
    backfill = coordinator.backfill.task
    assert backfill is not None
    waiter = asyncio.ensure_future(event.wait())
    await asyncio.wait({waiter, backfill}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    assert event.is_set(), "the backfill ended before the awaited moment"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)
