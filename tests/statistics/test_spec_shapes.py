"""Payloads the spec allows but the stand-in does not send, written here in the spec's exact
JSON shape (fluvius-api.md §7.7) and served through the stand-in in place of its own answer.

* Digital quarter-hours carrying ``total``, or ``day`` and ``night`` (both, one of them 0; or
  only the register of the slice's tariff; §14 A13): the same hourly rows, the same monthly
  peak, final flag, capacity average and ``peak`` statistic. The month is the Brussels
  calendar month (March 2025 has 2,972 quarter-hours): quarter-hours of April in the same
  response do not count for March, and only offtake counts.
* A late EST copy of a READ quarter-hour in the same response: the READ value is kept by the
  rows, the peak and its final flag.
* A null value: that quarter-hour is missing (never 0), the rest is imported, the count is in
  the diagnostics, and its day is not the last complete day.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, date, datetime, timedelta
import json
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
import pytest

from custom_components.fluvius.api.parser import parse_energy
from custom_components.fluvius.capacity import day_peaks, month_peaks
from custom_components.fluvius.const import TIMEZONE
from custom_components.fluvius.rows import offtake_quarter_hours, rows_from_energy
from custom_components.fluvius.series import statistic_id
from fluvius_sandbox.config import ENERGY_PATH
from fluvius_sandbox.timeutil import local_midnight
from tests.standin import EAN_DIGITAL, StandIn, start_stand_in

from .conftest import make_entry, start_entry, stop_entry
from .helpers import read_rows

QH = timedelta(minutes=15)
LAYOUTS = ("total", "day_night", "day_night_sparse")

MARCH = date(2025, 3, 1)
APRIL = date(2025, 4, 1)
MARCH_START = local_midnight(MARCH)  # 2025-02-28T23:00Z
APRIL_START = local_midnight(APRIL)  # 2025-03-31T22:00Z
APRIL_QUARTERS = 8  # the first two hours of April in the same response
PEAK_AT = datetime(2025, 3, 12, 17, 0, tzinfo=UTC)  # 18:00 local, a Wednesday
PEAK_KWH = 2.5  # 10 kW
APRIL_KWH = 3.0  # 12 kW: April's, never March's
INJECTION_TOP_KWH = 9.0  # more than any offtake: the peak is offtake only
NOW = datetime(2025, 4, 1, 10, 0, tzinfo=UTC)


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _day_tariff(start: datetime) -> bool:
    local = start.astimezone(TIMEZONE)
    return local.weekday() < 5 and 7 <= local.hour < 22


def _registers(value: float, start: datetime, layout: str, state: str) -> dict[str, Any]:
    def leaf(v: float) -> dict[str, Any]:
        return {"value": v, "unit": "kWh", "validationState": state}

    if layout == "total":
        return {"total": leaf(value)}
    day = _day_tariff(start)
    if layout == "day_night_sparse":
        return {"day" if day else "night": leaf(value)}
    return {"day": leaf(value if day else 0.0), "night": leaf(0.0 if day else value)}


def _offtake_kwh(i: int, start: datetime) -> float:
    if start == PEAK_AT:
        return PEAK_KWH
    if start >= APRIL_START:
        return APRIL_KWH
    return round(0.05 + (i * 37 % 101) / 100, 3)  # at most 1.05 kWh


def _injection_kwh(i: int, start: datetime) -> float:
    return INJECTION_TOP_KWH if start == PEAK_AT + QH else round((i * 13 % 17) / 40, 3)


def month_intervals(layout: str) -> list[dict[str, Any]]:
    """March 2025 and two hours of April, offtake and injection, all READ, then a late EST copy
    of the peak quarter-hour (higher) at the end of the array."""
    intervals: list[dict[str, Any]] = []
    start = MARCH_START
    i = 0
    while start < APRIL_START + APRIL_QUARTERS * QH:
        measurement = {
            "offtake": _registers(_offtake_kwh(i, start), start, layout, "READ"),
            "injection": _registers(_injection_kwh(i, start), start, layout, "READ"),
        }
        intervals.append(
            {"start": _ts(start), "end": _ts(start + QH), "measurements": [measurement]}
        )
        start += QH
        i += 1
    late = {"offtake": _registers(2 * PEAK_KWH, PEAK_AT, layout, "EST")}
    intervals.append({"start": _ts(PEAK_AT), "end": _ts(PEAK_AT + QH), "measurements": [late]})
    return intervals


def offtake_hours() -> dict[datetime, float]:
    """The hourly offtake the month's READ quarter-hours add up to: 31 x 24 - 1 hours of
    March (30 March has 23) and two of April."""
    hours: dict[datetime, float] = {}
    start = MARCH_START
    i = 0
    while start < APRIL_START + APRIL_QUARTERS * QH:
        hour = start.replace(minute=0)
        hours[hour] = hours.get(hour, 0.0) + _offtake_kwh(i, start)
        start += QH
        i += 1
    assert len(hours) == 31 * 24 - 1 + 2
    return hours


def digital_payload(ean: str, intervals: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "data": {
            "headpoint": {
                "$type": "metering-on-meter",
                "ean": ean,
                "energyType": "E",
                "physicalMeters": [
                    {
                        "seqNumber": "1",
                        "meterID": "1SAG3105012345",
                        "quarterHourlyEnergy": intervals,
                    }
                ],
            }
        }
    }


def _serving(ean: str, intervals: list[dict[str, Any]]) -> Middleware:
    """GET Energy readTime for ``ean``: the intervals starting in [from, to) of the request, in
    place of the stand-in's answer, once the stand-in accepted the request."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if (
            request.path.endswith(ENERGY_PATH)
            and request.query.get("ean") == ean
            and request.query.get("periodType") == "readTime"
            and response.status == 200
        ):
            begin, end = request.query["from"], request.query["to"]
            chosen = [item for item in intervals if begin <= item["start"] < end]
            return web.json_response(digital_payload(ean, chosen))
        return response

    return middleware


