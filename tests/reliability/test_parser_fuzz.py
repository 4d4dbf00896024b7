"""Fuzzing the payload parsers: whatever the server sends, only a payload error comes out.

Hostile or broken payloads (nulls, wrong types, absurd numbers, unknown ``$type``s, missing
keys, truncated structures) must never raise anything but ``FluviusPayloadError`` (and parse
successfully when they are valid), so one bad response can never crash the integration or
reach the statistics as a half-parsed value.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
import json
import math
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.fluvius.api.errors import FluviusPayloadError
from custom_components.fluvius.api.mandate_parser import parse_mandates
from custom_components.fluvius.api.models import EnergyData, Unit
from custom_components.fluvius.api.parser import parse_energy
from custom_components.fluvius.api.plausibility import MAX_GAS_FLOW_M3H, MAX_POWER_KW

FIXTURES = Path(__file__).parent.parent / "api" / "fixtures"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "2024-09-18T22:00:00Z",
            "2024-09-18T22:15:00Z",
            "2024-13-45T99:00:00Z",
            "metering-on-meter",
            "metering-on-headpoint",
            "submetering-production",
            "kWh",
            "m3",
            "kVArh",
            "MWh",
            "G",
            "E",
            "READ",
            "NVAL",
            "",
        ]
    ),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(
                [
                    "data",
                    "headpoint",
                    "$type",
                    "ean",
                    "energyType",
                    "physicalMeters",
                    "quarterHourlyEnergy",
                    "dailyEnergy",
                    "hourlyEnergy",
                    "subHeadpoints",
                    "start",
                    "end",
                    "measurements",
                    "offtake",
                    "injection",
                    "total",
                    "day",
                    "inductive",
                    "capacitive",
                    "production",
                    "reverse",
                    "value",
                    "unit",
                    "validationState",
                    "mandates",
                    "status",
                    "x",
                ]
            ),
            children,
            max_size=5,
        ),
    ),
    max_leaves=25,
)


def _fixtures() -> list[Any]:
    if not FIXTURES.is_dir():
        return []
    return [json.loads(p.read_text()) for p in sorted(FIXTURES.glob("*.json"))]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


def _replace(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    doc = copy.deepcopy(doc)
    node = doc
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return doc


def _delete(doc: Any, path: tuple[Any, ...]) -> Any:
    if not path:
        return None
    doc = copy.deepcopy(doc)
    node = doc
    for step in path[:-1]:
        node = node[step]
    del node[path[-1]]
    return doc


def _check_energy(payload: Any) -> None:
    try:
        result = parse_energy(payload)
    except FluviusPayloadError as err:
        assert err.path
        return
    assert isinstance(result, EnergyData)
    for key, samples in result.series.items():
        assert key.unit in (Unit.KWH, Unit.M3, Unit.KVARH), "an unknown unit was kept"
        rate = MAX_GAS_FLOW_M3H if key.unit == Unit.M3 else MAX_POWER_KW
        for sample in samples:
            assert math.isfinite(sample.value), "a non-finite value was accepted"
            assert sample.end > sample.start
            assert sample.start.utcoffset() is not None
            hours = (sample.end - sample.start).total_seconds() / 3600
            assert 0 <= sample.value <= rate * hours, "an impossible value was kept"


def _check_mandates(payload: Any) -> None:
    try:
        parse_mandates(payload)
    except FluviusPayloadError as err:
        assert err.path


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_random_documents_raise_only_payload_errors(payload: Any) -> None:
    """Random JSON trees built from the spec's vocabulary."""
    _check_energy(payload)
    _check_energy({"data": {"headpoint": payload}})
    _check_mandates(payload)
    _check_mandates({"data": {"mandates": [payload]}})


@pytest.mark.parametrize("index", range(len(_fixtures()) or 1))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), replacement=json_values)
def test_mutated_spec_payloads_raise_only_payload_errors(
    index: int, data: st.DataObject, replacement: Any
) -> None:
    """Every spec example with one node replaced or removed."""
    fixtures = _fixtures()
    assert fixtures, "the spec's example payloads are missing from tests/api/fixtures"
    doc = fixtures[index]
    path = data.draw(st.sampled_from(_paths(doc)))
    replace = data.draw(st.booleans())
    mutated = _replace(doc, path, replacement) if replace else _delete(doc, path)
    _check_energy(mutated)
    _check_mandates(mutated)


leaf_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.sampled_from([0, -0.0, 2500.0, 10_000.0, 10_000.001, -1e-9]),
    st.none(),
    st.text(max_size=5),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    energy_type=st.sampled_from(["E", "G", None, "X"]),
    intervals=st.lists(
        st.tuples(
            st.integers(min_value=-4, max_value=12),  # start, in quarter-hours
            st.sampled_from([15, 60, 1380, 1440, 1500, 0, -15]),  # length in minutes
            st.sampled_from(["offtake", "injection", "production", "reverse"]),
            st.sampled_from(["total", "day", "inductive", "capacitive", "peak"]),
            st.sampled_from(["kWh", "m3", "kVArh", "MWh", "", None]),
            leaf_values,
        ),
        max_size=12,
    ),
)
def test_values_and_units_never_pass_unchecked(
    energy_type: str | None, intervals: list[tuple[int, int, str, str, Any, Any]]
) -> None:
    """Well-formed intervals with hostile values, units, lengths and order: a payload error,
    or only plausible values in known units (checked in ``_check_energy``)."""
    base = datetime(2024, 3, 30, 23, 0, tzinfo=UTC)
    array = []
    for quarter, minutes, direction, register, unit, value in intervals:
        start = base + timedelta(minutes=15 * quarter)
        array.append(
            {
                "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "end": (start + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "measurements": [
                    {
                        direction: {
                            register: {"value": value, "unit": unit, "validationState": "READ"}
                        }
                    }
                ],
            }
        )
    headpoint: dict[str, Any] = {"$type": "metering-on-headpoint", "ean": "541440000000000000"}
    if energy_type is not None:
        headpoint["energyType"] = energy_type
    for name in ("quarterHourlyEnergy", "hourlyEnergy", "dailyEnergy"):
        _check_energy({"data": {"headpoint": {**headpoint, name: array}}})
