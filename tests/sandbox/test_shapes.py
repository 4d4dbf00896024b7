"""Response shapes: the structure of every meter kind, compared with fluvius-api.md §7.7."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from .conftest import MakeClient, SandboxClient, series, skeleton

DAY = ("2026-11-10T23:00:00Z", "2026-11-11T23:00:00Z")
HOUR = ("2026-11-10T23:00:00Z", "2026-11-11T00:00:00Z")
QUARTER = ("2026-11-10T23:00:00Z", "2026-11-10T23:15:00Z")

# fluvius-api.md §7.7, verbatim.
DIGITAL_DAILY = """
{"data": {"headpoint": {"$type": "metering-on-meter", "ean": "541441234567891234",
  "energyType": "E", "physicalMeters": [{"seqNumber": "1", "meterID": "1SAG3105012345",
  "dailyEnergy": [{"start": "2024-09-18T22:00:00Z", "end": "2024-09-19T22:00:00Z",
  "measurements": [{
    "offtake": {"day": { "value": 0.000, "unit": "kWh", "validationState": "READ" },
                "night": { "value": 7.876, "unit": "kWh", "validationState": "READ" }},
    "injection": {"day": { "value": 0.000, "unit": "kWh", "validationState": "READ" },
                  "night": { "value": 3.959, "unit": "kWh", "validationState": "READ" }}
  }]}]}]}}}
"""
GAS_HOURLY = """
{"data": {"headpoint": {"$type": "metering-on-meter", "ean": "541441234567891234",
  "energyType": "G", "physicalMeters": [{"seqNumber": "1", "meterID": "7FLO2120012345",
  "hourlyEnergy": [{"start": "2024-09-18T22:00:00Z", "end": "2024-09-18T23:00:00Z",
  "measurements": [
    { "offtake": { "total": { "value": 0.243, "unit": "m3", "validationState": "READ" } } },
    { "offtake": { "total": { "value": 2.786, "unit": "kWh", "validationState": "READ",
                              "gasConversionFactor": "P" } } }
  ]}]}]}}}
"""
AMR_INJECTION_PRODUCTION = """
{"data": {"headpoint": {"$type": "metering-on-headpoint", "ean": "541441234567891234",
  "energyType": "E", "quarterHourlyEnergy": [{"start": "2024-09-18T22:00:00Z",
  "end": "2024-09-18T22:15:00Z", "measurements": [{"injection": {
    "total": { "value": 1421.000, "unit": "kWh", "validationState": "VAL" },
    "inductive": { "value": 0.000, "unit": "kVArh", "validationState": "VAL" },
    "capacitive": { "value": 136.500, "unit": "kVArh", "validationState": "VAL" }}}]}],
  "subHeadpoints": [{"$type": "submetering-production", "ean": "541441234567891235",
    "seqNumber": "1", "type": "WND", "quarterHourlyEnergy": [{"start": "2024-09-18T22:00:00Z",
    "end": "2024-09-18T22:15:00Z", "measurements": [{"production": {
      "total": { "value": 294.000, "unit": "kWh", "validationState": "VAL" },
      "inductive": { "value": 0.000, "unit": "kVArh", "validationState": "VAL" },
      "capacitive": { "value": 31.500, "unit": "kVArh", "validationState": "VAL" }}}]}]}]}}}
