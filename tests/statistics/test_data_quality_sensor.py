"""Data quality through a real set-up: the stand-in over HTTP sends estimates that it corrects
later; the estimated-share sensor, its last validated day and the diagnostics follow. The
capacity average lists the months it is built from, final or not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

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
from tests.standin import EAN_AMR_PV, EAN_DIGITAL, EAN_GAS, StandIn

from .conftest import Setup

QH = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Kind:
    """A meter kind: the truth series its quality counts, their resolution and its day."""

    ean: str
    names: tuple[str, ...]
    step: timedelta
    day_hour: int  # 6: the gas day
    estimated_at: tuple[int, ...]  # intervals of the day sent as estimates first

    def values(self, truth: Truth) -> dict[str, dict[datetime, float]]:
        return {
            name: truth[name].quarter_hourly if self.step == QH else truth[name].hourly
            for name in self.names
        }

    def day(self, moment: datetime) -> date:
        return (moment.astimezone(TIMEZONE) - timedelta(hours=self.day_hour)).date()

    def day_start(self, day: date) -> datetime:
        return datetime(day.year, day.month, day.day, self.day_hour, tzinfo=TIMEZONE).astimezone(
            UTC
        )

    def per_day(self, day: date) -> int:
        return int((self.day_start(day + timedelta(days=1)) - self.day_start(day)) / self.step)


KINDS = [
    Kind(EAN_DIGITAL, ("offtake", "injection"), QH, 0, (40, 41, 57)),  # READ / EST
    Kind(EAN_GAS, ("gas_m3",), timedelta(hours=1), 6, (2, 3, 10)),  # gas day, hours
    Kind(EAN_AMR_PV, ("offtake",), QH, 0, (12, 13, 90)),  # VAL / NVAL; submeters not counted
]


def _state(hass: HomeAssistant, ean: str, key: str) -> State:
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{ean}_{key}")
    assert entity_id is not None, key
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state


def _validated_days(kind: Kind, truth: Truth) -> list[date]:
    """The (gas) days whose values of every counted series are all there, none estimated."""
    days: dict[date, list[int]] = {}
    for name, values in kind.values(truth).items():
        for start in values:
            count = days.setdefault(kind.day(start), [0, 0])
            count[0] += 1
            count[1] += start in truth[name].estimated
    return sorted(
        day
        for day, (values, estimated) in days.items()
        if estimated == 0 and values == len(kind.names) * kind.per_day(day)
    )


def _count(kind: Kind, truth: Truth) -> int:
    return sum(len(values) for values in kind.values(truth).values())


@pytest.mark.freeze_time("2026-11-19T09:00:00Z")
@pytest.mark.parametrize("kind", KINDS, ids=["digital", "gas", "amr"])
async def test_estimated_share_drops_after_the_correction(
    hass: HomeAssistant,
    setup: Setup,
    stand: StandIn,
    freezer: FrozenDateTimeFactory,
    kind: Kind,
) -> None:
    """Three intervals of the newest complete day (gas day for gas) come as estimates (in
    every counted series: offtake and injection for the digital meter): the sensor shows their
    share of every value imported, and the day before as the last validated one. Fluvius
    corrects them; after the poll that brings the final values the share is 0 and the corrected
    day (or a newer one) is the last validated day."""
    now = stand.sandbox.now()
    before = stand.sandbox.truth(kind.ean, now - timedelta(days=12), now, as_of=now)
    newest = _validated_days(kind, before)[-1]
    estimated = [kind.day_start(newest) + n * kind.step for n in kind.estimated_at]
    for start in estimated:
        stand.sandbox.correct(kind.ean, start, 0.4, at=now + timedelta(minutes=5))

    coordinator = await setup([kind.ean], backfill_days=10)
    start = coordinator.cursors.get(kind.ean).backfill_from
    assert start is not None
    truth = stand.sandbox.truth(kind.ean, start, now, as_of=now)
    for name in kind.names:
        assert sorted(truth[name].estimated) == estimated
    values = _count(kind, truth)
    est = 3 * len(kind.names)

    state = _state(hass, kind.ean, "estimated_share")
    assert state.attributes["unit_of_measurement"] == "%"
    assert state.attributes["state_class"] == "measurement"
    assert float(state.state) == pytest.approx(round(100 * est / values, 2))
    assert state.attributes["estimated_values"] == est
    assert state.attributes["values"] == values
    assert state.attributes["missing_values"] == 0
    assert state.attributes["last_validated_day"] == (newest - timedelta(days=1)).isoformat()
    assert state.attributes["days_counted"] == len(
        {kind.day(moment) for moment in kind.values(truth)[kind.names[0]]}
    )
    diagnostics = await async_get_config_entry_diagnostics(hass, coordinator.config_entry)
    quality = diagnostics["coordinator"]["cursors"][mask_ean(kind.ean)]["data_quality"]
    assert quality["estimated_share"] == float(state.state)
    assert quality["estimated_values"] == est
    assert quality["last_validated_day"] == (newest - timedelta(days=1)).isoformat()
    expected = len(kind.names) * kind.per_day(newest)
    assert quality["days"][newest.isoformat()] == [expected, est, 0, expected]

    polled = await async_fire_poll(hass, freezer, coordinator, stand)
    assert coordinator.last_update_success
    after = stand.sandbox.truth(kind.ean, start, polled, as_of=polled)
    assert not any(after[name].estimated for name in kind.names)

    state = _state(hass, kind.ean, "estimated_share")
    assert float(state.state) == 0.0
    assert state.attributes["estimated_values"] == 0
    assert state.attributes["values"] == _count(kind, after)
    last = _validated_days(kind, after)[-1]
    assert last >= newest
    assert state.attributes["last_validated_day"] == last.isoformat()
    quality = coordinator.diagnostics()["cursors"][kind.ean]["data_quality"]
    assert quality["days"][newest.isoformat()] == [expected, 0, 0, expected]


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
