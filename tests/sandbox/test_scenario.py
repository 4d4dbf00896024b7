"""Scenario knobs: a correction at a chosen quarter-hour months back, a chosen day inserted late,
and a gap that never arrives; readTime, insertTime and the truth agree on each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fluvius_sandbox.timeutil import format_api_datetime

from .conftest import MakeClient, SandboxClient, active, milli

QH_EAN = "541440110000000001"  # digital electricity, offtake + injection, quarter-hours
AMR_PV = "541450011000000001"  # AMR offtake with PV production + auxiliary submeters
GAS_EAN = "541441010000000001"  # digital gas, hourly


def _fmt(moment: datetime) -> str:
    return format_api_datetime(moment)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def _fine(
    client: SandboxClient, ean: str, start: datetime, end: datetime, **params: Any
) -> Any:
    data = await client.energy_json(
        ean, _fmt(start), _fmt(end), granularity="hourly_quarterhourly", **params
    )
    headpoint = data["data"]["headpoint"]
    meter = headpoint["physicalMeters"][0] if "physicalMeters" in headpoint else headpoint
    return meter.get("quarterHourlyEnergy", meter.get("hourlyEnergy"))


@pytest.fixture
async def stand(make_client: MakeClient) -> SandboxClient:
    client = await make_client(estimate_share=0.0, late_share=0.0)
    for ean in (QH_EAN, AMR_PV, GAS_EAN):
        client.sandbox.add_mandate(ean)
    return client


async def test_correction_months_back(stand: SandboxClient) -> None:
    sandbox = stand.sandbox
    qh = _utc(2026, 8, 10, 10, 15)
    at = _utc(2026, 11, 19, 15)
    before = sandbox.truth(QH_EAN, qh, qh + timedelta(minutes=15), as_of=sandbox.now())
    sandbox.correct(QH_EAN, qh, 1.25, at=at)
    # Until `at`: the value as generated, sent as an estimate.
    sandbox.clock.set(at - timedelta(seconds=1))
    (early,) = await _fine(stand, QH_EAN, qh, qh + timedelta(minutes=15))
    leaf = active(early["measurements"][0]["offtake"])
    assert leaf["validationState"] == "EST"
    assert milli(leaf["value"]) == round(before["offtake"].quarter_hourly[qh] * 1000)
    # From `at`: corrected, READ.
    sandbox.clock.set(at + timedelta(hours=1))
    (late,) = await _fine(stand, QH_EAN, qh, qh + timedelta(minutes=15))
    leaf = active(late["measurements"][0]["offtake"])
    assert leaf["validationState"] == "READ"
    assert (
        milli(leaf["value"]) == milli(active(early["measurements"][0]["offtake"])["value"]) + 1250
    )
    # The other direction keeps its value (the whole interval is re-sent, as READ).
    injection = [active(q["measurements"][0]["injection"]) for q in (early, late)]
    assert injection[0]["value"] == injection[1]["value"]
    assert [leaf["validationState"] for leaf in injection] == ["EST", "READ"]
    after = sandbox.truth(QH_EAN, qh, qh + timedelta(minutes=15), as_of=sandbox.now())
    assert after["offtake"].quarter_hourly[qh] == pytest.approx(
        before["offtake"].quarter_hourly[qh] + 1.25
    )
    # insertTime: a window around `at` carries the corrected quarter-hour (3 months old).
    got = await _fine(
        stand, QH_EAN, at - timedelta(hours=1), at + timedelta(hours=1), periodType="insertTime"
    )
    corrected = [q for q in got if q["start"] == _fmt(qh)]
    assert len(corrected) == 1
    assert milli(active(corrected[0]["measurements"][0]["offtake"])["value"]) == milli(
        leaf["value"]
    )


async def test_correction_of_a_submeter(stand: SandboxClient) -> None:
    sandbox = stand.sandbox
    qh = _utc(2026, 9, 3, 11)
    sub = next(
        e
        for (e, name) in sandbox.truth(AMR_PV, qh, qh + timedelta(minutes=15))
        if name == "production"
    )
    before = sandbox.truth(AMR_PV, qh, qh + timedelta(minutes=15), as_of=sandbox.now())
    sandbox.correct(AMR_PV, qh, -0.5, at=_utc(2026, 11, 1), point_ean=sub)
    after = sandbox.truth(AMR_PV, qh, qh + timedelta(minutes=15), as_of=sandbox.now())
    assert after[(sub, "production")].quarter_hourly[qh] == pytest.approx(
        before[(sub, "production")].quarter_hourly[qh] - 0.5
    )
    assert after["offtake"] == before["offtake"]


async def test_bad_corrections_are_refused(stand: SandboxClient) -> None:
    sandbox = stand.sandbox
    with pytest.raises(ValueError, match="no interval"):
        sandbox.correct(QH_EAN, _utc(2026, 8, 10, 10, 5), 1.0, at=_utc(2026, 11, 1))
    with pytest.raises(ValueError, match="after the first insertion"):
        sandbox.correct(QH_EAN, _utc(2026, 8, 10, 10), 1.0, at=_utc(2026, 8, 10, 12))
    with pytest.raises(ValueError, match="no channel"):
        sandbox.correct(
            QH_EAN, _utc(2026, 8, 10, 10), 1.0, at=_utc(2026, 11, 1), register="inductive"
        )
    assert sandbox.model.edits(QH_EAN) == ()


async def test_late_day(stand: SandboxClient) -> None:
    sandbox = stand.sandbox
    day_start = _utc(2026, 11, 14, 23)  # 15 November, local midnight
    day_end = day_start + timedelta(days=1)
    arrives = day_end + timedelta(days=3, hours=2)
    with pytest.raises(ValueError, match="before it ends"):
        sandbox.delay_day(QH_EAN, day_start, at=day_end - timedelta(hours=1))
    sandbox.delay_day(QH_EAN, day_start + timedelta(hours=12), at=arrives)
    sandbox.clock.set(arrives - timedelta(seconds=1))
    assert await _fine(stand, QH_EAN, day_start, day_end) == []
    assert not sandbox.truth(QH_EAN, day_start, day_end, as_of=sandbox.now())["offtake"].hourly
    sandbox.clock.set(arrives)
    assert len(await _fine(stand, QH_EAN, day_start, day_end)) == 96
    inserted = await _fine(
        stand, QH_EAN, arrives, arrives + timedelta(seconds=1), periodType="insertTime"
    )
    assert {q["start"] for q in inserted} == {
        _fmt(day_start + timedelta(minutes=15 * i)) for i in range(96)
    }


async def test_withheld_quarter_hours_never_arrive(stand: SandboxClient) -> None:
    sandbox = stand.sandbox
    day_start = _utc(2026, 11, 9, 23)  # 10 November
    gap = (_utc(2026, 11, 10, 10, 15), _utc(2026, 11, 10, 10, 45))
    full = sandbox.truth(QH_EAN, day_start, day_start + timedelta(days=1), as_of=sandbox.now())
    sandbox.withhold(QH_EAN, *gap)
    quarters = await _fine(stand, QH_EAN, day_start, day_start + timedelta(days=1))
    assert len(quarters) == 94
    assert {_fmt(gap[0]), _fmt(gap[0] + timedelta(minutes=15))}.isdisjoint(
        q["start"] for q in quarters
    )
    inserted = await _fine(stand, QH_EAN, day_start, sandbox.now(), periodType="insertTime")
    assert _fmt(gap[0]) not in {q["start"] for q in inserted}
    truth = sandbox.truth(QH_EAN, day_start, day_start + timedelta(days=1), as_of=sandbox.now())
    hour = _utc(2026, 11, 10, 10)
    missing = sum(
        full["offtake"].quarter_hourly[gap[0] + timedelta(minutes=15 * i)] for i in range(2)
    )
    assert truth["offtake"].hourly[hour] == pytest.approx(full["offtake"].hourly[hour] - missing)
    # The day's registers count what was measured and sent.
    day_night = sum(truth[name].daily[day_start] for name in ("offtake_day", "offtake_night"))
    assert day_night == pytest.approx(sum(truth["offtake"].hourly.values()))
    daily = (
        await stand.energy_json(
            QH_EAN, _fmt(day_start), _fmt(day_start + timedelta(days=1)), granularity="daily"
        )
    )["data"]["headpoint"]["physicalMeters"][0]["dailyEnergy"][0]["measurements"][0]["offtake"]
    assert milli(daily["day"]["value"]) + milli(daily["night"]["value"]) == round(day_night * 1000)


async def test_gas_correction_hour(stand: SandboxClient) -> None:
    sandbox = stand.sandbox
    hour = _utc(2026, 10, 5, 7)
    before = sandbox.truth(GAS_EAN, hour, hour + timedelta(hours=1), as_of=sandbox.now())
    sandbox.correct(GAS_EAN, hour, 0.2, at=_utc(2026, 11, 18))
    after = sandbox.truth(GAS_EAN, hour, hour + timedelta(hours=1), as_of=sandbox.now())
    assert after["gas_m3"].hourly[hour] == pytest.approx(before["gas_m3"].hourly[hour] + 0.2)
