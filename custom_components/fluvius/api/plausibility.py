"""Values that cannot be true in a GET Energy response (docs/architecture.md, "Bad payloads").

* a unit the register cannot have (``kVArh`` on ``total``/``day``/``night``, ``kWh``/``m3`` on
  ``inductive``/``capacitive``, ``m3`` on an electricity headpoint, ``kVArh`` on gas) or an
  unknown unit on a known direction and register is a payload error: the whole response is
  refused, since a unit change of a series we import means we no longer know what it measures;
  an unknown unit on an unknown direction or register drops that series;
* a negative value, or one above :data:`MAX_POWER_KW` (kW; m³/h for gas volumes
  :data:`MAX_GAS_FLOW_M3H`) times the interval's hours, drops that sample: one glitch does not
  hold back every other value, and is never imported. What was dropped is summed up in one
  line per response (:func:`dropped_summary`), never one line per value.
"""

from __future__ import annotations

from typing import Final

from ._intervals import DIRECTIONS, REGISTERS, UNITS
from ._json import payload_error
from .models import EnergyType, Register, Sample, Unit

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
_SECONDS_PER_HOUR: Final = 3600.0

type Dropped = tuple[str, Sample, str, str]  # EAN, sample, unit, array path


def check_unit(
    direction: str, register: str, unit: str, energy_type: str | None, path: str
) -> bool:
    """Whether the series may be kept; a payload error when its unit cannot be right.

    False for a direction or register the spec does not list, in a unit it does not list
    either: that series is not imported (nor known to be wrong).
    """
    where = f"{path}.measurements[*].{direction}.{register}.unit"
    if direction not in DIRECTIONS or register not in REGISTERS:
        return unit in UNITS
    if unit not in UNITS:
        raise payload_error(f"unknown unit {unit[:20]!r}", where)
    if register in _REACTIVE:
        if unit != Unit.KVARH:
            raise payload_error(f"{register} energy in {unit}, expected kVArh", where)
    elif unit == Unit.KVARH:
        raise payload_error(f"{register} energy in kVArh, expected kWh or m3", where)
    elif unit == Unit.M3 and energy_type == EnergyType.ELECTRICITY:
        raise payload_error("m3 on an electricity headpoint", where)
    if unit == Unit.KVARH and energy_type == EnergyType.GAS:
        raise payload_error("kVArh on a gas headpoint", where)
    return True


def plausible(
    samples: list[Sample], unit: str, path: str, ean: str, dropped: list[Dropped]
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


def dropped_summary(dropped: list[Dropped]) -> str:
    """The first dropped value of each kind (negative, above the bound) and how many more like
    it, in one line (never one line per value)."""
    firsts: dict[bool, Dropped] = {}
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
    return "; ".join(parts)


__all__ = [
    "MAX_GAS_FLOW_M3H",
    "MAX_POWER_KW",
    "Dropped",
    "check_unit",
    "dropped_summary",
    "plausible",
]
