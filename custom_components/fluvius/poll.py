"""The daily poll of one meter: what Fluvius added or corrected since the last poll.

``periodType=insertTime`` for [last successful poll - overlap, now). The local days (gas days
for gas) that answer touches are fetched again with ``readTime`` (an insertTime answer only
holds the values that arrived, so an hour could be half there; a whole day never is) and
imported, which also picks up revisions. Days the backfill still brings are left to it; days
the API no longer reaches (3 years back) are not asked for. A refetch refused again and again
is skipped like a backfill chunk; an insertTime answer refused again and again makes the poll
read its window's days by readTime instead. Gas months still provisional after the definitive
factor's delay are read again once (gas_factor.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from .api.errors import (
    FluviusAuthError,
    FluviusError,
    FluviusForbiddenError,
    FluviusNoMandateError,
    FluviusSubscriptionKeyError,
)
from .api.models import PeriodType
from .backfill_policy import REFUSALS_BEFORE_SKIP
from .const import LOGGER, POLL_INTERVAL
from .cursors import EanCursor
from .gas_factor import gas_month_span, mark_reread, months_to_reread
from .helpers import auth_failed
from .mandates import polled
from .repairs import async_set_mandate_missing
from .timeutil import day_boundary, day_runs, days_in, days_touched, floor_local_midnight

if TYPE_CHECKING:
    from .coordinator import FluviusCoordinator

POLL_OVERLAP: Final = timedelta(hours=2)
INSERT_TIME_LOOKBACK: Final = timedelta(days=180)  # insertTime reaches 6 months back (A18)
MERGE_GAP_DAYS: Final = 7  # refetch close affected days in one readTime request


class MeterPoll:
    """The insertTime poll of each meter of one coordinator, and the refetches it leads to."""

    def __init__(self, coordinator: FluviusCoordinator) -> None:
        self._c = coordinator

    def _pollable(self, ean: str, now: datetime) -> bool:
        return polled(self._c.mandates.get(ean), self._c.cursors.get(ean), now)

    def _past_end(self, ean: str, now: datetime) -> bool:
        end = self._c.data_end(ean, now)
        return end is not None and end <= now

    async def async_poll_all(self, now: datetime) -> FluviusError | None:
        """Poll every followed meter that is still polled; the first failure, if any (the
        others go on). Refused credentials stop the poll for reauth."""
        coordinator = self._c
        hass, entry = coordinator.hass, coordinator.config_entry
        failure: FluviusError | None = None
        for ean in coordinator.eans:
            if not self._pollable(ean, now):
                continue
            try:
                await self.async_poll(ean, now)
            except (FluviusNoMandateError, FluviusForbiddenError) as err:
                if isinstance(err, FluviusSubscriptionKeyError):
                    raise auth_failed(err) from err
                if self._past_end(ean, now):
                    # Expired or ended: Fluvius releases nothing more, as its own issue
                    # (mandate_expired, mandate_missing) already says.
                    LOGGER.debug("No more data for %s after its end: %s", ean, err.message)
                    continue
                async_set_mandate_missing(hass, entry, ean, True)
            except FluviusAuthError as err:
                raise auth_failed(err) from err
            except FluviusError as err:
                LOGGER.debug("Poll of %s failed: %s", ean, err.message)
                failure = failure or err
            else:
                async_set_mandate_missing(hass, entry, ean, coordinator.mandate_ended(ean))
        return failure

    def any_incomplete(self, now: datetime) -> bool:
        """Whether a polled meter's yesterday is not all there yet (a retry follows)."""
        return any(
            self.yesterday_incomplete(ean, now)
            for ean in self._c.eans
            if self._pollable(ean, now)
        )

    def yesterday_incomplete(self, ean: str, now: datetime) -> bool:
        """Whether yesterday (and what came before) is not all there yet."""
        end = self._c.data_end(ean, now)
        if end is not None and end <= now:
            return False
        cursor = self._c.cursors.get(ean)
        today = floor_local_midnight(now, self._c.day_hour(ean))
        return cursor.last_data is None or cursor.last_data < today

    def _period_limit(self, ean: str, moment: datetime) -> datetime:
        """``moment``, or the end of the meter's data period if that comes first."""
        cursor = self._c.cursors.get(ean)
        if cursor.data_period_to is not None:
            return min(moment, cursor.data_period_to)
        return moment

    async def async_poll(self, ean: str, now: datetime) -> None:
        """Poll one meter; its cursor moves only when everything it found is imported."""
        coordinator, backfill = self._c, self._c.backfill
        cursor = coordinator.cursors.get(ean)
        start = (cursor.last_insert_poll or now - POLL_INTERVAL) - POLL_OVERLAP
        start = max(start, now - INSERT_TIME_LOOKBACK)
        end = now.replace(second=0, microsecond=0)
        if end <= start:
            return
        hour = coordinator.day_hour(ean)
        try:
            inserted = await coordinator.requests.async_get(
                ean, PeriodType.INSERT_TIME, start, end, "poll"
            )
        except FluviusError as err:
            # An insertTime answer refused again and again never stops the polls: its window's
            # days are read by measurement time instead (each of those requests can be skipped
            # on its own); revisions of older days it held come with a later answer, if any.
            if not backfill.refused_enough(ean, start, err):
                raise
            backfill.refusals.clear(ean, start)
            LOGGER.warning(
                "The insertTime answer of %s from %s was refused %d times (%s); reading those "
                "days by measurement time instead",
                ean,
                start,
                REFUSALS_BEFORE_SKIP,
                err.message,
            )
            affected = days_in(start, self._period_limit(ean, min(end, now)), hour)
        else:
            backfill.refusals.clear(ean, start)
            affected = days_touched(inserted, self._period_limit(ean, now), hour)
        days = {
            day
            for day in affected
            if not cursor.backfill_brings(
                day_boundary(day, hour), day_boundary(day + timedelta(days=1), hour)
            )
        }
        for first, last in day_runs(days, MERGE_GAP_DAYS):
            fetch_start = day_boundary(first, hour)
            fetch_end = min(day_boundary(last + timedelta(days=1), hour), end)
            mandate = coordinator.mandates.get(ean)
            if mandate is not None and mandate.data_period_from is not None:
                fetch_start = max(fetch_start, mandate.data_period_from)
            # Revisions of days before the chosen history (e.g. a gas month re-sent with its
            # definitive conversion factor) stay out, as the days themselves do.
            if cursor.backfill_from is not None:
                fetch_start = max(fetch_start, cursor.backfill_from)
            # Days the API no longer reaches (3 years back) cannot be refetched.
            fetch_start = max(fetch_start, backfill.reach(ean))
            while fetch_start < fetch_end:
                chunk_stop = backfill.request_end(ean, fetch_start, fetch_end)
                try:
                    data = await coordinator.requests.async_get(
                        ean, PeriodType.READ_TIME, fetch_start, chunk_stop, "refetch"
                    )
                except FluviusError as err:
                    # Refused again and again: the polls go on without it (backfill_policy).
                    if not backfill.refused_enough(ean, fetch_start, err):
                        raise
                    await backfill.async_skip_chunk(ean, cursor, fetch_start, chunk_stop, err)
                else:
                    backfill.refusals.clear(ean, fetch_start)
                    await coordinator.async_process(ean, data)
                fetch_start = chunk_stop
        await self._async_reread_gas_months(ean, cursor, now, end)
        cursor.last_insert_poll = end
        await coordinator.async_load_last_values(ean, cursor)

    async def _async_reread_gas_months(
        self, ean: str, cursor: EanCursor, now: datetime, end: datetime
    ) -> None:
        """Re-read once, with readTime, each gas month whose kWh are still provisional after
        the definitive factor's delay (gas_factor.py), inside the window and data period."""
        coordinator = self._c
        for month in months_to_reread(cursor, now):
            fetch_start, fetch_end = gas_month_span(month)
            mandate = coordinator.mandates.get(ean)
            for first in (
                cursor.backfill_from,
                mandate.data_period_from if mandate is not None else None,
            ):
                if first is not None:
                    fetch_start = max(fetch_start, first)
            for last in (cursor.data_period_to, end):
                if last is not None:
                    fetch_end = min(fetch_end, last)
            LOGGER.debug("Gas kWh of %s in %s still provisional: reading it again", ean, month)
            while fetch_start < fetch_end:
                chunk_stop = coordinator.backfill.request_end(ean, fetch_start, fetch_end)
                data = await coordinator.requests.async_get(
                    ean, PeriodType.READ_TIME, fetch_start, chunk_stop, "gas_factor"
                )
                await coordinator.async_process(ean, data)
                fetch_start = chunk_stop
            mark_reread(cursor, month, now)
