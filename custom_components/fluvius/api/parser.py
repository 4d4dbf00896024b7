"""Payload → models: GET Mandate, GET Energy and POST Create Mock Mandate responses.

Every shape of the specification is accepted (fluvius-api.md §6.2, §7.5 to §7.7):

* ``data.headpoint`` with ``$type`` ``metering-on-meter`` (digital meter, series under
  ``physicalMeters[]``), ``metering-on-headpoint`` (AMR, series on the headpoint) or
  ``metering-on-headpoint-and-meter`` (both); the parser does not dispatch on ``$type``: it
  reads the series wherever they are, so an unknown ``$type`` still parses;
* ``subHeadpoints`` as an array (also a single object, as the spec's fragment shows, and also
  next to ``headpoint`` under ``data``), each with its own series, keyed by the sub-EAN;
* ``dailyEnergy`` / ``hourlyEnergy`` / ``quarterHourlyEnergy`` arrays of intervals; each interval
  has ``measurements``: objects keyed by direction (``offtake``, ``injection``, ``production``,
  ``auxiliary``, or an unknown key kept as text), then register (``day``, ``night``, ``total``,
  ``inductive``, ``capacitive``, or unknown), then the leaf ``{value, unit, validationState,
  gasConversionFactor?}``. Several measurement objects in one interval (gas: one in m³, one in
  kWh) are merged; the same series twice in one interval: the last one wins.

Decisions where the specification is silent (docs/architecture.md, "Bad payloads"):

* ``null`` where an object or array is expected (an energy array, a measurement object, a
  direction) means "absent" and is skipped;
* a register that is ``null``, or whose ``value`` is ``null`` or absent, is a missing value:
  that interval is missing for that register (never 0), it is recorded in
  :attr:`EnergyData.missing` and counted in :attr:`EnergyData.missing_values`, one summary
  line per response is logged, and the rest of the response is parsed (its ``unit`` and
  ``validationState`` may then be ``null`` too);
* ``null`` for ``start``, ``end``, or for the ``unit`` or ``validationState`` of a value, is a
  payload error (a value of unknown unit or place must not reach the statistics); ``null``
  for ``gasConversionFactor`` means absent;
* a direction or register key the spec does not list, whose value is not an object, is ignored
  (it is not a measurement); a listed key with a non-object value is an error;
* timestamps are ISO 8601; the spec always writes UTC with ``Z``: an explicit offset is
  converted to UTC, a timestamp without offset is read as UTC (the spec says every datetime is
  UTC); everything returned is timezone-aware UTC;
* ``value`` must be a finite JSON number (not a boolean, not a string); ``end`` must be after
  ``start``;
* the samples of each series are sorted by start, one per start; of a repeated interval the
  most final value wins (READ/VAL over EST/NVAL), among equals the last one in the response
  (:func:`~.models.preferred`).

Values that cannot be true (docs/architecture.md, "Bad payloads", has the whole table):

* a unit the register cannot have (``kVArh`` on ``total``/``day``/``night``, ``kWh``/``m3`` on
  ``inductive``/``capacitive``, ``m3`` on an electricity headpoint, ``kVArh`` on gas) or an
  unknown unit on a known direction and register is a payload error: the whole response is
  refused, since a unit change of a series we import means we no longer know what it measures;
  an unknown unit on an unknown direction or register drops that series;
* a negative value, or one above :data:`MAX_POWER_KW` (kW; m³/h for gas volumes
  :data:`MAX_GAS_FLOW_M3H`) times the interval's hours, drops that sample: one glitch does not
  hold back every other value, and is never imported.

What was dropped is logged in one warning per response (how many, and the first of each kind),
never one line per value.

Any other deviation raises :class:`FluviusPayloadError` naming the JSON path, e.g.
``data.headpoint.physicalMeters[0].quarterHourlyEnergy[17].measurements[0].offtake.total.value``.

Speed: a 185-day quarter-hour response holds ~18,000 intervals. The interval loop is written
for it (local names, a timestamp cache shared by every array of the response, tuple-built
samples, no per-sample validation beyond what correctness needs). When anything in an array is
wrong, the fast loop stops and a plain, careful walk over the offending interval finds the exact
path for the error message.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
import logging
import math
from operator import itemgetter
from typing import Any, Final, cast

from .errors import FluviusPayloadError
from .models import (
    Direction,
    EnergyData,
    EnergyType,
    GasConversionFactor,
    HeadpointType,
    Mandate,
    MandateStatus,
    PhysicalMeter,
    Register,
    Resolution,
    Sample,
    SeriesKey,
    Slot,
    SubHeadpoint,
    SubHeadpointType,
    Unit,
    ValidationState,
    parse_data_service_type,
    parse_open,
    parse_renewal_status,
    preferred,
)

ENERGY_ARRAYS: Final[tuple[tuple[str, Resolution], ...]] = (
    ("dailyEnergy", Resolution.DAILY),
    ("hourlyEnergy", Resolution.HOURLY),
    ("quarterHourlyEnergy", Resolution.QUARTER_HOURLY),
)

_DIRECTIONS: Final[dict[str, Direction]] = {member.value: member for member in Direction}
_REGISTERS: Final[dict[str, Register]] = {member.value: member for member in Register}
_UNITS: Final[dict[str, Unit]] = {member.value: member for member in Unit}
_STATES: Final[dict[str, ValidationState]] = {member.value: member for member in ValidationState}
_GCFS: Final[dict[str, GasConversionFactor]] = {
    member.value: member for member in GasConversionFactor
}
_START = itemgetter(0)

_LOGGER = logging.getLogger(__name__)

MAX_POWER_KW: Final = 40_000.0
"""The most a headpoint can take or give, as an average over an interval (kW; kvar for
reactive energy): 40 MW, i.e. 10 MWh (10,000 kWh) in one quarter-hour. Fluvius runs the
distribution grid; its largest connections (medium voltage, up to 36 kV) are of the order of
10-25 MVA, larger users connect to Elia's transmission grid. A value above this bound is a
meter or transmission fault, not a reading."""

MAX_GAS_FLOW_M3H: Final = 4_000.0
"""The same bound for gas volumes: 40 MW at about 10 kWh per m³ (Belgian natural gas is
9.5-11.6 kWh/m³)."""

_REACTIVE: Final = frozenset({Register.INDUCTIVE.value, Register.CAPACITIVE.value})
_ACTIVE: Final = frozenset({Register.TOTAL.value, Register.DAY.value, Register.NIGHT.value})
_SECONDS_PER_HOUR: Final = 3600.0

type _Json = Any  # a decoded JSON value; checked before use
type _Local = dict[tuple[str, str, str], list[Sample]]
type _Dropped = tuple[str, Sample, str, str]  # EAN, sample, unit, array path
type _Gaps = list[tuple[str, str, datetime]]  # (direction, register, start) of missing values


class _Malformed(ValueError):
    """Internal: the fast loop met something it does not accept."""


def _error(message: str, path: str) -> FluviusPayloadError:
    return FluviusPayloadError(message, path=path)


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


# --- timestamps --------------------------------------------------------------------------------


def _to_utc(text: object) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime; ValueError/TypeError when it is not."""
    if type(text) is not str:
        raise TypeError("not a string")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    if moment.tzinfo is not UTC:
        return moment.astimezone(UTC)
    return moment


