"""The user's optional energy prices and the cost series they give.

Prices are options in EUR/kWh: day, night (the day price when absent), injection and gas. A
cost row is price x kWh of the same row: hourly rows take the day or night price by the Belgian
tariff windows (:func:`is_day_tariff`), daily rows price the day and night registers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Final

from .api.models import Direction, Register
from .const import TIMEZONE
from .series import SeriesRows

DAY_TARIFF_HOURS: Final = range(7, 22)  # Belgian day tariff: 07:00-22:00 Mon-Fri local


@dataclass(frozen=True, slots=True)
class Prices:
    """Optional prices (EUR/kWh) for the cost series."""

    day: float | None = None
    night: float | None = None
    injection: float | None = None
    gas: float | None = None

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Prices:
        def _get(key: str) -> float | None:
            value: Any = options.get(key)
            return float(value) if value not in (None, "") else None

        return cls(
            day=_get("price_day"),
            night=_get("price_night"),
            injection=_get("price_injection"),
            gas=_get("price_gas"),
        )

    @property
    def offtake_day(self) -> float | None:
        return self.day

    @property
    def offtake_night(self) -> float | None:
        return self.night if self.night is not None else self.day


def is_day_tariff(hour_start: datetime, tz: tzinfo = TIMEZONE) -> bool:
    """Belgian day tariff: 07:00-22:00 local, Monday to Friday; every other hour is night."""
    local = hour_start.astimezone(tz)
    return local.weekday() < 5 and local.hour in DAY_TARIFF_HOURS


def add_costs(
    rows: SeriesRows,
    ean: str,
    prices: Prices,
    hourly_access: bool,
    offtake_day_night: dict[datetime, dict[str, float]],
    tz: tzinfo,
) -> None:
    """Cost series: price x kWh per row.

    Hourly rows take the day or night price by the Belgian tariff windows; daily rows price the
    day and night registers (a daily total without registers takes the day price).
    """
    day_price, night_price = prices.offtake_day, prices.offtake_night
    if day_price is not None and night_price is not None:
        offtake = rows.get((ean, Direction.OFFTAKE.value), {})
        if hourly_access:
            for start, kwh in offtake.items():
                price = day_price if is_day_tariff(start, tz) else night_price
                rows.add(ean, "offtake_cost", start, kwh * price)
        else:
            for start, kwh in offtake.items():
                registers = offtake_day_night.get(start)
                if registers:
                    cost = registers.get(Register.DAY, 0.0) * day_price
                    cost += registers.get(Register.NIGHT, 0.0) * night_price
                else:
                    cost = kwh * day_price
                rows.add(ean, "offtake_cost", start, cost)
    if prices.injection is not None:
        for start, kwh in rows.get((ean, Direction.INJECTION.value), {}).items():
            rows.add(ean, "injection_compensation", start, kwh * prices.injection)
    if prices.gas is not None:
        for start, kwh in rows.get((ean, "gas_kwh"), {}).items():
            rows.add(ean, "gas_cost", start, kwh * prices.gas)
