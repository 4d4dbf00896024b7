"""Data quality through a real set-up: the stand-in over HTTP sends estimates that it corrects
later; the estimated-share sensor, its last validated day and the diagnostics follow. The
capacity average lists the months it is built from, final or not."""

from __future__ import annotations

from datetime import date, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
import pytest

from custom_components.fluvius.api.ean import mask_ean
from custom_components.fluvius.const import DOMAIN, TIMEZONE
from custom_components.fluvius.diagnostics import async_get_config_entry_diagnostics
from fluvius_sandbox.timeutil import local_midnight
from fluvius_sandbox.truth import Truth
from tests.helpers import async_fire_poll
from tests.standin import EAN_DIGITAL, StandIn

from .conftest import Setup

QH = timedelta(minutes=15)
DIRECTIONS = ("offtake", "injection")


def _state(hass: HomeAssistant, ean: str, key: str) -> State:
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{ean}_{key}")
    assert entity_id is not None, key
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state


def _validated_days(truth: Truth) -> list[date]:
    """The local days whose quarter-hours of both directions are all there, none estimated."""
    days: dict[date, list[int]] = {}
    for name in DIRECTIONS:
        series = truth[name]
        for start in series.quarter_hourly:
            count = days.setdefault(start.astimezone(TIMEZONE).date(), [0, 0])
            count[0] += 1
            count[1] += start in series.estimated
    return sorted(
        day
        for day, (values, estimated) in days.items()
        if estimated == 0
        and values == 2 * (local_midnight(day + timedelta(days=1)) - local_midnight(day)) / QH
    )


def _values(truth: Truth) -> int:
    return sum(len(truth[name].quarter_hourly) for name in DIRECTIONS)


@pytest.mark.freeze_time("2026-11-19T09:00:00Z")
async def test_estimated_share_drops_after_the_correction(
    hass: HomeAssistant, setup: Setup, stand: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    """Three quarter-hours of the newest complete day come as estimates (offtake and
    injection: 6 values): the sensor shows their share of every value imported, and the day
    before as the last validated one. Fluvius corrects them; after the poll that brings the
    READ values the share is 0 and the corrected day (or a newer one) is the last validated
    day."""
    now = stand.sandbox.now()
    before = stand.sandbox.truth(EAN_DIGITAL, now - timedelta(days=12), now, as_of=now)
    newest = _validated_days(before)[-1]
    estimated = [local_midnight(newest) + n * QH for n in (40, 41, 57)]
    for start in estimated:
        stand.sandbox.correct(EAN_DIGITAL, start, 0.4, at=now + timedelta(minutes=5))

    coordinator = await setup([EAN_DIGITAL], backfill_days=10)
    start = coordinator.cursors.get(EAN_DIGITAL).backfill_from
    assert start is not None
    truth = stand.sandbox.truth(EAN_DIGITAL, start, now, as_of=now)
    for name in DIRECTIONS:
        assert sorted(truth[name].estimated) == estimated
    values = _values(truth)

    state = _state(hass, EAN_DIGITAL, "estimated_share")
    assert state.attributes["unit_of_measurement"] == "%"
    assert state.attributes["state_class"] == "measurement"
    assert float(state.state) == pytest.approx(round(100 * 6 / values, 2))
    assert state.attributes["estimated_values"] == 6
    assert state.attributes["values"] == values
    assert state.attributes["missing_values"] == 0
    assert state.attributes["last_validated_day"] == (newest - timedelta(days=1)).isoformat()
    assert state.attributes["days_counted"] == len(
        {s.astimezone(TIMEZONE).date() for s in truth["offtake"].quarter_hourly}
    )
    diagnostics = await async_get_config_entry_diagnostics(hass, coordinator.config_entry)
    quality = diagnostics["coordinator"]["cursors"][mask_ean(EAN_DIGITAL)]["data_quality"]
    assert quality["estimated_share"] == float(state.state)
    assert quality["estimated_values"] == 6
    assert quality["last_validated_day"] == (newest - timedelta(days=1)).isoformat()
    assert quality["days"][newest.isoformat()] == [192, 6, 0, 192]

    polled = await async_fire_poll(hass, freezer, coordinator, stand)
    assert coordinator.last_update_success
    after = stand.sandbox.truth(EAN_DIGITAL, start, polled, as_of=polled)
    assert not after["offtake"].estimated

    state = _state(hass, EAN_DIGITAL, "estimated_share")
    assert float(state.state) == 0.0
    assert state.attributes["estimated_values"] == 0
    assert state.attributes["values"] == _values(after)
    last = _validated_days(after)[-1]
    assert last >= newest
    assert state.attributes["last_validated_day"] == last.isoformat()
    quality = coordinator.diagnostics()["cursors"][EAN_DIGITAL]["data_quality"]
    assert quality["days"][newest.isoformat()] == [192, 0, 0, 192]


@pytest.mark.freeze_time("2026-11-19T09:00:00Z")
async def test_capacity_average_lists_its_months(
    hass: HomeAssistant, setup: Setup, stand: StandIn
) -> None:
    """The months of the capacity window with their peak and whether it is final: October is
    complete and read (final), November so far is not."""
    coordinator = await setup([EAN_DIGITAL], backfill_days=50)
    start = coordinator.cursors.get(EAN_DIGITAL).backfill_from
    assert start is not None
    now = stand.sandbox.now()
    truth = stand.sandbox.truth(EAN_DIGITAL, start, now, as_of=now)

    def peak(month: int) -> float:
        values = [
            kwh
            for moment, kwh in truth["offtake"].quarter_hourly.items()
            if moment.astimezone(TIMEZONE).month == month
        ]
        return max(values) * 4

    state = _state(hass, EAN_DIGITAL, "capacity_average")
    months = state.attributes["months"]
    # The history starts with October (the mandate's data period): the whole month is read.
    assert start == local_midnight(date(2026, 10, 1))
    assert [(m["month"], m["final"]) for m in months] == [("2026-10", True), ("2026-11", False)]
    for entry, month in zip(months, (10, 11), strict=True):
        assert entry["peak_kw"] == pytest.approx(peak(month))
    assert state.attributes["months_final"] == 1
    # The month-peak sensor still says this month's peak is not final.
    assert _state(hass, EAN_DIGITAL, "month_peak").attributes["final"] is False
