"""Every mock-EAN kind over HTTP: the recorder's rows equal the stand-in's truth; DST, gas days,
submeters, daily-only meters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from custom_components.fluvius.const import TIMEZONE
from custom_components.fluvius.series import statistic_id
from tests.helpers import async_fire_poll
from tests.standin import StandIn, advance, assert_exact

from .conftest import BOTH_LAYOUTS, Setup, make_entry, start_entry, stop_entry
from .helpers import read_rows

KINDS: dict[str, tuple[str, ...]] = {
    "541440110000000003": ("offtake", "injection"),  # digital E, offtake + injection, QH
    "541440010000000003": ("offtake",),  # digital E, offtake, QH
    "541440100000000003": ("offtake", "injection"),  # digital E, daily only
    "541441010000000003": ("gas_m3", "gas_kwh"),  # digital gas, hourly
    "541441000000000003": ("gas_m3", "gas_kwh"),  # digital gas, daily only (06:00 gas day)
    "541450010000000003": ("offtake", "offtake_inductive", "offtake_capacitive"),  # AMR E
    "541450210000000003": ("injection", "injection_inductive"),  # AMR E injection
    "541451010000000003": ("gas_kwh",),  # AMR gas, hourly kWh
}
AMR_WITH_SUBMETERS = "541450211000000003"  # AMR injection + PV production & auxiliary


def _local_dates(rows: list[tuple[datetime, float, float]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for start, _, _ in rows:
        day = start.astimezone(TIMEZONE).date().isoformat()
        counts[day] = counts.get(day, 0) + 1
    return counts


async def _exact(
    hass: HomeAssistant, stand: StandIn, windows: dict[str, datetime], end: datetime
) -> dict[str, int]:
    """Every series of every meter equals the truth from its backfill start to ``end``.

    A gas month's close re-sends every kWh of the month with the definitive factor; the poll
    takes the days inside the window and leaves the older ones out, so no row lies before it."""
    counts: dict[str, int] = {}
    for ean, start in windows.items():
        counts |= await assert_exact(hass, stand, ean, start, end)
    return counts


@pytest.mark.freeze_time("2024-11-02T08:00:00Z")
@pytest.mark.stand_config(estimate_share=None, late_share=0.02)  # realistic: estimates corrected
@BOTH_LAYOUTS
async def test_every_kind_matches_truth_across_autumn_dst(
    hass: HomeAssistant, stand: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    """Backfill over 27 Oct 2024 (25 hours), a restart, a poll: every series stays exact."""
    eans = [*KINDS, AMR_WITH_SUBMETERS]
    entry = make_entry(stand, eans, backfill_days=9)
    coordinator = await start_entry(hass, entry)
    windows = {ean: coordinator.cursors.get(ean).backfill_from for ean in eans}
    assert all(start is not None for start in windows.values())
    starts: dict[str, datetime] = {ean: start for ean, start in windows.items() if start}
    counts = await _exact(hass, stand, starts, stand.sandbox.now())
    for ean, series in KINDS.items():
        for name in series:
            assert counts[statistic_id(ean, name)] > 0, (ean, name)
    # AMR gas has no m3; AMR electricity has no day/night registers.
    assert statistic_id("541451010000000003", "gas_m3") not in counts
    assert statistic_id("541450010000000003", "offtake_day") not in counts

    # 27 October 2024 has 25 hourly rows (100 quarter-hours).
    rows = await read_rows(hass, statistic_id("541440110000000003", "offtake"))
    assert _local_dates(rows)["2024-10-27"] == 25
    # Daily-only electricity: one row per local day at local midnight.
    daily = await read_rows(hass, statistic_id("541440100000000003", "offtake"))
    assert daily
    assert {r[0].astimezone(TIMEZONE).hour for r in daily} == {0}
    # Daily-only gas: one row per gas day, at 06:00 local (also across the DST change).
    gas_daily = await read_rows(hass, statistic_id("541441000000000003", "gas_m3"))
    assert {r[0].astimezone(TIMEZONE).hour for r in gas_daily} == {6}
    assert {datetime(2024, 10, 26, 4, tzinfo=UTC), datetime(2024, 10, 27, 5, tzinfo=UTC)} <= {
        r[0] for r in gas_daily
    }
    # Hourly gas, AMR gas has no m3.
    assert not await read_rows(hass, statistic_id("541451010000000003", "gas_m3"))

    # Submeters: production and auxiliary on their own EANs.
    cursor = coordinator.cursors.get(AMR_WITH_SUBMETERS)
    assert len(cursor.sub_eans) == 2
    for sub_ean in cursor.sub_eans:
        assert any(stat_id.startswith(f"fluvius:{sub_ean}_") for stat_id in counts), sub_ean
    assert counts[statistic_id(AMR_WITH_SUBMETERS, "injection")] > 0

    # A restart, then a poll two days later: still exact for every kind.
    await stop_entry(hass, entry)
    advance(freezer, stand, timedelta(days=2))
    coordinator = await start_entry(hass, entry)
    await async_fire_poll(hass, freezer, coordinator, stand)
    assert coordinator.last_update_success, coordinator.last_exception
    after = await _exact(hass, stand, starts, stand.sandbox.now())
    grown = [stat_id for stat_id, n in after.items() if n > counts.get(stat_id, 0)]
    assert statistic_id("541440110000000003", "offtake") in grown
    assert statistic_id("541441000000000003", "gas_m3") in grown
    await stop_entry(hass, entry)


@pytest.mark.freeze_time("2025-04-03T08:00:00Z")
async def test_spring_dst_gas_day_and_daily_registers(
    hass: HomeAssistant, setup: Setup, stand: StandIn
) -> None:
    """30 March 2025: 23 hourly rows; the gas day around it is 23 hours long too."""
    hourly_gas, daily_gas = "541441010000000004", "541441000000000004"
    coordinator = await setup([hourly_gas, daily_gas], backfill_days=6)
    for ean in (hourly_gas, daily_gas):
        start = coordinator.cursors.get(ean).backfill_from
        assert start is not None
        counts = await assert_exact(hass, stand, ean, start, stand.sandbox.now())
        assert set(counts) == {statistic_id(ean, "gas_m3"), statistic_id(ean, "gas_kwh")}
    rows = await read_rows(hass, statistic_id(hourly_gas, "gas_m3"))
    assert _local_dates(rows)["2025-03-30"] == 23
    daily = await read_rows(hass, statistic_id(daily_gas, "gas_m3"))
    # One row per gas day at 06:00 local, on both sides of the DST change (UTC 05:00 / 04:00).
    starts = {r[0] for r in daily}
    assert datetime(2025, 3, 29, 5, tzinfo=UTC) in starts
    assert datetime(2025, 3, 30, 4, tzinfo=UTC) in starts
    # The 29 March gas day (06:00 to 06:00 across the change) is 23 hours of the hourly meter.
    day = datetime(2025, 3, 29, 5, tzinfo=UTC)
    hourly = stand.sandbox.truth(daily_gas, day, day + timedelta(hours=23), as_of=None, clip=False)
    assert len(hourly["gas_m3"].hourly) == 23
    assert daily[[r[0] for r in daily].index(day)][1] == pytest.approx(
        hourly["gas_m3"].total(), abs=1e-6
    )
