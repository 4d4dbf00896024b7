"""Payload readings the spec leaves open (fluvius_sandbox.scenario): digital quarter-hour
registers, missing values and duplicate intervals with mixed states; the truth follows each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fluvius_sandbox import Sandbox, SandboxConfig
from fluvius_sandbox.scenario import Scenario, ScenarioError
from fluvius_sandbox.timeutil import format_api_datetime

from .conftest import NOW, MakeClient, SandboxClient, milli, when

QH_EAN = "541440110000000001"  # digital electricity, offtake + injection, quarter-hours
DAILY_EAN = "541440100000000001"  # digital electricity, offtake + injection, daily only
AMR_PV = "541450011000000001"  # AMR offtake with PV production + auxiliary submeters
GAS_EAN = "541441010000000001"  # digital gas, hourly
START = datetime(2026, 11, 9, 23, tzinfo=UTC)  # Tuesday 10 November, local midnight
END = START + timedelta(days=3)
FINE = "hourly_quarterhourly"
MISSING = object()  # the register is not in the response


def _fmt(moment: datetime) -> str:
    return format_api_datetime(moment)


def _containers(data: dict[str, Any]) -> list[dict[str, Any]]:
    headpoint = data["data"]["headpoint"]
    main = headpoint["physicalMeters"][0] if "physicalMeters" in headpoint else headpoint
    return [{**main, "ean": headpoint["ean"]}, *headpoint.get("subHeadpoints", [])]


type Copies = dict[tuple[str, str, str, str, datetime], list[tuple[object, str]]]


def _copies(data: dict[str, Any], array: str, expected: dict[str, list[str]]) -> Copies:
    """(EAN, direction, register, unit, start) -> every copy's (value or None or MISSING,
    state), in response order. ``expected``: direction -> registers each interval should
    have (a register left out shows as MISSING)."""
    result: Copies = {}
    for container in _containers(data):
        for interval in container.get(array, []):
            start = when(interval["start"])
            for measurement in interval["measurements"]:
                for direction, registers in measurement.items():
                    units = {leaf["unit"] for leaf in registers.values()} or {"kWh"}
                    for register in expected.get(direction, list(registers)):
                        leaf = registers.get(register)
                        for unit in units:
                            key = (container["ean"], direction, register, unit, start)
                            if leaf is None:
                                copy: tuple[object, str] = (MISSING, "")
                            elif leaf["unit"] != unit:
                                continue
                            elif "value" not in leaf:
                                copy = (MISSING, leaf["validationState"])
                            else:
                                copy = (leaf["value"], leaf["validationState"])
                            result.setdefault(key, []).append(copy)
    return result


async def _fine(client: SandboxClient, ean: str, **params: Any) -> dict[str, Any]:
    data: dict[str, Any] = await client.energy_json(
        ean, _fmt(START), _fmt(END), granularity=FINE, **params
    )
    return data


# --- digital quarter-hour registers ----------------------------------------------------------


@pytest.mark.parametrize("layout", ["total", "day_night"])
async def test_truth_is_the_active_energy_in_both_layouts(
    make_client: MakeClient, layout: str
) -> None:
    client = await make_client(quarter_hours=layout)
    client.sandbox.add_mandate(QH_EAN)
    data = await _fine(client, QH_EAN)
    truth = client.sandbox.truth(QH_EAN, START, END, as_of=client.sandbox.now())
    registers = ["total"] if layout == "total" else ["day", "night"]
    copies = _copies(data, "quarterHourlyEnergy", {"offtake": registers})
    sent: dict[datetime, int] = {}
    for (_, direction, register, _, start), [(value, _)] in copies.items():
        if direction != "offtake":
            continue
        assert register in registers
        assert isinstance(value, float)
        sent[start] = sent.get(start, 0) + milli(value)
    expected = truth["offtake"].quarter_hourly
    assert len(sent) == 3 * 96
    assert sent == {start: milli(value) for start, value in expected.items()}


def test_layout_knob_is_typed() -> None:
    with pytest.raises(ValueError, match="day_night"):
        Sandbox(SandboxConfig(now=NOW, quarter_hours="hourly"))
    with pytest.raises(ScenarioError, match="missing_share"):
        Scenario(missing_share=1.5)


# --- missing values --------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["null", "no_value", "no_register"])
@pytest.mark.parametrize("layout", ["total", "day_night"])
async def test_a_share_of_values_is_missing_and_the_truth_leaves_them_out(
    make_client: MakeClient, form: str, layout: str
) -> None:
    client = await make_client(
        quarter_hours=layout, missing_share=0.1, missing_form=form, estimate_share=0.0
    )
    client.sandbox.add_mandate(QH_EAN)
    data = await _fine(client, QH_EAN)
    assert data == await _fine(client, QH_EAN)  # the same values are missing every time
    registers = ["total"] if layout == "total" else ["day", "night"]
    copies = _copies(data, "quarterHourlyEnergy", {"offtake": registers, "injection": registers})
    truth = client.sandbox.truth(QH_EAN, START, END, as_of=client.sandbox.now())
    absent = None if form == "null" else MISSING
    for direction in ("offtake", "injection"):
        per_start: dict[datetime, list[object]] = {}
        for (_, d, _, _, start), [(value, _)] in copies.items():
            if d == direction:
                per_start.setdefault(start, []).append(value)
        gaps = {start for start, values in per_start.items() if absent in values}
        if layout == "day_night":  # the two registers of a direction go missing together
            assert all(values == [absent, absent] for s, values in per_start.items() if s in gaps)
        assert 0.05 * 288 < len(gaps) < 0.2 * 288
        series = truth[direction]
        assert set(series.quarter_hourly) == set(per_start) - gaps  # missing, never 0
        for start, kwh in series.quarter_hourly.items():
            assert milli(kwh) == sum(milli(v) for v in per_start[start])  # type: ignore[arg-type]
        for hour, kwh in series.hourly.items():
            quarters = [hour + timedelta(minutes=15 * i) for i in range(4)]
            present = [q for q in quarters if q in series.quarter_hourly]
            assert present
            assert milli(kwh) == sum(milli(series.quarter_hourly[q]) for q in present)
        full_hours = {start.replace(minute=0) for start in per_start}
        empty = {
            h for h in full_hours if all(h + timedelta(minutes=15 * i) in gaps for i in range(4))
        }
        assert set(series.hourly) == full_hours - empty


async def test_chosen_values_are_missing(client: SandboxClient) -> None:
    sandbox = client.sandbox
    sandbox.add_mandate(AMR_PV)
    sandbox.add_mandate(GAS_EAN)
    qh = START + timedelta(hours=10)
    production = "541450011000800001"
    sandbox.blank(AMR_PV, qh, qh + timedelta(minutes=30), register="inductive")
    sandbox.blank(AMR_PV, qh, point_ean=production, form="no_register", register="total")
    sandbox.blank(GAS_EAN, qh, unit="kWh", form="no_value")
    amr = _copies(await _fine(client, AMR_PV), "quarterHourlyEnergy", {})
    assert amr[(AMR_PV, "offtake", "inductive", "kVArh", qh)] == [(None, "VAL")]
    later = qh + timedelta(minutes=15)
    assert amr[(AMR_PV, "offtake", "inductive", "kVArh", later)][0][0] is None
    assert isinstance(amr[(AMR_PV, "offtake", "total", "kWh", qh)][0][0], float)
    assert (production, "production", "total", "kWh", qh) not in amr
    assert (production, "production", "inductive", "kVArh", qh) in amr
    truth = sandbox.truth(AMR_PV, START, END, as_of=sandbox.now())
    assert qh not in truth["offtake_inductive"].quarter_hourly
    assert later not in truth["offtake_inductive"].quarter_hourly
    assert qh in truth["offtake"].quarter_hourly
    assert qh not in truth[(production, "production")].quarter_hourly
    assert qh not in truth[(production, "production_inductive")].quarter_hourly  # every point
    assert later in truth[(production, "production")].quarter_hourly
    # The daily values are not affected: the meter's registers still counted the quarter-hours.
    assert (
        truth["offtake_inductive"].daily
        == sandbox.truth(AMR_PV, START, END, as_of=sandbox.now(), clip=False)[
            "offtake_inductive"
        ].daily
    )
    gas = _copies(await _fine(client, GAS_EAN), "hourlyEnergy", {})
    assert gas[(GAS_EAN, "offtake", "total", "kWh", qh)] == [(MISSING, "READ")]
    assert isinstance(gas[(GAS_EAN, "offtake", "total", "m3", qh)][0][0], float)
    gas_truth = sandbox.truth(GAS_EAN, START, END, as_of=sandbox.now())
    assert qh not in gas_truth["gas_kwh"].hourly
    assert qh in gas_truth["gas_m3"].hourly


async def test_a_missing_tariff_register(make_client: MakeClient) -> None:
    """day_night layout: the quarter-hour is missing when its tariff register is; the other
    register is a structural 0.000 and its absence changes nothing."""
    client = await make_client(quarter_hours="day_night", estimate_share=0.0)
    sandbox = client.sandbox
    sandbox.add_mandate(QH_EAN)
    day_quarter = START + timedelta(hours=9)  # 10:00 local, Tuesday: day tariff
    night_quarter = START + timedelta(hours=2)  # 03:00 local: night tariff
    for quarter in (day_quarter, night_quarter):
        sandbox.blank(QH_EAN, quarter, direction="offtake", register="day")
    sandbox.blank(QH_EAN, day_quarter, direction="injection", register="night")
    copies = _copies(await _fine(client, QH_EAN), "quarterHourlyEnergy", {})
    assert copies[(QH_EAN, "offtake", "day", "kWh", day_quarter)] == [(None, "READ")]
    assert copies[(QH_EAN, "offtake", "day", "kWh", night_quarter)] == [(None, "READ")]
    truth = sandbox.truth(QH_EAN, START, END, as_of=sandbox.now())
    assert day_quarter not in truth["offtake"].quarter_hourly
    night_value = copies[(QH_EAN, "offtake", "night", "kWh", night_quarter)][0][0]
    assert isinstance(night_value, float)
    assert truth["offtake"].quarter_hourly[night_quarter] == night_value
    injection = copies[(QH_EAN, "injection", "day", "kWh", day_quarter)][0][0]
    assert truth["injection"].quarter_hourly[day_quarter] == injection


async def test_missing_daily_registers(client: SandboxClient) -> None:
    sandbox = client.sandbox
    sandbox.add_mandate(DAILY_EAN)
    day = START + timedelta(days=1)
    sandbox.blank(DAILY_EAN, day, direction="offtake", register="night", granularity="daily")
    data = await client.energy_json(DAILY_EAN, _fmt(START), _fmt(END))
    copies = _copies(data, "dailyEnergy", {})
    assert copies[(DAILY_EAN, "offtake", "night", "kWh", day)] == [(None, "READ")]
    truth = sandbox.truth(DAILY_EAN, START, END, as_of=sandbox.now())
    assert day not in truth["offtake_night"].daily
    assert day in truth["offtake_day"].daily
    assert day not in truth["offtake"].daily  # the day's total needs both registers
    assert day in truth["injection"].daily
    assert len(truth["offtake"].daily) == 2


# --- duplicates with mixed states ------------------------------------------------------------


@pytest.mark.parametrize(
    ("order", "states"), [("est_last", ["READ", "EST"]), ("est_first", ["EST", "READ"])]
)
async def test_a_chosen_interval_twice_with_mixed_states(
    make_client: MakeClient, order: str, states: list[str]
) -> None:
    client = await make_client(quarter_hours="total", estimate_share=0.0)
    sandbox = client.sandbox
    sandbox.add_mandate(QH_EAN)
    qh = START + timedelta(hours=12)
    sandbox.duplicate(QH_EAN, qh, order=order)
    data = await _fine(client, QH_EAN)
    starts = [
        q["start"] for q in data["data"]["headpoint"]["physicalMeters"][0]["quarterHourlyEnergy"]
    ]
    assert len(starts) == 3 * 96 + 1
    assert starts.count(_fmt(qh)) == 2
    assert starts.index(_fmt(qh)) + 1 == len(starts) - starts[::-1].index(_fmt(qh)) - 1
    copies = _copies(data, "quarterHourlyEnergy", {})
    truth = sandbox.truth(QH_EAN, START, END, as_of=sandbox.now())
    for direction in ("offtake", "injection"):
        both = copies[(QH_EAN, direction, "total", "kWh", qh)]
        assert [state for _, state in both] == states
        final = next(value for value, state in both if state == "READ")
        estimate = next(value for value, state in both if state == "EST")
        assert final != estimate
        assert truth[direction].quarter_hourly[qh] == final  # READ wins, wherever it is
    daily = _copies(
        await client.energy_json(QH_EAN, _fmt(START), _fmt(END), granularity="daily"),
        "dailyEnergy",
        {},
    )
    assert all(len(c) == 1 for c in daily.values())  # only the quarter-hour was chosen


async def test_a_share_of_final_intervals_twice(make_client: MakeClient) -> None:
    """About the share of final intervals comes twice, in both orders, at every granularity;
    the truth keeps the final copy."""
    client = await make_client(duplicate_share=0.1, estimate_share=0.0, quarter_hours="total")
    sandbox = client.sandbox
    orders: set[tuple[str, ...]] = set()
    cases = [
        (AMR_PV, "quarterHourlyEnergy", START, FINE),
        (QH_EAN, "quarterHourlyEnergy", START, FINE),
        (GAS_EAN, "hourlyEnergy", START, FINE),
        (QH_EAN, "dailyEnergy", START - timedelta(days=60), "daily"),
        (AMR_PV, "dailyEnergy", START - timedelta(days=60), "daily"),
    ]
    for ean, array, start, granularity in cases:
        sandbox.add_mandate(ean)
        data = await client.energy_json(ean, _fmt(start), _fmt(END), granularity=granularity)
        assert data == await client.energy_json(
            ean, _fmt(start), _fmt(END), granularity=granularity
        )
        truth = sandbox.truth(ean, start, END, as_of=sandbox.now())
        copies = _copies(data, array, {})
        starts = {key[4] for key in copies}
        twice = {key: pair for key, pair in copies.items() if len(pair) == 2}
        twice_starts = {key[4] for key in twice}
        assert 0.04 * len(starts) <= len(twice_starts) <= 0.2 * len(starts), (ean, array)
        for (point, direction, register, unit, moment), pair in twice.items():
            states = tuple(state for _, state in pair)
            assert sorted(states) in (["EST", "READ"], ["NVAL", "VAL"])
            orders.add(tuple(state in ("READ", "VAL") for state in states))
            final = next(value for value, state in pair if state in ("READ", "VAL"))
            assert final != next(value for value, state in pair if state in ("EST", "NVAL"))
            if register == "total" and unit == "kWh" and array == "quarterHourlyEnergy":
                assert truth[(point, direction)].quarter_hourly[moment] == final
    assert orders == {(True, False), (False, True)}


async def test_estimates_are_not_duplicated(make_client: MakeClient) -> None:
    """Only final intervals get an estimate copy: an estimate is never listed twice."""
    client = await make_client(duplicate_share=1.0, estimate_share=1.0, quarter_hours="total")
    sandbox = client.sandbox
    sandbox.add_mandate(QH_EAN)
    recent = NOW - timedelta(days=4)  # estimates of the last days are not corrected yet
    data = await client.energy_json(QH_EAN, _fmt(recent), _fmt(NOW), granularity=FINE)
    copies = _copies(data, "quarterHourlyEnergy", {})
    states = {tuple(s for _, s in c) for c in copies.values()}
    assert ("EST",) in states
    assert states <= {("EST",), ("READ", "EST"), ("EST", "READ")}


# --- settable like the other knobs ------------------------------------------------------------


async def test_admin_endpoint(client: SandboxClient) -> None:
    client.sandbox.add_mandate(QH_EAN)
    scenario = await (await client.http.get("/_sandbox/scenario")).json()
    assert scenario == {
        "quarter_hours": "day_night",
        "missing_share": 0.0,
        "missing_form": "null",
        "duplicate_share": 0.0,
        "blanks": 0,
        "duplicates": 0,
    }
    answer = await client.http.post(
        "/_sandbox/scenario",
        json={"quarter_hours": "total", "missing_share": 0.5, "missing_form": "no_value"},
    )
    assert answer.status == 200
    assert (await answer.json())["quarter_hours"] == "total"
    data = await _fine(client, QH_EAN)
    copies = _copies(data, "quarterHourlyEnergy", {})
    assert {key[2] for key in copies} == {"total"}
    assert any(value is MISSING for c in copies.values() for value, _ in c)
    for bad in (
        {"quarter_hours": "both"},
        {"missing_share": 2},
        {"missing_form": "zero"},
        {"x": 1},
    ):
        refused = await client.http.post("/_sandbox/scenario", json=bad)
        assert refused.status == 400, bad
        assert "error" in await refused.json()
    assert client.sandbox.scenario.quarter_hours == "total"  # unchanged by the refusals
    index = await (await client.http.get("/_sandbox")).json()
    assert index["scenario"]["missing_form"] == "no_value"
