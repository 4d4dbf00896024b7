"""One GET Energy array (``dailyEnergy``, ``hourlyEnergy``, ``quarterHourlyEnergy``) → samples.

Speed: a 185-day quarter-hour response holds ~18,000 intervals. The interval loop is written
for it (local names, a timestamp cache shared by every array of the response, tuple-built
samples, no per-sample validation beyond what correctness needs). When anything in an array is
wrong, the fast loop stops and a plain, careful walk over the offending interval
(:func:`check_interval`) finds the exact path for the error message.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
import math
from typing import Final

from ._json import Json, as_object, describe, payload_error, required_timestamp
from .models import Direction, GasConversionFactor, Register, Sample, Unit, ValidationState

DIRECTIONS: Final[dict[str, Direction]] = {member.value: member for member in Direction}
REGISTERS: Final[dict[str, Register]] = {member.value: member for member in Register}
UNITS: Final[dict[str, Unit]] = {member.value: member for member in Unit}
_STATES: Final[dict[str, ValidationState]] = {member.value: member for member in ValidationState}
_GCFS: Final[dict[str, GasConversionFactor]] = {
    member.value: member for member in GasConversionFactor
}

type Local = dict[tuple[str, str, str], list[Sample]]  # (direction, register, unit) → samples
type Gaps = list[tuple[str, str, datetime]]  # (direction, register, start) of missing values


class _Malformed(ValueError):
    """Internal: the fast loop met something it does not accept."""


class Tables:
    """Per-response lookup tables: the timestamp cache and the text → enum maps.

    Unknown texts are added on first sight, so the common case is one dictionary lookup. The
    tables live only as long as one parse (no growth across responses).
    """

    __slots__ = ("gcfs", "states", "timestamps", "units")

    def __init__(self) -> None:
        self.timestamps: dict[str, datetime] = {}
        self.units: dict[str, Unit | str] = dict(UNITS)
        self.states: dict[str, ValidationState | str] = dict(_STATES)
        self.gcfs: dict[str, GasConversionFactor | str] = dict(_GCFS)


def read_intervals(array: list[Json], tables: Tables, path: str) -> tuple[Local, bool, Gaps]:
    """Samples of one energy array, keyed by (direction, register, unit).

    Returns the samples, whether they may need sorting/deduplication (intervals out of
    order, or several measurement objects in an interval) and the missing values (a ``null``
    register, a ``null`` or absent ``value``).

    Timestamps: an interval's ``start`` is nearly always the previous interval's ``end`` (the
    same text), so it is taken from there; other starts go through the response's timestamp
    cache; each ``end`` is parsed once (``datetime.fromisoformat``).
    """
    out: Local = {}
    gaps: Gaps = []
    get_list = out.get
    new = tuple.__new__
    sample_type = Sample
    fromiso = datetime.fromisoformat
    utc = UTC
    cache = tables.timestamps
    get_ts = cache.get
    units = tables.units
    get_unit = units.get
    states = tables.states
    get_state = states.get
    gcfs = tables.gcfs
    directions = DIRECTIONS
    registers = REGISTERS
    unordered = False
    previous_start: datetime | None = None
    previous_raw_end: object = None
    previous_end: datetime | None = None
    index = -1
    try:
        for index, interval in enumerate(array):  # noqa: B007 - index is read on failure
            raw_start = interval["start"]
            raw_end = interval["end"]
            if previous_end is not None and raw_start == previous_raw_end:
                start = previous_end
            else:
                cached = get_ts(raw_start)
                if cached is None:
                    cached = cache[raw_start] = _timestamp(raw_start)
                start = cached
                if previous_start is not None and start <= previous_start:
                    unordered = True
            end = fromiso(raw_end)
            if end.tzinfo is not utc:
                end = _as_utc(end)
            if end <= start:
                raise _Malformed
            previous_start = start
            previous_raw_end = raw_end
            previous_end = end
            measurements = interval.get("measurements")
            if type(measurements) is not list:
                if measurements is None:
                    continue
                raise _Malformed
            if len(measurements) > 1:
                unordered = True
            for measurement in measurements:
                if type(measurement) is not dict:
                    if measurement is None:
                        continue
                    raise _Malformed
                for direction, registers_obj in measurement.items():
                    if type(registers_obj) is not dict:
                        if registers_obj is None or direction not in directions:
                            continue
                        raise _Malformed
                    for register, leaf in registers_obj.items():
                        if type(leaf) is not dict:
                            if leaf is None:
                                gaps.append((direction, register, start))
                                continue
                            if register not in registers:
                                continue
                            raise _Malformed
                        value = leaf.get("value")
                        if value is None:
                            gaps.append((direction, register, start))
                            continue
                        if type(value) is not float or value - value:  # nan/inf: nan, truthy
                            value = _number(value)
                        raw_unit = leaf["unit"]
                        unit = get_unit(raw_unit)
                        if unit is None:
                            unit = _text(raw_unit, units)
                        raw_state = leaf["validationState"]
                        state = get_state(raw_state)
                        if state is None:
                            state = _text(raw_state, states)
                        gcf = leaf.get("gasConversionFactor")
                        if gcf is not None:
                            found = gcfs.get(gcf)
                            gcf = _text(gcf, gcfs) if found is None else found
                        key = (direction, register, unit)
                        samples = get_list(key)
                        if samples is None:
                            samples = out[key] = []
                        samples.append(new(sample_type, (start, end, value, state, gcf)))
    except (_Malformed, KeyError, TypeError, AttributeError, ValueError, OverflowError):
        check_interval(array[index], f"{path}[{index}]")
        raise payload_error("malformed interval", f"{path}[{index}]") from None
    return out, unordered, gaps


def _timestamp(text: object) -> datetime:
    moment = datetime.fromisoformat(text)  # type: ignore[arg-type]  # TypeError if not a str
    return moment if moment.tzinfo is UTC else _as_utc(moment)


def _as_utc(moment: datetime) -> datetime:
    """Rare: an explicit offset (converted) or none (read as UTC, as the spec says)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _number(value: object) -> float:
    if type(value) is int:
        result = float(value)  # OverflowError for absurd integers
    elif isinstance(value, float):
        result = float(value)
    else:
        raise _Malformed
    if not math.isfinite(result):
        raise _Malformed
    return result


