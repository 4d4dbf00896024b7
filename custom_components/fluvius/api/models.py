"""Typed models of the Fluvius API payloads.

Enumerations are open: a value the specification does not list is kept as its text (the
``parse_*`` helpers return the enum member when known, else the string) so that a new value on
the server never crashes the client.

Measurements are stored column-friendly: one :class:`Series` per (EAN, physical meter,
resolution, direction, register, unit) with its samples in time order. That is what every
consumer wants (hourly sums, peaks, day/night registers), and it keeps parsing cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from itertools import pairwise
from operator import itemgetter
from typing import NamedTuple


class MandateStatus(StrEnum):
    REQUESTED = "Requested"
    APPROVED = "Approved"
    REJECTED = "Rejected"
    FINISHED = "Finished"


class RenewalStatus(StrEnum):
    TO_BE_RENEWED = "ToBeRenewed"  # the spec also spells it "toBeRenewed" (A4)
    RENEWAL_REQUESTED = "RenewalRequested"
    EXPIRED = "Expired"


class EnergyType(StrEnum):
    ELECTRICITY = "E"
    GAS = "G"


class DataServiceType(StrEnum):
    DAILY = "VH_dag"
    QUARTER_HOURLY = "VH_kwartier_uur"  # the mock-mandate table says "VH_kwartier" (A2)


class Granularity(StrEnum):
    """GET Energy ``granularity`` parameter."""

    DAILY = "daily"
    HOURLY_QUARTERHOURLY = "hourly_quarterhourly"


class PeriodType(StrEnum):
    READ_TIME = "readTime"
    INSERT_TIME = "insertTime"


class ComplexEnergyType(StrEnum):
    ACTIVE = "active"
    REACTIVE = "reactive"


class ValidationState(StrEnum):
    READ = "READ"  # digital meter: registered by the meter
    EST = "EST"  # digital meter: estimated
    VAL = "VAL"  # AMR: technically validated
    NVAL = "NVAL"  # AMR: not yet validated, may change


FINAL_STATES: frozenset[str] = frozenset({ValidationState.READ, ValidationState.VAL})


class GasConversionFactor(StrEnum):
    PROVISIONAL = "P"
    DEFINITIVE = "D"
    CONSTANT = "C"  # factor 11


class HeadpointType(StrEnum):
    METERING_ON_METER = "metering-on-meter"  # digital meter
    METERING_ON_HEADPOINT = "metering-on-headpoint"  # AMR meter
    METERING_ON_HEADPOINT_AND_METER = "metering-on-headpoint-and-meter"  # seen in the ESCO API


class SubHeadpointType(StrEnum):
    PRODUCTION = "submetering-production"
    AUXILIARY = "submetering-auxiliary"
    OFFTAKE = "submetering-offtake"


class Resolution(StrEnum):
    """The array a sample came from: ``dailyEnergy``, ``hourlyEnergy``, ``quarterHourlyEnergy``."""

    DAILY = "daily"
    HOURLY = "hourly"
    QUARTER_HOURLY = "quarter_hourly"


class Direction(StrEnum):
    OFFTAKE = "offtake"
    INJECTION = "injection"
    PRODUCTION = "production"
    AUXILIARY = "auxiliary"


class Register(StrEnum):
    DAY = "day"
    NIGHT = "night"
    TOTAL = "total"
    INDUCTIVE = "inductive"
    CAPACITIVE = "capacitive"


class Unit(StrEnum):
    KWH = "kWh"
    M3 = "m3"
    KVARH = "kVArh"


def _open[E: StrEnum](enum: type[E], value: str) -> E | str:
    try:
        return enum(value)
    except ValueError:
        return value


def parse_renewal_status(value: str) -> RenewalStatus | str:
    """Case-insensitive: the spec writes both ``ToBeRenewed`` and ``toBeRenewed``."""
    for member in RenewalStatus:
        if member.value.lower() == value.lower():
            return member
    return value


def parse_data_service_type(value: str) -> DataServiceType | str:
    if value == "VH_kwartier":
        return DataServiceType.QUARTER_HOURLY
    return _open(DataServiceType, value)


def parse_open[E: StrEnum](enum: type[E], value: str) -> E | str:
    """The member of ``enum`` for ``value``, or ``value`` itself when unknown."""
    return _open(enum, value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Mandate:
    """One access grant on one EAN (GET Mandate, §6)."""

    status: MandateStatus | str
    reference_number: str | None = None
    ean: str | None = None  # only for Approved and Finished mandates
    energy_type: EnergyType | str | None = None
    data_period_from: datetime | None = None
    data_period_to: datetime | None = None  # exclusive
    data_service_type: DataServiceType | str | None = None
    mandate_expiration_date: datetime | None = None  # exclusive
    renewal_status: RenewalStatus | str | None = None

    @property
    def usable(self) -> bool:
        """Whether GET Energy can be asked for this mandate's EAN."""
        return self.ean is not None and self.status in (
            MandateStatus.APPROVED,
            MandateStatus.FINISHED,
        )


