"""Property: quarter-hour, hourly and daily values of one EAN and period always agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings, strategies as st

from fluvius_sandbox import Sandbox, SandboxConfig, parse_mock_ean
from fluvius_sandbox.energy import EnergyRequest, Granularity, PeriodType
from fluvius_sandbox.timeutil import local_midnight

from .conftest import active, milli, when

KINDS = [
    "541440110000000",  # digital E offtake + injection
    "541440010000000",  # digital E offtake
    "541441010000000",  # digital gas
    "541450011000000",  # AMR E offtake, production submeter
    "541450211000000",  # AMR E injection, production submeter
    "541450012000000",  # AMR E offtake, offtake submeter
    "541450210000000",  # AMR E injection
    "541451012000000",  # AMR gas offtake, submeter
    "541451210000000",  # AMR gas injection
]
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
BRUSSELS = ZoneInfo("Europe/Brussels")
FIRST_DAY = (NOW - timedelta(days=3 * 365 - 2)).date()


def _containers(data: dict[str, Any]) -> list[dict[str, Any]]:
    headpoint = data["data"]["headpoint"]
    main = headpoint["physicalMeters"][0] if "physicalMeters" in headpoint else headpoint
    return [main, *headpoint.get("subHeadpoints", [])]


def _leaves(interval: dict[str, Any]) -> dict[tuple[str, str, str], tuple[int, str]]:
    result = {}
    for measurement in interval["measurements"]:
        for direction, registers in measurement.items():
            for register, leaf in registers.items():
                key = (direction, register, leaf["unit"])
                result[key] = (milli(leaf["value"]), leaf["validationState"])
            if "day" in registers and "total" not in registers:  # active energy, A13
                leaf = active(registers)
                result[(direction, "total", leaf["unit"])] = (
                    milli(leaf["value"]),
                    leaf["validationState"],
                )
    return result


@settings(max_examples=40, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    model=st.integers(0, 999),
    seed=st.integers(0, 3),
    first=st.integers(0, 3 * 365 - 20),
    days=st.integers(1, 6),
    lag_hours=st.integers(-24, 24 * 8),
)
# A day whose only estimate is a night quarter-hour: both registers of that day are EST.
@example(kind="541440010000000", model=0, seed=0, first=517, days=6, lag_hours=0)
def test_granularities_agree(
    kind: str, model: int, seed: int, first: int, days: int, lag_hours: int
) -> None:
    ean = f"{kind}{model:03d}"
    sandbox = Sandbox(SandboxConfig(seed=seed, now=NOW))
    sandbox.add_mandate(ean)
    start_day = FIRST_DAY + timedelta(days=first)
    start = local_midnight(start_day)
    end = local_midnight(start_day + timedelta(days=days))
    # Look at the period some time after it ended (or while it is still arriving).
    now = min(end + timedelta(hours=lag_hours), NOW)
    request = EnergyRequest(
        mock=parse_mock_ean(ean),
        period_type=PeriodType.READ_TIME,
        start=int(start.timestamp()),
        end=int(end.timestamp()),
        now=int(now.timestamp()),
        granularities=(Granularity.DAILY, Granularity.HOURLY_QUARTERHOURLY),
        periods=sandbox.periods_for(ean, None),
    )
    data = json.loads(sandbox.energy_json(request))
    gas = kind[5] == "1"
    fine_name = "hourlyEnergy" if gas else "quarterHourlyEnergy"
    for container in _containers(data):
        fine = container[fine_name]
        step = timedelta(hours=1) if gas else timedelta(minutes=15)
        assert all(when(i["end"]) - when(i["start"]) == step for i in fine)
        for interval in container["dailyEnergy"]:
            d_start, d_end = interval["start"], interval["end"]
            inside = [i for i in fine if d_start <= i["start"] < d_end]
            expected_count = int((when(d_end) - when(d_start)) / step)
            if when(d_end) > end:
                continue
            assert len(inside) == expected_count  # a day is given only when complete
            daily = _leaves(interval)
            for (direction, register, unit), (value, state) in daily.items():
                if register in ("day", "night"):
                    parts = [
                        _leaves(i)[(direction, "total", unit)]
                        for i in inside
                        if _day_tariff(i["start"]) == (register == "day")
                    ]
                else:
                    parts = [_leaves(i)[(direction, register, unit)] for i in inside]
                assert value == sum(v for v, _ in parts)
                # A day is estimated as a whole: the day and night registers of a day carry
                # EST when any of that day's quarter-hours is still an estimate.
                whole_day = [s for i in inside for _, s in _leaves(i).values()]
                assert (state in ("EST", "NVAL")) == any(s in ("EST", "NVAL") for s in whole_day)
    truth = sandbox.truth(ean, start, end, as_of=now)
    for series in truth.series.values():
        if series.quarter_hourly:
            per_hour: dict[datetime, int] = {}
            for quarter, kwh in series.quarter_hourly.items():
                hour = quarter.replace(minute=0)
                per_hour[hour] = per_hour.get(hour, 0) + milli(kwh)
            assert per_hour == {h: milli(v) for h, v in series.hourly.items()}
        if not series.hourly:
            continue  # day / night registers are daily only
        for day, day_kwh in series.daily.items():
            day_end = _next_day(day)
            if day_end > end:
                continue  # the last gas day runs on past the period
            in_day = [v for h, v in series.hourly.items() if day <= h < day_end]
            assert milli(day_kwh) == sum(milli(v) for v in in_day)


def _day_tariff(start: str) -> bool:
    local = when(start).astimezone(BRUSSELS)
    return local.weekday() < 5 and 7 <= local.hour < 22


def _next_day(day: datetime) -> datetime:
    """The same local wall time one calendar day later (local midnight or 06:00 gas day)."""
    local = day.astimezone(BRUSSELS)
    following = datetime.combine(local.date() + timedelta(days=1), local.time(), BRUSSELS)
    return following.astimezone(UTC)
