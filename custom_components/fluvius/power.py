"""The power view: per UTC hour, the mean, lowest and highest offtake power of a meter, from
its quarter-hours (pure; runs in the importer's worker thread).

A quarter-hour of x kWh is an average power of 4 x kW over it. The hourly ``power`` statistic
(kW, mean type arithmetic) holds:

* mean = the hour's kWh (the average power of the hour);
* min and max = the lowest and highest of its four quarter-hours x 4, so the month's
  capacity-tariff peak (capacity.py, the ``peak`` statistic) is the highest max of the month's
  rows: the quarter-hour detail stays visible in hourly statistics.

Offtake only: the capacity tariff bills the offtake peak, and Home Assistant's grid power
(``stat_rate``: positive = from the grid) takes one statistic; a net value would hide the
peak whenever the same quarter-hour also injected. Injection keeps its hourly energy series.

An hour with a missing quarter-hour (``null``, dropped, not sent) gets the average power of
the quarter-hours present as its mean, and no min or max: the highest of three quarter-hours
may not be the hour's peak, nor the lowest its low. Its energy row is partial the same way
(rows.py); the monthly peak of such a month is not final (capacity.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from .api.models import Sample, preferred
from .rows import hour_start
from .series import DECIMALS

QUARTERS_PER_HOUR: Final = 4
_QUARTER_HOUR: Final = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class PowerRow:
    """One hour of the ``power`` statistic (kW); min and max None when a quarter-hour is
    missing."""

    mean: float
    min: float | None
    max: float | None


def power_rows(quarter_hours: Iterable[Sample]) -> dict[datetime, PowerRow]:
    """Hourly power rows (at the UTC hour start) from one EAN's offtake quarter-hours (kWh).

    ``quarter_hours`` are :func:`.rows.offtake_quarter_hours`' (the active energy of
    :func:`~.api.models.active_series`, the peak's input); a start given twice counts once, by
    :func:`~.api.models.preferred`. DST days need nothing special: UTC hours hold four
    quarter-hours each, a day 23 or 25 of them.
    """
    by_start: dict[datetime, Sample] = {}
    for sample in quarter_hours:
        if sample.end - sample.start != _QUARTER_HOUR:
            continue
        seen = by_start.get(sample.start)
        by_start[sample.start] = sample if seen is None else preferred(seen, sample)
    hours: dict[datetime, list[float]] = {}
    for start in sorted(by_start):
        hours.setdefault(hour_start(start), []).append(by_start[start].value)
    rows: dict[datetime, PowerRow] = {}
    for hour, values in hours.items():
        if len(values) == QUARTERS_PER_HOUR:
            rows[hour] = PowerRow(
                mean=round(sum(values), DECIMALS),
                min=round(min(values) * QUARTERS_PER_HOUR, DECIMALS),
                max=round(max(values) * QUARTERS_PER_HOUR, DECIMALS),
            )
        else:
            mean = sum(values) * QUARTERS_PER_HOUR / len(values)
            rows[hour] = PowerRow(mean=round(mean, DECIMALS), min=None, max=None)
    return rows
