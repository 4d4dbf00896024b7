"""Costs from a price sensor over HTTP and a real recorder: each hour's kWh x (the sensor's
hourly mean + the surcharge), an hour without a price left without a cost, revisions of energy
and prices that arrive late."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.fluvius.dynamic_costs import REPRICE_DAYS
from custom_components.fluvius.series import statistic_id
from tests.helpers import async_fire_poll
from tests.standin import StandIn, advance

from .conftest import Setup, energy_calls, utc
from .helpers import read_rows

DIGITAL_QH = "541440110000000002"  # digital, offtake + injection, quarter-hours
DIGITAL_DAILY = "541440100000000002"  # digital, offtake + injection, daily values only
PRICE_SENSOR = "sensor.day_ahead_price"
SURCHARGE = 0.1
INJECTION_PRICE = 0.05  # fixed: the injection has no sensor
OFFTAKE_COST = statistic_id(DIGITAL_QH, "offtake_cost")
NO_PRICE = (utc(2025, 5, 8, 10), utc(2025, 5, 8, 11))


def price(hour: datetime) -> float:
    """The sensor's hourly mean (EUR/kWh), negative at night."""
    return round(0.02 * (hour.hour - 3) + 0.003, 6)


async def import_prices(hass: HomeAssistant, hours: Iterable[datetime]) -> None:
    """The price sensor's hourly long-term statistics, as the recorder compiles them."""
    metadata = StatisticMetaData(
        mean_type=StatisticMeanType.ARITHMETIC,
        has_sum=False,
        name=None,
        source="recorder",
        statistic_id=PRICE_SENSOR,
        unit_class=None,
        unit_of_measurement="EUR/kWh",
    )
    stats = [
        StatisticData(start=hour, mean=price(hour), min=price(hour), max=price(hour))
        for hour in hours
    ]
    async_import_statistics(hass, metadata, stats)
    await async_wait_recording_done(hass)


