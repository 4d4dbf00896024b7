"""Reading statistics back and comparing them with the fake API's ground truth."""

from __future__ import annotations

from datetime import UTC, datetime

from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance

from custom_components.fluvius.statistics import statistic_id

from .fake_api import FakeFluvius, expected_rows

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
TOLERANCE = 1e-6  # sums are rounded to 6 decimals; the recorder's sum shift adds float noise


async def read_rows(hass: HomeAssistant, stat_id: str) -> list[tuple[datetime, float, float]]:
    stats = await get_instance(hass).async_add_executor_job(
        statistics_during_period, hass, EPOCH, None, {stat_id}, "hour", None, {"state", "sum"}
    )
    return [
        (datetime.fromtimestamp(row["start"], UTC), float(row["state"]), float(row["sum"]))
        for row in stats.get(stat_id, [])
    ]


def assert_continuous(rows: list[tuple[datetime, float, float]]) -> None:
    """sum starts at the first state and grows by exactly each row's state."""
    running = 0.0
    for start, state, total in rows:
        running += state
        assert abs(total - running) < TOLERANCE * 10, (start, state, total, running)


async def assert_matches_truth(
    hass: HomeAssistant,
    fake: FakeFluvius,
    ean: str,
    series: str,
    start: datetime,
    end: datetime,
) -> list[tuple[datetime, float, float]]:
    """Every row equals the truth of its hour, and the last sum equals the sum of everything."""
    rows = await read_rows(hass, statistic_id(ean, series))
    expected = expected_rows(fake, ean, series, start, end)
    got = {start_: state for start_, state, _ in rows}
    assert got.keys() == expected.keys(), (
        sorted(set(got) ^ set(expected))[:5],
        len(got),
        len(expected),
    )
    for hour, value in expected.items():
        assert abs(got[hour] - value) < TOLERANCE, (hour, got[hour], value)
    assert_continuous(rows)
    assert abs(rows[-1][2] - round(sum(expected.values()), 6)) < TOLERANCE
    return rows
