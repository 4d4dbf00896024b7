"""Payload readings the spec leaves open (fluvius-api.md §14), chosen per stand-in.

The spec's examples leave room for several payload shapes; a client must handle each one, so
the stand-in can serve each one:

* **Digital quarter-hour registers** (A13): the spec shows digital meters' *daily* values with
  ``day`` and ``night`` registers and AMR quarter-hours with ``total``, but no digital
  quarter-hour. :attr:`QuarterHourLayout.DAY_NIGHT` (the default, the layout of the spec's
  digital examples) sends each digital electricity quarter-hour with both registers, as the
  spec's daily example does: the register of the quarter-hour's tariff period (day 07:00-22:00
  local Monday to Friday, night otherwise) carries the value, the other one is ``0.000`` with
  the same validation state (the daily example shows an unused register as ``0.000``, never
  leaves it out). :attr:`QuarterHourLayout.TOTAL` sends ``total`` only.
* **Missing values**: a register value sent as ``"value": null`` (:attr:`MissingForm.NULL`),
  as a leaf without ``value`` (:attr:`MissingForm.NO_VALUE`) or left out of its direction
  (:attr:`MissingForm.NO_REGISTER`). A share of values (``missing_share``; the registers of
  one direction's active energy, ``total`` or ``day`` + ``night``, go together) or chosen
  intervals and registers (:class:`Blank`). Such a value never arrives, in every response
  (readTime and insertTime, each version); the truth treats it as missing, never as 0. Other
  granularities are not affected: a missing quarter-hour leaves the day's daily registers as
  they are (the meter's registers still counted it).
* **Duplicate intervals with mixed states**: an interval listed twice in the same array, once
  as sent (READ / VAL) and once as an estimate (EST / NVAL, another number), the estimate after
  (:attr:`DuplicateOrder.EST_LAST`) or before (:attr:`DuplicateOrder.EST_FIRST`) the final copy.
  A share of the final intervals (``duplicate_share``, either order) or chosen ones
  (:class:`Duplicate`). The truth is the most final copy: READ / VAL over EST / NVAL, then the
  last copy; so the truth does not change.

Shares are decided per (seed, EAN, register, granularity, interval start) by a hash, not by a
random stream: the same interval is treated alike in every response and in the truth, whatever
the order of the requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
import hashlib
from typing import Final

import numpy as np
import numpy.typing as npt

type IntArray = npt.NDArray[np.int64]
type BoolArray = npt.NDArray[np.bool_]
type FloatArray = npt.NDArray[np.float64]


class QuarterHourLayout(StrEnum):
    """The registers of a digital meter's electricity quarter-hours."""

    TOTAL = "total"
    DAY_NIGHT = "day_night"


class MissingForm(StrEnum):
    """How a missing register value looks in a response."""

    NULL = "null"  # "value": null
    NO_VALUE = "no_value"  # the leaf without "value"
    NO_REGISTER = "no_register"  # the register key left out


class DuplicateOrder(StrEnum):
    """Where the estimate copy of a duplicated interval goes."""

    EST_LAST = "est_last"
    EST_FIRST = "est_first"


class Shown(IntEnum):
    """Per register value: how it is sent (codes of :meth:`Scenario.blanks`)."""

    SENT = 0
    NULL = 1
    NO_VALUE = 2
    NO_REGISTER = 3


_FORM_CODE: Final = {
    MissingForm.NULL: Shown.NULL,
    MissingForm.NO_VALUE: Shown.NO_VALUE,
    MissingForm.NO_REGISTER: Shown.NO_REGISTER,
}
ACTIVE_REGISTERS: Final = frozenset({"total", "day", "night"})


