"""Reaching the integration's behaviour the way Home Assistant does, with no hook in the
integration: the daily poll runs when its timer fires on the frozen clock, and a test waits for
the entry's background backfill through the task the entry holds.

Shared by the tests and the benchmarks (``bench/`` imports them too).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.fluvius.coordinator import FluviusCoordinator

if TYPE_CHECKING:
    from tests.standin import StandIn


async def async_wait_backfill(coordinator: FluviusCoordinator) -> None:
    """Wait until the entry's background backfill ends, if one runs (shielded: a test that
    stops waiting never cancels the backfill itself)."""
    if (task := coordinator.backfill.task) is not None:
        await asyncio.shield(task)


async def async_fire_poll(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    coordinator: FluviusCoordinator,
    stand: StandIn | None = None,
) -> datetime:
    """Run the daily poll as Home Assistant does: unless it is already due, the clock moves on
    to the coordinator's next poll (the stand-in's simulated clock with it, if ``stand`` is
    given); its timer fires, and the poll runs to its end. Returns the time of the poll.

    A test that needs the poll at a given moment moves the clocks there first (past the
    scheduled poll): the overdue timer then fires at that moment."""
    due = coordinator.next_poll
    assert due is not None, "no poll is scheduled (not set up, or unloaded)"
    now = dt_util.utcnow()
    if due > now:
        freezer.move_to(due)
        if stand is not None:
            stand.sandbox.clock.advance(due - now)
        now = due
    async_fire_time_changed(hass, now)
    await hass.async_block_till_done()
    # Every poll, failed or not, schedules the next one: the poll did run.
    assert coordinator.next_poll is not None and coordinator.next_poll > now, "no poll ran"
    return now
