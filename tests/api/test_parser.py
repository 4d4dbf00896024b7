"""The payload parser against every example of the specification, and against broken payloads."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
import math
from typing import Any

import pytest

from custom_components.fluvius.api import parse_timestamp
from custom_components.fluvius.api.errors import FluviusPayloadError
from custom_components.fluvius.api.mandate_parser import parse_mandates, parse_mock_mandate
from custom_components.fluvius.api.models import (
    DataServiceType,
    Direction,
    EnergyData,
    EnergyType,
    GasConversionFactor,
    HeadpointType,
    MandateStatus,
    PhysicalMeter,
    Register,
    RenewalStatus,
    Resolution,
    Sample,
    SeriesKey,
    SubHeadpoint,
    SubHeadpointType,
    Unit,
    ValidationState,
)
from custom_components.fluvius.api.parser import parse_energy

from .conftest import load_fixture

EAN = "541441234567891234"
SUB_EAN = "541441234567891235"
T0 = datetime(2024, 9, 18, 22, 0, tzinfo=UTC)


def qh(start: datetime, offtake: float, injection: float, state: str = "READ") -> dict[str, Any]:
    """One quarter-hour interval in the spec's shape."""
    return {
        "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end": (start + timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "measurements": [
            {
                "offtake": {"total": {"value": offtake, "unit": "kWh", "validationState": state}},
                "injection": {
                    "total": {"value": injection, "unit": "kWh", "validationState": state}
                },
            }
        ],
    }


def digital(intervals: list[Any], **extra: Any) -> dict[str, Any]:
    return {
        "data": {
            "headpoint": {
                "$type": "metering-on-meter",
                "ean": EAN,
                "energyType": "E",
                "physicalMeters": [
                    {
                        "seqNumber": "1",
                        "meterID": "1SAG3105012345",
                        "quarterHourlyEnergy": intervals,
                        **extra,
                    }
                ],
            }
        }
    }


# --- GET Mandate ------------------------------------------------------------------------------


def test_mandate_example_1() -> None:
    [mandate] = parse_mandates(load_fixture("mandates_example_1"))
    assert mandate.reference_number == "REF-123456"
    assert mandate.status is MandateStatus.APPROVED
    assert mandate.ean == EAN
    assert mandate.energy_type is EnergyType.ELECTRICITY
    assert mandate.data_period_from == datetime(2023, 1, 28, 22, tzinfo=UTC)
    assert mandate.data_period_to is None
    assert mandate.data_service_type is DataServiceType.QUARTER_HOURLY
    assert mandate.mandate_expiration_date == datetime(2025, 12, 1, 23, tzinfo=UTC)
    assert mandate.renewal_status is RenewalStatus.TO_BE_RENEWED
    assert mandate.usable


def test_mandate_example_2_lower_case_renewal_status() -> None:
    [mandate] = parse_mandates(load_fixture("mandates_example_2"))
    assert mandate.renewal_status is RenewalStatus.TO_BE_RENEWED  # "toBeRenewed" (A4)
    assert mandate.data_period_from == datetime(2025, 9, 28, 22, tzinfo=UTC)
    assert mandate.mandate_expiration_date == datetime(2028, 12, 7, 23, tzinfo=UTC)
    assert mandate.data_period_from.tzinfo is UTC


def test_mandates_open_enums_and_pending_mandates() -> None:
    payload = {
        "data": {
            "mandates": [
                {"status": "Requested", "referenceNumber": "REF-1", "unknownField": [1, 2]},
                {
                    "status": "Suspended",
                    "ean": EAN,
                    "energyType": "H2",
                    "dataServiceType": "VH_kwartier",
                    "renewalStatus": "Paused",
                    "dataPeriodTo": "2025-02-01T23:00:00+00:00",
                },
                None,
                {"status": "Finished", "ean": EAN, "dataServiceType": "VH_maand"},
            ]
        }
    }
    requested, suspended, finished = parse_mandates(payload)
    assert requested.status is MandateStatus.REQUESTED
    assert requested.ean is None
    assert not requested.usable
    assert suspended.status == "Suspended"
    assert not suspended.usable
    assert suspended.energy_type == "H2"
    assert suspended.data_service_type is DataServiceType.QUARTER_HOURLY  # A2
    assert suspended.renewal_status == "Paused"
    assert suspended.data_period_to == datetime(2025, 2, 1, 23, tzinfo=UTC)
    assert finished.usable
    assert finished.data_service_type == "VH_maand"


@pytest.mark.parametrize(
    "payload",
    [{"data": {}}, {"data": {"mandates": None}}, {"data": {"mandates": []}}],
)
def test_no_mandates(payload: Any) -> None:
    assert parse_mandates(payload) == []


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ([], "$"),
        ({}, "data"),
        ({"data": []}, "data"),
        ({"data": {"mandates": {}}}, "data.mandates"),
        ({"data": {"mandates": [1]}}, "data.mandates[0]"),
        ({"data": {"mandates": [{}]}}, "data.mandates[0].status"),
        ({"data": {"mandates": [{"status": 3}]}}, "data.mandates[0].status"),
        (
            {"data": {"mandates": [{"status": "Approved", "ean": 5.5}]}},
            "data.mandates[0].ean",
        ),
        (
            {"data": {"mandates": [{"status": "Approved", "dataPeriodFrom": "yesterday"}]}},
            "data.mandates[0].dataPeriodFrom",
        ),
        (
            {"data": {"mandates": [{"status": "Approved", "mandateExpirationDate": 2028}]}},
            "data.mandates[0].mandateExpirationDate",
        ),
    ],
)
def test_malformed_mandates(payload: Any, path: str) -> None:
    with pytest.raises(FluviusPayloadError) as info:
        parse_mandates(payload)
    assert info.value.path == path
    assert path in str(info.value)


