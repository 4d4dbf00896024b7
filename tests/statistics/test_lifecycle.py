"""Removal, a data period end moved into the past, and errors during polls, over HTTP."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.fluvius.const import DOMAIN, TIMEZONE
from custom_components.fluvius.cursors import CursorStore
from custom_components.fluvius.series import statistic_id
from custom_components.fluvius.statistics import async_statistic_ids_for
from fluvius_sandbox.timeutil import local_midnight
from tests.helpers import async_fire_poll
from tests.standin import StandIn, advance

from .conftest import BOTH_LAYOUTS, Setup, energy_calls, make_entry, start_entry, stop_entry, utc
from .helpers import assert_matches_truth, read_rows

DIGITAL_QH = "541440110000000007"
AMR_SUB = "541450211000000007"
OTHER = "541440010000000099"


@pytest.mark.freeze_time("2025-02-10T09:00:00Z")
async def test_remove_entry_clears_every_statistic(hass: HomeAssistant, stand: StandIn) -> None:
    """Main EANs and submeters; other entries' and other EANs' statistics stay."""
    other = make_entry(stand, [OTHER], 3, entry_id="other")
    await start_entry(hass, other)
    entry = make_entry(
        stand, [DIGITAL_QH, AMR_SUB], backfill_days=3, price_day=0.3, price_injection=0.05
    )
    coordinator = await start_entry(hass, entry)
    subs = coordinator.cursors.get(AMR_SUB).sub_eans
    assert len(subs) == 2
    ids = await async_statistic_ids_for(hass, [DIGITAL_QH, AMR_SUB, *subs])
    assert statistic_id(DIGITAL_QH, "offtake_cost") in ids
    assert statistic_id(subs[0], "production") in ids or statistic_id(subs[1], "production") in ids
    store = CursorStore(hass, entry.entry_id)
    assert (await store.async_load()).get(DIGITAL_QH).backfill_done

    # Unloading keeps everything; removing the entry clears its statistics and its Store.
    await stop_entry(hass, entry)
    assert sorted(await async_statistic_ids_for(hass, [DIGITAL_QH, AMR_SUB, *subs])) == sorted(ids)
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert await async_statistic_ids_for(hass, [DIGITAL_QH, AMR_SUB, *subs]) == []
    assert await async_statistic_ids_for(hass, [OTHER])
    assert (await CursorStore(hass, entry.entry_id).async_load()).eans == {}


@pytest.mark.freeze_time("2025-02-10T09:00:00Z")
@BOTH_LAYOUTS
async def test_data_period_end_moved_into_the_past(
    hass: HomeAssistant, setup: Setup, stand: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    """The mandate's dataPeriodTo moves back: later rows go, the repair is raised."""
    coordinator = await setup([DIGITAL_QH], backfill_days=12)
    cursor = coordinator.cursors.get(DIGITAL_QH)
    start = cursor.backfill_from
    assert start is not None
    cut = local_midnight(utc(2025, 2, 5, 12).astimezone(TIMEZONE).date()) + timedelta(hours=13)
    assert stand.sandbox.set_data_period_to(DIGITAL_QH, cut) == 1  # 5 Feb 13:00 local
    advance(freezer, stand, timedelta(days=1))
    with patch("custom_components.fluvius.mandate_sync.async_set_data_period_moved") as moved:
        await async_fire_poll(hass, freezer, coordinator, stand)
    moved.assert_called_once()
    assert moved.call_args.args[2:] == (
        DIGITAL_QH,
        cut,
        local_midnight(cut.astimezone(TIMEZONE).date()),
    )
    # Up to the cut the rows equal the truth (the partial day fetched again); nothing after.
    rows = await assert_matches_truth(
        hass, stand, DIGITAL_QH, ("offtake", "injection"), start, stand.sandbox.now()
    )
    assert rows[-1][0] < cut
    assert rows[-1][0] == cut - timedelta(hours=1)
    assert all(r[0] < cut for r in await read_rows(hass, statistic_id(DIGITAL_QH, "offtake_day")))
    assert max(cursor.peak_days) == cut.astimezone(TIMEZONE).date()
    # The data-quality counts end there too: the cut day holds its 13 hours, not complete.
    assert max(cursor.quality_days) == cut.astimezone(TIMEZONE).date()
    assert cursor.quality_days[max(cursor.quality_days)].values == 2 * 13 * 4
    assert not cursor.quality_days[max(cursor.quality_days)].validated


@pytest.mark.freeze_time("2025-02-10T09:00:00Z")
async def test_poll_errors(
    hass: HomeAssistant, setup: Setup, stand: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    """Rate limit -> UpdateFailed (translated), cursor unchanged; 404 on one EAN -> repair,
    the other EAN goes on; 401 -> reauth."""
    coordinator = await setup([DIGITAL_QH, AMR_SUB], backfill_days=2)
    before = coordinator.cursors.get(DIGITAL_QH).last_insert_poll
    sandbox = stand.sandbox

    # Each step is the next poll the coordinator scheduled (after a failure: its retry).
    # 429 on every GET Energy of one EAN (the client's retries included).
    rule = sandbox.faults.add("429", ean=DIGITAL_QH, retry_after=30)
    await async_fire_poll(hass, freezer, coordinator, stand)
    assert rule.fired == 4  # the first attempt and three retries
    sandbox.faults.remove(rule)
    assert not coordinator.last_update_success
    assert coordinator.last_exception is not None
    assert coordinator.last_exception.translation_key == "rate_limited"  # type: ignore[attr-defined]
    assert coordinator.cursors.get(DIGITAL_QH).last_insert_poll == before
    assert coordinator.cursors.get(AMR_SUB).last_insert_poll != before  # the other EAN went on
    assert coordinator.next_poll is not None

    # The mandate of one EAN is removed: a repair issue; the poll itself succeeds.
    assert sandbox.revoke_mandate(AMR_SUB) == 1
    await async_fire_poll(hass, freezer, coordinator, stand)
    assert coordinator.last_update_success
    issues = ir.async_get(hass).issues
    assert any(issue[0] == DOMAIN and AMR_SUB in issue[1] for issue in issues)

    # Back again; a 404 for the other EAN for a moment is no failure of the poll either.
    sandbox.add_mandate(AMR_SUB)
    sandbox.faults.add("404", ean=DIGITAL_QH, next=1)
    calls = len(energy_calls(stand))
    await async_fire_poll(hass, freezer, coordinator, stand)
    assert coordinator.last_update_success
    assert any(c.status == 404 and c.ean == DIGITAL_QH for c in energy_calls(stand)[calls:])

    # The client secret no longer works: GET Mandate answers 401, a new token is refused.
    credentials = sandbox.clients[stand.credentials.client_id]
    sandbox.clients[credentials.client_id] = replace(credentials, client_secret="rotated")
    sandbox.expire_tokens()
    await async_fire_poll(hass, freezer, coordinator, stand)
    assert not coordinator.last_update_success
    # async_refresh hands ConfigEntryAuthFailed to the entry, which starts the reauth flow.
    assert isinstance(coordinator.last_exception, ConfigEntryAuthFailed)
