"""DST days from recorded payloads in the spec's exact JSON shape (hand-made, one per change),
served by the stand-in in place of its own answer and read through the real client.

The payloads (``payloads/energy_amr_*_dst_day.json``) hold one local day of an AMR offtake
meter: quarter-hour ``i`` of the day has ``1 + (i mod 7) / 8`` kWh active energy, ``0.250``
kVArh inductive on odd quarter-hours; 100 quarter-hours on 27 October 2024, 92 on 30 March
2025. So the hours are checked against numbers worked out here, not against the stand-in.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from custom_components.fluvius.const import TIMEZONE
from custom_components.fluvius.series import statistic_id
from fluvius_sandbox.config import ENERGY_PATH
from tests.standin import StandIn, start_stand_in

from .conftest import make_entry, start_entry, stop_entry
from .helpers import read_rows

EAN = "541450010000000011"  # AMR electricity offtake, quarter-hours
PAYLOADS = Path(__file__).parent / "payloads"
QH = timedelta(minutes=15)

DAYS = {
    # name: (file, first quarter-hour (local midnight, UTC), quarter-hours, "now" two days on)
    "autumn": ("energy_amr_autumn_dst_day.json", datetime(2024, 10, 26, 22, tzinfo=UTC), 100),
    "spring": ("energy_amr_spring_dst_day.json", datetime(2025, 3, 29, 23, tzinfo=UTC), 92),
}


def _recorded(body: str) -> Middleware:
    """GET Energy readTime for EAN: the recorded payload, once the stand-in accepted the
    request (token, subscription key, mandate, parameters)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if (
            request.path.endswith(ENERGY_PATH)
            and request.query.get("ean") == EAN
            and request.query.get("periodType") == "readTime"
            and response.status == 200
        ):
            return web.Response(text=body, content_type="application/json", charset="utf-8")
        return response

    return middleware


@pytest.fixture(params=sorted(DAYS))
async def day(
    request: pytest.FixtureRequest, freezer: FrozenDateTimeFactory
) -> AsyncGenerator[tuple[StandIn, datetime, int]]:
    name, first, count = DAYS[request.param]
    now = first + timedelta(days=2, hours=8)
    freezer.move_to(now)
    body = (PAYLOADS / name).read_text(encoding="utf-8")
    stand, server = await start_stand_in(now=now, middlewares=[_recorded(body)])
    yield stand, first, count
    await server.close()


async def test_dst_day_from_recorded_payload(
    hass: HomeAssistant, day: tuple[StandIn, datetime, int]
) -> None:
    """25 (autumn) or 23 (spring) hourly rows at their UTC hour starts, each the sum of its four
    quarter-hours, reactive energy too; the local 02:00 hour twice in autumn, never in spring."""
    stand, first, count = day
    entry = make_entry(stand, [EAN], backfill_days=3)
    coordinator = await start_entry(hass, entry)
    cursor = coordinator.cursors.get(EAN)
    assert cursor.backfill_done
    assert cursor.backfill_from is not None and cursor.backfill_from <= first

    active = [1 + (i % 7) / 8 for i in range(count)]
    inductive = [0.25 if i % 2 else 0.0 for i in range(count)]
    hours = count // 4
    expected_starts = [first + timedelta(hours=h) for h in range(hours)]
    for series, values in (("offtake", active), ("offtake_inductive", inductive)):
        rows = await read_rows(hass, statistic_id(EAN, series))
        assert [r[0] for r in rows] == expected_starts, series
        running = rows[0][2] - rows[0][1]  # continuous sums from the first row on
        for h, (_, state, total) in enumerate(rows):
            assert state == pytest.approx(sum(values[4 * h : 4 * h + 4]), abs=1e-9)
            running += state
            assert total == pytest.approx(running, abs=1e-6)
        assert rows[-1][2] == pytest.approx(sum(values), abs=1e-6)
    local_hours = [t.astimezone(TIMEZONE).hour for t in expected_starts]
    assert local_hours.count(2) == (2 if count == 100 else 0)
    assert len({t.astimezone(TIMEZONE).date() for t in expected_starts}) == 1
    await stop_entry(hass, entry)