@pytest.mark.parametrize(
    "payload",
    [
        {"data": {"status": "Approved", "ean": "541440000000000001"}},
        {"data": {"mandate": {"status": "Approved", "ean": "541440000000000001"}}},
        {"data": {"mandates": [{"status": "Approved", "ean": "541440000000000001"}]}},
        {"status": "Approved", "ean": "541440000000000001"},
    ],
)
def test_mock_mandate_shapes(payload: Any) -> None:
    mandate = parse_mock_mandate(payload)
    assert mandate.status is MandateStatus.APPROVED
    assert mandate.ean == "541440000000000001"


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"data": {"mandates": []}}, "data.mandates"),
        ({"data": {"mandate": None}}, "data.mandate"),
        ({"data": "ok"}, "data"),
        ({"data": {}}, "data.status"),
    ],
)
def test_malformed_mock_mandate(payload: Any, path: str) -> None:
    with pytest.raises(FluviusPayloadError) as info:
        parse_mock_mandate(payload)
    assert info.value.path == path


def test_timestamps() -> None:
    assert parse_timestamp("2024-09-18T22:00:00Z") == T0
    assert parse_timestamp("2024-09-19T00:00:00+02:00") == T0
    assert parse_timestamp("2024-09-19T00:00:00+02:00").tzinfo is UTC
    assert parse_timestamp("2024-09-18T22:00:00") == T0  # no offset: UTC, as the spec says
    with pytest.raises(FluviusPayloadError, match="invalid timestamp"):
        parse_timestamp("2024-09-18T22:00:00:00Z")  # the spec's own typo (A11)
    with pytest.raises(FluviusPayloadError, match="expected a timestamp string"):
        parse_timestamp(None, "x")


# --- GET Energy: the spec's examples ------------------------------------------------------------


