"""The power view: per UTC hour the mean, min and max offtake power (kW) of the quarter-hours.

* pure, on spec-shaped payloads (fluvius-api.md §7.7) parsed by the real parser: every register
  layout gives the same rows (``models.active_series``), DST days have 23 and 25 rows, a
  missing quarter-hour leaves its hour without min and max, a late estimate changes nothing, and
  a month's peak (capacity.py) is the highest max of its rows;
* over HTTP with the stand-in and a real recorder: rows hold mean = the hour's kWh and max =
  4 x its largest quarter-hour, the ``peak`` statistic equals the month's highest max (kW both),
  the same poll twice writes nothing, a revised quarter-hour rewrites its hour, a null one
  clears the hour's min and max;
* Home Assistant's Energy preferences take it as the grid's power (``power_config`` /
  ``stat_rate``) and validate it, and the reads the Energy dashboard's power graph makes
  (``mean`` in kW; ``5minute`` for a day, backed by ``hour``; ``day`` for long ranges) return it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.energy import data as energy_data
from homeassistant.components.energy.validate import async_validate
from homeassistant.components.recorder.models import StatisticMeanType
from homeassistant.components.recorder.statistics import get_metadata, statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
import pytest

from custom_components.fluvius.api.parser import parse_energy
from custom_components.fluvius.capacity import day_peaks, month_peaks
from custom_components.fluvius.const import TIMEZONE
from custom_components.fluvius.power import PowerRow, power_rows
from custom_components.fluvius.rows import offtake_quarter_hours, rows_from_energy
from custom_components.fluvius.series import statistic_id
from fluvius_sandbox.timeutil import local_midnight
from tests.helpers import async_fire_poll
from tests.standin import EAN_DIGITAL, StandIn, advance

from .conftest import BOTH_LAYOUTS, Setup, utc
from .helpers import read_rows
from .test_spec_shapes import (
    LAYOUTS,
    MARCH,
    PEAK_AT,
    PEAK_KWH,
    digital_payload,
    month_intervals,
)

QH = timedelta(minutes=15)
HOUR = timedelta(hours=1)


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_day_tariff(start: datetime) -> bool:
    local = start.astimezone(TIMEZONE)
    return local.weekday() < 5 and 7 <= local.hour < 22


def _registers(value: float | None, start: datetime, layout: str, state: str) -> dict[str, Any]:
    def leaf(v: float | None) -> dict[str, Any]:
        return {"value": v, "unit": "kWh", "validationState": state}

    if layout == "total":
        return {"total": leaf(value)}
    day = _is_day_tariff(start)
    if layout == "day_night_sparse":
        return {"day" if day else "night": leaf(value)}
    if value is None:
        return {"day": leaf(None), "night": leaf(None)}
    return {"day": leaf(value if day else 0.0), "night": leaf(0.0 if day else value)}


def _kwh(i: int) -> float:
    return round(0.05 + (i * 37 % 101) / 100, 3)


type Sent = list[tuple[datetime, float | None]]


def _local_day(day: date, layout: str, blank: Iterable[int] = ()) -> tuple[dict[str, Any], Sent]:
    """One local day of quarter-hours (offtake, and a larger injection that must not count),
    the offtake values of the indexes in ``blank`` sent as null. Returns the payload and the
    (start, kWh or None) of every offtake quarter-hour."""
    start, end = local_midnight(day), local_midnight(day + timedelta(days=1))
    intervals: list[dict[str, Any]] = []
    sent: Sent = []
    t, i = start, 0
    while t < end:
        value = None if i in set(blank) else _kwh(i)
        sent.append((t, value))
        measurement = {
            "offtake": _registers(value, t, layout, "READ"),
            "injection": _registers(5.0 + _kwh(i), t, layout, "READ"),
        }
        intervals.append({"start": _ts(t), "end": _ts(t + QH), "measurements": [measurement]})
        t += QH
        i += 1
    return digital_payload(EAN_DIGITAL, intervals), sent


def _power(payload: dict[str, Any]) -> dict[datetime, PowerRow]:
    quarters = offtake_quarter_hours(parse_energy(payload)).get(EAN_DIGITAL, [])
    return power_rows(quarters)


def _expected(sent: Sent) -> dict[datetime, PowerRow]:
    hours: dict[datetime, list[float | None]] = {}
    for start, value in sent:
        hours.setdefault(start.replace(minute=0), []).append(value)
    result = {}
    for hour, values in hours.items():
        assert len(values) == 4
        present = [v for v in values if v is not None]
        if len(present) == 4:
            result[hour] = PowerRow(sum(present), 4 * min(present), 4 * max(present))
        else:
            result[hour] = PowerRow(4 * sum(present) / len(present), None, None)
    return result


def _assert_rows(got: dict[datetime, PowerRow], wanted: dict[datetime, PowerRow]) -> None:
    assert sorted(got) == sorted(wanted)
    for hour, row in wanted.items():
        assert got[hour].mean == pytest.approx(row.mean), hour
        assert got[hour].min == pytest.approx(row.min), hour
        assert got[hour].max == pytest.approx(row.max), hour


# --- pure ------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(
    ("day", "hours"),
    [(date(2025, 3, 12), 24), (date(2025, 3, 30), 23), (date(2025, 10, 26), 25)],
    ids=["wednesday", "spring_dst", "autumn_dst"],
)
def test_hourly_power_of_a_day_in_every_layout(day: date, hours: int, layout: str) -> None:
    """Mean = the hour's kWh, min/max = 4 x its lowest/highest quarter-hour, one row per UTC
    hour (23 and 25 on the DST Sundays), offtake only, whichever registers carry the energy."""
    payload, sent = _local_day(day, layout)
    assert len(sent) == hours * 4
    rows = _power(payload)
    assert len(rows) == hours
    assert sorted(rows) == [local_midnight(day) + k * HOUR for k in range(hours)]
    _assert_rows(rows, _expected(sent))
    # The mean is the hourly energy row of the same response (kWh in one hour = kW).
    energy = rows_from_energy(parse_energy(payload), hourly_access=True)
    assert {h: r.mean for h, r in rows.items()} == pytest.approx(energy[(EAN_DIGITAL, "offtake")])


@pytest.mark.parametrize("layout", LAYOUTS)
def test_missing_quarter_hour_leaves_no_min_or_max(layout: str) -> None:
    """A null offtake quarter-hour: its hour's mean is the average power of the three present,
    with no min or max (they could be wrong); the other hours are whole."""
    day = date(2025, 10, 26)  # the 25-hour day: the doubled 02:00 local hour holds the hole
    blank = {9}  # 02:15 local (CEST), in the first of the two 02:00 hours
    payload, sent = _local_day(day, layout, blank)
    rows = _power(payload)
    assert len(rows) == 25
    hole = sent[9][0].replace(minute=0)
    assert hole == datetime(2025, 10, 26, 0, tzinfo=UTC)
    present = [v for _, v in sent[8:12] if v is not None]
    assert rows[hole].mean == pytest.approx(4 * sum(present) / 3)
    assert (rows[hole].min, rows[hole].max) == (None, None)
    _assert_rows(rows, _expected(sent))
    assert sum(1 for r in rows.values() if r.max is None) == 1


def test_month_peak_is_the_highest_hourly_max() -> None:
    """March 2025 and two hours of April, with a late EST copy of March's peak quarter-hour
    (higher) after its READ value: the READ value stays, and each month's capacity peak
    (kW) equals the highest max of that month's power rows."""
    data = parse_energy(digital_payload(EAN_DIGITAL, month_intervals("day_night")))
    [quarters] = offtake_quarter_hours(data).values()
    rows = power_rows(quarters)
    assert len(rows) == 31 * 24 - 1 + 2
    assert rows[PEAK_AT].max == pytest.approx(4 * PEAK_KWH)
    peaks = month_peaks(day_peaks(quarters, TIMEZONE), TIMEZONE)
    for month, peak in peaks.items():
        in_month = [
            r.max
            for hour, r in rows.items()
            if hour.astimezone(TIMEZONE).date().replace(day=1) == month and r.max is not None
        ]
        assert max(in_month) == pytest.approx(peak.peak_kw), month
    assert peaks[MARCH].peak_kw == pytest.approx(4 * PEAK_KWH)