def parse_timestamp(value: object, path: str = "$") -> datetime:
    """A timestamp of the API (``YYYY-MM-DDTHH:MM:SSZ``) as an aware UTC datetime."""
    try:
        return _to_utc(value)
    except (TypeError, ValueError, OverflowError):
        if not isinstance(value, str):
            raise _error(f"expected a timestamp string, got {_describe(value)}", path) from None
        raise _error(f"invalid timestamp {value[:40]!r}", path) from None


def _optional_timestamp(obj: Mapping[str, _Json], key: str, path: str) -> datetime | None:
    value = obj.get(key)
    if value is None:
        return None
    return parse_timestamp(value, f"{path}.{key}")


def _optional_str(
    obj: Mapping[str, _Json], key: str, path: str, *, number_ok: bool = False
) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    if number_ok and isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # seqNumber 1 instead of "1"
    raise _error(f"expected a string, got {_describe(value)}", f"{path}.{key}")


def _object(value: _Json, path: str) -> dict[str, _Json]:
    if not isinstance(value, dict):
        raise _error(f"expected an object, got {_describe(value)}", path)
    return cast(dict[str, _Json], value)


def _data(payload: object) -> dict[str, _Json]:
    root = _object(payload, "$")
    return _object(root.get("data"), "data")


# --- GET Mandate -------------------------------------------------------------------------------