def _text[V](value: object, table: dict[str, V | str]) -> str:
    if type(value) is not str:
        raise _Malformed
    table[value] = value
    return value


# --- the careful walk that names the path ---------------------------------------------------


def check_interval(interval: Json, path: str) -> None:
    """Raise the payload error of one interval the fast loop refused (with the exact path)."""
    obj = as_object(interval, path)
    start = required_timestamp(obj, "start", path)
    end = required_timestamp(obj, "end", path)
    if end <= start:
        raise payload_error("end is not after start", f"{path}.end")
    measurements = obj.get("measurements")
    if measurements is None:
        return
    if not isinstance(measurements, list):
        raise payload_error(
            f"expected an array, got {describe(measurements)}", f"{path}.measurements"
        )
    for m_index, measurement in enumerate(measurements):
        m_path = f"{path}.measurements[{m_index}]"
        if measurement is None:
            continue
        for direction, registers_obj in as_object(measurement, m_path).items():
            d_path = f"{m_path}.{direction}"
            if not isinstance(registers_obj, dict):
                if registers_obj is None or direction not in DIRECTIONS:
                    continue
                raise payload_error(f"expected an object, got {describe(registers_obj)}", d_path)
            for register, leaf in registers_obj.items():
                r_path = f"{d_path}.{register}"
                if not isinstance(leaf, dict):
                    if leaf is None or register not in REGISTERS:
                        continue
                    raise payload_error(f"expected an object, got {describe(leaf)}", r_path)
                _check_leaf(leaf, r_path)


def _check_leaf(leaf: Mapping[str, Json], path: str) -> None:
    value = leaf.get("value")
    if value is None:
        return  # a missing value, not an error
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise payload_error(f"expected a number, got {describe(value)}", f"{path}.value")
    try:
        finite = math.isfinite(float(value))
    except OverflowError:
        finite = False
    if not finite:
        raise payload_error("expected a finite number", f"{path}.value")
    for key in ("unit", "validationState"):
        if key not in leaf:
            raise payload_error("missing", f"{path}.{key}")
        if not isinstance(leaf[key], str):
            raise payload_error(f"expected a string, got {describe(leaf[key])}", f"{path}.{key}")
    gcf = leaf.get("gasConversionFactor")
    if gcf is not None and not isinstance(gcf, str):
        raise payload_error(
            f"expected a string, got {describe(gcf)}", f"{path}.gasConversionFactor"
        )


__all__ = ["DIRECTIONS", "REGISTERS", "UNITS", "Tables", "check_interval", "read_intervals"]
