"""Removal, a data period end moved into the past, and errors during polls."""

from __future__ import annotations

from datetime import timedelta
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.fluvius.api.errors import (
    FluviusAuthError,
    FluviusNoMandateError,
    FluviusRateLimitError,
)
from custom_components.fluvius.const import DOMAIN, TIMEZONE
from custom_components.fluvius.cursors import CursorStore
from custom_components.fluvius.statistics import (
    async_clear_entry_statistics,
    async_statistic_ids_for,
    statistic_id,
)

from ._legacy import (
    Setup,
    assert_matches_truth,
    make_entry,
    read_rows,
    start_coordinator,
    stop_coordinator,
    utc,
)
from .fake_api import FakeFluvius, local_midnight, mock_meter

DIGITAL_QH = "541440110000000007"
AMR_SUB = "541450211000000007"


@pytest.mark.freeze_time("2025-02-10T09:00:00Z")
async def test_remove_entry_clears_every_statistic(hass: HomeAssistant, fake: FakeFluvius) -> None:
    """Main EANs and submeters; other integrations' and other EANs' statistics stay."""
    for ean in (DIGITAL_QH, AMR_SUB, "541440010000000099"):
        fake.add(mock_meter(ean))
    other = make_entry(["541440010000000099"], 3, entry_id="other")
    await start_coordinator(hass, fake, other)
    entry = make_entry([DIGITAL_QH, AMR_SUB], backfill_days=3, price_day=0.3, price_injection=0.05)
    coordinator = await start_coordinator(hass, fake, entry)
    subs = coordinator.cursors.get(AMR_SUB).sub_eans
    ids = await async_statistic_ids_for(hass, [DIGITAL_QH, AMR_SUB, *subs])
    assert statistic_id(DIGITAL_QH, "offtake_cost") in ids
    assert statistic_id(subs[0], "production") in ids or statistic_id(subs[1], "production") in ids
    await stop_coordinator(hass, coordinator)
    cleared = await async_clear_entry_statistics(hass, entry)
    assert sorted(cleared) == sorted(ids)
    assert await async_statistic_ids_for(hass, [DIGITAL_QH, AMR_SUB, *subs]) == []
    assert await async_statistic_ids_for(hass, ["541440010000000099"])
    # The cursor Store can go after that.
    await CursorStore(hass, entry.entry_id).async_remove()


@pytest.mark.freeze_time("2025-02-10T09:00:00Z")
async def test_data_period_end_moved_into_the_past(
    hass: HomeAssistant, legacy_setup: Setup, fake: FakeFluvius, freezer: FrozenDateTimeFactory
) -> None:
    """The mandate's dataPeriodTo moves back: later rows go, the repair is raised."""
    meter = fake.add(mock_meter(DIGITAL_QH))
    coordinator = await legacy_setup([DIGITAL_QH], backfill_days=12)
    cursor = coordinator.cursors.get(DIGITAL_QH)
    start = cursor.backfill_from
    cut = local_midnight(utc(2025, 2, 5, 12).astimezone(TIMEZONE).date()) + timedelta(hours=13)
    meter.data_period_to = cut  # 5 Feb 13:00 local: the partial day is fetched again
    freezer.tick(timedelta(days=1))
    with patch("custom_components.fluvius.coordinator.async_set_data_period_moved") as moved:
        await coordinator.async_poll_now()
    moved.assert_called_once()
    assert moved.call_args.args[2:] == (
        DIGITAL_QH,
        cut,
        local_midnight(cut.astimezone(TIMEZONE).date()),
    )
    for series in ("offtake", "injection"):
        rows = await assert_matches_truth(hass, fake, DIGITAL_QH, series, start, cut)
        assert rows[-1][0] < cut
    assert all(r[0] < cut for r in await read_rows(hass, statistic_id(DIGITAL_QH, "offtake_day")))
    assert max(cursor.peak_days) == cut.astimezone(TIMEZONE).date()


@pytest.mark.freeze_time("2025-02-10T09:00:00Z")
async def test_poll_errors(
    hass: HomeAssistant, legacy_setup: Setup, fake: FakeFluvius, freezer: FrozenDateTimeFactory
) -> None:
    """Rate limit -> UpdateFailed (translated), cursor unchanged; 404 on one EAN -> repair,
    the other EAN goes on; 401 -> reauth."""
    for ean in (DIGITAL_QH, AMR_SUB):
        fake.add(mock_meter(ean))
    coordinator = await legacy_setup([DIGITAL_QH, AMR_SUB], backfill_days=2)
    before = coordinator.cursors.get(DIGITAL_QH).last_insert_poll
    freezer.tick(timedelta(hours=1))

    fake.fail_next = [FluviusRateLimitError("slow down", retry_after=30)]
    await coordinator.async_poll_now()
    assert not coordinator.last_update_success
    assert coordinator.last_exception is not None
    assert coordinator.last_exception.translation_key == "rate_limited"  # type: ignore[attr-defined]
    assert coordinator.cursors.get(DIGITAL_QH).last_insert_poll == before
    assert coordinator.cursors.get(AMR_SUB).last_insert_poll != before  # the other EAN went on
    assert coordinator.next_poll is not None

    fake.no_mandate.add(AMR_SUB)
    fake.fail_next = []
    await coordinator.async_poll_now()
    assert coordinator.last_update_success
    issues = ir.async_get(hass).issues
    assert any(issue[0] == DOMAIN and AMR_SUB in issue[1] for issue in issues)

    fake.no_mandate.clear()
    fake.fail_next = [FluviusNoMandateError("gone", ean=DIGITAL_QH)]
    await coordinator.async_poll_now()
    assert coordinator.last_update_success

    with patch.object(fake, "get_mandates", side_effect=FluviusAuthError("no")):
        await coordinator.async_poll_now()
    assert not coordinator.last_update_success
    # async_refresh hands ConfigEntryAuthFailed to the entry, which starts the reauth flow.
    assert isinstance(coordinator.last_exception, ConfigEntryAuthFailed)
