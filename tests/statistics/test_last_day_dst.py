"""The last complete day on the DST weekends: gas days run 06:00-06:00 local, so the gas day
holding the change (Saturday's) has 23 hours in late March and 25 in late October; a day is
complete exactly when all its hours are there, and an hour with a missing quarter-hour is not
there."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from custom_components.fluvius.api.parser import parse_energy
from custom_components.fluvius.cursors import EanCursor
from custom_components.fluvius.rows import PARTIAL_HOURS_KEPT, rows_from_energy, track_partial_hours
from custom_components.fluvius.series import statistic_id
from custom_components.fluvius.statistics import last_complete_day
from tests.standin import EAN_DIGITAL, EAN_GAS, start_stand_in

from .conftest import make_entry, start_entry, stop_entry
from .test_spec_shapes import digital_payload

HOUR = timedelta(hours=1)
QH = timedelta(minutes=15)

# season: (Friday, Saturday (the gas day with the change), Sunday, its hours, first UTC hour
# of Friday's gas day)
WEEKENDS = {
    "spring": (date(2025, 3, 28), date(2025, 3, 29), date(2025, 3, 30), 23, (2025, 3, 28, 5)),
    "autumn": (date(2024, 10, 25), date(2024, 10, 26), date(2024, 10, 27), 25, (2024, 10, 25, 4)),
}

type Rows = list[tuple[datetime, float, float]]


def _gas_rows(first: datetime, hours: int) -> Rows:
    rows: Rows = []
    running = 0.0
    for h in range(hours):
        state = round(1.0 + h / 100, 6)
        running += state
        rows.append((first + h * HOUR, state, running))
    return rows


def _total(rows: Rows) -> float:
    return round(sum(state for _, state, _ in rows), 6)


@pytest.mark.parametrize("season", sorted(WEEKENDS))
def test_gas_day_with_the_change_is_complete_with_all_its_hours(season: str) -> None:
    friday, saturday, sunday, hours, first = WEEKENDS[season]
    rows = _gas_rows(datetime(*first, tzinfo=UTC), 24 + hours)  # Friday's and Saturday's days
    assert last_complete_day(rows, gas=True, daily=False) == (saturday, _total(rows[24:]))
    # One hour of Saturday's gas day missing: Friday's is the last complete one.
    for gap in (24, 24 + hours // 2, 24 + hours - 1):
        holed = rows[:gap] + rows[gap + 1 :]
        assert last_complete_day(holed, gas=True, daily=False) == (friday, _total(rows[:24]))
    # Sunday's gas day (24 hours) complete, and with one hour missing.
    rows = _gas_rows(datetime(*first, tzinfo=UTC), 24 + hours + 24)
    assert last_complete_day(rows, gas=True, daily=False) == (sunday, _total(rows[-24:]))
    holed = rows[:-2] + rows[-1:]
    assert last_complete_day(holed, gas=True, daily=False) == (
        saturday,
        _total(rows[24 : 24 + hours]),
    )


@pytest.mark.parametrize("season", sorted(WEEKENDS))
def test_electricity_day_with_the_change(season: str) -> None:
    """The calendar Sunday has 23 or 25 hours; an hour in ``partial`` does not count."""
    _, saturday, sunday, hours, _ = WEEKENDS[season]
    first = datetime(saturday.year, saturday.month, saturday.day, tzinfo=UTC) - (
        HOUR if season == "spring" else 2 * HOUR
    )  # local midnight of Saturday
    rows = _gas_rows(first, 24 + hours)
    assert last_complete_day(rows, gas=False, daily=False) == (sunday, _total(rows[24:]))
    partial = {rows[30][0]}
    assert last_complete_day(rows, gas=False, daily=False, partial=partial) == (
        saturday,
        _total(rows[:24]),
    )


def _quarter_hours(first: datetime, count: int, nulls: set[int]) -> list[dict[str, object]]:
    intervals: list[dict[str, object]] = []
    for i in range(count):
        start = first + i * QH
        leaf: dict[str, object] = {"value": 0.25, "unit": "kWh", "validationState": "READ"}
        if i in nulls:
            leaf["value"] = None
        intervals.append(
            {
                "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "end": (start + QH).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "measurements": [{"offtake": {"total": leaf}}],
            }
        )
    return intervals


def test_missing_quarter_hour_on_the_autumn_sunday() -> None:
    """100 quarter-hours on 27 October 2024, one null: the hour keeps the other three, the day
    is not complete until a later import brings the value; a whole re-import settles it."""
    saturday_start = datetime(2024, 10, 25, 22, tzinfo=UTC)
    sunday_start = datetime(2024, 10, 26, 22, tzinfo=UTC)
    stat_id = statistic_id(EAN_DIGITAL, "offtake")
    now = sunday_start + timedelta(days=2)

    def imported(nulls: set[int]) -> tuple[Rows, dict[str, list[datetime]]]:
        payload = digital_payload(EAN_DIGITAL, _quarter_hours(saturday_start, 96 + 100, nulls))
        rows = rows_from_energy(parse_energy(payload), hourly_access=True)
        track_partial_hours(known, rows, now)
        states = rows[(EAN_DIGITAL, "offtake")]
        running = 0.0
        out: Rows = []
        for hour in sorted(states):
            running += states[hour]
            out.append((hour, states[hour], running))
        return out, known

    known: dict[str, list[datetime]] = {}
    rows, known = imported({96 + 41})
    assert len(rows) == 24 + 25
    hole = sunday_start + 10 * HOUR
    assert {t: v for t, v, _ in rows}[hole] == pytest.approx(0.75)
    assert known == {stat_id: [hole]}
    found = last_complete_day(rows, gas=False, daily=False, partial=known[stat_id])
    assert found == (date(2024, 10, 26), 24.0)

    rows, known = imported(set())
    assert known == {}
    assert last_complete_day(rows, gas=False, daily=False, partial=()) == (date(2024, 10, 27), 25.0)


def test_partial_hours_are_forgotten_after_a_while() -> None:
    hour = datetime(2024, 10, 27, 10, tzinfo=UTC)
    known = {statistic_id(EAN_DIGITAL, "offtake"): [hour]}
    payload = digital_payload(EAN_DIGITAL, _quarter_hours(hour + timedelta(days=20), 4, set()))
    rows = rows_from_energy(parse_energy(payload), hourly_access=True)
    track_partial_hours(known, rows, hour + PARTIAL_HOURS_KEPT + HOUR)
    assert known == {}


def test_cursor_keeps_the_counts() -> None:
    cursor = EanCursor(
        missing_values=7,
        partial_hours={"fluvius:x_offtake": [datetime(2024, 10, 27, 10, tzinfo=UTC)]},
    )
    again = EanCursor.from_dict(cursor.as_dict())
    assert again.missing_values == 7
    assert again.partial_hours == cursor.partial_hours
    assert EanCursor.from_dict({}).missing_values == 0


# --- through the real client and recorder ------------------------------------------------

# season: (now, the expected last complete gas day, its first UTC hour, its hours, a withheld
# hour of the neighbouring gas day the old count took for complete, the later gas days withheld)
GAS_WEEKENDS = {
    # 30 March 2025: Saturday's gas day has 23 hours; Sunday's (24) lacks one and used to pass
    # for complete against the 23 hours of the calendar Sunday.
    "spring": (
        datetime(2025, 4, 2, 22, tzinfo=UTC),
        date(2025, 3, 29),
        datetime(2025, 3, 29, 5, tzinfo=UTC),
        23,
        datetime(2025, 3, 30, 10, tzinfo=UTC),
        (datetime(2025, 3, 31, 4, tzinfo=UTC), datetime(2025, 4, 2, 4, tzinfo=UTC)),
    ),
    # 27 October 2024: Sunday's gas day has 24 hours (the calendar Sunday 25); Saturday's (25)
    # lacks one and used to pass for complete against the 24 hours of the calendar Saturday.
    "autumn": (
        datetime(2024, 10, 31, 0, tzinfo=UTC),
        date(2024, 10, 27),
        datetime(2024, 10, 27, 5, tzinfo=UTC),
        24,
        datetime(2024, 10, 26, 10, tzinfo=UTC),
        (datetime(2024, 10, 28, 5, tzinfo=UTC), datetime(2024, 10, 30, 5, tzinfo=UTC)),
    ),
}


@pytest.mark.parametrize("season", sorted(GAS_WEEKENDS))
async def test_gas_last_day_sensor_on_the_dst_weekend(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, season: str
) -> None:
    now, expected_day, first, hours, hole, (later, later_end) = GAS_WEEKENDS[season]
    freezer.move_to(now)
    stand, server = await start_stand_in(now=now, estimate_share=0.0)
    try:
        stand.sandbox.withhold(EAN_GAS, hole, hole + HOUR)
        stand.sandbox.withhold(EAN_GAS, later, later_end)
        entry = make_entry(stand, [EAN_GAS], backfill_days=7)
        coordinator = await start_entry(hass, entry)
        truth = stand.sandbox.truth(EAN_GAS, first, first + hours * HOUR, as_of=now)
        for name in ("gas_m3", "gas_kwh"):
            values = truth[name].hourly
            assert len(values) == hours, name
            day, total = coordinator.data.meters[EAN_GAS].last_day[name]
            assert day == expected_day, name
            assert total == pytest.approx(sum(values.values()), abs=1e-6), name
        await stop_entry(hass, entry)
    finally:
        await server.close()