def test_daily_digital_electricity() -> None:
    data = parse_energy(load_fixture("energy_daily_digital_electricity"))
    assert data.ean == EAN
    assert data.energy_type is EnergyType.ELECTRICITY
    assert data.headpoint_type is HeadpointType.METERING_ON_METER
    assert data.physical_meters == (PhysicalMeter("1", "1SAG3105012345"),)
    assert data.sub_headpoints == ()
    end = datetime(2024, 9, 19, 22, tzinfo=UTC)

    def key(direction: Direction, register: Register) -> SeriesKey:
        return SeriesKey(EAN, Resolution.DAILY, direction, register, Unit.KWH, "1SAG3105012345")

    assert data.series == {
        key(Direction.OFFTAKE, Register.DAY): [Sample(T0, end, 0.0, ValidationState.READ)],
        key(Direction.OFFTAKE, Register.NIGHT): [Sample(T0, end, 7.876, ValidationState.READ)],
        key(Direction.INJECTION, Register.DAY): [Sample(T0, end, 0.0, ValidationState.READ)],
        key(Direction.INJECTION, Register.NIGHT): [Sample(T0, end, 3.959, ValidationState.READ)],
    }
    sample = data.series[key(Direction.OFFTAKE, Register.NIGHT)][0]
    assert sample.start.tzinfo is UTC
    assert sample.state is ValidationState.READ
    assert sample.gas_conversion_factor is None
    assert data.sample_count == 4


def test_hourly_digital_gas_two_units() -> None:
    data = parse_energy(load_fixture("energy_hourly_digital_gas"))
    assert data.energy_type is EnergyType.GAS
    end = datetime(2024, 9, 18, 23, tzinfo=UTC)
    m3 = SeriesKey(
        EAN, Resolution.HOURLY, Direction.OFFTAKE, Register.TOTAL, Unit.M3, "7FLO2120012345"
    )
    kwh = SeriesKey(
        EAN, Resolution.HOURLY, Direction.OFFTAKE, Register.TOTAL, Unit.KWH, "7FLO2120012345"
    )
    assert data.series == {
        m3: [Sample(T0, end, 0.243, "READ")],
        kwh: [Sample(T0, end, 2.786, "READ", GasConversionFactor.PROVISIONAL)],
    }
    assert data.series[kwh][0].gas_conversion_factor is GasConversionFactor.PROVISIONAL


def test_amr_quarter_hour_injection_with_reactive() -> None:
    data = parse_energy(load_fixture("energy_amr_quarter_hour_injection"))
    assert data.headpoint_type is HeadpointType.METERING_ON_HEADPOINT
    assert data.physical_meters == ()
    end = T0 + timedelta(minutes=15)

    def key(register: Register, unit: Unit) -> SeriesKey:
        return SeriesKey(EAN, Resolution.QUARTER_HOURLY, Direction.INJECTION, register, unit)

    assert data.series == {
        key(Register.TOTAL, Unit.KWH): [Sample(T0, end, 1421.0, ValidationState.VAL)],
        key(Register.INDUCTIVE, Unit.KVARH): [Sample(T0, end, 0.0, ValidationState.VAL)],
        key(Register.CAPACITIVE, Unit.KVARH): [Sample(T0, end, 136.5, ValidationState.VAL)],
    }


@pytest.mark.parametrize(
    "fixture", ["energy_amr_production_submeter", "energy_amr_submeter_as_object"]
)
def test_amr_production_submeter(fixture: str) -> None:
    data = parse_energy(load_fixture(fixture))
    assert data.sub_headpoints == (SubHeadpoint(SUB_EAN, SubHeadpointType.PRODUCTION, "1", "WND"),)
    end = T0 + timedelta(minutes=15)

    def key(register: Register, unit: Unit) -> SeriesKey:
        return SeriesKey(SUB_EAN, Resolution.QUARTER_HOURLY, Direction.PRODUCTION, register, unit)

    assert data.series[key(Register.TOTAL, Unit.KWH)] == [Sample(T0, end, 294.0, "VAL")]
    assert data.series[key(Register.INDUCTIVE, Unit.KVARH)] == [Sample(T0, end, 0.0, "VAL")]
    assert data.series[key(Register.CAPACITIVE, Unit.KVARH)] == [Sample(T0, end, 31.5, "VAL")]
    assert data.samples(
        SUB_EAN, Resolution.QUARTER_HOURLY, Direction.PRODUCTION, Register.TOTAL, Unit.KWH
    ) == [Sample(T0, end, 294.0, "VAL")]
    main = data.samples(EAN, Resolution.QUARTER_HOURLY, "injection", "total", "kWh")
    if fixture == "energy_amr_production_submeter":
        assert main == [Sample(T0, end, 1421.0, "VAL")]
    else:
        assert main == []


