"""The daily re-read of GET Mandate: which mandate each meter has now, and what follows.

A meter whose mandate is gone gets the mandate-missing repair issue; one that comes back
resumes its history. When Fluvius moves a data period end back into the past, what was
measured after it is removed (the spec's deletion obligation, fluvius-api.md §6.7), the part
of the last day still inside the period is fetched again, and the user is told.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from .api.errors import FluviusAuthError, FluviusError
from .api.models import PeriodType
from .const import LOGGER
from .cursors import EanCursor
from .helpers import auth_failed
from .importer import async_purge_after
from .mandates import choose_mandates, note_mandate
from .repairs import (
    async_set_data_period_moved,
    async_set_mandate_missing,
    async_update_mandate_issues,
)
from .timeutil import floor_local_midnight

if TYPE_CHECKING:
    from .coordinator import FluviusCoordinator, FluviusData


class MandateSync:
    """The daily re-read of one coordinator's mandates; a failure is logged once (warning)
    until GET Mandate answers again (info), and never stops the poll."""

    def __init__(self, coordinator: FluviusCoordinator) -> None:
        self._c = coordinator
        self._unreadable = False

    async def async_run(self, now: datetime) -> None:
        try:
            await async_sync_mandates(self._c, now)
        except FluviusAuthError as err:
            raise auth_failed(err) from err
        except FluviusError as err:
            log = LOGGER.debug if self._unreadable else LOGGER.warning
            self._unreadable = True
            log("Could not re-read the mandates: %s", err.message)
        else:
            if self._unreadable:
                LOGGER.info("The mandates could be read again")
            self._unreadable = False


async def async_sync_mandates(coordinator: FluviusCoordinator, now: datetime) -> None:
    """Re-read GET Mandate; repairs; purge data after a data period end moved back."""
    hass, entry = coordinator.hass, coordinator.config_entry
    raw = list(await coordinator.client.get_mandates())
    mandates = choose_mandates(raw, now)
    coordinator.requests.log("mandates", None, None, None, "ok", len(raw))
    coordinator.cursors.last_mandate_sync = now
    returned: list[str] = []
    for ean in coordinator.eans:
        new = mandates.get(ean)
        if new is None:
            async_set_mandate_missing(hass, entry, ean, True)
            coordinator.mandates.pop(ean, None)
            continue
        if ean not in coordinator.mandates:
            returned.append(ean)
        coordinator.mandates[ean] = new
        cursor = coordinator.cursors.get(ean)
        note_mandate(cursor, new, now)
        end = new.data_period_to
        earlier = end is not None and (cursor.data_period_to is None or end < cursor.data_period_to)
        if earlier and end is not None:
            cursor.end_at(end)
            # Only data measured after the new end must go (fluvius-api.md §6.7). A mandate
            # that finishes now ends its period now: nothing after it was imported, nothing
            # is removed and the user is not told that data was.
            if end < now and cursor.last_data is not None and cursor.last_data > end:
                cut = floor_local_midnight(end, coordinator.day_hour(ean))
                await _async_purge_after(coordinator, ean, cursor, end, cut)
                async_set_data_period_moved(hass, entry, ean, end, cut)
        cursor.data_period_to = end
        if coordinator.mandate_ended(ean):
            # Finished: no new data comes. The issue stays until a renewed mandate is
            # approved (or the meter is deselected).
            async_set_mandate_missing(hass, entry, ean, True)
    backfill = coordinator.backfill
    if returned and backfill.skipped.intersection(returned):
        # A meter skipped by the backfill (404) has a mandate again: resume its history.
        backfill.skipped.difference_update(returned)
        backfill.start()
    runtime: FluviusData | None = getattr(entry, "runtime_data", None)
    if runtime is not None:
        runtime.mandates = coordinator.mandates
    async_update_mandate_issues(hass, entry, raw, now)


async def _async_purge_after(
    coordinator: FluviusCoordinator, ean: str, cursor: EanCursor, end: datetime, cut: datetime
) -> None:
    """The spec's deletion obligation: remove what was measured from ``end`` on."""
    LOGGER.info("Data period of %s now ends %s: removing its data from %s", ean, end, cut)
    await async_purge_after(
        coordinator.hass, coordinator.config_entry.options, ean, cursor, end, cut
    )
    if cut < end:
        # The last day is partly inside the period: fetch that part again.
        data = await coordinator.requests.async_get(ean, PeriodType.READ_TIME, cut, end, "purge")
        await coordinator.async_process(ean, data)
    await coordinator.store.async_save(coordinator.cursors)