def hours_between(start: datetime, end: datetime) -> list[datetime]:
    return [start + timedelta(hours=i) for i in range((end - start) // timedelta(hours=1))]


async def setup_priced(hass: HomeAssistant, setup: Setup, missing: Iterable[datetime]) -> None:
    """Prices for every hour of the week around the test's time except ``missing``."""
    skipped = set(missing)
    hours = hours_between(utc(2025, 5, 3), utc(2025, 5, 12))
    await import_prices(hass, [hour for hour in hours if hour not in skipped])


def assert_costs(
    offtake: list[tuple[datetime, float, float]],
    costs: list[tuple[datetime, float, float]],
    unpriced: Iterable[datetime],
) -> None:
    """One cost row per priced hour of energy, kWh x (mean + surcharge); none for the
    unpriced hours; the sum runs on continuously from the first row."""
    skipped = set(unpriced)
    expected = {
        start: kwh * (price(start) + SURCHARGE) for start, kwh, _ in offtake if start not in skipped
    }
    assert [row[0] for row in costs] == sorted(expected)
    running = costs[0][2] - costs[0][1]  # continuous sums from the first row on
    for start, state, total in costs:
        assert state == pytest.approx(expected[start], abs=1e-6)
        running += state
        assert total == pytest.approx(running, abs=1e-5)


@pytest.mark.freeze_time("2025-05-10T09:30:00Z")
async def test_costs_from_the_price_sensor(hass: HomeAssistant, setup: Setup) -> None:
    """Every hour of offtake is priced by the sensor's mean plus the surcharge (the fixed day
    price is not used); the two hours without a price have no cost row and are counted; the
    injection keeps its fixed price."""
    await setup_priced(hass, setup, NO_PRICE)
    coordinator = await setup(
        [DIGITAL_QH],
        backfill_days=3,
        price_day=0.3,
        price_injection=INJECTION_PRICE,
        price_sensor_offtake=PRICE_SENSOR,
        surcharge_offtake=SURCHARGE,
    )
    offtake = await read_rows(hass, statistic_id(DIGITAL_QH, "offtake"))
    assert set(NO_PRICE) <= {row[0] for row in offtake}
    assert any(price(row[0]) < 0 for row in offtake)  # negative prices are priced too
    assert_costs(offtake, await read_rows(hass, OFFTAKE_COST), NO_PRICE)

    injection = await read_rows(hass, statistic_id(DIGITAL_QH, "injection"))
    compensation = await read_rows(hass, statistic_id(DIGITAL_QH, "injection_compensation"))
    assert [row[0] for row in compensation] == [row[0] for row in injection]
    for (_, kwh, _), (_, eur, _) in zip(injection, compensation, strict=True):
        assert eur == pytest.approx(kwh * INJECTION_PRICE, abs=1e-6)

    diagnostics = coordinator.diagnostics()["cursors"][DIGITAL_QH]
    assert diagnostics["unpriced_hours"] == {OFFTAKE_COST: len(NO_PRICE)}


@pytest.mark.freeze_time("2025-05-10T09:30:00Z")
async def test_revised_energy_rewrites_its_cost(
    hass: HomeAssistant, setup: Setup, stand: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    """A quarter-hour revised by Fluvius: the cost of its hour follows in the same import, and
    every later cost sum moves with it."""
    revised_qh = utc(2025, 5, 8, 13, 45)
    stand.sandbox.correct(DIGITAL_QH, revised_qh, 1.25, at=utc(2025, 5, 10, 15))
    await setup_priced(hass, setup, NO_PRICE)
    coordinator = await setup(
        [DIGITAL_QH],
        backfill_days=3,
        price_sensor_offtake=PRICE_SENSOR,
        surcharge_offtake=SURCHARGE,
    )
    before = {row[0]: row for row in await read_rows(hass, OFFTAKE_COST)}

    advance(freezer, stand, timedelta(days=1))
    await async_fire_poll(hass, freezer, coordinator, stand)
    assert coordinator.last_update_success

    offtake = await read_rows(hass, statistic_id(DIGITAL_QH, "offtake"))
    costs = await read_rows(hass, OFFTAKE_COST)
    assert_costs(offtake, costs, NO_PRICE)
    hour = revised_qh.replace(minute=0)
    delta = 1.25 * (price(hour) + SURCHARGE)
    for start, state, total in costs:
        if start not in before:
            continue  # the day this poll brought
        old_state, old_sum = before[start][1:]
        if start < hour:
            assert (state, total) == (old_state, old_sum)
        else:
            assert state == pytest.approx(old_state + (delta if start == hour else 0), abs=1e-6)
            assert total == pytest.approx(old_sum + delta, abs=1e-5)


@pytest.mark.freeze_time("2025-05-10T09:30:00Z")
async def test_late_prices_priced_by_the_next_poll(
    hass: HomeAssistant, setup: Setup, stand: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    """Prices that reach the statistics after the import: the next poll prices the hours of
    the last three days that lacked one, also those the poll does not fetch again (their kWh
    read back from the recorder); an older hour stays without a cost and counted."""
    recent, old = utc(2025, 5, 8, 12), utc(2025, 5, 6, 10)
    await setup_priced(hass, setup, (recent, old))
    coordinator = await setup(
        [DIGITAL_QH],
        backfill_days=5,
        price_sensor_offtake=PRICE_SENSOR,
        surcharge_offtake=SURCHARGE,
    )
    cursor = coordinator.cursors.get(DIGITAL_QH)
    offtake = await read_rows(hass, statistic_id(DIGITAL_QH, "offtake"))
    assert {recent, old} <= {row[0] for row in offtake}
    assert_costs(offtake, await read_rows(hass, OFFTAKE_COST), (recent, old))
    assert coordinator.diagnostics()["cursors"][DIGITAL_QH]["unpriced_hours"] == {OFFTAKE_COST: 2}

    await import_prices(hass, [recent, old])
    calls = len(energy_calls(stand))
    polled = await async_fire_poll(hass, freezer, coordinator, stand)
    assert coordinator.last_update_success
    since = polled - timedelta(days=REPRICE_DAYS)
    assert since <= recent and old < since
    # The poll fetched the last two local days again, not the recent hour's.
    assert min(call.start for call in energy_calls(stand)[calls:]) > recent

    offtake = await read_rows(hass, statistic_id(DIGITAL_QH, "offtake"))
    assert_costs(offtake, await read_rows(hass, OFFTAKE_COST), (old,))
    assert coordinator.diagnostics()["cursors"][DIGITAL_QH]["unpriced_hours"] == {OFFTAKE_COST: 1}
    first = int(old.timestamp()) // 3600
    assert cursor.unpriced_hours[OFFTAKE_COST] == [(first, first + 1)]


@pytest.mark.freeze_time("2025-05-10T09:30:00Z")
async def test_data_period_cut_forgets_later_unpriced_hours(
    hass: HomeAssistant, setup: Setup, stand: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    """The mandate's data period moves back: the costs after it go with the energy, and an
    unpriced hour after it is no longer counted (older than the days priced again)."""
    missing = (utc(2025, 5, 6, 10), utc(2025, 5, 6, 11))
    await setup_priced(hass, setup, missing)
    coordinator = await setup(
        [DIGITAL_QH],
        backfill_days=5,
        price_sensor_offtake=PRICE_SENSOR,
        surcharge_offtake=SURCHARGE,
    )
    cut = missing[1]  # 13:00 local: the first unpriced hour is before it, the second at it
    assert stand.sandbox.set_data_period_to(DIGITAL_QH, cut) == 1
    advance(freezer, stand, timedelta(days=1))
    await async_fire_poll(hass, freezer, coordinator, stand)

    offtake = await read_rows(hass, statistic_id(DIGITAL_QH, "offtake"))
    assert offtake[-1][0] == cut - timedelta(hours=1)
    costs = await read_rows(hass, OFFTAKE_COST)
    assert_costs(offtake, costs, missing)
    assert costs[-1][0] < missing[0]
    assert coordinator.diagnostics()["cursors"][DIGITAL_QH]["unpriced_hours"] == {OFFTAKE_COST: 1}


@pytest.mark.freeze_time("2025-05-10T09:30:00Z")
async def test_daily_only_meter_keeps_the_fixed_price(hass: HomeAssistant, setup: Setup) -> None:
    """A meter with daily values only has no hourly kWh to price by the sensor: its offtake
    cost stays the fixed price x kWh, one row per day."""
    await setup_priced(hass, setup, ())
    await setup(
        [DIGITAL_DAILY],
        backfill_days=3,
        price_day=0.3,
        price_sensor_offtake=PRICE_SENSOR,
        surcharge_offtake=SURCHARGE,
    )
    offtake = await read_rows(hass, statistic_id(DIGITAL_DAILY, "offtake"))
    costs = await read_rows(hass, statistic_id(DIGITAL_DAILY, "offtake_cost"))
    assert offtake
    assert [row[0] for row in costs] == [row[0] for row in offtake]
    for (_, kwh, _), (_, eur, _) in zip(offtake, costs, strict=True):
        assert eur == pytest.approx(kwh * 0.3, abs=1e-6)
