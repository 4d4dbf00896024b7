"""Fixtures of the statistics tests: a real recorder, the fake API, a coordinator on an entry."""

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
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

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

from .fake_api import FakeFluvius

ENTRY_DATA = {
    CONF_ENVIRONMENT: "sandbox",
    CONF_TENANT_ID: "tenant",
    CONF_CLIENT_ID: "client-id",
    CONF_CLIENT_SECRET: "secret",
    CONF_SCOPE: "scope",
    CONF_SUBSCRIPTION_KEY: "key",
}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """A real recorder (set up before ``hass``) and the integration from custom_components."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Home Assistant's serializer: stable ids, readable states and registry entries."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


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
def setup(recorder_mock: Recorder, hass: HomeAssistant, fake: FakeFluvius) -> Setup:
    async def _setup(
        eans: list[str], backfill_days: int = 10, **options: Any
    ) -> FluviusCoordinator:
        return await start_coordinator(hass, fake, make_entry(eans, backfill_days, **options))

    return _setup


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)
