"""Reading statistics back and comparing them with the stand-in's truth."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from homeassistant.core import HomeAssistant

from custom_components.fluvius.series import statistic_id
from tests.standin import TOLERANCE, StandIn, assert_exact, read_rows

__all__ = ["TOLERANCE", "assert_matches_truth", "read_rows"]


async def assert_matches_truth(
    hass: HomeAssistant,
    stand: StandIn,
    ean: str,
    names: str | Iterable[str],
    start: datetime,
    end: datetime,
    *,
    sub_ean: str | None = None,
) -> list[tuple[datetime, float, float]]:
    """The named series of mock EAN ``ean`` (a submeter's with ``sub_ean``) equal the stand-in's
    truth over [start, end) as a readTime request shows it now: row by row, with continuous sums
    starting at 0, and no row outside it. Returns the rows of the first name."""
    wanted = [names] if isinstance(names, str) else list(names)
    counts = await assert_exact(hass, stand, ean, start, end, names=wanted)
    for name in wanted:
        assert any(stat_id.endswith(f"_{name}") for stat_id in counts), (name, sorted(counts))
    first = statistic_id(sub_ean or ean, wanted[0])
    assert first in counts, (first, sorted(counts))
    assert counts[first] > 0, first
    return await read_rows(hass, first)
