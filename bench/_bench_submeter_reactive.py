"""The measurements of bench/submeter_reactive.py (a pytest test, for the harness's recorder)."""

from __future__ import annotations

from dataclasses import dataclass
import time

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from pytest_homeassistant_custom_component.common import MockConfigEntry

from bench._bench_scale import _admin, _entry, stand_in
from custom_components.fluvius.const import CONF_SUBMETER_REACTIVE
from custom_components.fluvius.coordinator import FluviusCoordinator
from custom_components.fluvius.recorder_compat import async_wait_committed
from custom_components.fluvius.statistics import async_statistic_ids_for
from tests.helpers import async_wait_backfill

DAYS = 365
# AMR electricity, injection, with PV production and auxiliary submeters; one EAN per run.
RUNS = (
    ("541450211000000011", True),
    ("541450211000000012", False),
    ("541450211000000013", False),
    ("541450211000000014", True),
)
EAN_WARM = "541450211000000099"


@dataclass(slots=True)
class Result:
    reactive: bool
    seconds: float
    rows: int
    series: int
    reactive_series: int


async def _backfill(hass: HomeAssistant, base: str, ean: str, days: int, reactive: bool) -> Result:
    plain = _entry(base, [ean], days, f"bench_{ean}")
    entry = MockConfigEntry(
        domain=plain.domain,
        title=plain.title,
        entry_id=plain.entry_id,
        unique_id=plain.unique_id,
        data=dict(plain.data),
        options={**plain.options, CONF_SUBMETER_REACTIVE: reactive},
        minor_version=2,  # as the config flow creates it (no migration)
    )
    entry.add_to_hass(hass)
    await async_wait_committed(hass)
    t0 = time.perf_counter()
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    coordinator: FluviusCoordinator = entry.runtime_data.coordinator
    await async_wait_backfill(coordinator)
    await async_wait_committed(hass)
    seconds = time.perf_counter() - t0
    cursor = coordinator.cursors.get(ean)
    ids = await async_statistic_ids_for(hass, [ean, *cursor.sub_eans])
    assert await hass.config_entries.async_unload(entry.entry_id)
    return Result(
        reactive,
        seconds,
        cursor.rows_written,
        len(ids),
        sum(1 for i in ids if i.endswith(("_inductive", "_capacitive"))),
    )


async def test_bench(hass: HomeAssistant) -> None:
    print(f"\nrecorder: {get_instance(hass).db_url}")
    with stand_in() as base:
        for ean, _ in (*RUNS, (EAN_WARM, True)):
            _admin(base, "/_sandbox/mandates", {"status": "Approved", "ean": ean})
        await _backfill(hass, base, EAN_WARM, 7, True)  # imports, caches, the stand-in warm

        results = [await _backfill(hass, base, ean, DAYS, on) for ean, on in RUNS]
    print(f"\n1 year, AMR meter with PV and auxiliary submeters ({DAYS} days):")
    print(f"{'submeter_reactive':>18} {'series':>7} {'reactive':>9} {'rows':>8} {'seconds':>8}")
    for r in results:
        print(
            f"{'on' if r.reactive else 'off':>18} {r.series:>7} {r.reactive_series:>9}"
            f" {r.rows:>8} {r.seconds:>8.1f}"
        )
    on = [r for r in results if r.reactive]
    off = [r for r in results if not r.reactive]
    rows_on, rows_off = on[0].rows, off[0].rows
    t_on = sum(r.seconds for r in on) / len(on)
    t_off = sum(r.seconds for r in off) / len(off)
    print(
        f"saved with the option off: {rows_on - rows_off} rows of {rows_on}"
        f" ({(rows_on - rows_off) / rows_on:.0%}), {on[0].series - off[0].series} series,"
        f" {t_on - t_off:.1f} s of {t_on:.1f} s ({(t_on - t_off) / t_on:.0%}) per meter-year"
    )
    assert all(r.rows == rows_on for r in on) and all(r.rows == rows_off for r in off)
