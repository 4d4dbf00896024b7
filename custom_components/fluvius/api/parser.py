"""Payload → models: GET Energy responses (GET Mandate: :mod:`.mandate_parser`).

Every shape of the specification is accepted (fluvius-api.md §7.5 to §7.7):

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

Values that cannot be true (a unit the register cannot have, a negative or physically
impossible value) are refused or dropped as :mod:`.plausibility` says; docs/architecture.md,
"Bad payloads", has the whole table. What was dropped is logged in one warning per response
(how many, and the first of each kind), never one line per value.

Any other deviation raises :class:`FluviusPayloadError` naming the JSON path, e.g.
``data.headpoint.physicalMeters[0].quarterHourlyEnergy[17].measurements[0].offtake.total.value``.
The interval loop, written for speed, is in :mod:`._intervals`.
"""

from __future__ import annotations

from collections.abc import Mapping
import logging
from operator import itemgetter
from typing import Final

from ._intervals import DIRECTIONS, REGISTERS, Tables, read_intervals
from ._json import (
    Json,
    as_object,
    data_object,
    describe,
    list_or_one,
    optional_str,
    payload_error,
)
from .models import (
    EnergyData,
    EnergyType,
    HeadpointType,
    PhysicalMeter,
    Resolution,
    Sample,
    SeriesKey,
    Slot,
    SubHeadpoint,
    SubHeadpointType,
    parse_open,
    preferred,
)
from .plausibility import Dropped, check_unit, dropped_summary, plausible

ENERGY_ARRAYS: Final[tuple[tuple[str, Resolution], ...]] = (
    ("dailyEnergy", Resolution.DAILY),
    ("hourlyEnergy", Resolution.HOURLY),
    ("quarterHourlyEnergy", Resolution.QUARTER_HOURLY),
)

_START = itemgetter(0)

_LOGGER = logging.getLogger(__name__)


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
        self.tables = Tables()
        self.series: dict[SeriesKey, list[Sample]] = {}
        self.dirty: set[SeriesKey] = set()
        self.energy_type = energy_type
        self.missing: set[Slot] = set()
        self.missing_values = 0
        self.dropped: list[Dropped] = []  # impossible values, logged once per response
        self.unknown: dict[str, None] = {}  # unknown series in unknown units, logged once

    def node(self, node: Mapping[str, Json], path: str, ean: str, meter_id: str | None) -> None:
        """The energy arrays of a headpoint, physical meter or sub-headpoint."""
        for name, resolution in ENERGY_ARRAYS:
            array = node.get(name)
            if array is None:
                continue
            array_path = f"{path}.{name}"
            if not isinstance(array, list):
                raise payload_error(f"expected an array, got {describe(array)}", array_path)
            local, unordered, gaps = read_intervals(array, self.tables, array_path)
            if gaps:
                self.missing_values += len(gaps)
                self.missing.update(
                    Slot(
                        ean,
                        resolution,
                        DIRECTIONS.get(direction, direction),
                        REGISTERS.get(register, register),
                        meter_id,
                        start,
                    )
                    for direction, register, start in gaps
                )
            series = self.series
            for (direction, register, unit), found in local.items():
                if not check_unit(direction, register, unit, self.energy_type, f"{array_path}[*]"):
                    self.unknown[
                        f"{direction[:40]}.{register[:40]} in unknown unit {unit[:20]!r}"
                    ] = None
                    continue
                samples = plausible(found, unit, array_path, ean, self.dropped)
                if not samples:
                    continue
                key = SeriesKey(
                    ean,
                    resolution,
                    DIRECTIONS.get(direction, direction),
                    REGISTERS.get(register, register),
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

    def finish(self) -> dict[SeriesKey, list[Sample]]:
        for key in self.dirty:
            self.series[key] = _sorted_unique(self.series[key])
        return self.series


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


def _physical_meters(
    headpoint: Mapping[str, Json], path: str, ean: str, builder: _Builder
) -> list[PhysicalMeter]:
    meters: list[PhysicalMeter] = []
    for item, item_path in list_or_one(headpoint.get("physicalMeters"), f"{path}.physicalMeters"):
        meter = as_object(item, item_path)
        seq_number = optional_str(meter, "seqNumber", item_path, number_ok=True)
        meter_id = optional_str(meter, "meterID", item_path)
        meters.append(PhysicalMeter(seq_number, meter_id))
        # Series of different physical meters stay apart: keyed by meterID (else seqNumber).
        series_id = meter_id if meter_id is not None else seq_number
        builder.node(meter, item_path, ean, series_id)
    return meters


def _sub_headpoints(value: Json, path: str, builder: _Builder) -> list[SubHeadpoint]:
    subs: list[SubHeadpoint] = []
    for item, item_path in list_or_one(value, path):
        sub = as_object(item, item_path)
        sub_ean = optional_str(sub, "ean", item_path)
        if sub_ean is None:
            raise payload_error("missing", f"{item_path}.ean")
        sub_type = optional_str(sub, "$type", item_path)
        subs.append(
            SubHeadpoint(
                ean=sub_ean,
                type="" if sub_type is None else parse_open(SubHeadpointType, sub_type),
                seq_number=optional_str(sub, "seqNumber", item_path, number_ok=True),
                installation_type=optional_str(sub, "type", item_path),
            )
        )
        builder.node(sub, item_path, sub_ean, None)
        _physical_meters(sub, item_path, sub_ean, builder)
    return subs


def parse_energy(payload: object, *, ean: str | None = None) -> EnergyData:
    """A GET Energy response as :class:`EnergyData`.

    ``ean`` (the EAN that was asked for) is used when the headpoint does not name one.
    """
    data = data_object(payload)
    headpoint = as_object(data.get("headpoint"), "data.headpoint")
    path = "data.headpoint"
    head_ean = optional_str(headpoint, "ean", path) or ean
    if head_ean is None:
        raise payload_error("missing", f"{path}.ean")
    head_type = optional_str(headpoint, "$type", path)
    if head_type is None:
        raise payload_error("missing", f"{path}.$type")
    energy_type = optional_str(headpoint, "energyType", path)
    builder = _Builder(energy_type)
    builder.node(headpoint, path, head_ean, None)
    meters = _physical_meters(headpoint, path, head_ean, builder)
    subs = _sub_headpoints(headpoint.get("subHeadpoints"), f"{path}.subHeadpoints", builder)
    subs += _sub_headpoints(data.get("subHeadpoints"), "data.subHeadpoints", builder)
    if builder.missing_values:
        _log_missing(head_ean, builder.missing_values, builder.missing)
    if builder.dropped:
        _LOGGER.warning(
            "GET Energy for %s: %d impossible values are not imported: %s",
            head_ean,
            len(builder.dropped),
            dropped_summary(builder.dropped),
        )
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
]