# --- through the stand-in and a real recorder ----------------------------------------------


async def _power_rows(hass: HomeAssistant, ean: str) -> dict[datetime, Any]:
    stat_id = statistic_id(ean, "power")
    stats = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        utc(2020, 1, 1),
        None,
        {stat_id},
        "hour",
        None,
        {"mean", "min", "max"},
    )
    return {datetime.fromtimestamp(r["start"], UTC): r for r in stats.get(stat_id, [])}


def _quarters_by_hour(quarters: dict[datetime, float]) -> dict[datetime, list[float]]:
    hours: dict[datetime, list[float]] = {}
    for start, value in sorted(quarters.items()):
        hours.setdefault(start.replace(minute=0), []).append(value)
    return hours


@pytest.mark.freeze_time("2025-04-05T09:00:00Z")
@BOTH_LAYOUTS
async def test_power_statistic_matches_quarter_hours_and_peak(
    hass: HomeAssistant, setup: Setup, stand: StandIn
) -> None:
    """After a 40-day backfill: one ``power`` row per hour with mean = the hour's kWh (= the
    ``offtake`` row), min/max = 4 x its lowest/highest quarter-hour; the ``peak`` row of each
    month equals the highest max of the month's power rows; metadata a kW mean statistic."""
    ean = "541440010000000006"
    coordinator = await setup([ean], backfill_days=40)
    cursor = coordinator.cursors.get(ean)
    assert cursor.backfill_from is not None
    now = stand.sandbox.now()
    quarters = stand.sandbox.truth(ean, cursor.backfill_from, now, as_of=now)[
        "offtake"
    ].quarter_hourly
    by_hour = _quarters_by_hour(quarters)
    rows = await _power_rows(hass, ean)
    assert len(rows) > 24 * 30
    assert sorted(rows) == sorted(by_hour)
    for hour, values in by_hour.items():
        row = rows[hour]
        if len(values) < 4:
            assert (row["min"], row["max"]) == (None, None), hour
            continue
        assert row["mean"] == pytest.approx(sum(values)), hour
        assert row["max"] == pytest.approx(4 * max(values)), hour
        assert row["min"] == pytest.approx(4 * min(values)), hour
    offtake = {t: state for t, state, _ in await read_rows(hass, statistic_id(ean, "offtake"))}
    whole = [hour for hour, values in by_hour.items() if len(values) == 4]
    assert [rows[h]["mean"] for h in whole] == pytest.approx([offtake[h] for h in whole])

    months = month_peaks(cursor.peak_days, TIMEZONE)
    assert months[date(2025, 3, 1)].final
    peak_id = statistic_id(ean, "peak")
    peak_rows = (
        await get_instance(hass).async_add_executor_job(
            statistics_during_period,
            hass,
            utc(2020, 1, 1),
            None,
            {peak_id},
            "hour",
            None,
            {"max"},
        )
    )[peak_id]
    assert len(peak_rows) == len(months) >= 2
    for peak_row in peak_rows:
        month = datetime.fromtimestamp(peak_row["start"], UTC).astimezone(TIMEZONE).date()
        highest = max(
            row["max"]
            for hour, row in rows.items()
            if hour.astimezone(TIMEZONE).date().replace(day=1) == month and row["max"] is not None
        )
        assert peak_row["max"] == pytest.approx(highest), month
        assert months[month].peak_kw == pytest.approx(highest), month

    metadata = await get_instance(hass).async_add_executor_job(
        lambda: get_metadata(hass, statistic_ids={statistic_id(ean, "power")})
    )
    [(_, meta)] = metadata.values()
    assert meta["mean_type"] is StatisticMeanType.ARITHMETIC
    assert not meta["has_sum"]
    assert (meta["unit_class"], meta["unit_of_measurement"]) == ("power", "kW")


