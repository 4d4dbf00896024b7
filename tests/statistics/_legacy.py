"""Temporary: the fake-API fixtures of the statistics tests not yet ported to the stand-in
(imported by those test modules; goes with fake_api.py)."""

from __future__ import annotations

# isort: off
from . import _shim  # noqa: F401  # must run before the integration is imported

# isort: on

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from datetime import UTC, datetime
from typing import Any

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

from custom_components.fluvius.const import (
    CONF_BACKFILL_DAYS,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_EANS,
    CONF_ENVIRONMENT,
    CONF_SCOPE,
    CONF_SUBSCRIPTION_KEY,
    CONF_TENANT_ID,
    DOMAIN,
)
from custom_components.fluvius.coordinator import (
    FluviusCoordinator,
    FluviusData,
    choose_mandates,
)
from custom_components.fluvius.statistics import statistic_id

from .fake_api import FakeFluvius, expected_rows

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
TOLERANCE = 1e-6

ENTRY_DATA = {
    CONF_ENVIRONMENT: "sandbox",
    CONF_TENANT_ID: "tenant",
    CONF_CLIENT_ID: "client-id",
    CONF_CLIENT_SECRET: "secret",
    CONF_SCOPE: "scope",
    CONF_SUBSCRIPTION_KEY: "key",
}


@pytest.fixture
def fake() -> FakeFluvius:
    return FakeFluvius()


type Setup = Callable[..., Awaitable[FluviusCoordinator]]


def make_entry(
    eans: list[str], backfill_days: int, entry_id: str = "01JTESTENTRY0000000000000", **options: Any
) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Fluvius test",
        entry_id=entry_id,
        unique_id=f"sandbox_{entry_id}",
        data=ENTRY_DATA,
        options={CONF_EANS: eans, CONF_BACKFILL_DAYS: backfill_days, **options},
    )


async def start_coordinator(
    hass: HomeAssistant, fake: FakeFluvius, entry: MockConfigEntry, *, wait: bool = True
) -> FluviusCoordinator:
    """What __init__.py does: build the coordinator, first refresh (no network)."""
    if hass.config_entries.async_get_entry(entry.entry_id) is None:
        entry.add_to_hass(hass)
    entry.mock_state(hass, ConfigEntryState.SETUP_IN_PROGRESS)
    mandates = choose_mandates(await fake.get_mandates())
    coordinator = FluviusCoordinator(hass, entry, fake, mandates)  # type: ignore[arg-type]
    entry.runtime_data = FluviusData(fake, coordinator, mandates)  # type: ignore[arg-type]
    await coordinator.async_config_entry_first_refresh()
    entry.mock_state(hass, ConfigEntryState.LOADED)
    if wait:
        await coordinator.async_wait_backfill()
        await async_wait_recording_done(hass)
    return coordinator


async def stop_coordinator(hass: HomeAssistant, coordinator: FluviusCoordinator) -> None:
    """Like an unload: timers and the background backfill stop."""
    task = coordinator.backfill_task
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    coordinator._async_cancel_timers()
    await async_wait_recording_done(hass)


@pytest.fixture
def legacy_setup(recorder_mock: Recorder, hass: HomeAssistant, fake: FakeFluvius) -> Setup:
    async def _setup(
        eans: list[str], backfill_days: int = 10, **options: Any
    ) -> FluviusCoordinator:
        return await start_coordinator(hass, fake, make_entry(eans, backfill_days, **options))

    return _setup


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def read_rows(hass: HomeAssistant, stat_id: str) -> list[tuple[datetime, float, float]]:
    stats = await get_instance(hass).async_add_executor_job(
        statistics_during_period, hass, EPOCH, None, {stat_id}, "hour", None, {"state", "sum"}
    )
    return [
        (datetime.fromtimestamp(row["start"], UTC), float(row["state"]), float(row["sum"]))
        for row in stats.get(stat_id, [])
    ]


def assert_continuous(rows: list[tuple[datetime, float, float]]) -> None:
    """sum starts at the first state and grows by exactly each row's state."""
    running = 0.0
    for start, state, total in rows:
        running += state
        assert abs(total - running) < TOLERANCE * 10, (start, state, total, running)


async def assert_matches_truth(
    hass: HomeAssistant,
    fake: FakeFluvius,
    ean: str,
    series: str,
    start: datetime,
    end: datetime,
) -> list[tuple[datetime, float, float]]:
    """Every row equals the truth of its hour, and the last sum equals the sum of everything."""
    rows = await read_rows(hass, statistic_id(ean, series))
    expected = expected_rows(fake, ean, series, start, end)
    got = {start_: state for start_, state, _ in rows}
    assert got.keys() == expected.keys(), (
        sorted(set(got) ^ set(expected))[:5],
        len(got),
        len(expected),
    )
    for hour, value in expected.items():
        assert abs(got[hour] - value) < TOLERANCE, (hour, got[hour], value)
    assert_continuous(rows)
    assert abs(rows[-1][2] - round(sum(expected.values()), 6)) < TOLERANCE
    return rows
