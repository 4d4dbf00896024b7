"""Revisions, duplicates, overlaps, gaps, late data over HTTP: sums stay exact, nothing counts
twice."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from custom_components.fluvius.api.models import PeriodType
from custom_components.fluvius.const import TIMEZONE
from custom_components.fluvius.rows import rows_from_energy
from custom_components.fluvius.series import statistic_id, statistic_metadata
from custom_components.fluvius.statistics import async_import_rows, async_import_series
from fluvius_sandbox.timeutil import local_midnight
from tests.helpers import async_fire_poll
from tests.standin import StandIn, advance

from .conftest import BOTH_LAYOUTS, Setup, energy_calls, utc
from .helpers import assert_matches_truth, read_rows

DIGITAL_QH = "541440110000000002"


@pytest.mark.freeze_time("2025-06-20T09:30:00Z")
@BOTH_LAYOUTS
async def test_revision_months_back_shifts_every_later_sum(
    hass: HomeAssistant,
    setup: Setup,
    stand: StandIn,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A quarter-hour revised ~3 months back: that hour and every later sum move by the delta."""
    monkeypatch.setattr("custom_components.fluvius.backfill.CHUNK_DAYS", 40)
    revised_qh = utc(2025, 3, 20, 13, 45)
    # Fluvius sends the quarter-hour again this afternoon, 1.25 kWh higher.
    stand.sandbox.correct(DIGITAL_QH, revised_qh, 1.25, at=utc(2025, 6, 20, 15))
    coordinator = await setup([DIGITAL_QH], backfill_days=110)
    cursor = coordinator.cursors.get(DIGITAL_QH)
    start = cursor.backfill_from
    assert start is not None and start < revised_qh
    before = await read_rows(hass, statistic_id(DIGITAL_QH, "offtake"))
    calls_before = len(energy_calls(stand))

    advance(freezer, stand, timedelta(days=1))
    await async_fire_poll(hass, freezer, coordinator, stand)
    assert coordinator.last_update_success

    end = stand.sandbox.now()
    after = await assert_matches_truth(hass, stand, DIGITAL_QH, "offtake", start, end)
    await assert_matches_truth(
        hass, stand, DIGITAL_QH, ("injection", "offtake_day", "offtake_night"), start, end
    )
    old_by_start = {row[0]: row for row in before}
    hour = revised_qh.replace(minute=0)
    compared = 0
    for row_start, state, total in after:
        if row_start not in old_by_start:
            continue  # the day that arrived with this poll
        old_state, old_sum = old_by_start[row_start][1:]
        compared += 1
        if row_start < hour:
            assert (state, total) == (old_state, old_sum)
        else:
            expected_state = old_state + (1.25 if row_start == hour else 0)
            assert abs(state - expected_state) < 1e-9
            assert abs(total - (old_sum + 1.25)) < 1e-6
    assert compared == len(before)
    # The poll's insertTime answer held the revised quarter-hour; its day was fetched again with
    # readTime (whole local day), nothing else that old.
    polls = energy_calls(stand)[calls_before:]
    assert polls[0].period_type == "insertTime"
    refetches = [
        c for c in polls if c.period_type == "readTime" and c.start < end - timedelta(days=7)
    ]
    day_start = local_midnight(revised_qh.astimezone(TIMEZONE).date())
    assert [(c.start, c.end) for c in refetches] == [(day_start, day_start + timedelta(days=1))]


