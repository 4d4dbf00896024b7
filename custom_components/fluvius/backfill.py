"""The backfill: every followed meter's history, imported chunk by chunk in the background.

Per EAN, ``periodType=readTime`` from max(now - backfill_days, dataPeriodFrom) up to the moment
it started (never past dataPeriodTo or the mandate's expiry), newest to oldest, one ≤185-day
chunk per request aligned on local midnights (gas days for gas). The EANs take turns, one chunk
each, and every meter's first chunk is its last FIRST_CHUNK_DAYS days: yesterday is on the
Energy dashboard for all meters after one small request each, and older history is put in
front of it, chunk by chunk (statistics.py ends each older chunk at the sum the stored rows
start from, so nothing stored moves and sums are continuous and exact at every moment). A
chunk's statistics are committed before it leaves the cursor's pending spans, and the cursor is
saved before the next request, so a restart resumes exactly, in the same order, and a failure
skips nothing. The next chunk in turn is asked for while the recorder writes the current one.

Liveness (backfill_policy.py): the backoff is capped and resets after every chunk; a chunk never
starts before the API's 3-year reach at the time of the request (what could no longer be
fetched is recorded in the cursor as lost); a chunk refused as invalid 3 times is skipped,
recorded, shown as a repair issue and tried again every day. Failures are reported through the
coordinator (reauth, the update's log and availability rules); after an unload the backfill
never starts again.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util

from .api.errors import (
    FluviusAuthError,
    FluviusError,
    FluviusForbiddenError,
    FluviusNoMandateError,
    FluviusRateLimitError,
    FluviusSubscriptionKeyError,
)
from .api.models import EnergyData, PeriodType
from .backfill_policy import (
    REFUSALS_BEFORE_SKIP,
    Refusals,
    backoff_delay,
    is_refusal,
    read_time_reach,
)
from .const import (
    CONF_BACKFILL_DAYS,
    DEFAULT_BACKFILL_DAYS,
    DOMAIN,
    LOGGER,
    MAX_BACKFILL_DAYS,
)
from .cursors import EanCursor
from .helpers import auth_failed, error_key
from .repairs import async_set_mandate_missing, async_set_periods_skipped
from .timeutil import MAX_CHUNK_DAYS, ceil_local_midnight, chunk_end, chunk_start

if TYPE_CHECKING:
    from .coordinator import FluviusConfigEntry, FluviusCoordinator

CHUNK_DAYS = MAX_CHUNK_DAYS  # local days per request at most (tests use fewer)
# A response is decoded in a worker thread, but its JSON decoding is one C call that holds the
# GIL all along: ~90-120 ms for a 185-day chunk of an AMR meter with submeters (10 MB, 106,500
# values), which would stall the event loop as long. So a chunk holds about this many values
# at most: a meter's first chunk spans FIRST_CHUNK_DAYS (the days the Energy dashboard shows
# first), later ones as many days as the values per day measured so far allow (185 for a
# digital offtake meter, ~43 for the AMR meter above).
SAMPLE_BUDGET: Final = 25_000
FIRST_CHUNK_DAYS: Final = 31


def update_failed(err: FluviusError) -> UpdateFailed:
    """The translated reason of a failed update (one mapping with setup: helpers.error_key)."""
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key=error_key(err),
        translation_placeholders={"error": err.message},
    )


class Backfill:
    """The history import of one entry: its window, chunks, turn order, retries and task."""

    def __init__(self, coordinator: FluviusCoordinator, entry: FluviusConfigEntry) -> None:
        self._c = coordinator
        self.hass: HomeAssistant = coordinator.hass
        self._entry = entry
        self.task: asyncio.Task[None] | None = None
        self._failures = 0  # in a row; reset by every chunk imported or skipped
        self._unavailable = False  # a pause was logged: log once more when a chunk comes in
        self.refusals = Refusals()
        self._retry_skipped = True  # retry the skipped chunks in the next backfill run
        self._unloaded = False
        self._unsub_retry: CALLBACK_TYPE | None = None
        self.skipped: set[str] = set()  # EANs without mandate in this backfill run
        self._chunk_days: dict[str, int] = {}  # learnt days per request (SAMPLE_BUDGET)
        self._prefetch: dict[str, tuple[tuple[datetime, datetime], asyncio.Task[EnergyData]]] = {}

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    @callback
    def unload(self) -> None:
        """Unloaded (reload, restart): never start again, and drop the retry timer."""
        self._unloaded = True
        if self._unsub_retry is not None:
            self._unsub_retry()
            self._unsub_retry = None

    def _backfill_days(self) -> int:
        days = int(self._entry.options.get(CONF_BACKFILL_DAYS, DEFAULT_BACKFILL_DAYS))
        return max(1, min(days, MAX_BACKFILL_DAYS))

    @callback
    def start(self) -> None:
        if self._unsub_retry is not None:
            self._unsub_retry()
            self._unsub_retry = None
        if self._unloaded:
            return
        if self.task is not None and not self.task.done():
            return
        self.task = self._entry.async_create_background_task(
            self.hass, self._async_run(), f"{DOMAIN} backfill {self._entry.entry_id}"
        )

    @callback
    def _on_retry(self, _now: datetime) -> None:
        self._unsub_retry = None
        self.start()

    @callback
    def resume(self) -> None:
        """After the daily poll: retry the skipped chunks, and start a backfill that is neither
        running nor waiting for its retry timer (whatever stopped it, it goes on)."""
        self._retry_skipped = True
        pending = any(
            not cursor.backfill_done or cursor.skipped
            for cursor in (
                self._c.cursors.get(ean) for ean in self._c.eans if ean not in self.skipped
            )
        )
        if pending and self._unsub_retry is None:
            self.start()

    def _init_window(self, ean: str, cursor: EanCursor, now: datetime) -> None:
        """Fix the backfill window the first time an EAN is seen; later, a deeper history
        chosen in the options extends it backwards (a shallower one keeps what is stored)."""
        start = ceil_local_midnight(
            now - timedelta(days=self._backfill_days()), self._c.day_hour(ean)
        )
        # Never before the API's reach now (a later request moves on from there and records
        # what was lost; a new window loses nothing).
        start = max(start, self.reach(ean))
        mandate = self._c.mandates.get(ean)
        if mandate is not None and mandate.data_period_from is not None:
            start = max(start, mandate.data_period_from)
        if cursor.backfill_to is not None:
            if cursor.deepen(start):
                LOGGER.debug("History of %s extended back to %s", ean, start)
            return
        end = now.replace(minute=0, second=0, microsecond=0)
        if mandate is not None:
            for limit in (mandate.data_period_to, mandate.mandate_expiration_date):
                if limit is not None:
                    end = min(end, limit)
            cursor.data_period_to = mandate.data_period_to
        cursor.start_window(start, max(end, start))
        # The polls take over from the moment the backfill's window ends.
        cursor.last_insert_poll = cursor.backfill_to

    async def _async_run(self) -> None:
        """Import every EAN's history, newest chunk first, the EANs taking turns."""
        self.skipped = set()
        now = dt_util.utcnow()
        for ean in self._c.eans:
            self._init_window(ean, self._c.cursors.get(ean), now)
        await self._c.store.async_save(self._c.cursors)
        try:
            while True:
                pending = [
                    ean
                    for ean in self._c.eans
                    if not self._c.cursors.get(ean).backfill_done and ean not in self.skipped
                ]
                if not pending:
                    break
                for index, ean in enumerate(pending):
                    async with self._c.lock:
                        await self._async_chunk(ean, pending, index)
            if self._retry_skipped:
                for ean in self._c.eans:
                    if ean not in self.skipped:
                        async with self._c.lock:
                            await self._async_retry_skipped(ean)
                self._retry_skipped = False
        except ConfigEntryAuthFailed:
            LOGGER.warning("Fluvius refused the credentials; the backfill waits for reauth")
            self._entry.async_start_reauth(self.hass)
            return
        except UpdateFailed as err:
            self._failures += 1
            cause = err.__cause__
            retry_after = cause.retry_after if isinstance(cause, FluviusRateLimitError) else None
            delay = backoff_delay(self._failures, retry_after)
            # Log once when the API fails, and once when it answers again (_answered).
            log = LOGGER.debug if self._unavailable else LOGGER.warning
            self._unavailable = True
            log("Backfill paused (%s); resuming in %s", err, delay)
            if not self._unloaded:
                self._unsub_retry = async_call_later(self.hass, delay, self._on_retry)
            return
        finally:
            # Paused, cancelled (unload, shutdown) or done: no request keeps running.
            self._cancel_prefetch()
        self._failures = 0
        self._answered()
        LOGGER.debug("Backfill complete for %s", self._c.eans)
        self._c.async_set_updated_data(self._c.build_state())

    def _answered(self) -> None:
        """A chunk came in, or the run ended: after a logged pause, say once that it goes on."""
        if self._unavailable:
            self._unavailable = False
            LOGGER.info("Backfill resumed: the Fluvius API answers again")

    async def _async_fetch_chunk(self, ean: str, start: datetime, end: datetime) -> EnergyData:
        """The chunk's response: the one prefetched while the previous chunk was written."""
        prefetched = self._prefetch.pop(ean, None)
        if prefetched is not None:
            span, task = prefetched
            if span == (start, end):
                return await task
            task.cancel()
        return await self._c.requests.async_get(ean, PeriodType.READ_TIME, start, end, "backfill")

    def _cancel_prefetch(self) -> None:
        for _, task in self._prefetch.values():
            task.cancel()
        self._prefetch.clear()

    def request_end(self, ean: str, start: datetime, limit: datetime) -> datetime:
        """Where a poll's readTime refetch for ``ean`` starting at ``start`` ends (see
        SAMPLE_BUDGET)."""
        days = self._chunk_days.get(ean)
        if days is None:
            days = FIRST_CHUNK_DAYS if self._c.hourly_access(ean) else CHUNK_DAYS
        return chunk_end(start, limit, self._c.day_hour(ean), days, CHUNK_DAYS)

    def _chunk(
        self, ean: str, pending: list[tuple[datetime, datetime]]
    ) -> tuple[datetime, datetime] | None:
        """The next chunk of ``ean`` (the newest end of what is still ``pending``), within the
        API's reach now."""
        reach = self.reach(ean)
        spans = [(max(first, reach), last) for first, last in pending if last > reach]
        if not spans:
            return None
        first, last = spans[-1]
        days = self._chunk_days.get(ean, FIRST_CHUNK_DAYS)
        return chunk_start(last, first, self._c.day_hour(ean), days, CHUNK_DAYS), last

    def _learn_chunk_days(self, ean: str, start: datetime, end: datetime, values: int) -> None:
        """Size the next chunks of ``ean`` after the values per day of this response."""
        days = max((end - start) / timedelta(days=1), 1.0)
        per_day = max(values / days, 1.0)
        self._chunk_days[ean] = max(1, min(CHUNK_DAYS, int(SAMPLE_BUDGET / per_day)))

    def _next_turn(
        self, pending: list[str], index: int, ean: str, chunk: tuple[datetime, datetime]
    ) -> tuple[str, tuple[datetime, datetime]] | None:
        """The chunk after ``pending[index]``'s current ``chunk`` in turn order: the next
        meter of this round, else the first unfinished meter of the next round."""
        following = pending[index + 1 :] + pending[: index + 1]
        for other in following:
            if other in self.skipped:
                continue
            spans = self._c.cursors.get(other).pending
            if other == ean:
                spans = [
                    (first, min(last, chunk[0])) for first, last in spans if first < chunk[0]
                ]
            if (turn := self._chunk(other, spans)) is not None:
                return other, turn
        return None

    def reach(self, ean: str) -> datetime:
        """The first day start (gas day start for gas) a readTime request may ask for now."""
        return ceil_local_midnight(read_time_reach(dt_util.utcnow()), self._c.day_hour(ean))

    async def _async_chunk(self, ean: str, pending: list[str], index: int) -> None:
        cursor = self._c.cursors.get(ean)
        if cursor.lose_before(self.reach(ean)):
            LOGGER.warning(
                "The Fluvius API no longer reaches the start of the history of %s: it starts "
                "%s (%.0f hours could not be fetched)",
                ean,
                cursor.backfill_from,
                cursor.lost_hours,
            )
            await self._c.store.async_save(self._c.cursors)
        chunk = self._chunk(ean, cursor.pending)
        if chunk is None:
            return
        start, end = chunk
        try:
            data = await self._async_fetch_chunk(ean, start, end)
        except (FluviusNoMandateError, FluviusForbiddenError) as err:
            if isinstance(err, FluviusSubscriptionKeyError):
                raise auth_failed(err) from err
            LOGGER.warning("No access to the data of EAN %s: %s", ean, err.message)
            async_set_mandate_missing(self.hass, self._entry, ean, True)
            self.skipped.add(ean)
            return
        except FluviusAuthError as err:
            raise auth_failed(err) from err
        except FluviusError as err:
            if self.refused_enough(ean, start, err):
                cursor.backfilled(start, end)
                await self.async_skip_chunk(ean, cursor, start, end, err)
                return
            raise update_failed(err) from err
        self.refusals.clear(ean, start)
        self._failures = 0
        self._answered()
        async_set_mandate_missing(self.hass, self._entry, ean, self._c.mandate_ended(ean))
        self._learn_chunk_days(ean, start, end, data.sample_count)
        # Ask for the next chunk in turn while the recorder writes this one (the cursor rules
        # are unchanged: a cursor only moves after its chunk's rows are committed). One chunk
        # ahead, whatever the number of meters: memory and requests in flight stay bounded.
        self._cancel_prefetch()
        turn = self._next_turn(pending, index, ean, chunk)
        if turn is not None:
            other, (next_start, next_end) = turn
            self._prefetch[other] = (
                (next_start, next_end),
                self._entry.async_create_background_task(
                    self.hass,
                    self._c.requests.async_get(
                        other, PeriodType.READ_TIME, next_start, next_end, "backfill"
                    ),
                    f"{DOMAIN} prefetch {other}",
                ),
            )
        await self._c.async_process(ean, data)
        # The rows are committed (async_import_rows waited for the recorder): move the cursor.
        cursor.backfilled(start, end)
        await self._c.store.async_save(self._c.cursors)
        await self._c.async_load_last_values(ean, cursor)
        self._c.async_set_updated_data(self._c.build_state())

    def refused_enough(self, ean: str, start: datetime, err: FluviusError) -> bool:
        """Whether the chunk of ``ean`` at ``start`` is now refused often enough to skip it."""
        return is_refusal(err) and self.refusals.add(ean, start) >= REFUSALS_BEFORE_SKIP

    async def async_skip_chunk(
        self, ean: str, cursor: EanCursor, start: datetime, end: datetime, err: FluviusError
    ) -> None:
        """Go on without a chunk refused again and again; record it, tell the user."""
        LOGGER.warning(
            "Skipping %s to %s of %s after %d refusals (%s); it is tried again every day",
            start,
            end,
            ean,
            REFUSALS_BEFORE_SKIP,
            err.message,
        )
        self.refusals.clear(ean, start)
        self._failures = 0
        self._retry_skipped = False  # it was just asked for 3 times: tomorrow again
        cursor.skip(start, end)
        await self._c.store.async_save(self._c.cursors)
        async_set_periods_skipped(self.hass, self._entry, ean, cursor.skipped)

    async def _async_retry_skipped(self, ean: str) -> None:
        """Ask once more for the chunks of ``ean`` skipped earlier; import those that come."""
        cursor = self._c.cursors.get(ean)
        if not cursor.skipped:
            return
        cursor.drop_unreachable_skips(self.reach(ean))
        for start, end in list(cursor.skipped):
            try:
                data = await self._c.requests.async_get(
                    ean, PeriodType.READ_TIME, start, end, "skipped"
                )
            except FluviusAuthError as err:
                raise auth_failed(err) from err
            except FluviusError as err:
                if not is_refusal(err):
                    raise update_failed(err) from err
                LOGGER.debug("Skipped period %s to %s of %s still refused", start, end, ean)
                continue
            await self._c.async_process(ean, data)
            cursor.unskip(start, end)
            await self._c.store.async_save(self._c.cursors)
            LOGGER.info("Skipped period %s to %s of %s imported", start, end, ean)
        await self._c.store.async_save(self._c.cursors)
        async_set_periods_skipped(self.hass, self._entry, ean, cursor.skipped)
