"""Mandate changes in the middle of a run, against the API stand-in, the real client and a real
recorder: the data period end moved into the past (change of grid user), a mandate removed
(GET Energy 404) during the backfill and a mandate that ends (Finished) between two polls.

The affected meter stops (with a repair issue that says why); the other meters keep importing,
and their statistics stay equal to the stand-in's truth, row by row.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.fluvius import mandates as mandates_module
from custom_components.fluvius.const import DOMAIN, TIMEZONE
from custom_components.fluvius.coordinator import FluviusCoordinator
from custom_components.fluvius.series import statistic_id
from tests.helpers import async_fire_poll

from .conftest import (
    EAN_AMR_PV,
    EAN_DIGITAL,
    EAN_GAS,
    NOW,
    StandIn,
    advance,
    assert_exact,
    make_entry,
    read_rows,
    setup_entry,
)

EANS = [EAN_DIGITAL, EAN_GAS, EAN_AMR_PV]
DAY = timedelta(days=1)


def _mandates(stand: StandIn) -> None:
    for ean in EANS:
        stand.sandbox.add_mandate(ean, data_service_type="VH_kwartier_uur")


async def _poll(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    stand: StandIn,
    coordinator: FluviusCoordinator,
) -> None:
    """The daily poll, due at the moment the clocks were moved to."""
    await async_fire_poll(hass, freezer, coordinator, stand)
    await async_wait_recording_done(hass)
    assert coordinator.last_update_success, coordinator.last_exception


async def _exact_all(
    hass: HomeAssistant, stand: StandIn, coordinator: FluviusCoordinator, eans: list[str]
) -> dict[str, int]:
    """Every statistic of these meters equals the truth; rows per statistic id."""
    counts: dict[str, int] = {}
    now = stand.sandbox.now()
    for ean in eans:
        start = coordinator.cursors.get(ean).backfill_from
        assert start is not None
        counts |= await assert_exact(hass, stand, ean, start, now)
    return counts


async def _issue_text(hass: HomeAssistant, issue: ir.IssueEntry, language: str) -> str:
    """The issue's title and description in a language, placeholders filled in (all of them)."""
    translations = await async_get_translations(hass, language, "issues", [DOMAIN])
    prefix = f"component.{DOMAIN}.issues.{issue.translation_key}."
    texts = [translations[prefix + "title"]]
    if prefix + "description" in translations:
        texts.append(translations[prefix + "description"])
    else:
        texts.append(translations[prefix + "fix_flow.step.confirm.description"])
    placeholders = issue.translation_placeholders or {}
    rendered = [text.format(**placeholders) for text in texts]
    return "\n".join(rendered)


def _local(day_offset: int, hour: int) -> datetime:
    day = (NOW.astimezone(TIMEZONE) + timedelta(days=day_offset)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=TIMEZONE)


async def test_data_period_end_moved_into_the_past(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    _mandates(stand_in)
    coordinator = await setup_entry(hass, make_entry(stand_in, EANS, backfill_days=8))
    backfilled = await _exact_all(hass, stand_in, coordinator, EANS)

    advance(freezer, stand_in, DAY)
    await _poll(hass, freezer, stand_in, coordinator)
    polled = await _exact_all(hass, stand_in, coordinator, EANS)
    assert all(polled[stat_id] > count for stat_id, count in backfilled.items())

    # A change of grid user: Fluvius moves the end of the digital meter's data period to 13:00
    # local three days ago (a day we hold in full), which the spec says we must honour.
    cut = _local(-2, 13)
    kept_before = {}
    for name in ("offtake", "injection"):
        rows = await read_rows(hass, statistic_id(EAN_DIGITAL, name))
        kept_before[name] = [row for row in rows if row[0] < cut]
    assert stand_in.sandbox.set_data_period_to(EAN_DIGITAL, cut) == 1
    advance(freezer, stand_in, DAY)
    await _poll(hass, freezer, stand_in, coordinator)

    # Everything measured from the new end on is gone; everything before is exactly the truth
    # (the truth clips at the data period, so its keys end there too).
    after_move = await _exact_all(hass, stand_in, coordinator, [EAN_DIGITAL])
    assert after_move[statistic_id(EAN_DIGITAL, "offtake")] < polled[
        statistic_id(EAN_DIGITAL, "offtake")
    ]
    for name, before in kept_before.items():
        rows = await read_rows(hass, statistic_id(EAN_DIGITAL, name))
        assert max(row[0] for row in rows) < cut
        # The rows before the cut are untouched: same states and same sums.
        assert [row for row in rows if row[0] < cut][: len(before)] == before
    for name in coordinator.cursors.get(EAN_DIGITAL).series.get(EAN_DIGITAL, []):
        if name == "peak":
            continue
        if name == "power":  # a level (mean, min, max) without state: its hours end there too
            levels = await get_instance(hass).async_add_executor_job(
                statistics_during_period,
                hass,
                NOW - 400 * DAY,
                None,
                {statistic_id(EAN_DIGITAL, name)},
                "hour",
                None,
                {"mean"},
            )
            starts = [row["start"] for row in levels[statistic_id(EAN_DIGITAL, name)]]
            assert starts and max(starts) < cut.timestamp(), name
            continue
        rows = await read_rows(hass, statistic_id(EAN_DIGITAL, name))
        assert all(row[0] < cut for row in rows), name

    # The repair issue says what happened, in every language, with every placeholder filled.
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"data_period_moved_{coordinator.config_entry.entry_id}_{EAN_DIGITAL}"
    )
    assert issue is not None
    assert issue.translation_key == "data_period_moved"
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["data_period_to"] == cut.date().isoformat()
    assert issue.translation_placeholders["removed_from"] == cut.date().isoformat()
    for language in ("en", "nl", "fr", "de"):
        text = await _issue_text(hass, issue, language)
        assert EAN_DIGITAL in text
        assert cut.date().isoformat() in text
        assert "{" not in text

    # The other meters keep importing, exactly; the moved meter gets nothing after its end.
    advance(freezer, stand_in, DAY)
    await _poll(hass, freezer, stand_in, coordinator)
    later = await _exact_all(hass, stand_in, coordinator, EANS)
    for stat_id, count in later.items():
        if stat_id.startswith(f"{DOMAIN}:{EAN_DIGITAL}_"):
            assert count == after_move[stat_id], stat_id
        else:
            assert count > polled[stat_id], stat_id
    # No second purge, no "missing" issue for the moved meter: its mandate is still valid.
    assert ir.async_get(hass).async_get_issue(
        DOMAIN, f"mandate_missing_{coordinator.config_entry.entry_id}_{EAN_DIGITAL}"
    ) is None