@pytest.mark.freeze_time("2025-05-10T09:30:00Z")
@BOTH_LAYOUTS
async def test_same_payload_twice_changes_nothing(
    hass: HomeAssistant, setup: Setup, stand: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    """Importing the same response again writes no row; overlapping polls neither."""
    coordinator = await setup([DIGITAL_QH], backfill_days=6)
    cursor = coordinator.cursors.get(DIGITAL_QH)
    assert cursor.backfill_from is not None and cursor.backfill_to is not None
    client = coordinator.config_entry.runtime_data.client
    data = await client.get_energy(
        DIGITAL_QH, PeriodType.READ_TIME, cursor.backfill_from, cursor.backfill_to
    )
    rows = rows_from_energy(data, hourly_access=True)
    assert rows
    written = await async_import_rows(hass, rows)
    assert set(written.values()) == {0}

    # An overlapping chunk (the last two local days again): no change either.
    two_days_back = (cursor.backfill_to - timedelta(days=2)).astimezone(TIMEZONE).date()
    overlap = await client.get_energy(
        DIGITAL_QH, PeriodType.READ_TIME, local_midnight(two_days_back), cursor.backfill_to
    )
    written = await async_import_rows(hass, rows_from_energy(overlap, hourly_access=True))
    assert written
    assert set(written.values()) == {0}

    # The same poll twice (the second window holds the first): nothing written. Between the
    # two only Home Assistant's clock moves on: Fluvius has published nothing since.
    await async_fire_poll(hass, freezer, coordinator, stand)
    rows_before = await read_rows(hass, statistic_id(DIGITAL_QH, "offtake"))
    cursor.last_insert_poll = cursor.backfill_to
    total_before = cursor.rows_written
    await async_fire_poll(hass, freezer, coordinator)
    assert cursor.rows_written == total_before
    assert await read_rows(hass, statistic_id(DIGITAL_QH, "offtake")) == rows_before
    await assert_matches_truth(
        hass,
        stand,
        DIGITAL_QH,
        ("offtake", "injection"),
        cursor.backfill_from,
        stand.sandbox.now(),
    )


@pytest.mark.freeze_time("2025-05-10T09:30:00Z")
async def test_import_series_only_rewrites_from_the_changed_hour(hass: HomeAssistant) -> None:
    """The writer itself: an insert in the middle rewrites that range, shifts the rest."""
    meta = statistic_metadata("541440110000000009", "offtake")
    hours = [utc(2025, 5, 1) + timedelta(hours=i) for i in range(48)]
    first = await async_import_series(hass, meta, {h: 1.0 for h in hours if h.hour != 5})
    assert first.written == 46
    await async_import_rows(hass, {})  # waits for the recorder
    # The late hour 05:00 on day one arrives: rows from there to the end of the batch change.
    late = await async_import_series(hass, meta, {hours[5]: 2.5})
    assert late.written == 1
    assert late.adjusted_from == hours[6]
    await async_import_rows(hass, {})
    rows = await read_rows(hass, meta["statistic_id"])
    assert len(rows) == 47
    assert rows[-1][2] == pytest.approx(46 + 2.5, abs=1e-9)
    assert [r[2] for r in rows[:6]] == [1, 2, 3, 4, 5, 7.5]
    # Again: nothing to do.
    again = await async_import_series(hass, meta, {hours[5]: 2.5})
    assert (again.written, again.adjusted_from) == (0, None)


@pytest.mark.freeze_time("2025-05-12T09:30:00Z")
@BOTH_LAYOUTS
async def test_gaps_and_late_data(
    hass: HomeAssistant, setup: Setup, stand: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    """A day that arrives three days late, and quarter-hours that never arrive, stay exact."""
    late_day = utc(2025, 5, 9, 12).astimezone(TIMEZONE).date()
    arrives = local_midnight(late_day + timedelta(days=1)) + timedelta(days=3, hours=2)
    stand.sandbox.delay_day(DIGITAL_QH, utc(2025, 5, 9, 12), at=arrives)
    stand.sandbox.withhold(DIGITAL_QH, utc(2025, 5, 6, 10, 15), utc(2025, 5, 6, 10, 45))
    coordinator = await setup([DIGITAL_QH], backfill_days=8)
    cursor = coordinator.cursors.get(DIGITAL_QH)
    start = cursor.backfill_from
    assert start is not None
    rows = await read_rows(hass, statistic_id(DIGITAL_QH, "offtake"))
    assert not [r for r in rows if r[0].astimezone(TIMEZONE).date() == late_day]
    await assert_matches_truth(
        hass, stand, DIGITAL_QH, ("offtake", "offtake_day"), start, stand.sandbox.now()
    )
    # The partial hour (two of four quarter-hours) is there with what arrived.
    partial = {r[0]: r[1] for r in rows}[utc(2025, 5, 6, 10)]
    full = stand.sandbox.truth(DIGITAL_QH, utc(2025, 5, 6, 10), utc(2025, 5, 6, 11), clip=False)
    quarters = full["offtake"].quarter_hourly
    assert len(quarters) == 2
    assert partial == pytest.approx(sum(quarters.values()), abs=1e-6)

    for _ in range(4):
        advance(freezer, stand, timedelta(days=1))
        await async_fire_poll(hass, freezer, coordinator, stand)
        assert coordinator.last_update_success
    assert stand.sandbox.now() > arrives
    rows = await assert_matches_truth(
        hass,
        stand,
        DIGITAL_QH,
        ("offtake", "injection", "offtake_day", "offtake_night"),
        start,
        stand.sandbox.now(),
    )
    assert len([r for r in rows if r[0].astimezone(TIMEZONE).date() == late_day]) == 24
    # The retry: while yesterday is incomplete a second poll is planned the same day.
    assert coordinator.next_poll is not None