# --- GET Energy: other shapes ------------------------------------------------------------------


def test_headpoint_and_meter_auxiliary_and_unknowns() -> None:
    """``metering-on-headpoint-and-meter``, auxiliary submeter, unknown keys and enum values.

    An unknown direction in an unknown unit (``reverse`` in Wh) is not kept: its scale is not
    known, so it could never be imported as what it is."""
    leaf = {"value": 1.5, "unit": "kWh", "validationState": "VAL"}
    interval = {"start": "2024-09-18T22:00:00Z", "end": "2024-09-18T22:15:00Z"}
    payload = {
        "data": {
            "headpoint": {
                "$type": "metering-on-headpoint-and-meter",
                "ean": EAN,
                "energyType": "E",
                "someNewField": {"x": 1},
                "quarterHourlyEnergy": [
                    {**interval, "measurements": [{"offtake": {"total": leaf}}]}
                ],
                "physicalMeters": [
                    {
                        "seqNumber": 1,
                        "meterID": "M1",
                        "quarterHourlyEnergy": [
                            {
                                **interval,
                                "measurements": [
                                    {
                                        "offtake": {"total": leaf, "peak": leaf, "comment": "x"},
                                        "reverse": {"total": {**leaf, "unit": "Wh"}},
                                        "note": "ignored",
                                        "flags": [1, 2],
                                    }
                                ],
                            }
                        ],
                    }
                ],
                "subHeadpoints": [
                    {
                        "$type": "submetering-auxiliary",
                        "ean": SUB_EAN,
                        "seqNumber": "1",
                        "vregId": "V-1",
                        "quarterHourlyEnergy": [
                            {
                                **interval,
                                "measurements": [
                                    {"auxiliary": {"total": {**leaf, "validationState": "RAW"}}}
                                ],
                            }
                        ],
                    },
                    {"$type": "submetering-storage", "ean": "541441234567891236"},
                    None,
                ],
            }
        }
    }
    data = parse_energy(payload)
    assert data.headpoint_type is HeadpointType.METERING_ON_HEADPOINT_AND_METER
    assert data.physical_meters == (PhysicalMeter("1", "M1"),)
    assert data.sub_headpoints == (
        SubHeadpoint(SUB_EAN, SubHeadpointType.AUXILIARY, "1", None),
        SubHeadpoint("541441234567891236", "submetering-storage", None, None),
    )
    qhr = Resolution.QUARTER_HOURLY
    keys = set(data.series)
    assert keys == {
        SeriesKey(EAN, qhr, Direction.OFFTAKE, Register.TOTAL, Unit.KWH, None),
        SeriesKey(EAN, qhr, Direction.OFFTAKE, Register.TOTAL, Unit.KWH, "M1"),
        SeriesKey(EAN, qhr, Direction.OFFTAKE, "peak", Unit.KWH, "M1"),
        SeriesKey(SUB_EAN, qhr, Direction.AUXILIARY, Register.TOTAL, Unit.KWH, None),
    }
    [aux] = data.series[SeriesKey(SUB_EAN, qhr, "auxiliary", "total", "kWh")]
    assert aux.state == "RAW"


def test_sub_headpoints_next_to_the_headpoint() -> None:
    payload = load_fixture("energy_amr_production_submeter")
    subs = payload["data"]["headpoint"].pop("subHeadpoints")
    payload["data"]["subHeadpoints"] = subs
    data = parse_energy(payload)
    assert [sub.ean for sub in data.sub_headpoints] == [SUB_EAN]


