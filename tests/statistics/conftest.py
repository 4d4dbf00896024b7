"""Fixtures of the statistics tests: the API stand-in over HTTP (its clock at the test's frozen
time), the real client built from the config entry's data, a real recorder.

The stand-in fixtures live in :mod:`tests.standin` (shared with the reliability tests). Here the
stand-in sends no estimates and no late days unless a test asks (``stand.sandbox.correct``,
``delay_day``, ``withhold``), so that each test's data changes only where it says so.

Digital quarter-hours come in the stand-in's default layout (``day`` + ``night``); tests where
digital electricity matters run on both layouts with ``@BOTH_LAYOUTS`` (ids ``total`` and
``day_night``), which parametrizes the ``quarter_hours`` fixture the ``stand`` fixture reads.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from syrupy.assertion import SnapshotAssertion

import custom_components.fluvius as fluvius_init
from custom_components.fluvius import helpers
from custom_components.fluvius.api import FluviusClient
from custom_components.fluvius.coordinator import FluviusCoordinator
from fluvius_sandbox.timeutil import parse_api_datetime
from tests.ha_snapshot import SnapshotExtension
from tests.helpers import async_wait_backfill
from tests.standin import (
    BOTH_LAYOUTS,
    StandIn,
    _harness,  # noqa: F401  # autouse: recorder before hass, the integration, loopback sockets
    make_entry as make_stand_entry,
    start_stand_in,
    utc,
)

__all__ = [
    "BOTH_LAYOUTS",
    "EnergyCall",
    "Setup",
    "energy_calls",
    "make_entry",
    "start_entry",
    "stop_entry",
    "utc",
]


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Home Assistant's serializer: stable ids, readable states and registry entries."""
    return snapshot.use_extension(SnapshotExtension)


async def _no_wait(_seconds: float) -> None:
    """The client's wait between retries, without the waiting."""


@pytest.fixture(autouse=True)
def instant_retry_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real client from the entry's data, whose retries (429, 5xx) happen at once instead
    of after seconds of backoff."""

    def create_client(hass: HomeAssistant, data: Any) -> FluviusClient:
        return helpers.create_client(hass, data, sleep=_no_wait)

    monkeypatch.setattr(fluvius_init, "create_client", create_client)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "stand_config(**fields): SandboxConfig fields of the test's stand-in (default: no "
        "estimates, no late days)",
    )


@pytest.fixture
def quarter_hours() -> str:
    """The stand-in's digital quarter-hour registers (``@BOTH_LAYOUTS`` runs a test on both)."""
    return "day_night"


@pytest.fixture
async def stand(
    request: pytest.FixtureRequest, freezer: FrozenDateTimeFactory, quarter_hours: str
) -> AsyncGenerator[StandIn]:
    """The stand-in on loopback, its simulated clock at the test's ``freeze_time``."""
    config: dict[str, Any] = {
        "estimate_share": 0.0,
        "late_share": 0.0,
        "quarter_hours": quarter_hours,
    }
    marker = request.node.get_closest_marker("stand_config")
    if marker is not None:
        config |= marker.kwargs
    stand_in, server = await start_stand_in(now=dt_util.utcnow(), **config)
    yield stand_in
    await server.close()


def make_entry(
    stand: StandIn,
    eans: list[str],
    backfill_days: int,
    entry_id: str = "01JTESTENTRY0000000000000",
    **options: Any,
) -> MockConfigEntry:
    """An entry on the stand-in's credentials; a mandate for every EAN that has none yet."""
    for ean in eans:
        if not any(m.ean == ean for m in stand.sandbox.mandates):
            stand.sandbox.add_mandate(ean)
    return make_stand_entry(stand, eans, backfill_days, entry_id, title="Fluvius test", **options)


async def start_entry(
    hass: HomeAssistant, entry: MockConfigEntry, *, wait: bool = True
) -> FluviusCoordinator:
    """Set the entry up as Home Assistant does (one GET Mandate, the coordinator, the sensors);
    with ``wait``, until the backfill is done and recorded."""
    if hass.config_entries.async_get_entry(entry.entry_id) is None:
        entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    coordinator: FluviusCoordinator = entry.runtime_data.coordinator
    if wait:
        await async_wait_backfill(coordinator)
        await async_wait_recording_done(hass)
    return coordinator


async def stop_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload (like a restart of Home Assistant): timers and the background backfill stop."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)


type Setup = Callable[..., Awaitable[FluviusCoordinator]]


@pytest.fixture
def setup(hass: HomeAssistant, stand: StandIn) -> Setup:
    async def _setup(
        eans: list[str], backfill_days: int = 10, **options: Any
    ) -> FluviusCoordinator:
        return await start_entry(hass, make_entry(stand, eans, backfill_days, **options))

    return _setup


@dataclass(frozen=True, slots=True)
class EnergyCall:
    """One GET Energy request as the stand-in received it."""

    period_type: str
    ean: str
    start: datetime
    end: datetime
    status: int


def energy_calls(stand: StandIn) -> list[EnergyCall]:
    """The GET Energy requests the stand-in answered, oldest first."""
    calls = []
    for record in stand.sandbox.stats.history:
        if record.endpoint != "energy":
            continue
        query = parse_qs(urlsplit(record.path).query)
        calls.append(
            EnergyCall(
                query["periodType"][0],
                query["ean"][0],
                parse_api_datetime(query["from"][0]),
                parse_api_datetime(query["to"][0]),
                record.status,
            )
        )
    return calls