class Sample(NamedTuple):
    """One interval value. ``end`` is exclusive."""

    start: datetime
    end: datetime
    value: float
    state: ValidationState | str
    gas_conversion_factor: GasConversionFactor | str | None = None


@dataclass(frozen=True, slots=True)
class SeriesKey:
    """What a series measures. ``ean`` is the sub-EAN for submeter series."""

    ean: str
    resolution: Resolution
    direction: Direction | str
    register: Register | str
    unit: Unit | str
    meter_id: str | None = None  # physical meter of a digital meter; None for AMR


class Slot(NamedTuple):
    """Where a value was expected but ``null`` or absent (§14: a missing interval, never 0).

    No unit: a ``null`` value need not say which unit it would have had."""

    ean: str
    resolution: Resolution
    direction: Direction | str
    register: Register | str
    meter_id: str | None
    start: datetime


class ActiveKey(NamedTuple):
    """An EAN's active energy of one resolution, direction and unit, physical meters summed."""

    ean: str
    resolution: Resolution
    direction: Direction | str
    unit: Unit | str


@dataclass(frozen=True, slots=True)
class PhysicalMeter:
    seq_number: str | None
    meter_id: str | None


@dataclass(frozen=True, slots=True)
class SubHeadpoint:
    """An AMR submeter (production, auxiliary consumption, offtake)."""

    ean: str
    type: SubHeadpointType | str
    seq_number: str | None = None
    installation_type: str | None = None  # PV, WND, WTR, WKK, WKKA, ... (open list)


@dataclass(frozen=True, slots=True)
class EnergyData:
    """A parsed GET Energy response (or several, merged)."""

    ean: str
    energy_type: EnergyType | str | None
    headpoint_type: HeadpointType | str
    physical_meters: tuple[PhysicalMeter, ...] = ()
    sub_headpoints: tuple[SubHeadpoint, ...] = ()
    series: dict[SeriesKey, list[Sample]] = field(default_factory=dict)
    missing: frozenset[Slot] = frozenset()  # intervals whose value was null or absent
    missing_values: int = 0  # null or absent values in the response(s)

    @property
    def sample_count(self) -> int:
        """How many samples all series hold together."""
        return sum(len(samples) for samples in self.series.values())

    def merge(self, other: EnergyData) -> EnergyData:
        """This response followed by ``other`` (a later chunk of the same EAN).

        Per series the samples are merged by ``start``; for the same start the most final one
        wins, of equals ``other``'s (it was fetched later): :func:`preferred`. Meters,
        submeters and missing intervals are united, first seen first. Neither input is changed.
        """
        series: dict[SeriesKey, list[Sample]] = {}
        for key, samples in self.series.items():
            series[key] = list(samples)
        for key, samples in other.series.items():
            mine = series.get(key)
            if not mine:
                series[key] = list(samples)
            elif not samples:
                continue
            elif mine[-1].start < samples[0].start and _is_sorted(samples):
                mine.extend(samples)  # consecutive chunks: the usual, cheap case
            else:
                by_start = {sample.start: sample for sample in mine}
                for sample in samples:
                    current = by_start.get(sample.start)
                    by_start[sample.start] = (
                        sample if current is None else preferred(current, sample)
                    )
                series[key] = sorted(by_start.values(), key=_START)
        return EnergyData(
            ean=self.ean,
            energy_type=self.energy_type if self.energy_type is not None else other.energy_type,
            headpoint_type=self.headpoint_type or other.headpoint_type,
            physical_meters=_union(self.physical_meters, other.physical_meters),
            sub_headpoints=_union(self.sub_headpoints, other.sub_headpoints),
            series=series,
            missing=self.missing | other.missing,
            missing_values=self.missing_values + other.missing_values,
        )

    def samples(
        self,
        ean: str,
        resolution: Resolution | str,
        direction: Direction | str,
        register: Register | str,
        unit: Unit | str,
    ) -> list[Sample]:
        """One EAN's samples of one kind, all physical meters combined.

        A digital meter can have several physical meters behind one EAN (a meter exchange in
        the period, or two meters): their values for the same interval start are summed. The
        validation state of a sum is the first non-final one (``EST``/``NVAL``) among its
        parts, else the first part's; the gas conversion factor likewise prefers ``P``. The
        result is sorted by start.
        """
        parts = [
            samples
            for key, samples in self.series.items()
            if key.ean == ean
            and key.resolution == resolution
            and key.direction == direction
            and key.register == register
            and key.unit == unit
        ]
        if not parts:
            return []
        if len(parts) == 1:
            return sorted(parts[0], key=_START)
        combined: dict[datetime, Sample] = {}
        for samples in parts:
            for sample in samples:
                current = combined.get(sample.start)
                combined[sample.start] = sample if current is None else _add(current, sample)
        return sorted(combined.values(), key=_START)