def test_nulls_and_empty_arrays() -> None:
    leaf = {"value": 2.0, "unit": "kWh", "validationState": "READ"}
    payload = digital(
        [
            {
                "start": "2024-09-18T22:00:00Z",
                "end": "2024-09-18T22:15:00Z",
                "measurements": [
                    None,
                    {"offtake": None, "injection": {"total": None, "day": leaf}},
                ],
            },
            {"start": "2024-09-18T22:15:00Z", "end": "2024-09-18T22:30:00Z"},
            {"start": "2024-09-18T22:30:00Z", "end": "2024-09-18T22:45:00Z", "measurements": None},
        ],
        dailyEnergy=None,
        hourlyEnergy=[],
    )
    payload["data"]["headpoint"]["subHeadpoints"] = []
    data = parse_energy(payload)
    assert list(data.series.values()) == [
        [Sample(T0, T0 + timedelta(minutes=15), 2.0, "READ", None)]
    ]
    leaf_gcf = {**leaf, "gasConversionFactor": None}
    payload = digital([{**qh(T0, 1, 1), "measurements": [{"offtake": {"total": leaf_gcf}}]}])
    [samples] = parse_energy(payload).series.values()
    assert samples[0].gas_conversion_factor is None


def test_integer_values_and_unknown_gas_factor() -> None:
    leaf = {"value": 3, "unit": "kWh", "validationState": "READ", "gasConversionFactor": "X"}
    payload = digital([{**qh(T0, 1, 1), "measurements": [{"offtake": {"total": leaf}}]}])
    [samples] = parse_energy(payload).series.values()
    assert samples[0].value == 3.0
    assert type(samples[0].value) is float
    assert samples[0].gas_conversion_factor == "X"


def test_unsorted_and_repeated_intervals() -> None:
    t = [T0 + timedelta(minutes=15 * i) for i in range(4)]
    payload = digital(
        [qh(t[2], 3, 0), qh(t[0], 1, 0), qh(t[1], 2, 0), qh(t[0], 9, 0), qh(t[3], 4, 0)]
    )
    data = parse_energy(payload)
    offtake = data.samples(EAN, Resolution.QUARTER_HOURLY, "offtake", "total", "kWh")
    assert [s.start for s in offtake] == t
    assert [s.value for s in offtake] == [9, 2, 3, 4]  # the later value of a repeated start wins


def test_same_series_twice_in_one_interval_last_wins() -> None:
    leaf = {"unit": "kWh", "validationState": "READ"}
    payload = digital(
        [
            {
                **qh(T0, 0, 0),
                "measurements": [
                    {"offtake": {"total": {**leaf, "value": 1.0}}},
                    {"offtake": {"total": {**leaf, "value": 2.0}}},
                ],
            }
        ]
    )
    [samples] = parse_energy(payload).series.values()
    assert [s.value for s in samples] == [2.0]


def test_two_physical_meters_are_summed_by_samples() -> None:
    payload = digital([qh(T0, 1.0, 0.5, "EST"), qh(T0 + timedelta(minutes=15), 1.0, 0.5)])
    second = {
        "seqNumber": "2",
        "meterID": "1SAG3105099999",
        "quarterHourlyEnergy": [qh(T0, 2.0, 0.25), qh(T0 + timedelta(minutes=30), 2.0, 0.25)],
    }
    payload["data"]["headpoint"]["physicalMeters"].append(second)
    data = parse_energy(payload)
    assert len(data.physical_meters) == 2
    assert len(data.series) == 4  # per meter
    offtake = data.samples(EAN, Resolution.QUARTER_HOURLY, Direction.OFFTAKE, "total", "kWh")
    assert [(s.value, s.state) for s in offtake] == [(3.0, "EST"), (1.0, "READ"), (2.0, "READ")]
    assert [s.start for s in offtake] == [T0 + timedelta(minutes=15 * i) for i in range(3)]


def test_meters_without_id_are_kept_apart_by_sequence_number() -> None:
    payload = digital([qh(T0, 1.0, 0.0)])
    meters = payload["data"]["headpoint"]["physicalMeters"]
    meters[0].pop("meterID")
    meters.append({"seqNumber": "2", "quarterHourlyEnergy": [qh(T0, 2.0, 0.0)]})
    data = parse_energy(payload)
    assert {key.meter_id for key in data.series} == {"1", "2"}
    assert data.physical_meters == (PhysicalMeter("1", None), PhysicalMeter("2", None))


