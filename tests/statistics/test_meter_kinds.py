"""Every mock-EAN kind: the recorder's rows equal the ground truth; DST, gas days, submeters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from custom_components.fluvius.const import TIMEZONE
from custom_components.fluvius.statistics import statistic_id

from ._legacy import (
    Setup,
    assert_matches_truth,
    make_entry,
    read_rows,
    start_coordinator,
    stop_coordinator,
)
from .fake_api import FakeFluvius, mock_meter

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


@pytest.mark.freeze_time("2024-11-02T08:00:00Z")
async def test_every_kind_matches_truth_across_autumn_dst(
    hass: HomeAssistant, fake: FakeFluvius, freezer: FrozenDateTimeFactory
) -> None:
    """Backfill over 27 Oct 2024 (25 hours), a restart, a poll: every series stays exact."""
    for ean in (*KINDS, AMR_WITH_SUBMETERS):
        fake.add(mock_meter(ean))
    entry = make_entry([*KINDS, AMR_WITH_SUBMETERS], backfill_days=9)
    coordinator = await start_coordinator(hass, fake, entry)
    windows = {
        ean: (coordinator.cursors.get(ean).backfill_from, coordinator.cursors.get(ean).backfill_to)
        for ean in (*KINDS, AMR_WITH_SUBMETERS)
    }
    for ean, series in KINDS.items():
        for name in series:
            await assert_matches_truth(hass, fake, ean, name, *windows[ean])
    start, end = windows[AMR_WITH_SUBMETERS]

    # 27 October 2024 has 25 hourly rows (100 quarter-hours).
    rows = await read_rows(hass, statistic_id("541440110000000003", "offtake"))
    assert _local_dates(rows)["2024-10-27"] == 25
    # Daily-only electricity: one row per local day at local midnight.
    daily = await read_rows(hass, statistic_id("541440100000000003", "offtake"))
    assert {r[0].astimezone(TIMEZONE).hour for r in daily} == {0}
    # Daily-only gas: one row per gas day, at 06:00 local (also across the DST change).
    gas_daily = await read_rows(hass, statistic_id("541441000000000003", "gas_m3"))
    assert {r[0].astimezone(TIMEZONE).hour for r in gas_daily} == {6}
    # Hourly gas, AMR gas has no m3.
    assert not await read_rows(hass, statistic_id("541451010000000003", "gas_m3"))

    # Submeters: production and auxiliary on their own EANs.
    cursor = coordinator.cursors.get(AMR_WITH_SUBMETERS)
    assert len(cursor.sub_eans) == 2
    for sub_ean, direction in mock_meter(AMR_WITH_SUBMETERS).subs:
        await assert_matches_truth(hass, fake, sub_ean, direction, start, end)
    await assert_matches_truth(hass, fake, AMR_WITH_SUBMETERS, "injection", start, end)

    # A restart, then a poll two days later: still exact for every kind.
    await stop_coordinator(hass, coordinator)
    freezer.tick(timedelta(days=2))
    coordinator = await start_coordinator(hass, fake, entry)
    await coordinator.async_poll_now()
    new_end = end + timedelta(days=2)
    for ean, series in KINDS.items():
        for name in series:
            await assert_matches_truth(hass, fake, ean, name, windows[ean][0], new_end)
    for sub_ean, direction in mock_meter(AMR_WITH_SUBMETERS).subs:
        await assert_matches_truth(hass, fake, sub_ean, direction, start, new_end)
    await stop_coordinator(hass, coordinator)


@pytest.mark.freeze_time("2025-04-03T08:00:00Z")
async def test_spring_dst_gas_day_and_daily_registers(
    hass: HomeAssistant, legacy_setup: Setup, fake: FakeFluvius
) -> None:
    """30 March 2025: 23 hourly rows; the gas day around it is 23 hours long too."""
    hourly_gas, daily_gas = "541441010000000004", "541441000000000004"
    fake.add(mock_meter(hourly_gas))
    fake.add(mock_meter(daily_gas))
    coordinator = await legacy_setup([hourly_gas, daily_gas], backfill_days=6)
    cursor = coordinator.cursors.get(hourly_gas)
    for ean in (hourly_gas, daily_gas):
        for name in ("gas_m3", "gas_kwh"):
            await assert_matches_truth(
                hass, fake, ean, name, cursor.backfill_from, cursor.backfill_to
            )
    rows = await read_rows(hass, statistic_id(hourly_gas, "gas_m3"))
    assert _local_dates(rows)["2025-03-30"] == 23
    daily = await read_rows(hass, statistic_id(daily_gas, "gas_m3"))
    # One row per gas day at 06:00 local, on both sides of the DST change (UTC 05:00 / 04:00).
    starts = {r[0] for r in daily}
    assert datetime(2025, 3, 29, 5, tzinfo=UTC) in starts
    assert datetime(2025, 3, 30, 4, tzinfo=UTC) in starts
