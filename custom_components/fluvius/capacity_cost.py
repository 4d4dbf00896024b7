"""The capacity cost of each electricity meter: its settings, its sensors' values, its statistic.

The settings live in one option, ``capacity_tariff``: per main electricity meter (EAN) a network
area, an optional rate of the user's own and a VAT rate. A meter with neither an area nor an own
rate has no capacity cost (no sensors, no statistic).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance

from .capacity import MonthPeak
from .const import CONF_AREA, CONF_CAPACITY_TARIFF, CONF_OWN_RATE, CONF_VAT, TIMEZONE
from .series import SERIES_CAPACITY_COST, statistic_id
from .statistics import async_import_capacity_cost, async_statistic_ids_for
from .tariffs import (
    DEFAULT_VAT,
    MonthCost,
    NetworkArea,
    Rate,
    capacity_rate,
    month_cost,
    month_elapsed,
    monthly_cost,
)
from .timeutil import local_midnight, month_start


@dataclass(frozen=True, slots=True)
class CapacitySettings:
    """The capacity tariff of one meter, as chosen in the options."""

    area: NetworkArea | None = None
    own_rate: float | None = None  # EUR/kW/year excl. VAT; wins over the area's rate
    vat: float = DEFAULT_VAT  # percent

    @classmethod
    def from_option(cls, raw: Mapping[str, Any]) -> CapacitySettings | None:
        """The settings stored for one meter; None when they give no rate."""
        area = raw.get(CONF_AREA)
        own = raw.get(CONF_OWN_RATE)
        settings = cls(
            area=NetworkArea(area) if area in set(NetworkArea) else None,
            own_rate=float(own) if own is not None else None,
            vat=float(raw.get(CONF_VAT) or DEFAULT_VAT),
        )
        return settings if settings.area is not None or settings.own_rate is not None else None

    def as_option(self) -> dict[str, Any]:
        option: dict[str, Any] = {CONF_VAT: self.vat}
        if self.area is not None:
            option[CONF_AREA] = self.area.value
        if self.own_rate is not None:
            option[CONF_OWN_RATE] = self.own_rate
        return option

    def rate(self, year: int) -> Rate:
        """The rate for a calendar year: the own rate, else the area's (table fallback)."""
        if self.own_rate is not None:
            return capacity_rate(self.area or "", year, self.own_rate)
        assert self.area is not None
        return capacity_rate(self.area, year)


def capacity_settings(options: Mapping[str, Any]) -> dict[str, CapacitySettings]:
    """Per EAN, the capacity tariff chosen in the options (meters without one left out)."""
    result: dict[str, CapacitySettings] = {}
    for ean, raw in (options.get(CONF_CAPACITY_TARIFF) or {}).items():
        if isinstance(raw, Mapping) and (settings := CapacitySettings.from_option(raw)):
            result[ean] = settings
    return result


def current_cost(
    settings: CapacitySettings,
    kw: float | None,
    peak: MonthPeak | None,
    now: datetime,
    tz: tzinfo = TIMEZONE,
) -> MonthCost | None:
    """This month's cost at ``now`` from the billed kW (the 12-month average) already known.

    ``peak`` is the newest monthly peak; it only says the month is final when it is this
    month's.
    """
    if kw is None:
        return None
    month = month_start(now.astimezone(tz).date())
    rate = settings.rate(month.year)
    projected = monthly_cost(kw, rate, settings.vat)
    return MonthCost(
        month=month,
        billed_kw=kw,
        rate=rate,
        vat_percent=settings.vat,
        projected=projected,
        so_far=round(projected * month_elapsed(month, now, tz), 6),
        peak_final=peak is not None and peak.month == month and peak.final,
    )


def monthly_costs(
    peaks: Mapping[date, tuple[float, bool]], settings: CapacitySettings, tz: tzinfo = TIMEZONE
) -> dict[date, float]:
    """The whole cost of every month with a peak, at the rate of that month's year.

    ``peaks`` are the month peaks written (kW, final), as the cursor keeps them.
    """
    months = {
        month: MonthPeak(
            month=month,
            peak_kw=kw,
            moment=local_midnight(month, tz),
            final=final,
            count=0,
            expected=0,
        )
        for month, (kw, final) in peaks.items()
    }
    costs: dict[date, float] = {}
    for month in sorted(months):
        cost = month_cost(months, month, settings.rate(month.year), vat_percent=settings.vat)
        if cost is not None:
            costs[month] = cost.projected
    return costs


async def async_write_capacity_cost(
    hass: HomeAssistant,
    options: Mapping[str, Any],
    ean: str,
    peaks: Mapping[date, tuple[float, bool]],
) -> int:
    """Write the monthly ``capacity_cost`` statistic of a meter that has a capacity tariff."""
    settings = capacity_settings(options).get(ean)
    if settings is None or not peaks:
        return 0
    return await async_import_capacity_cost(hass, ean, monthly_costs(peaks, settings, TIMEZONE))


async def async_setup_capacity_cost(
    hass: HomeAssistant,
    options: Mapping[str, Any],
    peaks: Mapping[str, Mapping[date, tuple[float, bool]]],
) -> None:
    """At set-up (the options may have changed): rewrite the ``capacity_cost`` statistic of
    every meter with a capacity tariff, and remove it from the meters that no longer have one.

    ``peaks``: per EAN of the entry, the month peaks written.
    """
    tariffs = capacity_settings(options)
    for ean, months in peaks.items():
        if ean in tariffs:
            await async_write_capacity_cost(hass, options, ean, months)
    without = {ean for ean in peaks if ean not in tariffs}
    stale = [
        stat_id
        for stat_id in await async_statistic_ids_for(hass, without)
        if stat_id in {statistic_id(ean, SERIES_CAPACITY_COST) for ean in without}
    ]
    if stale:
        get_instance(hass).async_clear_statistics(stale)


def outdated_rate(options: Mapping[str, Any], now: datetime) -> Rate | None:
    """A table rate used for this year although the table has none for it (else None)."""
    year = now.astimezone(TIMEZONE).year
    for settings in capacity_settings(options).values():
        if (rate := settings.rate(year)).outdated:
            return rate
    return None


__all__ = [
    "CapacitySettings",
    "async_setup_capacity_cost",
    "async_write_capacity_cost",
    "capacity_settings",
    "current_cost",
    "monthly_costs",
    "outdated_rate",
]