"""


def _mandate(client: SandboxClient, ean: str) -> None:
    client.sandbox.add_mandate(ean)


async def test_digital_electricity_daily_like_the_spec(client: SandboxClient) -> None:
    _mandate(client, "541440100000000001")
    data = await client.energy_json("541440100000000001", *DAY)
    assert skeleton(data) == skeleton(json.loads(DIGITAL_DAILY))
    headpoint = data["data"]["headpoint"]
    assert headpoint["ean"] == "541440100000000001"
    assert headpoint["physicalMeters"][0]["meterID"] == "1SAG3105010001"


async def test_digital_gas_hourly_like_the_spec(client: SandboxClient) -> None:
    _mandate(client, "541441010000000001")
    data = await client.energy_json("541441010000000001", *HOUR, granularity="hourly_quarterhourly")
    assert skeleton(data) == skeleton(json.loads(GAS_HOURLY))
    assert data["data"]["headpoint"]["physicalMeters"][0]["meterID"].startswith("7FLO")


async def test_amr_injection_with_production_submeter_like_the_spec(client: SandboxClient) -> None:
    ean = "541450211000000500"  # B6: WND, production only
    _mandate(client, ean)
    data = await client.energy_json(ean, *QUARTER, granularity="hourly_quarterhourly")
    assert skeleton(data) == skeleton(json.loads(AMR_INJECTION_PRODUCTION))
    sub = data["data"]["headpoint"]["subHeadpoints"][0]
    assert sub["ean"] == "541450211000800500"
    assert sub["type"] == "WND"


def _measurement_keys(interval: dict[str, Any]) -> list[dict[str, list[str]]]:
    return [
        {direction: list(registers) for direction, registers in m.items()}
        for m in interval["measurements"]
    ]


async def test_digital_quarter_hours_carry_day_and_night_by_default(
    client: SandboxClient,
) -> None:
    """The default layout is the one of the spec's digital examples: ``day`` and ``night``; the
    quarter-hour's tariff register carries the value, the other one is 0.000 (as the spec's
    daily example shows an unused register), both with the same state."""
    _mandate(client, "541440110000000001")
    data = await client.energy_json("541440110000000001", *DAY)
    meter = data["data"]["headpoint"]["physicalMeters"][0]
    assert _measurement_keys(meter["quarterHourlyEnergy"][0]) == [
        {"offtake": ["day", "night"], "injection": ["day", "night"]}
    ]
    assert _measurement_keys(meter["dailyEnergy"][0]) == [
        {"offtake": ["day", "night"], "injection": ["day", "night"]}
    ]
    # 11 November 2026 is a Wednesday: 00:00-07:00 local is night, 07:00-22:00 day.
    by_start = {q["start"]: q["measurements"][0]["offtake"] for q in meter["quarterHourlyEnergy"]}
    night = by_start["2026-11-11T05:45:00Z"]  # 06:45 local
    day = by_start["2026-11-11T06:00:00Z"]  # 07:00 local
    assert night["day"]["value"] == 0 and night["night"]["value"] > 0
    assert day["night"]["value"] == 0 and day["day"]["value"] > 0
    for registers in (night, day):
        assert {leaf["unit"] for leaf in registers.values()} == {"kWh"}
        assert registers["day"]["validationState"] == registers["night"]["validationState"]


@pytest.mark.parametrize(
    ("layout", "registers"), [("total", ["total"]), ("day_night", ["day", "night"])]
)
async def test_digital_quarter_hour_layout_knob(
    make_client: MakeClient, layout: str, registers: list[str]
) -> None:
    """``quarter_hours`` chooses the registers; the active energy is the same either way."""
    clients = {
        name: await make_client(quarter_hours=name, estimate_share=0.0)
        for name in ("total", "day_night")
    }
    client = clients[layout]
    _mandate(client, "541440010000000001")
    meter = (await client.energy_json("541440010000000001", *DAY))["data"]["headpoint"][
        "physicalMeters"
    ][0]
    assert _measurement_keys(meter["dailyEnergy"][0]) == [{"offtake": ["day", "night"]}]
    assert {tuple(q["measurements"][0]["offtake"]) for q in meter["quarterHourlyEnergy"]} == {
        tuple(registers)
    }
    other = clients["day_night" if layout == "total" else "total"]
    _mandate(other, "541440010000000001")
    other_meter = (await other.energy_json("541440010000000001", *DAY))["data"]["headpoint"][
        "physicalMeters"
    ][0]

    def values(quarters: list[dict[str, object]]) -> dict[str, int]:
        return {start: value for start, (value, _) in series(quarters, "offtake").items()}

    got = values(meter["quarterHourlyEnergy"])
    assert len(got) == 96
    assert got == values(other_meter["quarterHourlyEnergy"])


async def test_gas_daily_two_units(client: SandboxClient) -> None:
    _mandate(client, "541441000000000001")
    meter = (await client.energy_json("541441000000000001", *DAY))["data"]["headpoint"][
        "physicalMeters"
    ][0]
    assert list(meter)[2:] == ["dailyEnergy"]
    (day,) = meter["dailyEnergy"]
    assert [m["offtake"]["total"]["unit"] for m in day["measurements"]] == ["m3", "kWh"]
    assert day["measurements"][1]["offtake"]["total"]["gasConversionFactor"] in ("P", "D")


@pytest.mark.parametrize(
    ("ean", "main", "subs"),
    [
        ("541450010000000001", "offtake", []),
        ("541450210000000001", "injection", []),
        (
            "541450011000000001",
            "offtake",
            [
                ("submetering-production", "production", "PV"),
                ("submetering-auxiliary", "auxiliary", "PV"),
            ],
        ),
        ("541450211000000150", "injection", [("submetering-production", "production", "PV")]),
        (
            "541450211000000250",
            "injection",
            [
                ("submetering-production", "production", "WTR"),
                ("submetering-auxiliary", "auxiliary", "WTR"),
            ],
        ),
        ("541450011000000777", "offtake", [("submetering-production", "production", "WKKA")]),
        ("541450012000000001", "offtake", [("submetering-offtake", "offtake", None)]),
    ],
)
async def test_amr_electricity(
    client: SandboxClient, ean: str, main: str, subs: list[tuple[str, str, str | None]]
) -> None:
    _mandate(client, ean)
    headpoint = (await client.energy_json(ean, *DAY))["data"]["headpoint"]
    assert headpoint["$type"] == "metering-on-headpoint"
    assert "physicalMeters" not in headpoint
    registers = ["total", "inductive", "capacitive"]
    assert _measurement_keys(headpoint["quarterHourlyEnergy"][0]) == [{main: registers}]
    assert _measurement_keys(headpoint["dailyEnergy"][0]) == [{main: registers}]
    found = []
    for sub in headpoint.get("subHeadpoints", []):
        found.append(
            (sub["$type"], *_measurement_keys(sub["quarterHourlyEnergy"][0])[0], sub.get("type"))
        )
        assert sub["seqNumber"] == "1"
        assert len(sub["quarterHourlyEnergy"]) == 96
        assert len(sub["dailyEnergy"]) == 1
    assert found == [(t, d, i) for t, d, i in subs]
    if not subs:
        assert "subHeadpoints" not in headpoint
    leaf = headpoint["quarterHourlyEnergy"][0]["measurements"][0][main]
    assert [leaf[r]["unit"] for r in registers] == ["kWh", "kVArh", "kVArh"]
    assert {leaf[r]["validationState"] for r in registers} <= {"VAL", "NVAL"}


@pytest.mark.parametrize(
    ("types", "registers"),
    [
        (["active"], ["total"]),
        (["reactive"], ["inductive", "capacitive"]),
        (["active", "reactive"], ["total", "inductive", "capacitive"]),
        ("active, reactive", ["total", "inductive", "capacitive"]),  # the spec's example form
    ],
)
async def test_complex_energy_types(
    client: SandboxClient, types: list[str] | str, registers: list[str]
) -> None:
    ean = "541450011000000001"
    _mandate(client, ean)
    headpoint = (await client.energy_json(ean, *QUARTER, complexEnergyTypes=types))["data"][
        "headpoint"
    ]
    assert list(headpoint["quarterHourlyEnergy"][0]["measurements"][0]["offtake"]) == registers
    for sub in headpoint["subHeadpoints"]:
        (measurement,) = sub["quarterHourlyEnergy"][0]["measurements"]
        assert list(next(iter(measurement.values()))) == registers


async def test_complex_energy_types_ignored_for_digital_and_gas(client: SandboxClient) -> None:
    for ean in ("541440110000000001", "541441010000000001", "541451010000000001"):
        _mandate(client, ean)
        plain = await client.energy_json(ean, *DAY)
        assert await client.energy_json(ean, *DAY, complexEnergyTypes="reactive") == plain


@pytest.mark.parametrize(
    ("ean", "direction", "subs"),
    [
        ("541451010000000001", "offtake", 0),
        ("541451210000000001", "injection", 0),
        ("541451012000000001", "offtake", 1),
    ],
)
async def test_amr_gas_in_kwh(client: SandboxClient, ean: str, direction: str, subs: int) -> None:
    _mandate(client, ean)
    headpoint = (await client.energy_json(ean, *DAY))["data"]["headpoint"]
    assert headpoint["$type"] == "metering-on-headpoint"
    assert headpoint["energyType"] == "G"
    assert len(headpoint["hourlyEnergy"]) == 24
    (measurement,) = headpoint["hourlyEnergy"][0]["measurements"]
    leaf = measurement[direction]["total"]
    assert leaf["unit"] == "kWh"
    assert leaf["validationState"] in ("VAL", "NVAL")
    assert leaf["gasConversionFactor"] in ("P", "D")
    assert len(headpoint.get("subHeadpoints", [])) == subs
    if subs:
        sub = headpoint["subHeadpoints"][0]
        assert sub["$type"] == "submetering-offtake"
        assert list(sub["hourlyEnergy"][0]["measurements"][0]) == ["offtake"]


async def test_values_and_timestamps_format(client: SandboxClient) -> None:
    _mandate(client, "541450011000000001")
    response = await client.energy("541450011000000001", *DAY)
    assert response.content_type == "application/json"
    text = await response.text()
    data = json.loads(text)
    interval = data["data"]["headpoint"]["quarterHourlyEnergy"][0]
    assert interval["start"] == "2026-11-10T23:00:00Z"
    assert interval["end"] == "2026-11-10T23:15:00Z"
    # Every number is written with exactly three decimals, like the spec's 7.876 / 0.000.
    numbers = re.findall(r'"value":([^,}]*)', text)
    assert numbers
    assert all(re.fullmatch(r"\d+\.\d{3}", n) for n in numbers)


async def test_empty_arrays_when_nothing_is_there_yet(client: SandboxClient) -> None:
    _mandate(client, "541440110000000001")
    data = await client.energy_json(
        "541440110000000001", "2026-11-20T23:00:00Z", "2026-11-21T23:00:00Z"
    )
    meter = data["data"]["headpoint"]["physicalMeters"][0]
    assert meter["dailyEnergy"] == []
    assert meter["quarterHourlyEnergy"] == []
