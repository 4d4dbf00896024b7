"""Backfill then daily polls, over HTTP against the stand-in's truth, on a real recorder."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from custom_components.fluvius.const import TIMEZONE
from custom_components.fluvius.series import statistic_id
from tests.helpers import async_fire_poll
from tests.standin import StandIn, advance

from .conftest import BOTH_LAYOUTS, Setup, energy_calls, utc
from .helpers import assert_matches_truth, read_rows

DIGITAL_QH = "541440110000000001"  # digital electricity, offtake + injection, quarter-hours


@pytest.mark.freeze_time("2025-04-10T10:07:00Z")
@BOTH_LAYOUTS
async def test_backfill_then_poll(
    hass: HomeAssistant, setup: Setup, stand: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    """Backfill from local midnight 20 days back, then two daily polls add the new days."""
    coordinator = await setup([DIGITAL_QH], backfill_days=20)
    cursor = coordinator.cursors.get(DIGITAL_QH)
    assert cursor.backfill_done
    start, end = cursor.backfill_from, cursor.backfill_to
    assert start == utc(2025, 3, 21, 23)  # 22 March, local midnight (CET)
    assert end == utc(2025, 4, 10, 10)
    # Every request is a readTime chunk aligned on a local midnight (the last one ends now).
    calls = energy_calls(stand)
    assert calls
    for call in calls:
        assert call.period_type == "readTime"
        assert call.start.astimezone(TIMEZONE).hour == 0
        assert call.status == 200
    assert max(call.end for call in calls) == end
    await assert_matches_truth(hass, stand, DIGITAL_QH, ("offtake", "injection"), start, end)

    # Spring DST: 30 March 2025 has 23 hours.
    rows = await read_rows(hass, statistic_id(DIGITAL_QH, "offtake"))
    march_30 = [r for r in rows if r[0].astimezone(TIMEZONE).date().isoformat() == "2025-03-30"]
    assert len(march_30) == 23

    # Day/night registers: one row per local day, at local midnight, adding up to the total.
    day_rows = await read_rows(hass, statistic_id(DIGITAL_QH, "offtake_day"))
    night_rows = await read_rows(hass, statistic_id(DIGITAL_QH, "offtake_night"))
    assert all(r[0].astimezone(TIMEZONE).hour == 0 for r in day_rows + night_rows)
    assert abs(day_rows[-1][2] + night_rows[-1][2] - rows[-1][2]) < 1e-6
    last_before_polls = rows[-1][0]

    # Two daily polls: each adds the days that arrived; sums stay exact.
    for _ in range(2):
        advance(freezer, stand, timedelta(days=1))
        await async_fire_poll(hass, freezer, coordinator, stand)
        assert coordinator.last_update_success
    polls = [call for call in energy_calls(stand) if call.period_type == "insertTime"]
    assert len(polls) >= 2
    # Each poll window starts where the previous one ended, minus the overlap.
    assert polls[1].start == polls[0].end - timedelta(hours=2)
    now = stand.sandbox.now()
    rows = await assert_matches_truth(hass, stand, DIGITAL_QH, "offtake", start, now)
    await assert_matches_truth(
        hass, stand, DIGITAL_QH, ("injection", "offtake_day", "offtake_night"), start, now
    )
    assert rows[-1][0] > last_before_polls  # the polls brought new hours
    # The last complete local day known is the one the sensors show.
    truth = stand.sandbox.truth(DIGITAL_QH, start, now, as_of=now)
    last_day = max(truth["offtake_day"].daily).astimezone(TIMEZONE).date()
    assert last_day >= utc(2025, 4, 10, 12).date()
    state = coordinator.data.meters[DIGITAL_QH]
    assert state.last_day["offtake"][0] == last_day
