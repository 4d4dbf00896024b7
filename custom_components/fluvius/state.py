"""What the sensors show and the diagnostics tell, built from the cursors and the mandates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from homeassistant.util import dt as dt_util

from .api.models import EnergyType, Mandate
from .capacity import CAPACITY_WINDOW_MONTHS, MonthPeak, capacity_average, month_peaks
from .const import TIMEZONE
from .cursors import EanCursor
from .data_quality import DataQuality, quality_today, summarize
from .timeutil import local_day, month_start


@dataclass(frozen=True, slots=True, kw_only=True)
class MeterState:
    """What the sensors of one EAN (main meter or submeter) show."""

    ean: str
    main_ean: str | None = None  # set for submeters
    energy_type: str | None = None
    headpoint_type: str | None = None
    meter_id: str | None = None
    sub_type: str | None = None
    series: frozenset[str] = frozenset()
    last_day: dict[str, tuple[date, float]] = field(default_factory=dict)
    month_peak: MonthPeak | None = None
    capacity_average: float | None = None
    capacity_months: tuple[MonthPeak, ...] = ()  # the peaks of the capacity window, oldest first
    data_quality: DataQuality | None = None  # main meters only
    last_data: datetime | None = None
    mandate_expiry: datetime | None = None
    hourly_access: bool = True
    history_start: datetime | None = None  # where the imported history starts
    hours_not_fetched: float = 0.0  # history the API no longer reached (3-year limit)


@dataclass(frozen=True, slots=True)
class FluviusState:
    """The coordinator's data: one :class:`MeterState` per EAN, submeters included."""

    meters: dict[str, MeterState]
    backfill_done: bool


def meter_states(
    ean: str,
    cursor: EanCursor,
    mandate: Mandate | None,
    last_values: Mapping[str, dict[str, tuple[date, float]]],
    *,
    hourly_access: bool,
    now: datetime,
) -> dict[str, MeterState]:
    """The states of one main meter and its submeters."""
    energy_type = cursor.energy_type or (
        str(mandate.energy_type) if mandate and mandate.energy_type else None
    )
    months = month_peaks(cursor.peak_days, TIMEZONE)
    current_month = month_start(local_day(now, TIMEZONE))
    gas = energy_type == EnergyType.GAS
    meters = {
        ean: MeterState(
            ean=ean,
            energy_type=energy_type,
            headpoint_type=cursor.headpoint_type,
            meter_id=cursor.meter_id,
            series=frozenset(cursor.series.get(ean, [])),
            last_day=last_values.get(ean, {}),
            month_peak=months[max(months)] if months else None,
            capacity_average=capacity_average(months, current_month) if months else None,
            capacity_months=window_months(months, current_month),
            data_quality=summarize(cursor.quality_days, quality_today(now, gas)),
            last_data=cursor.last_data,
            mandate_expiry=mandate.mandate_expiration_date if mandate else None,
            hourly_access=hourly_access,
            history_start=cursor.backfill_from,
            hours_not_fetched=cursor.lost_hours,
        )
    }
    for sub_ean, sub in cursor.sub_meters.items():
        meters[sub_ean] = MeterState(
            ean=sub_ean,
            main_ean=ean,
            energy_type=str(EnergyType.ELECTRICITY),
            headpoint_type=sub.type,
            sub_type=sub.installation_type,
            series=frozenset(cursor.series.get(sub_ean, [])),
            last_day=last_values.get(sub_ean, {}),
            last_data=cursor.last_data,
            hourly_access=hourly_access,
        )
    return meters


def window_months(months: Mapping[date, MonthPeak], current_month: date) -> tuple[MonthPeak, ...]:
    """The monthly peaks the 12-month capacity average is built from, oldest first."""
    first = current_month
    for _ in range(CAPACITY_WINDOW_MONTHS - 1):
        first = month_start(first - timedelta(days=1))
    return tuple(months[month] for month in sorted(months) if first <= month <= current_month)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def cursor_diagnostics(cursor: EanCursor) -> dict[str, Any]:
    """One meter's cursor as the diagnostics show it (no secrets)."""
    return {
        "backfill_from": _iso(cursor.backfill_from),
        "backfill_to": _iso(cursor.backfill_to),
        "imported_from": _iso(cursor.imported_from),
        "pending": [[_iso(start), _iso(end)] for start, end in cursor.pending],
        "backfill_done": cursor.backfill_done,
        "last_insert_poll": _iso(cursor.last_insert_poll),
        "last_data": _iso(cursor.last_data),
        "data_period_to": _iso(cursor.data_period_to),
        "headpoint_type": cursor.headpoint_type,
        "energy_type": cursor.energy_type,
        "sub_eans": cursor.sub_eans,
        "series": cursor.series,
        "peak_months": len({month_start(d) for d in cursor.peak_days}),
        "rows_written_total": cursor.rows_written,
        "missing_values_total": cursor.missing_values,
        "unpriced_hours": {
            stat_id: sum(last - first for first, last in ranges)
            for stat_id, ranges in cursor.unpriced_hours.items()
        },
        "data_quality": _quality_diagnostics(cursor),
        "lost": [[_iso(start), _iso(end)] for start, end in cursor.lost],
        "lost_hours": cursor.lost_hours,
        "skipped": [[_iso(start), _iso(end)] for start, end in cursor.skipped],
        "ended_seen": _iso(cursor.ended_seen),
        "gas_months_provisional": sorted(m.isoformat() for m in cursor.gas_provisional),
        "gas_months_reread": sorted(m.isoformat() for m in cursor.gas_reread),
    }


def _quality_diagnostics(cursor: EanCursor) -> dict[str, Any]:
    """The day counts behind the estimated-share sensor, and their summary."""
    gas = cursor.energy_type == EnergyType.GAS
    quality = summarize(cursor.quality_days, quality_today(dt_util.utcnow(), gas))
    return {
        "estimated_share": quality.estimated_share,
        "values": quality.values,
        "estimated_values": quality.estimated,
        "missing_values": quality.missing,
        "days_counted": quality.days,
        "last_validated_day": _day(quality.last_validated_day),
        # day: [values, estimated, missing, expected]
        "days": {
            day.isoformat(): list(counts) for day, counts in sorted(cursor.quality_days.items())
        },
    }


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None