def test_same_meter_twice_is_merged() -> None:
    payload = digital([qh(T0, 1.0, 0.0)])
    meters = payload["data"]["headpoint"]["physicalMeters"]
    meters.append({**meters[0], "quarterHourlyEnergy": [qh(T0 - timedelta(minutes=15), 5.0, 0.0)]})
    data = parse_energy(payload)
    offtake = data.samples(EAN, Resolution.QUARTER_HOURLY, "offtake", "total", "kWh")
    assert [s.value for s in offtake] == [5.0, 1.0]


def test_missing_ean_uses_the_requested_one() -> None:
    payload = load_fixture("energy_amr_quarter_hour_injection")
    del payload["data"]["headpoint"]["ean"]
    assert parse_energy(payload, ean="541450210000000001").ean == "541450210000000001"
    with pytest.raises(FluviusPayloadError) as info:
        parse_energy(payload)
    assert info.value.path == "data.headpoint.ean"


def test_timestamp_offsets_are_converted() -> None:
    interval = qh(T0, 1.0, 0.0)
    interval["start"] = "2024-09-19T00:00:00+02:00"
    interval["end"] = "2024-09-18T22:15:00"
    [samples, _] = parse_energy(digital([interval])).series.values()
    assert samples[0].start == T0
    assert samples[0].start.tzinfo is UTC
    assert samples[0].end.tzinfo is UTC


# --- GET Energy: malformed payloads ----------------------------------------------------------

METER = "data.headpoint.physicalMeters[0]"
QH17 = f"{METER}.quarterHourlyEnergy[17]"


def _broken(mutate: Any) -> Any:
    payload = digital([qh(T0 + timedelta(minutes=15 * i), 0.1 * i, 0.0) for i in range(20)])
    interval = payload["data"]["headpoint"]["physicalMeters"][0]["quarterHourlyEnergy"][17]
    mutate(interval)
    return payload


def _leaf(interval: dict[str, Any]) -> dict[str, Any]:
    leaf: dict[str, Any] = interval["measurements"][0]["offtake"]["total"]
    return leaf


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda i: _leaf(i).update(value="1.5"), f"{QH17}.measurements[0].offtake.total.value"),
        (lambda i: _leaf(i).update(value=True), f"{QH17}.measurements[0].offtake.total.value"),
        (lambda i: _leaf(i).update(value=math.nan), f"{QH17}.measurements[0].offtake.total.value"),
        (lambda i: _leaf(i).update(value=math.inf), f"{QH17}.measurements[0].offtake.total.value"),
        (lambda i: _leaf(i).update(value=10**400), f"{QH17}.measurements[0].offtake.total.value"),
        (lambda i: _leaf(i).update(value=[1]), f"{QH17}.measurements[0].offtake.total.value"),
        (lambda i: _leaf(i).pop("unit"), f"{QH17}.measurements[0].offtake.total.unit"),
        (lambda i: _leaf(i).update(unit=None), f"{QH17}.measurements[0].offtake.total.unit"),
        (lambda i: _leaf(i).update(unit=["kWh"]), f"{QH17}.measurements[0].offtake.total.unit"),
        (
            lambda i: _leaf(i).pop("validationState"),
            f"{QH17}.measurements[0].offtake.total.validationState",
        ),
        (
            lambda i: _leaf(i).update(validationState=1),
            f"{QH17}.measurements[0].offtake.total.validationState",
        ),
        (
            lambda i: _leaf(i).update(gasConversionFactor=11),
            f"{QH17}.measurements[0].offtake.total.gasConversionFactor",
        ),
        (
            lambda i: _leaf(i).update(gasConversionFactor={}),
            f"{QH17}.measurements[0].offtake.total.gasConversionFactor",
        ),
        (
            lambda i: i["measurements"][0]["offtake"].update(total=1.0),
            f"{QH17}.measurements[0].offtake.total",
        ),
        (
            lambda i: i["measurements"][0].update(offtake=[]),
            f"{QH17}.measurements[0].offtake",
        ),
        (lambda i: i["measurements"].__setitem__(0, "x"), f"{QH17}.measurements[0]"),
        (lambda i: i.update(measurements={"offtake": {}}), f"{QH17}.measurements"),
        (lambda i: i.update(measurements="offtake"), f"{QH17}.measurements"),
        (lambda i: i.pop("start"), f"{QH17}.start"),
        (lambda i: i.update(start=None), f"{QH17}.start"),
        (lambda i: i.update(start=1726696800), f"{QH17}.start"),
        (lambda i: i.update(start=["2024-09-18T22:00:00Z"]), f"{QH17}.start"),
        (lambda i: i.update(start="2024-09-18T26:00:00Z"), f"{QH17}.start"),
        (lambda i: i.update(end="2024-09-19T02:15:00:00Z"), f"{QH17}.end"),
        (lambda i: i.pop("end"), f"{QH17}.end"),
        (lambda i: i.update(end=i["start"]), f"{QH17}.end"),
        (lambda i: i.update(end="2024-09-18T00:00:00Z"), f"{QH17}.end"),
        (lambda i: i.clear() or i.update(x=1), f"{QH17}.start"),
    ],
)
def test_malformed_energy_names_the_path(mutate: Any, path: str) -> None:
    with pytest.raises(FluviusPayloadError) as info:
        parse_energy(_broken(mutate))
    assert info.value.path == path
    assert str(info.value).endswith(f"at {path}")


