"""Values that cannot be true: negative or impossible energies, wrong and unknown units,
duplicate and out-of-order intervals (docs/architecture.md, "Bad payloads")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import logging
from typing import Any

import pytest

from custom_components.fluvius.api.errors import FluviusPayloadError
from custom_components.fluvius.api.models import Resolution, active_series
from custom_components.fluvius.api.parser import parse_energy
from custom_components.fluvius.api.plausibility import MAX_GAS_FLOW_M3H, MAX_POWER_KW

EAN = "541441234567891234"
T0 = datetime(2024, 9, 18, 22, 0, tzinfo=UTC)
QH = Resolution.QUARTER_HOURLY
QUARTER_HOUR_BOUND = MAX_POWER_KW / 4  # 10,000 kWh
PARSER_LOGGER = "custom_components.fluvius.api.parser"


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _interval(start: datetime, measurements: dict[str, Any], minutes: int = 15) -> dict[str, Any]:
    return {
        "start": _ts(start),
        "end": _ts(start + timedelta(minutes=minutes)),
        "measurements": [measurements],
    }


def _leaf(value: float, unit: str = "kWh") -> dict[str, Any]:
    return {"value": value, "unit": unit, "validationState": "READ"}


def _payload(
    intervals: list[dict[str, Any]],
    *,
    energy_type: str = "E",
    head_type: str = "metering-on-headpoint",
    array: str = "quarterHourlyEnergy",
) -> dict[str, Any]:
    return {
        "data": {
            "headpoint": {
                "$type": head_type,
                "ean": EAN,
                "energyType": energy_type,
                array: intervals,
            }
        }
    }


def _offtake(values: list[float], unit: str = "kWh", **kwargs: Any) -> dict[str, Any]:
    return _payload(
        [
            _interval(T0 + timedelta(minutes=15 * i), {"offtake": {"total": _leaf(v, unit)}})
            for i, v in enumerate(values)
        ],
        **kwargs,
    )


def _values(
    payload: dict[str, Any], direction: str = "offtake", register: str = "total"
) -> list[float]:
    data = parse_energy(payload)
    found = [
        samples
        for key, samples in data.series.items()
        if key.direction == direction and key.register == register
    ]
    return [sample.value for samples in found for sample in samples]


@pytest.mark.parametrize("bad", [-0.001, -5.0, QUARTER_HOUR_BOUND + 0.001, 1e12])
def test_impossible_value_dropped_and_logged(caplog: pytest.LogCaptureFixture, bad: float) -> None:
    """One glitch is dropped (with a warning naming the meter and time); the rest is kept."""
    with caplog.at_level(logging.WARNING, logger=PARSER_LOGGER):
        values = _values(_offtake([1.0, bad, 2.0]))
    assert values == [1.0, 2.0]
    [record] = [r for r in caplog.records if r.name == PARSER_LOGGER]
    assert EAN in record.getMessage()
    assert _ts(T0 + timedelta(minutes=15)).replace("Z", "+00:00") in record.getMessage()
    assert ("negative" if bad < 0 else "physical bound") in record.getMessage()


def test_many_impossible_values_one_warning_per_response(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A response full of glitches logs ONE warning (how many, the first of each kind), never
    one line per value: a bad day of a quarter-hour meter would otherwise flood the log."""
    values = [1.0, -2.0, QUARTER_HOUR_BOUND + 1, -1.0, 2.0, -3.0, 1e12, *([-4.0] * 90)]
    payload = _offtake(values)
    # The daily array of the same response glitches too: still the one warning.
    payload["data"]["headpoint"]["dailyEnergy"] = [
        _interval(T0 + timedelta(days=2), {"offtake": {"total": _leaf(-5.0)}}, 24 * 60)
    ]
    with caplog.at_level(logging.WARNING, logger=PARSER_LOGGER):
        data = parse_energy(payload)
    kept = [sample.value for samples in data.series.values() for sample in samples]
    assert kept == [1.0, 2.0]
    [record] = [r for r in caplog.records if r.name == PARSER_LOGGER]
    message = record.getMessage()
    assert record.levelno == logging.WARNING
    assert f"GET Energy for {EAN}: 96 impossible values are not imported" in message
    first_negative = _ts(T0 + timedelta(minutes=15)).replace("Z", "+00:00")
    assert f"negative value -2.0 kWh at {first_negative}" in message
    assert "and 93 more like it" in message  # 94 negative values, the first one named
    first_high = _ts(T0 + timedelta(minutes=30)).replace("Z", "+00:00")
    assert f"above the physical bound at {first_high}" in message
    assert "and 1 more like it" in message  # 2 values above the bound


