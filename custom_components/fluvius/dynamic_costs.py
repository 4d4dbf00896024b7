"""Costs from a price sensor: the hour's kWh x (the sensor's hourly mean + a surcharge).

For every batch of hourly rows (one response), the directions priced by a sensor
(dynamic_price_options.py) get their cost rows added to the same batch, under the cost
statistic ids the fixed prices use (``offtake_cost``, ``injection_compensation``): the Energy
dashboard's ``stat_cost`` stays the same, and the batch goes through the revision-safe import
(statistics.py), so a revised hour of energy rewrites its cost and shifts the later sums.

* The price of an hour is the ``mean`` of the sensor's hourly long-term statistics (read with
  the recorder's public API, in its executor). Home Assistant refuses an entity price on
  external statistics, hence the cost statistic.
* An hour without a price gets no cost row (never 0): it is kept in the cursor
  (``unpriced_hours``, as ranges of hours; its size is shown in the diagnostics).
* Prices that arrive later: each import also prices again the hours of the last
  :data:`REPRICE_DAYS` days that lacked a price, with their kWh read back from the recorder.
* Daily-only data (no quarter-hour mandate) has no hourly kWh: it keeps the fixed prices.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance

from .api.models import Direction
from .cursors import EanCursor
from .dynamic_price_options import DynamicPrice, dynamic_prices
from .prices import Prices
from .series import DECIMALS, SeriesRows, statistic_id

REPRICE_DAYS: Final = 3  # the daily poll fetches the last two local days again anyway
HOUR: Final = timedelta(hours=1)
_HOUR_SECONDS: Final = 3600

type HourRanges = list[tuple[int, int]]  # [first, last) in hours since the epoch, sorted


def fixed_prices(prices: Prices, options: Mapping[str, Any], *, hourly_access: bool) -> Prices:
    """The fixed prices without the directions a sensor prices (hourly data only: daily-only
    data keeps the fixed prices)."""
    if not hourly_access:
        return prices
    priced = {price.energy_series for price in dynamic_prices(options)}
    offtake = Direction.OFFTAKE.value not in priced
    return Prices(
        day=prices.day if offtake else None,
        night=prices.night if offtake else None,
        injection=prices.injection if Direction.INJECTION.value not in priced else None,
        gas=prices.gas,
    )


def _epoch_hour(moment: datetime) -> int:
    return int(moment.timestamp()) // _HOUR_SECONDS


def _hour(epoch_hour: int) -> datetime:
    return datetime.fromtimestamp(epoch_hour * _HOUR_SECONDS, UTC)


def settle_unpriced(
    ranges: HourRanges, priced: Iterable[datetime], unpriced: Iterable[datetime]
) -> HourRanges:
    """``ranges`` without the hours now priced and with those found without a price."""
    hours = {h for first, last in ranges for h in range(first, last)}
    hours -= {_epoch_hour(h) for h in priced}
    hours |= {_epoch_hour(h) for h in unpriced}
    result: HourRanges = []
    for h in sorted(hours):
        if result and result[-1][1] == h:
            result[-1] = (result[-1][0], h + 1)
        else:
            result.append((h, h + 1))
    return result


def unpriced_count(ranges: HourRanges) -> int:
    """How many hours have energy but no price."""
    return sum(last - first for first, last in ranges)


def unpriced_since(ranges: HourRanges, since: datetime) -> list[datetime]:
    """The hours without a price from ``since`` on."""
    start = _epoch_hour(since)
    return [_hour(h) for first, last in ranges for h in range(max(first, start), last)]


def forget_unpriced_from(cursor: EanCursor, cut: datetime) -> None:
    """The statistics from ``cut`` on are removed: so are their unpriced hours."""
    last = _epoch_hour(cut)
    for cost_id, ranges in list(cursor.unpriced_hours.items()):
        kept = [(first, min(end, last)) for first, end in ranges if first < last]
        if kept:
            cursor.unpriced_hours[cost_id] = kept
        else:
            del cursor.unpriced_hours[cost_id]


def price_costs(
    energy: Mapping[datetime, float], means: Mapping[float, float], surcharge: float
) -> tuple[dict[datetime, float], list[datetime]]:
    """Cost per hour (kWh x (mean + surcharge)) and the hours without a price."""
    costs: dict[datetime, float] = {}
    unpriced: list[datetime] = []
    for hour, kwh in sorted(energy.items()):
        mean = means.get(hour.timestamp())
        if mean is None:
            unpriced.append(hour)
        else:
            costs[hour] = round(kwh * (mean + surcharge), DECIMALS)
    return costs, unpriced


def _read(
    hass: HomeAssistant,
    sensor: str,
    energy_id: str,
    hours: list[datetime],
    stored: list[datetime],
) -> tuple[dict[float, float], dict[datetime, float]]:
    """Runs in the recorder's executor: the sensor's hourly means over ``hours`` and the
    stored kWh of the hours in ``stored``."""
    price_rows = statistics_during_period(
        hass, hours[0], hours[-1] + HOUR, {sensor}, "hour", None, {"mean"}
    ).get(sensor, [])
    means = {
        float(row["start"]): float(mean)
        for row in price_rows
        if (mean := row.get("mean")) is not None
    }
    kwh: dict[datetime, float] = {}
    if stored:
        wanted = {hour.timestamp() for hour in stored}
        energy_rows = statistics_during_period(
            hass, stored[0], stored[-1] + HOUR, {energy_id}, "hour", None, {"state"}
        ).get(energy_id, [])
        for row in energy_rows:
            start = float(row["start"])
            if start in wanted and (state := row.get("state")) is not None:
                kwh[datetime.fromtimestamp(start, UTC)] = float(state)
    return means, kwh


async def _async_price(
    hass: HomeAssistant,
    cursor: EanCursor,
    ean: str,
    rows: SeriesRows,
    price: DynamicPrice,
    now: datetime,
) -> None:
    cost_id = statistic_id(ean, price.cost_series)
    ranges = cursor.unpriced_hours.get(cost_id, [])
    energy = dict(rows.get((ean, price.energy_series), {}))
    since = now - timedelta(days=REPRICE_DAYS)
    recent = [hour for hour in unpriced_since(ranges, since) if hour not in energy]
    hours = sorted({*energy, *recent})
    if not hours:
        return
    means, stored = await get_instance(hass).async_add_executor_job(
        _read, hass, price.sensor, statistic_id(ean, price.energy_series), hours, recent
    )
    energy.update(stored)
    costs, unpriced = price_costs(energy, means, price.surcharge)
    if costs:
        rows.setdefault((ean, price.cost_series), {}).update(costs)
    # A recent hour whose kWh is no longer stored is forgotten with the priced ones.
    settled = set(costs) | (set(recent) - set(stored))
    ranges = settle_unpriced(ranges, settled, unpriced)
    if ranges:
        cursor.unpriced_hours[cost_id] = ranges
    else:
        cursor.unpriced_hours.pop(cost_id, None)


async def async_add_dynamic_costs(
    hass: HomeAssistant,
    options: Mapping[str, Any],
    cursor: EanCursor,
    ean: str,
    rows: SeriesRows,
    *,
    hourly_access: bool,
    now: datetime,
) -> None:
    """Add to ``rows`` the cost rows of the directions priced by a sensor (see the module)."""
    if not hourly_access:
        return
    for price in dynamic_prices(options):
        await _async_price(hass, cursor, ean, rows, price, now)
