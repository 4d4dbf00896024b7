"""The capacity tariff in euros: the rate table, its fallback and the billing rule."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from custom_components.fluvius.capacity import MonthPeak
from custom_components.fluvius.const import TIMEZONE
from custom_components.fluvius.tariffs import (
    CAPACITY_RATES,
    NetworkArea,
    billed_kw,
    capacity_rate,
    month_cost,
    month_elapsed,
)


def _peak(month: date, kw: float, *, final: bool = True) -> MonthPeak:
    moment = datetime(month.year, month.month, 2, 17, tzinfo=UTC)
    return MonthPeak(month=month, peak_kw=kw, moment=moment, final=final, count=1, expected=1)


def _months(values: list[float], last: date) -> dict[date, MonthPeak]:
    """``values`` are the peaks of consecutive months ending with ``last``."""
    result: dict[date, MonthPeak] = {}
    year, month = last.year, last.month
    for kw in reversed(values):
        result[date(year, month, 1)] = _peak(date(year, month, 1), kw)
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return result


def test_every_area_has_its_2026_rate() -> None:
    assert set(CAPACITY_RATES[2026]) == set(NetworkArea)
    assert capacity_rate(NetworkArea.WEST, 2026).eur_per_kw_year == 57.0995726
    assert capacity_rate("antwerpen", 2026).eur_per_kw_year == 49.4036563
    assert not capacity_rate(NetworkArea.IMEWO, 2026).outdated


def test_a_year_without_rates_falls_back_to_the_latest_and_says_so() -> None:
    rate = capacity_rate(NetworkArea.KEMPEN, 2031)
    assert rate.year == max(CAPACITY_RATES)
    assert rate.eur_per_kw_year == CAPACITY_RATES[max(CAPACITY_RATES)][NetworkArea.KEMPEN]
    assert rate.outdated


def test_a_year_before_the_table_uses_its_first_year_without_an_update_to_ask() -> None:
    rate = capacity_rate(NetworkArea.KEMPEN, 2024)
    assert rate.year == min(CAPACITY_RATES)
    assert not rate.outdated


def test_own_rate_wins_and_is_never_outdated() -> None:
    rate = capacity_rate(NetworkArea.KEMPEN, 2031, custom=61.5)
    assert rate.eur_per_kw_year == 61.5
    assert not rate.outdated


def test_unknown_area_is_refused() -> None:
    with pytest.raises(ValueError):
        capacity_rate("brussel", 2026)


def test_billed_kw_is_the_mean_of_12_months_with_a_floor_per_month() -> None:
    # 13 months: the oldest (20 kW) is outside the window; two months under 2.5 kW count 2.5.
    months = _months([20.0, 1.0, 2.0, *[5.0] * 10], date(2026, 11, 1))
    assert billed_kw(months, date(2026, 11, 1)) == pytest.approx((2.5 + 2.5 + 50) / 12)
    # The other reading (the floor on the mean) gives the plain mean when it is above 2.5.
    assert billed_kw(months, date(2026, 11, 1), floor_per_month=False) == pytest.approx(53 / 12)


def test_floor_on_the_mean_applies_when_every_month_is_small() -> None:
    months = _months([1.0, 2.0], date(2026, 2, 1))
    assert billed_kw(months, date(2026, 2, 1), floor_per_month=False) == 2.5
    assert billed_kw(months, date(2026, 2, 1)) == 2.5


def test_months_without_data_are_left_out_not_zero() -> None:
    months = _months([6.0, 4.0], date(2026, 3, 1))
    assert billed_kw(months, date(2026, 3, 1)) == pytest.approx(5.0)
    assert billed_kw({}, date(2026, 3, 1)) is None


def test_month_cost_is_billed_kw_times_rate_over_12_with_vat() -> None:
    months = _months([6.0, 4.0], date(2026, 3, 1))
    rate = capacity_rate(NetworkArea.LIMBURG, 2026)
    cost = month_cost(months, date(2026, 3, 1), rate)
    assert cost is not None
    assert cost.projected == pytest.approx(5.0 * 49.0469384 / 12)
    assert cost.peak_final
    with_vat = month_cost(months, date(2026, 3, 1), rate, vat_percent=21.0, elapsed=0.5)
    assert with_vat is not None
    assert with_vat.projected == pytest.approx(5.0 * 49.0469384 / 12 * 1.21)
    assert with_vat.so_far == pytest.approx(with_vat.projected / 2)


def test_a_provisional_peak_makes_the_cost_provisional() -> None:
    months = _months([6.0], date(2026, 3, 1))
    months[date(2026, 4, 1)] = _peak(date(2026, 4, 1), 3.0, final=False)
    cost = month_cost(months, date(2026, 4, 1), capacity_rate(NetworkArea.WEST, 2026))
    assert cost is not None and not cost.peak_final
    # The month's own peak decides: March is final although April is not.
    march = month_cost(months, date(2026, 3, 1), capacity_rate(NetworkArea.WEST, 2026))
    assert march is not None and march.peak_final


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # March 2026 has 743 hours (DST on the 29th); half-way is 371.5 h after its start.
        (datetime(2026, 2, 28, 23, tzinfo=UTC), 0.0),
        (datetime(2026, 3, 16, 10, 30, tzinfo=UTC), 371.5 / 743),
        (datetime(2026, 4, 5, tzinfo=UTC), 1.0),
    ],
)
def test_month_elapsed_counts_real_hours(now: datetime, expected: float) -> None:
    assert month_elapsed(date(2026, 3, 1), now, TIMEZONE) == pytest.approx(expected)