def test_unknown_series_one_warning_per_response(caplog: pytest.LogCaptureFixture) -> None:
    payload = _offtake([1.0, 2.0, 3.0])
    for interval in payload["data"]["headpoint"]["quarterHourlyEnergy"]:
        interval["measurements"][0]["reverse"] = {"total": _leaf(5.0, "Wh")}
        interval["measurements"][0]["sideways"] = {"total": _leaf(5.0, "GWh")}
    with caplog.at_level(logging.WARNING, logger=PARSER_LOGGER):
        parse_energy(payload)
    [record] = [r for r in caplog.records if r.name == PARSER_LOGGER]
    assert "reverse.total in unknown unit 'Wh'" in record.getMessage()
    assert "sideways.total in unknown unit 'GWh'" in record.getMessage()


def test_bound_is_inclusive_and_zero_is_fine(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger=PARSER_LOGGER):
        assert _values(_offtake([0.0, QUARTER_HOUR_BOUND, -0.0])) == [0.0, QUARTER_HOUR_BOUND, 0.0]
    assert not caplog.records


def test_bound_scales_with_the_interval() -> None:
    """A daily value may be 24 times an hour's bound; 23 hours on the spring DST day."""
    day = 24 * MAX_POWER_KW
    payload = _payload(
        [
            _interval(T0, {"offtake": {"total": _leaf(day)}}, minutes=24 * 60),
            _interval(T0 + timedelta(days=1), {"offtake": {"total": _leaf(day + 1)}}, 24 * 60),
            _interval(T0 + timedelta(days=2), {"offtake": {"total": _leaf(day)}}, minutes=23 * 60),
        ],
        array="dailyEnergy",
    )
    assert _values(payload) == [day]


def test_gas_volume_bound() -> None:
    bound = MAX_GAS_FLOW_M3H / 4
    payload = _offtake([bound, bound + 1], unit="m3", energy_type="G")
    assert _values(payload) == [bound]


def test_every_direction_and_register_checked() -> None:
    """Injection, production and reactive energy cannot be negative either."""
    payload = _payload(
        [
            _interval(
                T0,
                {
                    "injection": {"total": _leaf(-1.0)},
                    "production": {"total": _leaf(-2.0)},
                    "offtake": {"inductive": _leaf(-3.0, "kVArh"), "total": _leaf(1.0)},
                },
            )
        ]
    )
    data = parse_energy(payload)
    assert {(str(k.direction), str(k.register)) for k in data.series} == {("offtake", "total")}


@pytest.mark.parametrize(
    ("register", "unit", "energy_type", "message"),
    [
        ("total", "kVArh", "E", "expected kWh or m3"),
        ("day", "kVArh", "E", "expected kWh or m3"),
        ("inductive", "kWh", "E", "expected kVArh"),
        ("capacitive", "m3", "E", "expected kVArh"),
        ("total", "m3", "E", "m3 on an electricity headpoint"),
        ("inductive", "kVArh", "G", "kVArh on a gas headpoint"),
        ("total", "MWh", "E", "unknown unit 'MWh'"),
        ("total", "Wh", "G", "unknown unit 'Wh'"),
        ("total", "", "E", "unknown unit ''"),
    ],
)
def test_wrong_unit_refuses_the_response(
    register: str, unit: str, energy_type: str, message: str
) -> None:
    """A known series in a unit it cannot have: nothing of the response is imported."""
    payload = _payload(
        [
            _interval(
                T0, {"offtake": {"total": _leaf(1.0, "m3" if energy_type == "G" else "kWh")}}
            ),
            _interval(T0 + timedelta(minutes=15), {"offtake": {register: _leaf(1.0, unit)}}),
        ],
        energy_type=energy_type,
    )
    with pytest.raises(FluviusPayloadError) as caught:
        parse_energy(payload)
    assert message in caught.value.message
    assert (
        caught.value.path
        == f"data.headpoint.quarterHourlyEnergy[*].measurements[*].offtake.{register}.unit"
    )


