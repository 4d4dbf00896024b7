"""The capacity cost in euros: its sensors and its monthly ``capacity_cost`` statistic, from the
peaks the stand-in's quarter-hours give, rewritten when the options change."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import partial

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.models import StatisticMeanType, StatisticMetaData
from homeassistant.components.recorder.statistics import get_metadata, statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.recorder import get_instance
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.fluvius.const import (
    CONF_AREA,
    CONF_CAPACITY_TARIFF,
    CONF_VAT,
    DOMAIN,
    TIMEZONE,
)
from custom_components.fluvius.series import statistic_id
from tests.helpers import async_wait_backfill
from tests.standin import StandIn, read_rows

from .conftest import Setup

EAN = "541440010000000006"  # digital electricity, quarter-hours
WEST = 57.0995726  # EUR/kW/year, VREG "West - 2026 - ELEK"
COST_ID = f"{DOMAIN}:{EAN}_capacity_cost"


async def _peaks(hass: HomeAssistant) -> dict[date, float]:
    """The monthly peaks (kW) as the recorder holds them, by local month."""
    rows = await read_peak_rows(hass)
    return {start.astimezone(TIMEZONE).date(): kw for start, kw in rows}


async def read_peak_rows(hass: HomeAssistant) -> list[tuple[datetime, float]]:
    stat_id = statistic_id(EAN, "peak")
    stats = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        datetime(2020, 1, 1, tzinfo=UTC),
        None,
        {stat_id},
        "hour",
        None,
        {"mean"},
    )
    return [
        (datetime.fromtimestamp(row["start"], UTC), float(row["mean"] or 0.0))
        for row in stats.get(stat_id, [])
    ]


def _expected_costs(peaks: dict[date, float], vat: float) -> dict[date, float]:
    """By hand: each month's billed kW is the mean of the peaks so far (at most 12 months),
    each at least 2.5 kW; the month costs billed kW x rate / 12, plus VAT."""
    costs: dict[date, float] = {}
    months = sorted(peaks)
    for index, month in enumerate(months):
        window = months[max(0, index - 11) : index + 1]
        billed = sum(max(peaks[m], 2.5) for m in window) / len(window)
        costs[month] = billed * WEST / 12 * (1 + vat / 100)
    return costs


async def _metadata(hass: HomeAssistant) -> dict[str, tuple[int, StatisticMetaData]]:
    return await get_instance(hass).async_add_executor_job(
        partial(get_metadata, hass, statistic_ids={COST_ID})
    )


def _cost_entity(hass: HomeAssistant, key: str) -> str | None:
    return er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{EAN}_{key}")


@pytest.mark.freeze_time("2026-04-05T09:00:00Z")  # 11:00 in Brussels, 107 h into April
async def test_capacity_cost_sensors_and_statistic(
    hass: HomeAssistant, setup: Setup, stand: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    tariff = {EAN: {CONF_AREA: "west", CONF_VAT: 21.0}}
    coordinator = await setup([EAN], backfill_days=100, **{CONF_CAPACITY_TARIFF: tariff})
    entry = coordinator.config_entry
    peaks = await _peaks(hass)
    assert list(peaks) == [date(2025, 12, 1), *(date(2026, m, 1) for m in (1, 2, 3, 4))]

    # The statistic: one row per local month at its midnight, the month's cost, a running sum.
    expected = _expected_costs(peaks, vat=21.0)
    rows = await read_rows(hass, COST_ID)
    assert [start.astimezone(TIMEZONE).date() for start, _, _ in rows] == list(expected)
    assert all(start.astimezone(TIMEZONE).hour == 0 for start, _, _ in rows)
    running = 0.0
    for (_, state, total), cost in zip(rows, expected.values(), strict=True):
        running += cost
        assert state == pytest.approx(cost, abs=1e-5)
        assert total == pytest.approx(running, abs=1e-5)
    metadata = await _metadata(hass)
    meta = metadata[COST_ID][1]
    assert meta["unit_of_measurement"] == "EUR"
    assert meta["has_sum"] is True
    assert meta["mean_type"] is StatisticMeanType.NONE
    assert meta["unit_class"] is None

    # The sensors: April projected at today's billed kW, and its share of 107 of 720 hours.
    april = expected[date(2026, 4, 1)]
    projected_id = _cost_entity(hass, "capacity_cost_projected")
    month_id = _cost_entity(hass, "capacity_cost_month")
    assert projected_id is not None and month_id is not None
    projected = hass.states.get(projected_id)
    so_far = hass.states.get(month_id)
    assert projected is not None and so_far is not None
    assert float(projected.state) == pytest.approx(april, abs=1e-5)
    assert float(so_far.state) == pytest.approx(april * 107 / 720, abs=1e-5)
    assert projected.attributes["unit_of_measurement"] == "EUR"
    assert projected.attributes["device_class"] == "monetary"
    assert "state_class" not in projected.attributes
    billed = sum(max(kw, 2.5) for kw in peaks.values()) / len(peaks)
    for sensor in (projected, so_far):
        assert sensor.attributes["peak_final"] is False  # April is not complete
        assert sensor.attributes["billed_kw"] == pytest.approx(billed, abs=1e-5)
        assert sensor.attributes["rate"] == WEST
        assert sensor.attributes["rate_year"] == 2026

    # An hour later, without new data: the cost so far has grown by one hour's share.
    freezer.move_to(datetime(2026, 4, 5, 10, 0, tzinfo=UTC))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    so_far = hass.states.get(month_id)
    assert so_far is not None
    assert float(so_far.state) == pytest.approx(april * 108 / 720, abs=1e-5)

    # New VAT in the options (they reload the entry): the statistic and the sensors follow.
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_CAPACITY_TARIFF: {EAN: {CONF_AREA: "west"}}}
    )
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await async_wait_backfill(entry.runtime_data.coordinator)
    await async_wait_recording_done(hass)
    without_vat = _expected_costs(peaks, vat=0.0)
    rows = await read_rows(hass, COST_ID)
    assert [state for _, state, _ in rows] == pytest.approx(list(without_vat.values()), abs=1e-5)
    assert rows[-1][2] == pytest.approx(sum(without_vat.values()), abs=1e-5)
    projected = hass.states.get(projected_id)
    assert projected is not None
    assert float(projected.state) == pytest.approx(without_vat[date(2026, 4, 1)], abs=1e-5)

    # Cleared: no cost sensors, no cost statistic.
    options = {k: v for k, v in entry.options.items() if k != CONF_CAPACITY_TARIFF}
    hass.config_entries.async_update_entry(entry, options=options)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await async_wait_backfill(entry.runtime_data.coordinator)
    await async_wait_recording_done(hass)
    assert _cost_entity(hass, "capacity_cost_projected") is None
    assert _cost_entity(hass, "capacity_cost_month") is None
    assert hass.states.get(projected_id) is None
    assert await read_rows(hass, COST_ID) == []
    metadata = await _metadata(hass)
    assert COST_ID not in metadata