def test_malformed_interval_itself() -> None:
    payload = digital([qh(T0, 1, 1), None])
    with pytest.raises(FluviusPayloadError) as info:
        parse_energy(payload)
    assert info.value.path == f"{METER}.quarterHourlyEnergy[1]"


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d.clear(), "data.headpoint"),
        (lambda d: d.update(headpoint=[]), "data.headpoint"),
        (lambda d: d["headpoint"].pop("$type"), "data.headpoint.$type"),
        (lambda d: d["headpoint"].update(ean=7), "data.headpoint.ean"),
        (lambda d: d["headpoint"].update(energyType=["E"]), "data.headpoint.energyType"),
        (lambda d: d["headpoint"].update(physicalMeters="1"), "data.headpoint.physicalMeters"),
        (lambda d: d["headpoint"]["physicalMeters"].append(3), "data.headpoint.physicalMeters[1]"),
        (
            lambda d: d["headpoint"]["physicalMeters"][0].update(meterID={}),
            f"{METER}.meterID",
        ),
        (
            lambda d: d["headpoint"]["physicalMeters"][0].update(dailyEnergy={}),
            f"{METER}.dailyEnergy",
        ),
        (lambda d: d["headpoint"].update(subHeadpoints=5), "data.headpoint.subHeadpoints"),
        (
            lambda d: d["headpoint"].update(subHeadpoints=[{}]),
            "data.headpoint.subHeadpoints[0].ean",
        ),
        (
            lambda d: d["headpoint"].update(subHeadpoints=[{"ean": "5", "$type": 1}]),
            "data.headpoint.subHeadpoints[0].$type",
        ),
        (
            lambda d: d["headpoint"].update(subHeadpoints=[{"ean": "5", "hourlyEnergy": [1]}]),
            "data.headpoint.subHeadpoints[0].hourlyEnergy[0]",
        ),
    ],
)
def test_malformed_structure(mutate: Any, path: str) -> None:
    payload = digital([qh(T0, 1, 1)])
    mutate(payload["data"])
    with pytest.raises(FluviusPayloadError) as info:
        parse_energy(payload)
    assert info.value.path == path


@pytest.mark.parametrize("payload", [None, [], "x", {"data": None}, {"data": {"headpoint": None}}])
def test_not_a_response(payload: Any) -> None:
    with pytest.raises(FluviusPayloadError):
        parse_energy(payload)


def test_parsing_does_not_change_the_payload() -> None:
    payload = load_fixture("energy_amr_production_submeter")
    before = copy.deepcopy(payload)
    parse_energy(payload)
    assert payload == before


# --- EnergyData helpers ---------------------------------------------------------------------