class ScenarioError(ValueError):
    """A scenario knob value that makes no sense."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Blank:
    """Register values sent as missing: intervals starting in ``[start, end)`` of the main EAN
    ``ean``; ``point_ean`` (a submeter, default: every point), ``direction`` (default: all),
    ``register`` (``total``, ``day``, ``night``, ``inductive``, ``capacitive``; default: all),
    ``unit`` (gas: ``m3`` or ``kWh``; default: all), ``granularity`` (``daily`` or
    ``hourly_quarterhourly``; default: both)."""

    ean: str
    start: datetime
    end: datetime
    form: MissingForm = MissingForm.NULL
    point_ean: str | None = None
    direction: str | None = None
    register: str | None = None
    unit: str | None = None
    granularity: str | None = None

    def matches(
        self, point_ean: str, direction: str, register: str, unit: str, granularity: str
    ) -> bool:
        return (
            (self.point_ean is None or self.point_ean == point_ean)
            and (self.direction is None or self.direction == direction)
            and (self.register is None or self.register == register)
            and (self.unit is None or self.unit == unit)
            and (self.granularity is None or self.granularity == granularity)
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Duplicate:
    """Intervals of ``ean`` starting in ``[start, end)`` listed twice when they are final (an
    estimate copy next to the final one); ``granularity``: default both."""

    ean: str
    start: datetime
    end: datetime
    order: DuplicateOrder = DuplicateOrder.EST_LAST
    granularity: str | None = None


def _salt(text: str) -> np.uint64:
    return np.uint64(int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest()))


def draw(salt: str, starts: IntArray) -> FloatArray:
    """A uniform number in [0, 1) per interval start, fixed by ``salt`` and the start
    (splitmix64 of the start mixed with the salt)."""
    with np.errstate(over="ignore"):
        z = starts.astype(np.uint64) ^ _salt(salt)
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    result: FloatArray = (z >> np.uint64(11)).astype(np.float64) / float(2**53)
    return result


def _share(value: object, name: str) -> float:
    try:
        share = float(str(value))
    except ValueError:
        raise ScenarioError(f"{name} must be a number between 0 and 1, got {value!r}") from None
    if not 0.0 <= share <= 1.0:
        raise ScenarioError(f"{name} must be between 0 and 1, got {share}")
    return share


def _choice[E: StrEnum](kind: type[E], value: object, name: str) -> E:
    try:
        return kind(str(value))
    except ValueError:
        known = ", ".join(member.value for member in kind)
        raise ScenarioError(f"{name} must be one of {known}, got {value!r}") from None


def parse_layout(value: object) -> QuarterHourLayout:
    return _choice(QuarterHourLayout, value, "quarter_hours")


def parse_missing_form(value: object) -> MissingForm:
    return _choice(MissingForm, value, "missing_form")


def parse_order(value: object) -> DuplicateOrder:
    return _choice(DuplicateOrder, value, "order")


@dataclass(slots=True)
class Scenario:
    """The live payload readings of one stand-in (see the module docstring)."""

    seed: int = 0
    quarter_hours: QuarterHourLayout = QuarterHourLayout.DAY_NIGHT
    missing_share: float = 0.0
    missing_form: MissingForm = MissingForm.NULL
    duplicate_share: float = 0.0
    blanks: list[Blank] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.quarter_hours = _choice(QuarterHourLayout, self.quarter_hours, "quarter_hours")
        self.missing_form = _choice(MissingForm, self.missing_form, "missing_form")
        self.missing_share = _share(self.missing_share, "missing_share")
        self.duplicate_share = _share(self.duplicate_share, "duplicate_share")

    def update(self, changes: dict[str, object]) -> None:
        """Set knobs from JSON-like values (admin endpoint); nothing changes on an error."""
        known = {"quarter_hours", "missing_share", "missing_form", "duplicate_share"}
        unknown = set(changes) - known
        if unknown:
            raise ScenarioError(
                f"unknown scenario knobs {sorted(unknown)} (known: {', '.join(sorted(known))})"
            )
        layout = _choice(
            QuarterHourLayout, changes.get("quarter_hours", self.quarter_hours), "quarter_hours"
        )
        form = _choice(MissingForm, changes.get("missing_form", self.missing_form), "missing_form")
        missing = _share(changes.get("missing_share", self.missing_share), "missing_share")
        duplicate = _share(changes.get("duplicate_share", self.duplicate_share), "duplicate_share")
        self.quarter_hours, self.missing_form = layout, form
        self.missing_share, self.duplicate_share = missing, duplicate

    def as_dict(self) -> dict[str, object]:
        return {
            "quarter_hours": self.quarter_hours.value,
            "missing_share": self.missing_share,
            "missing_form": self.missing_form.value,
            "duplicate_share": self.duplicate_share,
            "blanks": len(self.blanks),
            "duplicates": len(self.duplicates),
        }

    # --- missing values ---------------------------------------------------------------------

    def blanks_of(
        self,
        ean: str,
        point_ean: str,
        direction: str,
        register: str,
        unit: str,
        granularity: str,
        starts: IntArray,
    ) -> IntArray:
        """Per interval start: how one register value is sent (a :class:`Shown` code)."""
        codes: IntArray = np.zeros(starts.shape[0], dtype=np.int64)
        if self.missing_share > 0.0 and starts.size:
            group = "active" if register in ACTIVE_REGISTERS else register
            salt = f"{self.seed}:missing:{ean}:{point_ean}:{direction}:{group}:{unit}:{granularity}"
            hit = draw(salt, starts) < self.missing_share
            codes[hit] = _FORM_CODE[self.missing_form]
        for blank in self.blanks:
            if blank.ean != ean or not blank.matches(
                point_ean, direction, register, unit, granularity
            ):
                continue
            inside = (starts >= int(blank.start.timestamp())) & (
                starts < int(blank.end.timestamp())
            )
            codes[inside] = _FORM_CODE[blank.form]
        return codes

    # --- duplicates -------------------------------------------------------------------------

    def duplicates_of(
        self, ean: str, granularity: str, starts: IntArray
    ) -> tuple[BoolArray, BoolArray]:
        """Per interval start: listed twice, and (where so) whether the estimate goes first."""
        twice: BoolArray = np.zeros(starts.shape[0], dtype=bool)
        est_first: BoolArray = np.zeros(starts.shape[0], dtype=bool)
        if self.duplicate_share > 0.0 and starts.size:
            u = draw(f"{self.seed}:duplicate:{ean}:{granularity}", starts)
            twice |= u < self.duplicate_share
            est_first |= twice & (u < self.duplicate_share / 2)
        for duplicate in self.duplicates:
            if duplicate.ean != ean or duplicate.granularity not in (None, granularity):
                continue
            inside = (starts >= int(duplicate.start.timestamp())) & (
                starts < int(duplicate.end.timestamp())
            )
            twice |= inside
            est_first = np.where(inside, duplicate.order is DuplicateOrder.EST_FIRST, est_first)
        return twice, est_first


def estimate_copy(values: IntArray) -> IntArray:
    """The number an estimate copy carries: another value than the final one (thousandths)."""
    result: IntArray = (values * 6 + 2) // 5 + 7
    return result
