"""Insert times and revisions: readTime vs insertTime, estimates corrected later, gas P -> D."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from fluvius_sandbox.eans import parse_mock_ean
from fluvius_sandbox.model import NEVER, Block
from fluvius_sandbox.timeutil import format_epoch, month_index

from .conftest import NOW, MakeClient, SandboxClient, active, milli, series, when

QH_EAN = "541440110000000001"
GAS_EAN = "541441010000000001"
AMR_EAN = "541450011000000001"


def _block(client: SandboxClient, ean: str, year: int, month: int) -> Block:
    return client.sandbox.model.block(parse_mock_ean(ean), month_index(datetime(year, month, 1)))


def _fmt(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


async def _quarters(client: SandboxClient, ean: str, start: str, end: str, **params: Any) -> Any:
    data = await client.energy_json(ean, start, end, granularity="hourly_quarterhourly", **params)
    headpoint = data["data"]["headpoint"]
    meter = headpoint["physicalMeters"][0] if "physicalMeters" in headpoint else headpoint
    return meter.get("quarterHourlyEnergy", meter.get("hourlyEnergy"))


async def test_data_appears_when_inserted(client: SandboxClient) -> None:
    client.sandbox.add_mandate(QH_EAN)
    block = _block(client, QH_EAN, 2026, 11)
    day = 10  # 11 November
    start, end = (format_epoch(int(t)) for t in block.day_bounds[day : day + 2])
    inserted = datetime.fromtimestamp(int(block.insert_first[day]), UTC)
    assert timedelta(hours=1) <= inserted - when(end) <= timedelta(hours=72)
    client.sandbox.clock.set(inserted - timedelta(seconds=1))
    assert await _quarters(client, QH_EAN, start, end) == []
    client.sandbox.clock.set(inserted)
    assert len(await _quarters(client, QH_EAN, start, end)) == 96


async def test_insert_time_selects_by_insertion(client: SandboxClient) -> None:
    client.sandbox.add_mandate(QH_EAN)
    block = _block(client, QH_EAN, 2026, 10)
    window = (datetime(2026, 10, 14, 22, tzinfo=UTC), datetime(2026, 10, 15, 22, tzinfo=UTC))
    lo, hi = (int(t.timestamp()) for t in window)
    first = block.insert_first[block.day_of]
    fix = np.where(block.estimated, block.insert_fix[block.day_of], NEVER)
    expected = {
        format_epoch(int(t))
        for t, a, b in zip(block.starts, first, fix, strict=True)
        if lo <= a < hi or lo <= b < hi
    }
    got = await _quarters(client, QH_EAN, *map(_fmt, window), periodType="insertTime")
    assert {q["start"] for q in got} == expected
    assert expected
    # The measured days differ from the insertion day (data arrives 1 h to 72 h later).
    measured_days = {when(s).astimezone().date() for s in expected}
    assert all(d <= window[1].date() for d in measured_days)


def _find_estimated(block: Block) -> int:
    """Index of an interval first sent estimated with a different value."""
    key = next(iter(block.final))
    candidates = np.flatnonzero(
        block.estimated & (block.preliminary[key] != block.final[key]) & (block.final[key] > 0)
    )
    assert candidates.size
    return int(candidates[0])


async def test_estimates_are_revised(client: SandboxClient) -> None:
    client.sandbox.add_mandate(QH_EAN)
    block = _block(client, QH_EAN, 2026, 9)
    index = _find_estimated(block)
    day = int(block.day_of[index])
    start = format_epoch(int(block.starts[index]))
    end = format_epoch(int(block.starts[index]) + 900)
    first = datetime.fromtimestamp(int(block.insert_first[day]), UTC)
    fixed = datetime.fromtimestamp(int(block.insert_fix[day]), UTC)
    assert fixed > first
    key = f"{QH_EAN}:offtake"

    client.sandbox.clock.set(first)
    (early,) = await _quarters(client, QH_EAN, start, end)
    leaf = active(early["measurements"][0]["offtake"])
    assert leaf["validationState"] == "EST"
    assert milli(leaf["value"]) == block.preliminary[key][index]

    client.sandbox.clock.set(fixed)
    (late,) = await _quarters(client, QH_EAN, start, end)
    leaf = active(late["measurements"][0]["offtake"])
    assert leaf["validationState"] == "READ"
    assert milli(leaf["value"]) == block.final[key][index]

    # insertTime: the first window shows the estimate, the correction's window the final value.
    def window(moment: datetime) -> tuple[str, str]:
        return _fmt(moment), _fmt(moment + timedelta(seconds=1))

    (version1,) = [
        q
        for q in await _quarters(client, QH_EAN, *window(first), periodType="insertTime")
        if q["start"] == start
    ]
    (version2,) = [
        q
        for q in await _quarters(client, QH_EAN, *window(fixed), periodType="insertTime")
        if q["start"] == start
    ]
    assert active(version1["measurements"][0]["offtake"])["validationState"] == "EST"
    assert active(version2["measurements"][0]["offtake"])["validationState"] == "READ"
    assert version1 != version2
    # The daily value of that day is revised too.
    day_start = format_epoch(int(block.day_bounds[day]))
    day_end = format_epoch(int(block.day_bounds[day + 1]))
    daily = (await client.energy_json(QH_EAN, day_start, day_end, granularity="daily"))["data"]
    leaf = daily["headpoint"]["physicalMeters"][0]["dailyEnergy"][0]["measurements"][0]["offtake"]
    assert leaf["day"]["validationState"] == "READ"
    client.sandbox.clock.set(first)
    daily = (await client.energy_json(QH_EAN, day_start, day_end, granularity="daily"))["data"]
    leaf = daily["headpoint"]["physicalMeters"][0]["dailyEnergy"][0]["measurements"][0]["offtake"]
    assert {leaf["day"]["validationState"], leaf["night"]["validationState"]} == {"EST"}


async def test_amr_estimates_are_nval(client: SandboxClient) -> None:
    client.sandbox.add_mandate(AMR_EAN)
    block = _block(client, AMR_EAN, 2026, 8)
    index = _find_estimated(block)
    client.sandbox.clock.set(
        datetime.fromtimestamp(int(block.insert_first[block.day_of[index]]), UTC)
    )
    start = format_epoch(int(block.starts[index]))
    (quarter,) = await _quarters(
        client, AMR_EAN, start, format_epoch(int(block.starts[index]) + 900)
    )
    assert quarter["measurements"][0]["offtake"]["total"]["validationState"] == "NVAL"


async def test_polling_insert_time_daily_rebuilds_read_time(client: SandboxClient) -> None:
    """Replaying daily insertTime answers (newest version wins) gives the readTime view."""
    client.sandbox.add_mandate(QH_EAN)
    client.sandbox.add_mandate(GAS_EAN)
    for ean in (QH_EAN, GAS_EAN):
        state: dict[tuple[str, str], Any] = {}
        day = datetime(2026, 9, 20, 22, tzinfo=UTC)
        while day < NOW:
            answer = await client.energy_json(
                ean, _fmt(day), _fmt(day + timedelta(days=1)), periodType="insertTime"
            )
            meter = answer["data"]["headpoint"]["physicalMeters"][0]
            for name, intervals in meter.items():
                if name.endswith("Energy"):
                    for interval in intervals:
                        state[(name, interval["start"])] = interval["measurements"]
            day += timedelta(days=1)
        measured = ("2026-10-01T22:00:00Z", "2026-11-15T23:00:00Z")
        read = (await client.energy_json(ean, *measured))["data"]["headpoint"]["physicalMeters"][0]
        for name, intervals in read.items():
            if not name.endswith("Energy"):
                continue
            assert intervals
            for interval in intervals:
                assert state[(name, interval["start"])] == interval["measurements"], (ean, name)


async def test_gas_conversion_factor_provisional_then_definitive(client: SandboxClient) -> None:
    client.sandbox.add_mandate(GAS_EAN)
    block = _block(client, GAS_EAN, 2026, 10)
    assert block.gas is not None
    closed = datetime.fromtimestamp(block.gas.closed_at, UTC)
    assert datetime(2026, 11, 2, tzinfo=UTC) < closed < datetime(2026, 11, 7, tzinfo=UTC)
    biggest = int(np.argmax(block.final[f"{GAS_EAN}:offtake"]))  # P and D round apart
    hour = (
        format_epoch(int(block.starts[biggest])),
        format_epoch(int(block.starts[biggest]) + 3600),
    )

    async def kwh() -> tuple[int, str]:
        (interval,) = await _quarters(client, GAS_EAN, *hour)
        leaf = interval["measurements"][1]["offtake"]["total"]
        return milli(leaf["value"]), leaf["gasConversionFactor"]

    client.sandbox.clock.set(closed - timedelta(seconds=1))
    provisional = await kwh()
    client.sandbox.clock.set(closed)
    definitive = await kwh()
    assert provisional[1] == "P"
    assert definitive[1] == "D"
    assert provisional[0] != definitive[0]  # a revision
    # The month's close re-sends every October hour (insertTime), now with D.
    resent = await _quarters(
        client, GAS_EAN, _fmt(closed), _fmt(closed + timedelta(minutes=1)), periodType="insertTime"
    )
    octobers = [h for h in resent if h["start"].startswith("2026-10")]
    assert len(octobers) >= 31 * 24 - 10
    assert {h["measurements"][1]["offtake"]["total"]["gasConversionFactor"] for h in resent} == {
        "D"
    }
    # November, still open on the clock's now, is provisional.
    client.sandbox.clock.set(NOW)
    (interval,) = await _quarters(client, GAS_EAN, "2026-11-10T10:00:00Z", "2026-11-10T11:00:00Z")
    assert interval["measurements"][1]["offtake"]["total"]["gasConversionFactor"] == "P"


async def test_clock(make_client: MakeClient) -> None:
    client = await make_client()
    sandbox = client.sandbox
    assert sandbox.now() == NOW
    assert sandbox.clock.frozen
    sandbox.clock.advance(timedelta(hours=2))
    assert sandbox.now() == NOW + timedelta(hours=2)
    sandbox.clock.set(datetime(2025, 1, 1, tzinfo=UTC))
    assert sandbox.now() == datetime(2025, 1, 1, tzinfo=UTC)
    sandbox.clock.run()
    assert sandbox.now() >= datetime(2025, 1, 1, tzinfo=UTC)
    assert sandbox.clock.as_dict()["frozen"] is False
    sandbox.clock.freeze()
    moment = sandbox.now()
    assert sandbox.now() == moment
    real = await make_client(now=None)
    assert abs(real.sandbox.now() - datetime.now(UTC)) < timedelta(seconds=5)
    assert not real.sandbox.clock.frozen


async def test_truth_as_of_matches_read_time(client: SandboxClient) -> None:
    client.sandbox.add_mandate(AMR_EAN)
    start, end = datetime(2026, 11, 10, 23, tzinfo=UTC), datetime(2026, 11, 20, 23, tzinfo=UTC)
    truth = client.sandbox.truth(AMR_EAN, start, end, as_of=NOW)
    headpoint = (await client.energy_json(AMR_EAN, _fmt(start), _fmt(end)))["data"]["headpoint"]
    containers = [(AMR_EAN, "offtake", headpoint)]
    containers += [
        (s["ean"], next(iter(s["quarterHourlyEnergy"][0]["measurements"][0])), s)
        for s in headpoint["subHeadpoints"]
    ]
    for ean, direction, container in containers:
        for register, name in (("total", direction), ("inductive", f"{direction}_inductive")):
            api = {
                when(s): v / 1000
                for s, (v, _) in series(
                    container["quarterHourlyEnergy"], direction, register
                ).items()
            }
            assert truth[(ean, name)].quarter_hourly == api
            days = {
                when(s): v / 1000
                for s, (v, _) in series(container["dailyEnergy"], direction, register).items()
            }
            assert truth[(ean, name)].daily == days
    estimated = {
        when(q["start"])
        for q in headpoint["quarterHourlyEnergy"]
        if q["measurements"][0]["offtake"]["total"]["validationState"] == "NVAL"
    }
    assert truth["offtake"].estimated == estimated


async def test_final_truth_is_what_read_time_ends_with(client: SandboxClient) -> None:
    client.sandbox.add_mandate(GAS_EAN)
    start, end = datetime(2026, 11, 1, 5, tzinfo=UTC), datetime(2026, 11, 18, 5, tzinfo=UTC)
    final = client.sandbox.truth(GAS_EAN, start, end)
    assert set(final.names()) == {"gas_m3", "gas_kwh"}
    client.sandbox.clock.set(datetime(2026, 12, 20, tzinfo=UTC))  # November closed, all fixed
    headpoint = (await client.energy_json(GAS_EAN, _fmt(start), _fmt(end)))["data"]["headpoint"]
    meter = headpoint["physicalMeters"][0]
    for unit, name in (("m3", "gas_m3"), ("kWh", "gas_kwh")):
        hours = {
            when(s): v / 1000
            for s, (v, _) in series(meter["hourlyEnergy"], "offtake", unit=unit).items()
        }
        assert final[name].hourly == hours
        days = {
            when(s): v / 1000
            for s, (v, _) in series(meter["dailyEnergy"], "offtake", unit=unit).items()
        }
        assert final[name].daily == days
        assert len(days) == 17
    assert final["gas_kwh"].estimated == frozenset()


async def test_truth_hourly_and_registers(client: SandboxClient) -> None:
    client.sandbox.add_mandate(QH_EAN)
    start, end = datetime(2026, 10, 24, 22, tzinfo=UTC), datetime(2026, 10, 27, 23, tzinfo=UTC)
    truth = client.sandbox.truth(QH_EAN, start, end)
    assert set(truth.names()) == {
        "offtake",
        "injection",
        "offtake_day",
        "offtake_night",
        "injection_day",
        "injection_night",
    }
    offtake = truth["offtake"]
    assert len(offtake.quarter_hourly) == 100 + 96 * 2
    assert len(offtake.hourly) == 25 + 24 * 2
    for hour, value in offtake.hourly.items():
        quarters = [offtake.quarter_hourly[hour + timedelta(minutes=15 * i)] for i in range(4)]
        assert milli(value) == sum(milli(q) for q in quarters)
    for day, value in offtake.daily.items():
        assert milli(value) == milli(truth["offtake_day"].daily[day]) + milli(
            truth["offtake_night"].daily[day]
        )
    assert offtake.total() == round(sum(milli(v) for v in offtake.daily.values()) / 1000, 3)


async def test_truth_follows_the_mandates(client: SandboxClient) -> None:
    start, end = datetime(2026, 11, 1, 23, tzinfo=UTC), datetime(2026, 11, 5, 23, tzinfo=UTC)
    unclipped = client.sandbox.truth("541440100000000001", start, end)  # no mandate: no clip
    assert len(unclipped["offtake"].quarter_hourly) == 4 * 96
    client.sandbox.add_mandate("541440100000000001")  # VH_dag: days only
    daily_only = client.sandbox.truth("541440100000000001", start, end)
    assert daily_only["offtake"].quarter_hourly == {}
    assert len(daily_only["offtake"].daily) == 4
    client.sandbox.set_data_period_to("541440100000000001", datetime(2026, 11, 3, 23, tzinfo=UTC))
    cut = client.sandbox.truth("541440100000000001", start, end)
    assert len(cut["offtake"].daily) == 2