def _series(values: list[tuple[int, float]], state: str = "READ") -> list[Sample]:
    return [
        Sample(T0 + timedelta(minutes=15 * i), T0 + timedelta(minutes=15 * (i + 1)), v, state)
        for i, v in values
    ]


KEY = SeriesKey(EAN, Resolution.QUARTER_HOURLY, Direction.OFFTAKE, Register.TOTAL, Unit.KWH, "M")
KEY2 = SeriesKey(EAN, Resolution.QUARTER_HOURLY, Direction.INJECTION, Register.TOTAL, Unit.KWH)


def _data(series: dict[SeriesKey, list[Sample]], **kw: Any) -> EnergyData:
    return EnergyData(ean=EAN, energy_type=None, headpoint_type="", series=series, **kw)


def test_merge_consecutive_chunks() -> None:
    a = _data({KEY: _series([(0, 1), (1, 2)])}, physical_meters=(PhysicalMeter("1", "M"),))
    b = EnergyData(
        ean=EAN,
        energy_type=EnergyType.ELECTRICITY,
        headpoint_type=HeadpointType.METERING_ON_METER,
        physical_meters=(PhysicalMeter("1", "M"), PhysicalMeter("2", "N")),
        sub_headpoints=(SubHeadpoint(SUB_EAN, SubHeadpointType.PRODUCTION),),
        series={KEY: _series([(2, 3)]), KEY2: _series([(2, 7)])},
    )
    merged = a.merge(b)
    assert merged.series[KEY] == _series([(0, 1), (1, 2), (2, 3)])
    assert merged.series[KEY2] == _series([(2, 7)])
    assert merged.energy_type is EnergyType.ELECTRICITY
    assert merged.headpoint_type is HeadpointType.METERING_ON_METER
    assert merged.physical_meters == (PhysicalMeter("1", "M"), PhysicalMeter("2", "N"))
    assert merged.sub_headpoints == b.sub_headpoints
    assert a.series[KEY] == _series([(0, 1), (1, 2)])  # inputs unchanged


def test_merge_overlapping_later_wins_unless_less_final() -> None:
    a = _data({KEY: _series([(0, 1), (1, 2), (2, 3)], "EST"), KEY2: _series([(0, 5)])})
    b = _data({KEY: _series([(1, 20), (3, 40)]), KEY2: []})
    merged = a.merge(b)
    assert [(s.value, s.state) for s in merged.series[KEY]] == [
        (1, "EST"),
        (20, "READ"),
        (3, "EST"),
        (40, "READ"),
    ]
    assert merged.series[KEY2] == _series([(0, 5)])
    assert _data({}).merge(a).series == a.series
    # A late estimate never replaces a READ value; an equal state: the later copy.
    late = _data({KEY: _series([(1, 99), (2, 30)], "EST")})
    assert [(s.value, s.state) for s in merged.merge(late).series[KEY]] == [
        (1, "EST"),
        (20, "READ"),
        (30, "EST"),
        (40, "READ"),
    ]


def test_samples_combines_states_and_gas_factors() -> None:
    k1 = SeriesKey(EAN, Resolution.HOURLY, Direction.OFFTAKE, Register.TOTAL, Unit.KWH, "A")
    k2 = SeriesKey(EAN, Resolution.HOURLY, Direction.OFFTAKE, Register.TOTAL, Unit.KWH, "B")
    end = T0 + timedelta(hours=1)
    data = _data(
        {
            k1: [
                Sample(T0, end, 1.0, "READ", "D"),
                Sample(end, end + timedelta(hours=1), 1.0, "READ"),
            ],
            k2: [
                Sample(T0, end, 2.0, "EST", "P"),
                Sample(end, end + timedelta(hours=1), 2.0, "READ", "C"),
            ],
        }
    )
    combined = data.samples(EAN, Resolution.HOURLY, "offtake", "total", "kWh")
    assert combined == [
        Sample(T0, end, 3.0, "EST", "P"),
        Sample(end, end + timedelta(hours=1), 3.0, "READ", "C"),
    ]
    assert data.samples(EAN, Resolution.DAILY, "offtake", "total", "kWh") == []