# --- one function decides a slice's active energy ---------------------------------------------


def test_every_layout_gives_the_same_rows_and_quarter_hours() -> None:
    """Rows and the peak's quarter-hours are the same whichever registers carry the energy;
    the late EST copy changes neither."""
    parsed = {
        layout: parse_energy(digital_payload(EAN_DIGITAL, month_intervals(layout)))
        for layout in LAYOUTS
    }
    rows = {layout: rows_from_energy(data, hourly_access=True) for layout, data in parsed.items()}
    quarters = {layout: offtake_quarter_hours(data) for layout, data in parsed.items()}
    assert rows["total"][(EAN_DIGITAL, "offtake")] == pytest.approx(offtake_hours())
    for layout in LAYOUTS:
        assert dict(rows[layout]) == dict(rows["total"]), layout
        assert not rows[layout].partial, layout
        assert [(s.start, s.value, s.state) for s in quarters[layout][EAN_DIGITAL]] == [
            (s.start, s.value, s.state) for s in quarters["total"][EAN_DIGITAL]
        ], layout


def test_missing_day_or_night_value_makes_the_slice_missing() -> None:
    """``day`` + ``night`` with one of them null: the slice is missing (not the other register
    alone), its hour is written with the rest and marked partial; ``total`` beats a null
    ``day``."""
    intervals = month_intervals("day_night")[:8]  # 1 March, 00:00-02:00 local: night
    registers = intervals[1]["measurements"][0]["offtake"]
    registers["night"]["value"] = None  # the register that holds the energy
    intervals[5]["measurements"][0]["offtake"]["day"] = None
    intervals[6]["measurements"][0]["offtake"]["day"]["value"] = None
    intervals[6]["measurements"][0]["offtake"]["total"] = {
        "value": 0.75,
        "unit": "kWh",
        "validationState": "READ",
    }
    data = parse_energy(digital_payload(EAN_DIGITAL, intervals))
    assert data.missing_values == 3
    [samples] = offtake_quarter_hours(data).values()
    starts = [MARCH_START + k * QH for k in range(8)]
    assert [s.start for s in samples] == [starts[k] for k in (0, 2, 3, 4, 6, 7)]
    assert samples[4].value == 0.75
    rows = rows_from_energy(data, hourly_access=True)
    first, second = starts[0], starts[4]
    values = [_offtake_kwh(k, starts[k]) for k in range(8)]
    assert rows[(EAN_DIGITAL, "offtake")][first] == pytest.approx(values[0] + values[2] + values[3])
    assert rows[(EAN_DIGITAL, "offtake")][second] == pytest.approx(values[4] + 0.75 + values[7])
    assert rows.partial == {(EAN_DIGITAL, "offtake"): {first, second}}


def test_late_estimate_after_read_value() -> None:
    """The READ value of the peak quarter-hour stays, though an EST copy follows it."""
    data = parse_energy(digital_payload(EAN_DIGITAL, month_intervals("total")))
    [samples] = offtake_quarter_hours(data).values()
    [peak] = [s for s in samples if s.start == PEAK_AT]
    assert (peak.value, peak.state) == (PEAK_KWH, "READ")
    months = month_peaks(day_peaks(samples, TIMEZONE), TIMEZONE)
    assert months[MARCH].final
    assert months[MARCH].peak_kw == pytest.approx(4 * PEAK_KWH)


# --- a full month through the real client and recorder -----------------------------------


@pytest.fixture(params=LAYOUTS)
async def month_stand(
    request: pytest.FixtureRequest, freezer: FrozenDateTimeFactory
) -> AsyncGenerator[StandIn]:
    freezer.move_to(NOW)
    intervals = month_intervals(request.param)
    stand, server = await start_stand_in(
        now=NOW, middlewares=[_serving(EAN_DIGITAL, intervals)], estimate_share=0.0
    )
    yield stand
    await server.close()