def test_gas_in_kwh_is_right() -> None:
    payload = _payload(
        [_interval(T0, {"offtake": {"total": _leaf(10.0, "kWh")}}), _interval(T0, {})],
        energy_type="G",
    )
    assert _values(payload) == [10.0]


def test_unknown_series_in_unknown_unit_dropped(caplog: pytest.LogCaptureFixture) -> None:
    payload = _offtake([1.0])
    payload["data"]["headpoint"]["quarterHourlyEnergy"][0]["measurements"][0]["reverse"] = {
        "total": _leaf(5.0, "Wh")
    }
    with caplog.at_level(logging.WARNING, logger=PARSER_LOGGER):
        data = parse_energy(payload)
    assert {str(key.direction) for key in data.series} == {"offtake"}
    assert "unknown series reverse.total in unknown unit 'Wh'" in caplog.text


def _leaf_in(value: float, state: str) -> dict[str, Any]:
    return {"value": value, "unit": "kWh", "validationState": state}


@pytest.mark.parametrize(
    ("first", "second", "kept"),
    [
        ("READ", "EST", (1.0, "READ")),  # a late estimate after the READ value
        ("VAL", "NVAL", (1.0, "VAL")),
        ("READ", "NVAL", (1.0, "READ")),
        ("EST", "READ", (7.0, "READ")),
        ("NVAL", "VAL", (7.0, "VAL")),
        ("READ", "READ", (7.0, "READ")),  # equals: the last copy
        ("EST", "EST", (7.0, "EST")),
    ],
)
def test_duplicate_intervals_most_final_wins(
    first: str, second: str, kept: tuple[float, str]
) -> None:
    """Of a repeated interval the most final value wins (READ/VAL over EST/NVAL), among
    equals the last copy in the response: as a later interval and inside one interval."""
    t1 = T0 + timedelta(minutes=15)
    later = _payload(
        [
            _interval(T0, {"offtake": {"total": _leaf_in(1.0, first)}}),
            _interval(t1, {"offtake": {"total": _leaf(2.0)}}),
            _interval(T0, {"offtake": {"total": _leaf_in(7.0, second)}}),
        ]
    )
    inside = _payload(
        [
            {
                "start": _ts(T0),
                "end": _ts(t1),
                "measurements": [
                    {"offtake": {"total": _leaf_in(1.0, first)}},
                    {"offtake": {"total": _leaf_in(7.0, second)}},
                ],
            },
            _interval(t1, {"offtake": {"total": _leaf(2.0)}}),
        ]
    )
    for payload in (later, inside):
        [samples] = parse_energy(payload).series.values()
        assert [(s.start, s.value, s.state) for s in samples] == [
            (T0, *kept),
            (t1, 2.0, "READ"),
        ]


def test_out_of_order_intervals_sorted() -> None:
    payload = _offtake([1.0, 2.0, 3.0])
    payload["data"]["headpoint"]["quarterHourlyEnergy"].reverse()
    [samples] = parse_energy(payload).series.values()
    assert [s.value for s in samples] == [1.0, 2.0, 3.0]
    assert [s.start for s in samples] == sorted(s.start for s in samples)


def test_unknown_headpoint_type_still_parses() -> None:
    payload = _offtake([1.0], head_type="metering-on-something-new")
    data = parse_energy(payload)
    assert data.headpoint_type == "metering-on-something-new"
    assert _values(payload) == [1.0]


@pytest.mark.parametrize("field", ["unit", "validationState", "start", "end"])
def test_null_place_or_unit_refuses_the_response(field: str) -> None:
    """A value whose unit, state or interval is null cannot be placed: refused whole."""
    payload = _offtake([1.0, 2.0])
    interval = payload["data"]["headpoint"]["quarterHourlyEnergy"][1]
    if field in ("start", "end"):
        interval[field] = None
    else:
        interval["measurements"][0]["offtake"]["total"][field] = None
    with pytest.raises(FluviusPayloadError):
        parse_energy(payload)