def _mandate(obj: _Json, path: str) -> Mandate:
    item = _object(obj, path)
    status = item.get("status")
    if not isinstance(status, str):
        raise _error(f"expected the mandate status, got {_describe(status)}", f"{path}.status")
    energy_type = _optional_str(item, "energyType", path)
    service = _optional_str(item, "dataServiceType", path)
    renewal = _optional_str(item, "renewalStatus", path)
    return Mandate(
        status=parse_open(MandateStatus, status),
        reference_number=_optional_str(item, "referenceNumber", path),
        ean=_optional_str(item, "ean", path),
        energy_type=None if energy_type is None else parse_open(EnergyType, energy_type),
        data_period_from=_optional_timestamp(item, "dataPeriodFrom", path),
        data_period_to=_optional_timestamp(item, "dataPeriodTo", path),
        data_service_type=None if service is None else parse_data_service_type(service),
        mandate_expiration_date=_optional_timestamp(item, "mandateExpirationDate", path),
        renewal_status=None if renewal is None else parse_renewal_status(renewal),
    )


def parse_mandates(payload: object) -> list[Mandate]:
    """A GET Mandate response (``{"data": {"mandates": [...]}}``) as mandates.

    An absent or ``null`` ``mandates`` array means no mandates. Unknown fields are ignored,
    unknown enumeration values are kept as text (``renewalStatus`` case-insensitively, A4).
    """
    data = _data(payload)
    mandates = data.get("mandates")
    if mandates is None:
        return []
    if not isinstance(mandates, list):
        raise _error(f"expected an array, got {_describe(mandates)}", "data.mandates")
    return [
        _mandate(item, f"data.mandates[{index}]")
        for index, item in enumerate(mandates)
        if item is not None
    ]


def parse_mock_mandate(payload: object) -> Mandate:
    """A POST Create Mock Mandate response (undocumented, A22).

    Accepted: ``{"data": {<mandate>}}``, ``{"data": {"mandate": {...}}}``,
    ``{"data": {"mandates": [{...}, ...]}}`` (the first one) and a bare ``{<mandate>}``.
    """
    root = _object(payload, "$")
    data = root.get("data")
    if data is None and "status" in root:
        return _mandate(root, "$")
    data = _object(data, "data")
    if "mandate" in data:
        return _mandate(data["mandate"], "data.mandate")
    if "mandates" in data:
        mandates = data["mandates"]
        if not isinstance(mandates, list) or not mandates:
            raise _error("expected a non-empty array", "data.mandates")
        return _mandate(mandates[0], "data.mandates[0]")
    return _mandate(data, "data")


# --- GET Energy: the interval loop -------------------------------------------------------------


class _Tables:
    """Per-response lookup tables: the timestamp cache and the text → enum maps.

    Unknown texts are added on first sight, so the common case is one dictionary lookup. The
    tables live only as long as one parse (no growth across responses).
    """

    __slots__ = ("gcfs", "states", "timestamps", "units")

    def __init__(self) -> None:
        self.timestamps: dict[str, datetime] = {}
        self.units: dict[str, Unit | str] = dict(_UNITS)
        self.states: dict[str, ValidationState | str] = dict(_STATES)
        self.gcfs: dict[str, GasConversionFactor | str] = dict(_GCFS)


def _intervals(array: list[_Json], tables: _Tables, path: str) -> tuple[_Local, bool, _Gaps]:
    """Samples of one energy array, keyed by (direction, register, unit).

    Returns the samples, whether they may need sorting/deduplication (intervals out of
    order, or several measurement objects in an interval) and the missing values (a ``null``
    register, a ``null`` or absent ``value``).

    Timestamps: an interval's ``start`` is nearly always the previous interval's ``end`` (the
    same text), so it is taken from there; other starts go through the response's timestamp
    cache; each ``end`` is parsed once (``datetime.fromisoformat``).
    """
    out: _Local = {}
    gaps: _Gaps = []
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
    directions = _DIRECTIONS
    registers = _REGISTERS
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
        _check_interval(array[index], f"{path}[{index}]")
        raise _error("malformed interval", f"{path}[{index}]") from None
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


