"""The Flemish capacity tariff in euros: the rates per network area and the one billing rule.

Every Flemish low-voltage connection with peak metering pays a yearly rate per kW of its
"gemiddelde maandpiek" (average monthly peak) to its distribution system operator. The rates
differ per Fluvius network area and change every year; they live in :data:`CAPACITY_RATES`,
one table keyed by year and area, with their source beside them.

The rule (one place, :func:`billed_kw` and :func:`month_cost`):

* every monthly peak counts at least :data:`~.capacity.CAPACITY_FLOOR_KW` (2.5 kW): the
  minimum applies to each month's peak, not to the average. :data:`FLOOR_APPLIES_PER_MONTH`
  names the reading; the other one (the floor on the average) can only bill the same or less,
  never more, and is what :func:`billed_kw` gives when it is False;
* the billed kW of a month is the mean of the (floored) peaks of the last 12 months, that month
  included; months before the meter's data (or the mandate) are left out, not counted as 0;
* the month's cost is billed kW x the yearly rate / 12, plus VAT at the chosen rate (0 % by
  default: professional grid users deduct VAT).

Pure functions, no Home Assistant imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from enum import StrEnum
from typing import Final

from .capacity import CAPACITY_FLOOR_KW, MonthPeak, capacity_average
from .timeutil import local_midnight, next_month


class NetworkArea(StrEnum):
    """The eight Fluvius network areas (distribution tariff zones)."""

    ANTWERPEN = "antwerpen"
    HALLE_VILVOORDE = "halle_vilvoorde"
    IMEWO = "imewo"
    KEMPEN = "kempen"
    LIMBURG = "limburg"
    MIDDEN_VLAANDEREN = "midden_vlaanderen"
    WEST = "west"
    ZENNE_DIJLE = "zenne_dijle"


# Source: the Flemish regulator's (VREG) tariff sheets "<area> - 2026 - ELEK", low-voltage
# offtake with peak metering, "gemiddelde maandpiek", EUR per kW per year, excluding VAT.
# Update once a year when VREG publishes the next year's sheets (usually in December).
CAPACITY_RATES_SOURCE: Final = 'VREG tariff sheets "<area> - <year> - ELEK"'
CAPACITY_RATES: Final[Mapping[int, Mapping[NetworkArea, float]]] = {
    2026: {
        NetworkArea.ANTWERPEN: 49.4036563,
        NetworkArea.HALLE_VILVOORDE: 56.0428955,
        NetworkArea.IMEWO: 54.2009816,
        NetworkArea.KEMPEN: 56.2069857,
        NetworkArea.LIMBURG: 49.0469384,
        NetworkArea.MIDDEN_VLAANDEREN: 50.1239818,
        NetworkArea.WEST: 57.0995726,
        NetworkArea.ZENNE_DIJLE: 56.1228635,
    },
}

# The reading where sources disagree: the 2.5 kW minimum applies to each month's peak.
FLOOR_APPLIES_PER_MONTH: Final = True
VAT_RATES: Final = (0.0, 6.0, 21.0)  # percent; 0 by default (professional users deduct VAT)
DEFAULT_VAT: Final = 0.0


@dataclass(frozen=True, slots=True)
class Rate:
    """A yearly capacity rate (EUR/kW/year excl. VAT) and where it comes from."""

    eur_per_kw_year: float
    year: int  # the table year used; differs from the asked year when the table lags
    asked_year: int
    custom: bool = False  # the user's own rate (AMR, medium voltage)

    @property
    def outdated(self) -> bool:
        """Whether the table lags: no rates yet for the asked year, the latest year's used
        (a repair issue says so). A year before the table uses its first year's rates; that is
        history, not something an update brings."""
        return not self.custom and self.year < self.asked_year


def capacity_rate(area: NetworkArea | str, year: int, custom: float | None = None) -> Rate:
    """The rate of ``area`` for ``year``: the user's own if given, else the table's.

    A year the table does not have falls back to the latest year before it (or the earliest
    year for a year before the table); :attr:`Rate.outdated` tells when the table lags.
    """
    if custom is not None:
        return Rate(float(custom), year, year, custom=True)
    years = sorted(CAPACITY_RATES)
    earlier = [y for y in years if y <= year]
    table_year = earlier[-1] if earlier else years[0]
    return Rate(CAPACITY_RATES[table_year][NetworkArea(area)], table_year, year)


def billed_kw(
    months: Mapping[date, MonthPeak],
    current_month: date,
    *,
    floor_per_month: bool = FLOOR_APPLIES_PER_MONTH,
) -> float | None:
    """The kW billed for ``current_month``: the mean of the last 12 monthly peaks with the
    2.5 kW minimum (on each month by default, else on the mean); None without any peak."""
    if floor_per_month:
        return capacity_average(months, current_month)
    average = capacity_average(months, current_month, floor_kw=0.0)
    return None if average is None else max(average, CAPACITY_FLOOR_KW)


def with_vat(amount: float, vat_percent: float) -> float:
    return amount * (1 + vat_percent / 100)


def monthly_cost(kw: float, rate: Rate, vat_percent: float = DEFAULT_VAT) -> float:
    """The cost of a whole month: billed kW x the yearly rate / 12, plus VAT (EUR)."""
    return round(with_vat(kw * rate.eur_per_kw_year / 12, vat_percent), 6)


@dataclass(frozen=True, slots=True)
class MonthCost:
    """The capacity cost of one local month (EUR)."""

    month: date
    billed_kw: float
    rate: Rate
    vat_percent: float
    projected: float  # the whole month at the billed kW known now
    so_far: float  # the part of the month elapsed
    peak_final: bool  # the month's own peak is final (complete and validated)


def month_cost(
    months: Mapping[date, MonthPeak],
    current_month: date,
    rate: Rate,
    *,
    vat_percent: float = DEFAULT_VAT,
    elapsed: float = 1.0,
) -> MonthCost | None:
    """The cost of ``current_month``: billed kW x rate / 12 (+ VAT).

    ``elapsed`` is the share of the month gone by (0..1) for the cost so far; the projected
    cost is the whole month at today's billed kW.
    """
    kw = billed_kw(months, current_month)
    if kw is None:
        return None
    projected = monthly_cost(kw, rate, vat_percent)
    share = min(max(elapsed, 0.0), 1.0)
    peak = months.get(current_month)
    return MonthCost(
        month=current_month,
        billed_kw=kw,
        rate=rate,
        vat_percent=vat_percent,
        projected=projected,
        so_far=round(projected * share, 6),
        peak_final=peak is not None and peak.final,
    )


def month_elapsed(month: date, now: datetime, tz: tzinfo) -> float:
    """The share (0..1) of the local month ``month`` gone by at ``now`` (DST-proof)."""
    start = local_midnight(month, tz)
    span = (local_midnight(next_month(month), tz) - start).total_seconds()
    return min(max((now - start).total_seconds() / span, 0.0), 1.0)


__all__ = [
    "CAPACITY_RATES",
    "CAPACITY_RATES_SOURCE",
    "DEFAULT_VAT",
    "FLOOR_APPLIES_PER_MONTH",
    "VAT_RATES",
    "MonthCost",
    "NetworkArea",
    "Rate",
    "billed_kw",
    "capacity_rate",
    "month_cost",
    "month_elapsed",
    "monthly_cost",
    "with_vat",
]
