"""Failures of the API after setup: refused credentials raise translated errors, and an outage
is logged once when it starts and once when it ends (Home Assistant's log-when-unavailable)."""

from __future__ import annotations

from datetime import timedelta
import logging
from unittest.mock import MagicMock

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.fluvius.api.errors import (
    FluviusAuthError,
    FluviusError,
    FluviusServerError,
    FluviusSubscriptionKeyError,
)
from custom_components.fluvius.api.models import EnergyData
from custom_components.fluvius.const import DOMAIN
from custom_components.fluvius.coordinator import FluviusCoordinator

LOGGER_NAME = "custom_components.fluvius"
# 13:00 in Brussels: the daily poll (05:00-11:00) is hours away while the backfill retries.
START = "2026-11-20T12:00:00Z"


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> FluviusCoordinator:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    coordinator: FluviusCoordinator = entry.runtime_data.coordinator
    return coordinator


def _empty(ean: str, *_args: object, **_kwargs: object) -> EnergyData:
    return EnergyData(ean=ean, energy_type=None, headpoint_type="metering-on-meter")


async def _tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.freeze_time(START)
@pytest.mark.parametrize(
    ("failing", "error", "key", "text"),
    [
        ("get_mandates", FluviusAuthError("invalid_client"), "invalid_auth", "the credentials"),
        ("get_energy", FluviusAuthError("invalid_client"), "invalid_auth", "the credentials"),
        (
            "get_energy",
            FluviusSubscriptionKeyError("bad key", status=401),
            "invalid_subscription_key",
            "refused the subscription key",
        ),
    ],
)
async def test_refused_credentials_in_a_poll_are_translated(
    hass: HomeAssistant,
    mock_client: MagicMock,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    failing: str,
    error: FluviusError,
    key: str,
    text: str,
) -> None:
    """The daily poll meets refused credentials: a translated ConfigEntryAuthFailed (key,
    domain and text), and the reauth flow starts."""
    coordinator = await _setup(hass, mock_config_entry)
    assert coordinator.next_poll is not None
    getattr(mock_client, failing).side_effect = error

    freezer.move_to(coordinator.next_poll)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    err = coordinator.last_exception
    assert isinstance(err, ConfigEntryAuthFailed)
    assert err.translation_domain == DOMAIN
    assert err.translation_key == key
    assert text in str(err)
    assert "invalid_client" not in str(err) and "bad key" not in str(err)
    assert any(
        flow["context"]["source"] == SOURCE_REAUTH
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    )


@pytest.mark.freeze_time(START)
async def test_backfill_outage_logged_once_and_its_end_once(
    hass: HomeAssistant,
    mock_client: MagicMock,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Six failed backfill attempts in a row: one warning (the later ones at debug level), and
    one info line when a chunk comes in again."""
    mock_client.get_energy.side_effect = FluviusServerError("503", status=503)
    with caplog.at_level(logging.DEBUG, logger=LOGGER_NAME):
        coordinator = await _setup(hass, mock_config_entry)
        for _ in range(5):  # the capped backoff waits at most an hour
            await _tick(hass, freezer, timedelta(hours=1))
        attempts = mock_client.get_energy.await_count
        mock_client.get_energy.side_effect = _empty
        await _tick(hass, freezer, timedelta(hours=1))
        await _tick(hass, freezer, timedelta(hours=1))  # nothing more to say

    assert attempts >= 6
    assert all(coordinator.cursors.get(ean).backfill_done for ean in coordinator.eans)
    paused = [r for r in caplog.records if r.getMessage().startswith("Backfill paused")]
    assert len(paused) == attempts
    assert [r.levelno for r in paused] == [logging.WARNING] + [logging.DEBUG] * (attempts - 1)
    assert "server error" in paused[0].getMessage()
    resumed = [r for r in caplog.records if r.getMessage().startswith("Backfill resumed")]
    assert [r.levelno for r in resumed] == [logging.INFO]
    assert resumed[0].created > paused[-1].created


@pytest.mark.freeze_time(START)
async def test_mandates_unreadable_logged_once_and_their_return_once(
    hass: HomeAssistant,
    mock_client: MagicMock,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """GET Mandate fails in three polls in a row (the meters' data still comes): one warning,
    and one info line when the mandates can be read again."""
    coordinator = await _setup(hass, mock_config_entry)
    mandates = mock_client.get_mandates.return_value
    mock_client.get_mandates.side_effect = FluviusServerError("503", status=503)

    async def poll() -> None:
        assert coordinator.next_poll is not None
        freezer.move_to(coordinator.next_poll)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)

    with caplog.at_level(logging.DEBUG, logger=LOGGER_NAME):
        for _ in range(3):
            await poll()
        calls = mock_client.get_mandates.await_count
        mock_client.get_mandates.side_effect = None
        mock_client.get_mandates.return_value = mandates
        await poll()
        await poll()

    assert calls >= 4  # setup, then the three polls
    assert coordinator.last_update_success
    failed = [r for r in caplog.records if r.getMessage().startswith("Could not re-read")]
    assert [r.levelno for r in failed] == [logging.WARNING, logging.DEBUG, logging.DEBUG]
    back = [r for r in caplog.records if r.getMessage().startswith("The mandates could be read")]
    assert [r.levelno for r in back] == [logging.INFO]