# --- GET Energy: the careful walk that names the path ------------------------------------------


def _check_interval(interval: _Json, path: str) -> None:
    """Raise the payload error of one interval the fast loop refused (with the exact path)."""
    obj = _object(interval, path)
    start = _required_timestamp(obj, "start", path)
    end = _required_timestamp(obj, "end", path)
    if end <= start:
        raise _error("end is not after start", f"{path}.end")
    measurements = obj.get("measurements")
    if measurements is None:
        return
    if not isinstance(measurements, list):
        raise _error(f"expected an array, got {_describe(measurements)}", f"{path}.measurements")
    for m_index, measurement in enumerate(measurements):
        m_path = f"{path}.measurements[{m_index}]"
        if measurement is None:
            continue
        for direction, registers_obj in _object(measurement, m_path).items():
            d_path = f"{m_path}.{direction}"
            if not isinstance(registers_obj, dict):
                if registers_obj is None or direction not in _DIRECTIONS:
                    continue
                raise _error(f"expected an object, got {_describe(registers_obj)}", d_path)
            for register, leaf in registers_obj.items():
                r_path = f"{d_path}.{register}"
                if not isinstance(leaf, dict):
                    if leaf is None or register not in _REGISTERS:
                        continue
                    raise _error(f"expected an object, got {_describe(leaf)}", r_path)
                _check_leaf(leaf, r_path)


def _required_timestamp(obj: Mapping[str, _Json], key: str, path: str) -> datetime:
    if key not in obj:
        raise _error("missing", f"{path}.{key}")
    return parse_timestamp(obj[key], f"{path}.{key}")


def _check_leaf(leaf: Mapping[str, _Json], path: str) -> None:
    value = leaf.get("value")
    if value is None:
        return  # a missing value, not an error
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _error(f"expected a number, got {_describe(value)}", f"{path}.value")
    try:
        finite = math.isfinite(float(value))
    except OverflowError:
        finite = False
    if not finite:
        raise _error("expected a finite number", f"{path}.value")
    for key in ("unit", "validationState"):
        if key not in leaf:
            raise _error("missing", f"{path}.{key}")
        if not isinstance(leaf[key], str):
            raise _error(f"expected a string, got {_describe(leaf[key])}", f"{path}.{key}")
    gcf = leaf.get("gasConversionFactor")
    if gcf is not None and not isinstance(gcf, str):
        raise _error(f"expected a string, got {_describe(gcf)}", f"{path}.gasConversionFactor")


# --- GET Energy: headpoint, meters, submeters --------------------------------------------------


