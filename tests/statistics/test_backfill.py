"""Backfill then daily polls, against the fake API's ground truth, on a real recorder."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from custom_components.fluvius.api.models import PeriodType
from custom_components.fluvius.const import TIMEZONE
from custom_components.fluvius.statistics import statistic_id

from .conftest import Setup, utc
from .fake_api import FakeFluvius, mock_meter
from .helpers import assert_matches_truth, read_rows

DIGITAL_QH = "541440110000000001"  # digital electricity, offtake + injection, quarter-hours


@pytest.mark.freeze_time("2025-04-10T10:07:00Z")
async def test_backfill_then_poll(
    hass: HomeAssistant, setup: Setup, fake: FakeFluvius, freezer: FrozenDateTimeFactory
) -> None:
    """Backfill from local midnight 20 days back, then two daily polls add the new days."""
    fake.add(mock_meter(DIGITAL_QH))
    coordinator = await setup([DIGITAL_QH], backfill_days=20)
    cursor = coordinator.cursors.get(DIGITAL_QH)
    assert cursor.backfill_done
    start, end = cursor.backfill_from, cursor.backfill_to
    assert start == utc(2025, 3, 21, 23)  # 22 March, local midnight (CET)
    assert end == utc(2025, 4, 10, 10)
    # Every request is a readTime chunk aligned on a local midnight (the last one ends now).
    for period, _, req_start, _ in fake.requests:
        assert period == PeriodType.READ_TIME
        assert req_start.astimezone(TIMEZONE).hour == 0
    for series in ("offtake", "injection"):
        await assert_matches_truth(hass, fake, DIGITAL_QH, series, start, end)

    # Spring DST: 30 March 2025 has 23 hours.
    rows = await read_rows(hass, statistic_id(DIGITAL_QH, "offtake"))
    march_30 = [r for r in rows if r[0].astimezone(TIMEZONE).date().isoformat() == "2025-03-30"]
    assert len(march_30) == 23

    # Day/night registers: one row per local day, at local midnight, adding up to the total.
    day_rows = await read_rows(hass, statistic_id(DIGITAL_QH, "offtake_day"))
    night_rows = await read_rows(hass, statistic_id(DIGITAL_QH, "offtake_night"))
    assert all(r[0].astimezone(TIMEZONE).hour == 0 for r in day_rows + night_rows)
    assert abs(day_rows[-1][2] + night_rows[-1][2] - rows[-1][2]) < 1e-6

    # Two daily polls: each adds the day that arrived; sums stay exact.
    for _ in range(2):
        freezer.tick(timedelta(days=1))
        await coordinator.async_poll_now()
        assert coordinator.last_update_success
    polls = [r for r in fake.requests if r[0] == PeriodType.INSERT_TIME]
    assert len(polls) >= 2
    # Each poll window starts where the previous one ended, minus the overlap.
    assert polls[1][2] == polls[0][3] - timedelta(hours=2)
    for series in ("offtake", "injection"):
        rows = await assert_matches_truth(
            hass, fake, DIGITAL_QH, series, start, utc(2025, 4, 12, 10)
        )
    # The last complete local day is 11 April.
    assert rows[-1][0] == utc(2025, 4, 11, 21)
    state = coordinator.data.meters[DIGITAL_QH]
    assert state.last_day["offtake"][0].isoformat() == "2025-04-11"