async def test_full_month_peak_in_every_layout(hass: HomeAssistant, month_stand: StandIn) -> None:
    """March 2025 in quarter-hours: final peak 10 kW at its moment (not April's 12 kW, not the
    injection, not the late estimate), April not final, the capacity average over both, one
    ``peak`` row per month, hourly offtake rows exact."""
    entry = make_entry(month_stand, [EAN_DIGITAL], backfill_days=40)
    coordinator = await start_entry(hass, entry)
    cursor = coordinator.cursors.get(EAN_DIGITAL)
    assert cursor.backfill_done

    months = month_peaks(cursor.peak_days, TIMEZONE)
    assert sorted(months) == [MARCH, APRIL]
    march, april = months[MARCH], months[APRIL]
    assert march.final
    assert march.count == march.expected == 31 * 96 - 4
    assert march.peak_kw == pytest.approx(4 * PEAK_KWH)
    assert march.moment == PEAK_AT
    assert not april.final
    assert april.count == APRIL_QUARTERS
    assert april.peak_kw == pytest.approx(4 * APRIL_KWH)

    state = coordinator.data.meters[EAN_DIGITAL]
    assert state.month_peak == april
    assert state.capacity_average == pytest.approx((4 * PEAK_KWH + 4 * APRIL_KWH) / 2)

    peak_id = statistic_id(EAN_DIGITAL, "peak")
    stats = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        datetime(2025, 1, 1, tzinfo=UTC),
        None,
        {peak_id},
        "hour",
        None,
        {"mean", "max"},
    )
    rows = stats[peak_id]
    assert [datetime.fromtimestamp(r["start"], UTC) for r in rows] == [MARCH_START, APRIL_START]
    assert [r["max"] for r in rows] == pytest.approx([4 * PEAK_KWH, 4 * APRIL_KWH])

    offtake = await read_rows(hass, statistic_id(EAN_DIGITAL, "offtake"))
    assert {t: v for t, v, _ in offtake} == pytest.approx(offtake_hours())
    await stop_entry(hass, entry)


# --- null values through the real client and recorder ------------------------------------


def _nulling(ean: str, starts: set[str], served: list[int]) -> Middleware:
    """The stand-in's own answer with the offtake values of the quarter-hours in ``starts`` set
    to null (every register the layout sends: ``total``, or ``day`` and ``night``); ``served``
    counts the nulls sent."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if not (
            request.path.endswith(ENERGY_PATH)
            and request.query.get("ean") == ean
            and response.status == 200
            and isinstance(response, web.Response)
            and response.body is not None
        ):
            return response
        body = json.loads(bytes(response.body))  # type: ignore[arg-type]
        for meter in body["data"]["headpoint"].get("physicalMeters", []):
            for interval in meter.get("quarterHourlyEnergy") or []:
                if interval["start"] in starts:
                    for measurement in interval["measurements"]:
                        for register in measurement["offtake"].values():
                            register["value"] = None
                            served.append(1)
        return web.json_response(body)

    return middleware


NULL_NOW = datetime(2026, 11, 19, 9, 0, tzinfo=UTC)  # Thursday; Wednesday is yesterday
NULLED = datetime(2026, 11, 18, 9, 15, tzinfo=UTC)  # Wednesday 10:15 local


async def test_null_value_is_missing_counted_and_not_a_complete_day(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A null offtake quarter-hour: every other value is imported exactly, its hour holds the
    other three quarter-hours, diagnostics count it, and the last complete offtake day is the
    day before (injection, complete, is yesterday)."""
    freezer.move_to(NULL_NOW)
    served: list[int] = []
    stand, server = await start_stand_in(
        now=NULL_NOW,
        middlewares=[_nulling(EAN_DIGITAL, {_ts(NULLED)}, served)],
        estimate_share=0.0,
    )
    try:
        entry = make_entry(stand, [EAN_DIGITAL], backfill_days=3)
        coordinator = await start_entry(hass, entry)
        assert coordinator.last_update_success
        cursor = coordinator.cursors.get(EAN_DIGITAL)
        assert cursor.backfill_done
        assert served
        start = cursor.backfill_from
        assert start is not None
        truth = stand.sandbox.truth(EAN_DIGITAL, start, NULL_NOW, as_of=stand.sandbox.now())
        expected = dict(truth["offtake"].hourly)
        expected[NULLED.replace(minute=0)] -= truth["offtake"].quarter_hourly[NULLED]
        rows = await read_rows(hass, statistic_id(EAN_DIGITAL, "offtake"))
        assert {t: v for t, v, _ in rows} == pytest.approx(expected)

        diagnostics = coordinator.diagnostics()
        assert diagnostics["cursors"][EAN_DIGITAL]["missing_values_total"] == len(served)

        last_day = coordinator.data.meters[EAN_DIGITAL].last_day
        yesterday = date(2026, 11, 18)
        assert last_day["injection"][0] == yesterday
        day_before = yesterday - timedelta(days=1)
        assert last_day["offtake"][0] == day_before
        assert last_day["offtake"][1] == pytest.approx(
            sum(
                v
                for t, v in truth["offtake"].hourly.items()
                if t.astimezone(TIMEZONE).date() == day_before
            )
        )
        await stop_entry(hass, entry)
    finally:
        await server.close()