_START = itemgetter(0)
_ACTIVE_REGISTERS: frozenset[str] = frozenset({Register.TOTAL, Register.DAY, Register.NIGHT})
_DAY_NIGHT: tuple[Register, Register] = (Register.DAY, Register.NIGHT)


def preferred(current: Sample, new: Sample) -> Sample:
    """Of two values of the same interval, the one to keep: the most final state wins
    (READ/VAL over EST/NVAL), among equals the later one (``new``).

    The one rule for repeated intervals, wherever they meet: in one response, between chunks
    and in the consumers (statistics, peaks, sensors all see the value this picks).
    """
    if current.state in FINAL_STATES and new.state not in FINAL_STATES:
        return current
    return new


def active_series(data: EnergyData) -> dict[ActiveKey, list[Sample]]:
    """The active energy of every slice, per EAN, resolution, direction and unit.

    The one place that decides it (A13: the spec does not show which registers a digital
    meter's quarter-hours carry): ``total`` when the slice has one, else the sum of the ``day``
    and ``night`` values present. A slice without ``total`` whose ``day`` or ``night`` was
    ``null`` is missing (never a partial sum); so is one whose ``total`` was ``null`` and that
    has no ``day``/``night``. Physical meters of one EAN are summed per slice; a slice missing
    on one meter is missing for the EAN. Sorted by start.
    """
    groups: dict[ActiveKey, dict[str | None, dict[str, list[Sample]]]] = {}
    for key, samples in data.series.items():
        if key.register in _ACTIVE_REGISTERS and samples:
            group = ActiveKey(key.ean, key.resolution, key.direction, key.unit)
            meters = groups.setdefault(group, {})
            meters.setdefault(key.meter_id, {})[str(key.register)] = samples
    gaps: dict[tuple[str, str, str, str | None], dict[datetime, set[str]]] = {}
    for slot in data.missing:
        if slot.register in _ACTIVE_REGISTERS:
            where = (slot.ean, str(slot.resolution), str(slot.direction), slot.meter_id)
            gaps.setdefault(where, {}).setdefault(slot.start, set()).add(str(slot.register))
    for group, meters in groups.items():
        for ean, resolution, direction, meter_id in gaps:  # a meter with nothing but gaps
            if (ean, resolution, direction) == (group.ean, group.resolution, group.direction):
                meters.setdefault(meter_id, {})
    result: dict[ActiveKey, list[Sample]] = {}
    for group, meters in groups.items():
        combined: dict[datetime, Sample] = {}
        blocked: set[datetime] = set()
        for meter_id, registers in meters.items():
            where = (group.ean, str(group.resolution), str(group.direction), meter_id)
            slices, lost = _meter_slices(registers, gaps.get(where, {}))
            if len(meters) == 1 and not lost:
                result[group] = slices
                break
            blocked |= lost
            for sample in slices:
                current = combined.get(sample.start)
                combined[sample.start] = sample if current is None else _add(current, sample)
        else:
            result[group] = [combined[start] for start in sorted(combined) if start not in blocked]
    return result


def _meter_slices(
    registers: dict[str, list[Sample]], gaps: dict[datetime, set[str]]
) -> tuple[list[Sample], set[datetime]]:
    """One physical meter's slices (sorted) and the starts whose active energy is missing."""
    total = registers.get(Register.TOTAL, [])
    if not gaps and not any(name in registers for name in _DAY_NIGHT):
        return total, set()  # the common case: ``total`` only, nothing missing
    slices: dict[datetime, Sample] = {sample.start: sample for sample in total}
    with_total = set(slices)
    present: dict[datetime, set[str]] = {}
    for name in _DAY_NIGHT:
        for sample in registers.get(name, []):
            present.setdefault(sample.start, set()).add(name)
            if sample.start in with_total:
                continue
            current = slices.get(sample.start)
            slices[sample.start] = sample if current is None else _add(current, sample)
    lost: set[datetime] = set()
    for start, names in gaps.items():
        if start in with_total:
            continue
        have = present.get(start, set())
        if (names - have) & {Register.DAY, Register.NIGHT} or not have:
            lost.add(start)
            slices.pop(start, None)
    return [slices[start] for start in sorted(slices)], lost


def _is_sorted(samples: list[Sample]) -> bool:
    return all(a.start < b.start for a, b in pairwise(samples))


def _union[T](first: tuple[T, ...], second: tuple[T, ...]) -> tuple[T, ...]:
    return tuple(dict.fromkeys((*first, *second)))


def _add(a: Sample, b: Sample) -> Sample:
    state = a.state if a.state not in FINAL_STATES or b.state in FINAL_STATES else b.state
    gcf = a.gas_conversion_factor
    if gcf is None or (
        b.gas_conversion_factor == GasConversionFactor.PROVISIONAL
        and gcf != GasConversionFactor.PROVISIONAL
    ):
        gcf = b.gas_conversion_factor if b.gas_conversion_factor is not None else gcf
    return Sample(a.start, max(a.end, b.end), a.value + b.value, state, gcf)
