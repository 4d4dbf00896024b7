"""The fault soak, short: 30 simulated days of daily polls for three meters against the API
stand-in with a seeded mix of faults, late data, revisions, an outage and Home Assistant
restarts (two of them in the middle of an import). The statistics end up equal to the truth,
row by row, and the request pattern stays within the limits (see soak.py)."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant

from .soak import ATTEMPTS_PER_REQUEST, POLLS_PER_DAY, SoakPlan, run_soak


async def test_fault_soak(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    plan = SoakPlan(days=30, restarts=2, outage_days=2)
    figures = await run_soak(hass, freezer, plan)
    print(figures.line())  # noqa: T201 - the figures show with -rA / -s

    assert figures.days == plan.days
    assert figures.differences == 0, figures.difference_examples
    assert figures.rows_compared > 3 * 24 * plan.days
    # Every kind of fault happened, and the run survived them.
    for kind in ("429", "500", "503", "truncated", "malformed", "slow", "early_expiry"):
        assert figures.faults[kind] > 0, (kind, figures.faults)
    assert figures.retry_after_honoured > 0
    assert figures.restarts >= plan.restarts + 2
    assert figures.restarts_mid_import == 2
    # Both were cancelled where they stood (the backfill task and the poll task of the entry).
    assert figures.imports_interrupted == 2
    # The request pattern: one insertTime poll per meter and day, more only as retries.
    assert figures.max_insert_ok_per_ean_day <= POLLS_PER_DAY, figures.line()
    assert figures.max_insert_per_ean_day <= POLLS_PER_DAY * ATTEMPTS_PER_REQUEST, figures.line()
    # No storm after the outage: the day after it asks no more than a busy ordinary day.
    assert figures.recovery_energy_per_ean <= figures.max_energy_per_ean_day
