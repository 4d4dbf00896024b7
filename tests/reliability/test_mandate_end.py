"""Polls stop after a mandate's end: its expiry (``mandateExpirationDate``, renewal status
``Expired``) or a Finished mandate without ``dataPeriodTo``, whose grace counts from when it was
first seen Finished (kept across restarts). Until then late values of what was measured before
the end still come in. The stand-in over HTTP, the real client, a real recorder.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.fluvius import mandates as mandates_module
from custom_components.fluvius.api.models import DataServiceType, Mandate, MandateStatus
from custom_components.fluvius.const import DOMAIN
from custom_components.fluvius.coordinator import FluviusCoordinator
from custom_components.fluvius.cursors import CursorStore
from custom_components.fluvius.mandates import choose_mandates
from tests.helpers import async_fire_poll, async_wait_backfill

from .conftest import (
    EAN_AMR_PV,
    EAN_DIGITAL,
    EAN_GAS,
    NOW,
    StandIn,
    advance,
    assert_exact,
    make_entry,
    setup_entry,
)

DAY = timedelta(days=1)
GRACE = 3 * DAY  # 40 days in life: fewer days to poll here


@pytest.fixture(autouse=True)
def _short_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mandates_module, "ENDED_POLL_GRACE", GRACE)


async def _poll_asks(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    stand: StandIn,
    coordinator: FluviusCoordinator,
) -> set[str]:
    """The next daily poll (now, if it is due); the EANs it asked GET Energy for."""
    stand.sandbox.stats.reset()
    await async_fire_poll(hass, freezer, coordinator, stand)
    await async_wait_recording_done(hass)
    assert coordinator.last_update_success, coordinator.last_exception
    paths = [r.path for r in stand.sandbox.stats.history if r.endpoint == "energy"]
    return {ean for ean in (EAN_DIGITAL, EAN_GAS, EAN_AMR_PV) if any(ean in p for p in paths)}


async def test_polls_stop_after_mandate_expiry(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    """Polled until the grace after the expiry, then never; exact up to the expiry."""
    expiry = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)  # 21 November, local midnight
    stand_in.sandbox.add_mandate(
        EAN_DIGITAL, data_service_type="VH_kwartier_uur", mandate_expiration_date=expiry
    )
    stand_in.sandbox.add_mandate(EAN_GAS, data_service_type="VH_kwartier_uur")
    entry = make_entry(stand_in, [EAN_DIGITAL, EAN_GAS], backfill_days=3)
    coordinator = await setup_entry(hass, entry)

    asked: list[bool] = []
    for _ in range(8):
        advance(freezer, stand_in, DAY)
        eans = await _poll_asks(hass, freezer, stand_in, coordinator)
        assert EAN_GAS in eans  # the other meter goes on
        asked.append(EAN_DIGITAL in eans)
    # Polls at 09:00 UTC from 20 November: before the expiry, then while now < expiry + grace.
    polls = [NOW + DAY * (day + 1) for day in range(8)]
    assert asked == [poll < expiry + GRACE for poll in polls]
    assert asked.count(True) == 4

    # Every value measured before the expiry is in, exactly; nothing after it.
    start = coordinator.cursors.get(EAN_DIGITAL).backfill_from
    assert start is not None
    await assert_exact(hass, stand_in, EAN_DIGITAL, start, stand_in.sandbox.now())
    issue_id = f"mandate_missing_{entry.entry_id}_{EAN_DIGITAL}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    renewal = ir.async_get(hass).async_get_issue(
        DOMAIN, f"mandate_renewal_{entry.entry_id}_{EAN_DIGITAL}"
    )
    assert renewal is not None
    assert renewal.translation_key == "mandate_expired"


async def test_finished_without_period_end_stops_after_grace_from_first_sight(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    """A Finished mandate without ``dataPeriodTo``: polled for the grace from the moment it was
    first seen Finished (a restart does not start it again), then never. A meter chosen when
    already Finished (history only) counts from the set-up and raises no issue."""
    for ean in (EAN_DIGITAL, EAN_GAS, EAN_AMR_PV):
        stand_in.sandbox.add_mandate(ean, data_service_type="VH_kwartier_uur")
    # History only: Finished before the entry is set up, no end of its data period.
    assert stand_in.sandbox.revoke_mandate(EAN_AMR_PV, status="Finished") == 1
    assert stand_in.sandbox.set_data_period_to(EAN_AMR_PV, None) == 1
    entry = make_entry(stand_in, [EAN_DIGITAL, EAN_GAS, EAN_AMR_PV], backfill_days=3)
    coordinator = await setup_entry(hass, entry)
    registry = ir.async_get(hass)

    advance(freezer, stand_in, DAY)
    asked = await _poll_asks(hass, freezer, stand_in, coordinator)
    assert asked == {EAN_DIGITAL, EAN_GAS, EAN_AMR_PV}

    # The grid user ends the digital meter's mandate; Fluvius sets no end to its data period.
    assert stand_in.sandbox.revoke_mandate(EAN_DIGITAL, status="Finished") == 1
    assert stand_in.sandbox.set_data_period_to(EAN_DIGITAL, None) == 1
    advance(freezer, stand_in, DAY)
    first_seen = stand_in.sandbox.now()
    asked = await _poll_asks(hass, freezer, stand_in, coordinator)
    assert asked == {EAN_DIGITAL, EAN_GAS, EAN_AMR_PV}
    missing = f"mandate_missing_{entry.entry_id}_"
    assert registry.async_get_issue(DOMAIN, missing + EAN_DIGITAL) is not None
    assert registry.async_get_issue(DOMAIN, missing + EAN_AMR_PV) is None
    stored = await CursorStore(hass, entry.entry_id).async_load()
    assert stored.eans[EAN_DIGITAL].ended_seen == first_seen
    assert stored.eans[EAN_AMR_PV].ended_seen == NOW

    # A restart the next day keeps the moment it was first seen Finished.
    advance(freezer, stand_in, DAY)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    await async_wait_backfill(coordinator)
    assert coordinator.cursors.get(EAN_DIGITAL).ended_seen == first_seen
    # The history-only meter's grace (3 days from the set-up) is over.
    assert await _poll_asks(hass, freezer, stand_in, coordinator) == {EAN_DIGITAL, EAN_GAS}
    advance(freezer, stand_in, DAY)
    assert await _poll_asks(hass, freezer, stand_in, coordinator) == {EAN_DIGITAL, EAN_GAS}
    for _ in range(3):  # first seen + 3 days: over
        advance(freezer, stand_in, DAY)
        assert await _poll_asks(hass, freezer, stand_in, coordinator) == {EAN_GAS}
    assert registry.async_get_issue(DOMAIN, missing + EAN_DIGITAL) is not None
    start = coordinator.cursors.get(EAN_GAS).backfill_from
    assert start is not None
    await assert_exact(hass, stand_in, EAN_GAS, start, stand_in.sandbox.now())


def test_a_renewed_mandate_counts_over_the_expired_one() -> None:
    """A renewal is listed next to the expired grant: the running one counts, in any order."""
    expired = Mandate(
        status=MandateStatus.APPROVED,
        ean=EAN_DIGITAL,
        data_service_type=DataServiceType.QUARTER_HOURLY,
        mandate_expiration_date=NOW - DAY,
        renewal_status="Expired",
    )
    renewed = replace(expired, mandate_expiration_date=NOW + 1000 * DAY, renewal_status=None)
    daily = replace(renewed, data_service_type=DataServiceType.DAILY)
    for listed in ([expired, renewed], [renewed, expired], [expired, daily]):
        chosen = choose_mandates(listed, NOW)[EAN_DIGITAL]
        assert chosen is (daily if daily in listed else renewed)
