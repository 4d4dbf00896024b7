"""The run of bench/soak.py (a pytest test, for the harness's real recorder and clock)."""

from __future__ import annotations

import os

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance

from tests.reliability.soak import ATTEMPTS_PER_REQUEST, POLLS_PER_DAY, SoakPlan, run_soak

DAYS = int(os.environ.get("FLUVIUS_SOAK_DAYS", "365"))
RESTARTS = int(os.environ.get("FLUVIUS_SOAK_RESTARTS", "8"))


async def test_bench(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    print(f"\nrecorder: {get_instance(hass).db_url.split('@')[-1]}")
    figures = await run_soak(
        hass, freezer, SoakPlan(days=DAYS, restarts=RESTARTS, outage_days=3, install_outage_days=3)
    )
    print(figures.line())
    assert figures.polls_during_install_outage > 0
    if figures.difference_examples:
        print("first differences:", *figures.difference_examples, sep="\n  ")
    assert figures.differences == 0
    assert figures.max_insert_ok_per_ean_day <= POLLS_PER_DAY
    assert figures.max_insert_per_ean_day <= POLLS_PER_DAY * ATTEMPTS_PER_REQUEST
    assert (
        figures.recovery_energy_per_ean
        <= figures.max_ordinary_energy_per_ean_day + ATTEMPTS_PER_REQUEST
    )