@pytest.mark.usefixtures("small_chunks")
async def test_mandate_removed_during_backfill_and_finished_between_polls(
    hass: HomeAssistant,
    stand_in: StandIn,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Late values of an ended meter are awaited 3 days here (40 in life): fewer days to poll.
    monkeypatch.setattr(mandates_module, "ENDED_POLL_GRACE", 3 * DAY)
    _mandates(stand_in)
    entry = make_entry(stand_in, EANS, backfill_days=9)
    entry_id = entry.entry_id
    # GET Mandate at set-up, then the first round of chunks (one per meter): the gas meter's
    # mandate is removed before its second chunk (GET Energy answers 404 from then on).
    stand_in.sandbox.faults.add("revoke", ean=EAN_GAS, status="Removed", after=4)
    coordinator = await setup_entry(hass, entry)
    assert stand_in.sandbox.stats.faults["revoke"] == 1
    registry = ir.async_get(hass)
    missing = registry.async_get_issue(DOMAIN, f"mandate_missing_{entry_id}_{EAN_GAS}")
    assert missing is not None
    assert missing.is_fixable
    text = await _issue_text(hass, missing, "en")
    assert EAN_GAS in text
    assert "{" not in text

    # The gas meter stopped after its first chunk; the others are complete and exact.
    gas_rows = await read_rows(hass, statistic_id(EAN_GAS, "gas_m3"))
    assert 0 < len(gas_rows) <= 4 * 24
    assert not coordinator.cursors.get(EAN_GAS).backfill_done
    backfilled = await _exact_all(hass, stand_in, coordinator, [EAN_DIGITAL, EAN_AMR_PV])
    for ean in (EAN_DIGITAL, EAN_AMR_PV):
        assert coordinator.cursors.get(ean).backfill_done

    # A day later: polls go on for the two meters with a mandate, not for the removed one.
    advance(freezer, stand_in, DAY)
    stand_in.sandbox.stats.reset()
    await _poll(hass, freezer, stand_in, coordinator)
    polled = await _exact_all(hass, stand_in, coordinator, [EAN_DIGITAL, EAN_AMR_PV])
    assert all(polled[stat_id] > count for stat_id, count in backfilled.items())
    asked = {record.path for record in stand_in.sandbox.stats.history}
    assert not any(EAN_GAS in path for path in asked)
    assert await read_rows(hass, statistic_id(EAN_GAS, "gas_m3")) == gas_rows
    assert registry.async_get_issue(DOMAIN, f"mandate_missing_{entry_id}_{EAN_GAS}")

    # The grid user ends the AMR meter's mandate (Finished: its data period ends now).
    ended = stand_in.sandbox.now()
    assert stand_in.sandbox.revoke_mandate(EAN_AMR_PV, status="Finished") == 1
    advance(freezer, stand_in, DAY)
    await _poll(hass, freezer, stand_in, coordinator)
    issue = registry.async_get_issue(DOMAIN, f"mandate_missing_{entry_id}_{EAN_AMR_PV}")
    assert issue is not None, "a meter whose mandate ended needs a repair issue"
    # Nothing was measured after the end, so nothing is removed and no "moved" issue appears.
    assert registry.async_get_issue(DOMAIN, f"data_period_moved_{entry_id}_{EAN_AMR_PV}") is None

    # Late values from before the end still come in; nothing after it. The digital meter keeps
    # importing exactly.
    for _ in range(3):
        advance(freezer, stand_in, DAY)
        await _poll(hass, freezer, stand_in, coordinator)
    final = await _exact_all(hass, stand_in, coordinator, [EAN_DIGITAL, EAN_AMR_PV])
    for stat_id, count in final.items():
        if stat_id.startswith(f"{DOMAIN}:{EAN_DIGITAL}_"):
            assert count > polled[stat_id], stat_id
        else:
            assert count >= polled[stat_id], stat_id
    amr_rows = await read_rows(hass, statistic_id(EAN_AMR_PV, "offtake"))
    assert amr_rows[-1][0] < ended
    # The issue stays while the mandate stays ended; once every late value can have come in,
    # the polls leave that meter alone.
    assert registry.async_get_issue(DOMAIN, f"mandate_missing_{entry_id}_{EAN_AMR_PV}")
    advance(freezer, stand_in, DAY)
    stand_in.sandbox.stats.reset()
    await _poll(hass, freezer, stand_in, coordinator)
    asked = {record.path for record in stand_in.sandbox.stats.history}
    assert not any(EAN_AMR_PV in path for path in asked)
    assert any(EAN_DIGITAL in path for path in asked)
