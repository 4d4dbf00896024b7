"""The fault soak, short: 30 simulated days of daily polls for three meters against the API
stand-in with a seeded mix of faults, late data, revisions, a 3-day outage at the first install
(before the first chunk), another outage later and Home Assistant
restarts (two of them in the middle of an import). The statistics end up equal to the truth,
row by row, and the request pattern stays within the limits (see soak.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
import time
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.fluvius import importer as importer_module
from custom_components.fluvius.coordinator import FluviusCoordinator

from .conftest import EAN_DIGITAL, EAN_GAS, StandIn, advance, assert_exact, make_entry, setup_entry
from .soak import ATTEMPTS_PER_REQUEST, POLLS_PER_DAY, ImportGate, SoakPlan, run_soak


async def test_fault_soak(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    plan = SoakPlan(days=30, restarts=2, outage_days=2, install_outage_days=3)
    figures = await run_soak(hass, freezer, plan)
    print(figures.line())  # noqa: T201 - the figures show with -rA / -s

    # Every API request failed for 3 days after the set-up: the daily polls asked meanwhile
    # (they never wait for the backfill), and the backfill went on once the outage was over.
    assert figures.polls_during_install_outage >= 3 * len(plan.eans)
    assert 3 * 24 <= figures.backfill_hours < 4 * 24

    assert figures.days == plan.days
    assert figures.differences == 0, figures.difference_examples
    assert figures.rows_compared > 3 * 24 * plan.days
    # Every kind of fault happened, and the run survived them.
    for kind in ("429", "500", "503", "truncated", "malformed", "slow", "early_expiry"):
        assert figures.faults[kind] > 0, (kind, figures.faults)
    assert figures.retry_after_honoured > 0
    assert figures.restarts >= plan.restarts + 2
    assert figures.restarts_mid_import == 2
    # Both were cancelled where they stood (the backfill task and the poll task of the entry).
    assert figures.imports_interrupted == 2
    # The request pattern: one insertTime poll per meter and day, more only as retries.
    assert figures.max_insert_ok_per_ean_day <= POLLS_PER_DAY, figures.line()
    assert figures.max_insert_per_ean_day <= POLLS_PER_DAY * ATTEMPTS_PER_REQUEST, figures.line()
    # No storm after the outage: the day after it asks no more than the busiest day without
    # an outage (the missed days come back in one insertTime window and one readTime refetch).
    # (a failed request's client retries of slack: the faults keep coming that day too).
    assert (
        figures.recovery_energy_per_ean
        <= figures.max_ordinary_energy_per_ean_day + ATTEMPTS_PER_REQUEST
    ), figures.line()


async def _until(hass: HomeAssistant, done: Callable[[], bool]) -> None:
    """Real milliseconds pass (the loop clock is frozen) until ``done()``."""
    for _ in range(10_000):
        if done():
            return
        await hass.loop.run_in_executor(None, time.sleep, 0.002)
    raise AssertionError("timed out")


async def test_reload_during_a_poll_leaves_one_poller(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    """Home Assistant restarts while the daily poll is half imported. The old coordinator's
    poll is cancelled where it stands and it never schedules again: the next day each meter
    gets one insertTime poll (not one per coordinator ever loaded), the statistics equal the
    truth, and no timer outlives the entry (the harness fails on lingering timers)."""
    eans = [EAN_DIGITAL, EAN_GAS]
    for ean in eans:
        stand_in.sandbox.add_mandate(ean, data_service_type="VH_kwartier_uur")
    entry = make_entry(stand_in, eans, backfill_days=3)
    old = await setup_entry(hass, entry)
    gate = ImportGate()
    with patch.object(importer_module, "async_import_rows", gate):
        gate.arm()
        assert old.next_poll is not None
        advance(freezer, stand_in, old.next_poll - stand_in.sandbox.now() + timedelta(minutes=1))
        async_fire_time_changed(hass)
        await _until(hass, gate.entered.is_set)
        await hass.config_entries.async_reload(entry.entry_id)
        gate.release.set()
        await hass.async_block_till_done(wait_background_tasks=True)
    assert gate.interrupted == 1
    new: FluviusCoordinator = entry.runtime_data.coordinator
    assert new is not old
    assert old._unsub_timer is None

    stand_in.sandbox.stats.reset()
    assert new.next_poll is not None
    advance(freezer, stand_in, new.next_poll - stand_in.sandbox.now() + timedelta(minutes=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)
    polls = Counter(
        ean
        for record in stand_in.sandbox.stats.history
        for ean in eans
        if "insertTime" in record.path and ean in record.path
    )
    assert polls == dict.fromkeys(eans, 1)
    for ean in eans:
        start = new.cursors.get(ean).backfill_from
        assert start is not None
        await assert_exact(hass, stand_in, ean, start, stand_in.sandbox.now())
    assert await hass.config_entries.async_unload(entry.entry_id)