@pytest.mark.freeze_time("2025-05-10T09:30:00Z")
async def test_power_rows_follow_revisions_and_holes(
    hass: HomeAssistant, setup: Setup, stand: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    """The same poll twice writes no power row; a quarter-hour revised 2 kWh higher rewrites its
    hour (mean + 2, max = 4 x the new value); a null quarter-hour leaves its hour with the mean
    of the other three and no min or max."""
    ean = "541440110000000002"
    revised = utc(2025, 5, 8, 18, 15)
    nulled = utc(2025, 5, 9, 10, 30)
    stand.sandbox.correct(ean, revised, 2.0, at=utc(2025, 5, 10, 15))
    stand.sandbox.blank(ean, nulled, direction="offtake")
    coordinator = await setup([ean], backfill_days=6)
    cursor = coordinator.cursors.get(ean)
    power_id = statistic_id(ean, "power")

    rows = await _power_rows(hass, ean)
    now = stand.sandbox.now()
    quarters = stand.sandbox.truth(ean, utc(2025, 5, 9), now, as_of=now)["offtake"].quarter_hourly
    assert nulled not in quarters
    hole = nulled.replace(minute=0)
    others = [quarters[hole + k * QH] for k in range(4) if hole + k * QH != nulled]
    assert len(others) == 3
    assert rows[hole]["mean"] == pytest.approx(4 * sum(others) / 3)
    assert (rows[hole]["min"], rows[hole]["max"]) == (None, None)
    before = rows[revised.replace(minute=0)]

    # The same poll twice: no power row written the second time.
    await async_fire_poll(hass, freezer, coordinator, stand)
    written = cursor.rows_written
    cursor.last_insert_poll = cursor.backfill_to
    await async_fire_poll(hass, freezer, coordinator)
    assert cursor.rows_written == written
    assert coordinator.data is not None

    # The revision arrives with the next day's poll: its hour is rewritten.
    advance(freezer, stand, timedelta(days=1))
    await async_fire_poll(hass, freezer, coordinator, stand)
    assert coordinator.last_update_success
    after = (await _power_rows(hass, ean))[revised.replace(minute=0)]
    assert after["mean"] == pytest.approx(before["mean"] + 2.0)
    hour_values = stand.sandbox.truth(ean, revised.replace(minute=0), revised + 3 * QH, as_of=None)[
        "offtake"
    ].quarter_hourly
    assert after["max"] == pytest.approx(4 * max(hour_values.values()))
    assert power_id in coordinator.diagnostics()["rows_written_since_start"]


@pytest.mark.freeze_time("2025-05-10T09:30:00Z")
async def test_energy_dashboard_takes_it_as_the_grid_power(
    hass: HomeAssistant, setup: Setup
) -> None:
    """The grid source with ``power_config: {stat_rate: fluvius:<ean>_power}`` is saved with
    that ``stat_rate`` and validates without an issue once the statistic exists; the power
    graph's reads find it: no ``5minute`` rows (the graph then uses the ``hour`` rows it also
    asks for), hourly and daily means in kW (and W: the unit class converts)."""
    ean = "541440110000000002"
    power_id = statistic_id(ean, "power")
    grid = {
        "type": "grid",
        "stat_energy_from": statistic_id(ean, "offtake"),
        "stat_energy_to": statistic_id(ean, "injection"),
        "stat_cost": None,
        "stat_compensation": None,
        "power_config": {"stat_rate": power_id},
        "cost_adjustment_day": 0.0,
    }
    manager = await energy_data.async_get_manager(hass)
    await manager.async_update(
        {"energy_sources": energy_data.ENERGY_SOURCE_SCHEMA([grid])}  # type: ignore[typeddict-item]
    )
    assert manager.data is not None
    assert manager.data["energy_sources"][0].get("stat_rate") == power_id
    # Before any import the statistic is unknown, and validation says so.
    issues = (await async_validate(hass)).as_dict()["energy_sources"]
    assert any(issue["type"] == "statistics_not_defined" for issue in issues[0])

    await setup([ean], backfill_days=3)
    assert (await async_validate(hass)).as_dict()["energy_sources"] == [[]]

    begin, end = utc(2025, 5, 7), utc(2025, 5, 10)
    units = {"power": "kW"}

    def read(period: str, unit: dict[str, str]) -> list[Any]:
        return statistics_during_period(hass, begin, end, {power_id}, period, unit, {"mean"}).get(
            power_id, []
        )  # type: ignore[arg-type]

    instance = get_instance(hass)
    assert await instance.async_add_executor_job(read, "5minute", units) == []
    hourly = await instance.async_add_executor_job(read, "hour", units)
    assert len(hourly) >= 48
    # Days of Home Assistant's time zone: each whole one is the mean of its hours.
    whole_days = 0
    for day in await instance.async_add_executor_job(read, "day", units):
        means = [row["mean"] for row in hourly if day["start"] <= row["start"] < day["end"]]
        if len(means) == 24:
            whole_days += 1
            assert day["mean"] == pytest.approx(sum(means) / 24)
    assert whole_days >= 1
    in_watts = await instance.async_add_executor_job(read, "hour", {"power": "W"})
    assert [row["mean"] for row in in_watts] == pytest.approx(
        [1000 * row["mean"] for row in hourly]
    )