class _Builder:
    """Collects the series of one response."""

    __slots__ = (
        "dirty",
        "dropped",
        "energy_type",
        "missing",
        "missing_values",
        "series",
        "tables",
        "unknown",
    )

    def __init__(self, energy_type: str | None = None) -> None:
        self.tables = _Tables()
        self.series: dict[SeriesKey, list[Sample]] = {}
        self.dirty: set[SeriesKey] = set()
        self.energy_type = energy_type
        self.missing: set[Slot] = set()
        self.missing_values = 0
        self.dropped: list[_Dropped] = []  # impossible values, logged once per response
        self.unknown: dict[str, None] = {}  # unknown series in unknown units, logged once

    def node(self, node: Mapping[str, _Json], path: str, ean: str, meter_id: str | None) -> None:
        """The energy arrays of a headpoint, physical meter or sub-headpoint."""
        for name, resolution in ENERGY_ARRAYS:
            array = node.get(name)
            if array is None:
                continue
            array_path = f"{path}.{name}"
            if not isinstance(array, list):
                raise _error(f"expected an array, got {_describe(array)}", array_path)
            local, unordered, gaps = _intervals(array, self.tables, array_path)
            if gaps:
                self.missing_values += len(gaps)
                self.missing.update(
                    Slot(
                        ean,
                        resolution,
                        _DIRECTIONS.get(direction, direction),
                        _REGISTERS.get(register, register),
                        meter_id,
                        start,
                    )
                    for direction, register, start in gaps
                )
            series = self.series
            for (direction, register, unit), found in local.items():
                if not self._unit_ok(direction, register, unit, f"{array_path}[*]"):
                    continue
                samples = _plausible(found, unit, array_path, ean, self.dropped)
                if not samples:
                    continue
                key = SeriesKey(
                    ean,
                    resolution,
                    _DIRECTIONS.get(direction, direction),
                    _REGISTERS.get(register, register),
                    unit,
                    meter_id,
                )
                existing = series.get(key)
                if existing is None:
                    series[key] = samples
                    if unordered:
                        self.dirty.add(key)
                else:
                    existing.extend(samples)
                    self.dirty.add(key)

    def _unit_ok(self, direction: str, register: str, unit: str, path: str) -> bool:
        """Whether the series may be kept; a payload error when its unit cannot be right."""
        where = f"{path}.measurements[*].{direction}.{register}.unit"
        if direction not in _DIRECTIONS or register not in _REGISTERS:
            if unit in _UNITS:
                return True
            self.unknown[f"{direction[:40]}.{register[:40]} in unknown unit {unit[:20]!r}"] = None
            return False
        if unit not in _UNITS:
            raise _error(f"unknown unit {unit[:20]!r}", where)
        if register in _REACTIVE:
            if unit != Unit.KVARH:
                raise _error(f"{register} energy in {unit}, expected kVArh", where)
        elif unit == Unit.KVARH:
            raise _error(f"{register} energy in kVArh, expected kWh or m3", where)
        elif unit == Unit.M3 and self.energy_type == EnergyType.ELECTRICITY:
            raise _error("m3 on an electricity headpoint", where)
        if unit == Unit.KVARH and self.energy_type == EnergyType.GAS:
            raise _error("kVArh on a gas headpoint", where)
        return True

    def finish(self) -> dict[SeriesKey, list[Sample]]:
        for key in self.dirty:
            self.series[key] = _sorted_unique(self.series[key])
        return self.series


def _plausible(
    samples: list[Sample], unit: str, path: str, ean: str, dropped: list[_Dropped]
) -> list[Sample]:
    """The samples without negative or physically impossible values (added to ``dropped``).

    Each value against its own interval's length (a few ms for a 185-day quarter-hour
    chunk); the list is returned as is when nothing was dropped.
    """
    per_second = (MAX_GAS_FLOW_M3H if unit == Unit.M3 else MAX_POWER_KW) / _SECONDS_PER_HOUR
    bad = [
        index
        for index, (start, end, value, *_) in enumerate(samples)
        if not 0.0 <= value <= per_second * (end - start).total_seconds()
    ]
    if not bad:
        return samples
    dropped.extend((ean, samples[index], unit, path) for index in bad)
    bad_indexes = set(bad)
    return [sample for index, sample in enumerate(samples) if index not in bad_indexes]


def _log_dropped(ean: str, dropped: list[_Dropped]) -> None:
    """One warning per response, however many values were dropped: how many, and the first of
    each kind (never one line per value)."""
    firsts: dict[bool, _Dropped] = {}
    counts: dict[bool, int] = {}
    for item in dropped:
        negative = item[1].value < 0.0
        counts[negative] = counts.get(negative, 0) + 1
        first = firsts.get(negative)
        if first is None or item[1].start < first[1].start:
            firsts[negative] = item
    parts: list[str] = []
    for negative, (node_ean, sample, unit, path) in sorted(firsts.items(), reverse=True):
        what = "negative value {} {}" if negative else "value {} {} above the physical bound"
        part = f"{what.format(sample.value, unit)} at {sample.start.isoformat()} of {node_ean}"
        part += f" ({path})"
        if (more := counts[negative] - 1) > 0:
            part += f" and {more} more like it"
        parts.append(part)
    _LOGGER.warning(
        "GET Energy for %s: %d impossible values are not imported: %s",
        ean,
        len(dropped),
        "; ".join(parts),
    )


def _sorted_unique(samples: list[Sample]) -> list[Sample]:
    """Sorted by start, one sample per start: of a repeated start the most final one, among
    equals the last one (:func:`~.models.preferred`)."""
    samples.sort(key=_START)  # stable: of equal starts the later one stays later
    out: list[Sample] = []
    for sample in samples:
        if out and out[-1].start == sample.start:
            out[-1] = preferred(out[-1], sample)
        else:
            out.append(sample)
    return out