def test_null_or_absent_values_are_missing_intervals(caplog: pytest.LogCaptureFixture) -> None:
    """A null value, an absent value and a null register: those intervals are missing for
    that register (never 0), counted, logged once; the rest of the response is parsed."""
    values: list[float] = [1.0 + i for i in range(8)]
    payload = _payload(
        [
            _interval(
                T0 + timedelta(minutes=15 * i),
                {"offtake": {"total": _leaf(v)}, "injection": {"total": _leaf(v / 10)}},
            )
            for i, v in enumerate(values)
        ]
    )
    intervals = payload["data"]["headpoint"]["quarterHourlyEnergy"]
    intervals[2]["measurements"][0]["offtake"]["total"]["value"] = None
    del intervals[3]["measurements"][0]["offtake"]["total"]["value"]
    intervals[5]["measurements"][0]["offtake"]["total"] = {
        "value": None,
        "unit": None,
        "validationState": None,
    }
    intervals[6]["measurements"][0]["injection"]["total"] = None
    with caplog.at_level(logging.INFO, logger=PARSER_LOGGER):
        data = parse_energy(payload)
    offtake = data.samples(EAN, QH, "offtake", "total", "kWh")
    injection = data.samples(EAN, QH, "injection", "total", "kWh")
    starts = [T0 + timedelta(minutes=15 * i) for i in range(8)]
    assert [(s.start, s.value) for s in offtake] == [
        (starts[i], values[i]) for i in (0, 1, 4, 6, 7)
    ]
    assert [s.start for s in injection] == [starts[i] for i in range(8) if i != 6]
    assert data.missing_values == 4
    assert {(str(m.direction), str(m.register), m.start) for m in data.missing} == {
        ("offtake", "total", starts[2]),
        ("offtake", "total", starts[3]),
        ("offtake", "total", starts[5]),
        ("injection", "total", starts[6]),
    }
    [record] = [r for r in caplog.records if r.name == PARSER_LOGGER]
    assert record.levelno == logging.INFO
    message = record.getMessage()
    assert EAN in message and "4 missing" in message


def test_a_whole_response_of_nulls_parses_to_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """96 null values give one summary line, not 96."""
    payload = _offtake([1.0] * 96)
    for interval in payload["data"]["headpoint"]["quarterHourlyEnergy"]:
        interval["measurements"][0]["offtake"]["total"]["value"] = None
    with caplog.at_level(logging.INFO, logger=PARSER_LOGGER):
        data = parse_energy(payload)
    assert data.series == {}
    assert data.missing_values == 96
    assert len([r for r in caplog.records if r.name == PARSER_LOGGER]) == 1


def test_no_missing_values_no_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger=PARSER_LOGGER):
        data = parse_energy(_offtake([1.0, 2.0]))
    assert data.missing_values == 0
    assert not data.missing
    assert not caplog.records


def test_missing_values_add_up_over_chunks() -> None:
    first = _offtake([1.0, 2.0])
    first["data"]["headpoint"]["quarterHourlyEnergy"][0]["measurements"][0]["offtake"]["total"][
        "value"
    ] = None
    second = _payload(
        [
            _interval(T0 + timedelta(hours=1), {"offtake": {"total": None}}),
            _interval(T0 + timedelta(hours=1, minutes=15), {"offtake": {"total": _leaf(3.0)}}),
        ]
    )
    merged = parse_energy(first).merge(parse_energy(second))
    assert merged.missing_values == 2
    assert {m.start for m in merged.missing} == {T0, T0 + timedelta(hours=1)}


def test_a_meter_with_only_a_null_blocks_that_slice_of_the_ean() -> None:
    """Two physical meters summed per slice: a slice null on one of them (which sent nothing
    else) is missing for the EAN, not the other meter's value alone."""
    meters = [
        {
            "seqNumber": str(n),
            "meterID": f"M{n}",
            "quarterHourlyEnergy": [
                _interval(T0 + timedelta(minutes=15 * i), {"offtake": {"total": leaf}})
                for i, leaf in enumerate(leaves)
            ],
        }
        for n, leaves in ((1, [_leaf(1.0), _leaf(2.0)]), (2, [None]))
    ]
    payload = {
        "data": {
            "headpoint": {
                "$type": "metering-on-meter",
                "ean": EAN,
                "energyType": "E",
                "physicalMeters": meters,
            }
        }
    }
    [(key, samples)] = active_series(parse_energy(payload)).items()
    assert (key.ean, key.resolution, str(key.direction)) == (EAN, QH, "offtake")
    assert [(s.start, s.value) for s in samples] == [(T0 + timedelta(minutes=15), 2.0)]