def _list_or_one(value: _Json, path: str) -> list[tuple[_Json, str]]:
    """An array (or, tolerated, a single object) as (item, path) pairs."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [(value, path)]
    if not isinstance(value, list):
        raise _error(f"expected an array, got {_describe(value)}", path)
    return [(item, f"{path}[{index}]") for index, item in enumerate(value) if item is not None]


def _physical_meters(
    headpoint: Mapping[str, _Json], path: str, ean: str, builder: _Builder
) -> list[PhysicalMeter]:
    meters: list[PhysicalMeter] = []
    for item, item_path in _list_or_one(headpoint.get("physicalMeters"), f"{path}.physicalMeters"):
        meter = _object(item, item_path)
        seq_number = _optional_str(meter, "seqNumber", item_path, number_ok=True)
        meter_id = _optional_str(meter, "meterID", item_path)
        meters.append(PhysicalMeter(seq_number, meter_id))
        # Series of different physical meters stay apart: keyed by meterID (else seqNumber).
        series_id = meter_id if meter_id is not None else seq_number
        builder.node(meter, item_path, ean, series_id)
    return meters


def _sub_headpoints(value: _Json, path: str, builder: _Builder) -> list[SubHeadpoint]:
    subs: list[SubHeadpoint] = []
    for item, item_path in _list_or_one(value, path):
        sub = _object(item, item_path)
        sub_ean = _optional_str(sub, "ean", item_path)
        if sub_ean is None:
            raise _error("missing", f"{item_path}.ean")
        sub_type = _optional_str(sub, "$type", item_path)
        subs.append(
            SubHeadpoint(
                ean=sub_ean,
                type="" if sub_type is None else parse_open(SubHeadpointType, sub_type),
                seq_number=_optional_str(sub, "seqNumber", item_path, number_ok=True),
                installation_type=_optional_str(sub, "type", item_path),
            )
        )
        builder.node(sub, item_path, sub_ean, None)
        _physical_meters(sub, item_path, sub_ean, builder)
    return subs


def parse_energy(payload: object, *, ean: str | None = None) -> EnergyData:
    """A GET Energy response as :class:`EnergyData`.

    ``ean`` (the EAN that was asked for) is used when the headpoint does not name one.
    """
    data = _data(payload)
    headpoint = _object(data.get("headpoint"), "data.headpoint")
    path = "data.headpoint"
    head_ean = _optional_str(headpoint, "ean", path) or ean
    if head_ean is None:
        raise _error("missing", f"{path}.ean")
    head_type = _optional_str(headpoint, "$type", path)
    if head_type is None:
        raise _error("missing", f"{path}.$type")
    energy_type = _optional_str(headpoint, "energyType", path)
    builder = _Builder(energy_type)
    builder.node(headpoint, path, head_ean, None)
    meters = _physical_meters(headpoint, path, head_ean, builder)
    subs = _sub_headpoints(headpoint.get("subHeadpoints"), f"{path}.subHeadpoints", builder)
    subs += _sub_headpoints(data.get("subHeadpoints"), "data.subHeadpoints", builder)
    if builder.missing_values:
        _log_missing(head_ean, builder.missing_values, builder.missing)
    if builder.dropped:
        _log_dropped(head_ean, builder.dropped)
    if builder.unknown:
        _LOGGER.warning(
            "GET Energy for %s: unknown series %s not imported",
            head_ean,
            ", ".join(builder.unknown),
        )
    return EnergyData(
        ean=head_ean,
        energy_type=None if energy_type is None else parse_open(EnergyType, energy_type),
        headpoint_type=parse_open(HeadpointType, head_type),
        physical_meters=tuple(meters),
        sub_headpoints=tuple(subs),
        series=builder.finish(),
        missing=frozenset(builder.missing),
        missing_values=builder.missing_values,
    )


def _log_missing(ean: str, count: int, missing: set[Slot]) -> None:
    """One line per response, however many values were missing (never one per value)."""
    starts = [slot.start for slot in missing]
    _LOGGER.info(
        "GET Energy for %s: %d missing (null or absent) values between %s and %s; "
        "those intervals are not imported until Fluvius sends them",
        ean,
        count,
        min(starts).isoformat(),
        max(starts).isoformat(),
    )


__all__ = [
    "ENERGY_ARRAYS",
    "parse_energy",
    "parse_mandates",
    "parse_mock_mandate",
    "parse_timestamp",
]
