"""Schedule: background backfill with readTime, then a daily insertTime poll per EAN.

* First refresh: no network. The cursors come from the Store and the sensor values from the
  recorder; the backfill starts as a background task of the entry.
* Backfill (backfill.py): per EAN, ``periodType=readTime`` over the chosen history, oldest to
  newest, the EANs taking turns; the statistics import of every response is importer.py's.
* From the first refresh on, independently of the backfill, once a day per EAN, at a minute
  drawn from a generator seeded with the entry id (stable across restarts, different across
  installations): ``periodType=insertTime`` for
  [last successful poll - overlap, now). The local days that response touches are fetched again
  with ``readTime`` (an insertTime answer only holds the values that arrived, so an hour could be
  half there; a whole day never is) and imported, which also picks up revisions. While yesterday
  is incomplete a retry follows RETRY_INTERVAL later the same day. The mandates are re-read daily.
  Days the backfill will still bring are left to it. After each daily poll a backfill that is
  neither running nor waiting for its retry is started again (skipped chunks are retried then).
* Our own timer drives the polls, so they run with no entity listening. A poll runs as a task
  the coordinator keeps: an unload (reload, restart) cancels it before its cursors are saved,
  and an unloaded coordinator never schedules again (else the old one kept polling next to the
  new).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
import random
from typing import Any, Final, Protocol, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .api.errors import (
    FluviusAuthError,
    FluviusError,
    FluviusForbiddenError,
    FluviusNoMandateError,
    FluviusSubscriptionKeyError,
)
from .api.models import (
    ComplexEnergyType,
    DataServiceType,
    EnergyData,
    EnergyType,
    Mandate,
    PeriodType,
)
from .backfill import Backfill, update_failed
from .backfill_policy import (
    REFUSALS_BEFORE_SKIP,
)
from .capacity import (
    MonthPeak,
    capacity_average,
    month_peaks,
)
from .capacity_cost import async_setup_capacity_cost
from .const import (
    DOMAIN,
    LOGGER,
    POLL_INTERVAL,
    RETRY_INTERVAL,
    TIMEZONE,
)
from .cursors import Cursors, CursorStore, EanCursor
from .gas_factor import gas_month_span, mark_reread, months_to_reread
from .importer import async_import_response, async_last_day_values, async_purge_after
from .mandates import (
    choose_mandates,
    finished_while_followed,
    meter_data_end,
    note_mandate,
    polled,
    selected_eans,
)
from .ownership import imported_elsewhere
from .repairs import (
    async_set_data_period_moved,
    async_set_mandate_missing,
    async_update_mandate_issues,
)
from .statistics import (
    Prices,
)
from .timeutil import (
    GAS_DAY_START_HOUR,
    day_boundary,
    day_runs,
    days_in,
    days_touched,
    floor_local_midnight,
    local_day,
    month_start,
)

POLL_OVERLAP: Final = timedelta(hours=2)
INSERT_TIME_LOOKBACK: Final = timedelta(days=180)  # insertTime reaches 6 months back (A18)
POLL_WINDOW: Final = (5 * 60, 11 * 60)  # the daily poll falls between 05:00 and 11:00 local
MERGE_GAP_DAYS: Final = 7  # refetch close affected days in one readTime request
COMPLEX_TYPES: Final = (ComplexEnergyType.ACTIVE, ComplexEnergyType.REACTIVE)
# At most this many GET Energy requests of one entry are in flight at once, however many meters
# it follows (the backfill's prefetch and the polls included): Fluvius limits calls per client.
MAX_CONCURRENT_REQUESTS: Final = 2


class EnergyClient(Protocol):
    """What the coordinator needs of ``api.client.FluviusClient``."""

    async def get_energy(
        self,
        ean: str,
        period_type: PeriodType,
        start: datetime,
        end: datetime,
        *,
        granularity: Any = None,
        complex_energy_types: Any = None,
    ) -> EnergyData: ...

    async def get_mandates(self) -> Sequence[Mandate]: ...


@dataclass(slots=True)
class FluviusData:
    """The entry's live objects (``entry.runtime_data``)."""

    client: EnergyClient
    coordinator: FluviusCoordinator
    mandates: dict[str, Mandate]


type FluviusConfigEntry = ConfigEntry[FluviusData]


@dataclass(frozen=True, slots=True, kw_only=True)
class MeterState:
    """What the sensors of one EAN (main meter or submeter) show."""

    ean: str
    main_ean: str | None = None  # set for submeters
    energy_type: str | None = None
    headpoint_type: str | None = None
    meter_id: str | None = None
    sub_type: str | None = None
    series: frozenset[str] = frozenset()
    last_day: dict[str, tuple[date, float]] = field(default_factory=dict)
    month_peak: MonthPeak | None = None
    capacity_average: float | None = None
    last_data: datetime | None = None
    mandate_expiry: datetime | None = None
    hourly_access: bool = True
    history_start: datetime | None = None  # where the imported history starts
    hours_not_fetched: float = 0.0  # history the API no longer reached (3-year limit)


@dataclass(frozen=True, slots=True)
class FluviusState:
    """The coordinator's data: one :class:`MeterState` per EAN, submeters included."""

    meters: dict[str, MeterState]
    backfill_done: bool


class FluviusCoordinator(DataUpdateCoordinator[FluviusState]):
    """Backfill, daily polls, statistics import and the state the sensors show."""

    config_entry: FluviusConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: FluviusConfigEntry,
        client: EnergyClient,
        mandates: dict[str, Mandate],
    ) -> None:
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            # No interval: our own timer (`_schedule_poll`) triggers the refreshes, so that the
            # polls and the statistics import keep running when no entity listens.
            update_interval=None,
        )
        self.client = client
        self.mandates = dict(mandates)
        self.prices = Prices.from_options(entry.options)
        self.cursors = Cursors()
        self._store = CursorStore(hass, entry.entry_id)
        self._lock = asyncio.Lock()
        self._request_slots = asyncio.Semaphore(MAX_CONCURRENT_REQUESTS)
        self.requests_in_flight = 0
        self.max_requests_in_flight = 0  # the most seen at once (diagnostics, tests, benchmark)
        rng = random.Random(entry.entry_id)
        self.poll_minute = rng.randrange(*POLL_WINDOW)  # minute of the local day
        self.next_poll: datetime | None = None
        self._poll_due = False
        self._started = False
        self._unloaded = False
        self._poll_task: asyncio.Task[None] | None = None
        self._unsub_timer: CALLBACK_TYPE | None = None
        self._last_values: dict[str, dict[str, tuple[date, float]]] = {}
        self._requests: deque[dict[str, Any]] = deque(maxlen=40)
        self._rows_written: dict[str, int] = {}
        # Selected meters an older entry imports (EAN -> that entry): fixed at set-up.
        self.imported_elsewhere = imported_elsewhere(hass, entry)
        self.backfill = Backfill(self, entry)
        entry.async_on_unload(self._async_cancel_timers)

    @property
    def backfill_task(self) -> asyncio.Task[None] | None:
        """The backfill's task, if it ever started."""
        return self.backfill.task

    async def async_wait_backfill(self) -> None:
        """Wait for the running backfill (tests, benchmark)."""
        await self.backfill.async_wait()

    # --- the EANs ----------------------------------------------------------------------------

    @property
    def eans(self) -> list[str]:
        """The main EANs this entry follows: the selected ones (an empty selection follows
        none), less those an older entry imports (one importer per EAN)."""
        return [
            ean
            for ean in selected_eans(self.config_entry.options)
            if ean not in self.imported_elsewhere
        ]

    def _hourly_access(self, ean: str) -> bool:
        mandate = self.mandates.get(ean)
        return mandate is None or mandate.data_service_type != DataServiceType.DAILY

    def _day_hour(self, ean: str) -> int:
        """Chunks and refetches follow gas days (06:00 local) for gas, local midnights else."""
        mandate = self.mandates.get(ean)
        energy = self.cursors.get(ean).energy_type or (mandate.energy_type if mandate else None)
        return GAS_DAY_START_HOUR if energy == EnergyType.GAS else 0

    # --- set-up ------------------------------------------------------------------------------

    @override
    async def _async_setup(self) -> None:
        """Load the cursors and the last values (no network)."""
        self.cursors = await self._store.async_load()
        now = dt_util.utcnow()
        for ean in self.eans:
            cursor = self.cursors.get(ean)
            if (mandate := self.mandates.get(ean)) is not None:
                # Before any backfill window: a meter chosen when already ended is history only.
                note_mandate(cursor, mandate, now)
            await self._async_load_last_values(ean, cursor)
        # The capacity tariff may have changed in the options (they reload the entry).
        await async_setup_capacity_cost(
            self.hass,
            self.config_entry.options,
            {ean: self.cursors.get(ean).peaks_written for ean in self.eans},
        )

    @override
    async def _async_update_data(self) -> FluviusState:
        if not self._started:
            # First refresh: start the backfill in the background, never block the set-up,
            # and the daily poll's timer, which never waits for the backfill.
            self._started = True
            self.backfill.start()
            self._schedule_poll(dt_util.utcnow())
            return self._build_state()
        if self._poll_due:
            self._poll_due = False
            await self._async_poll()
        return self._build_state()

    @callback
    def _async_cancel_timers(self) -> None:
        # Unloaded (reload, restart): this coordinator never schedules again. A poll still
        # running is an entry task, cancelled by the unload before its cursors are saved.
        self._unloaded = True
        if self._poll_task is not None and not self._poll_task.done():
            self._poll_task.cancel()
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        self.backfill.unload()

    # --- polls -------------------------------------------------------------------------------

    def _next_daily_time(self, now: datetime) -> datetime:
        local_now = now.astimezone(TIMEZONE)
        hour, minute = divmod(self.poll_minute, 60)
        candidate = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if candidate <= local_now:
            day = local_now.date() + POLL_INTERVAL
            candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=TIMEZONE)
        return candidate.astimezone(UTC)

    @callback
    def _schedule_poll(self, now: datetime, *, retry: bool = False) -> None:
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        if self._unloaded:
            return
        when = self._next_daily_time(now)
        if retry:
            soon = now + RETRY_INTERVAL
            # A retry later the same local day, unless the regular poll comes first.
            if local_day(soon, TIMEZONE) == local_day(now, TIMEZONE):
                when = min(when, soon)
        self.next_poll = when
        self._unsub_timer = async_track_point_in_utc_time(self.hass, self._on_timer, when)

    @callback
    def _on_timer(self, now: datetime) -> None:
        """The poll runs as a task the unload cancels mid-way (its cursors are not saved, so
        the next set-up polls that window again) instead of leaving it running next to the new
        coordinator and rescheduling itself after the unload."""
        self._unsub_timer = None
        self._poll_task = self.hass.async_create_task(
            self._async_timer(now), f"{DOMAIN} poll {self.config_entry.entry_id}", eager_start=True
        )

    async def _async_timer(self, now: datetime) -> None:
        self._poll_due = True
        await self.async_refresh()
        if self._unsub_timer is None:
            self._schedule_poll(dt_util.utcnow(), retry=not self.last_update_success)
        self.backfill.resume()

    async def async_poll_now(self) -> None:
        """Run one poll right away (tests, benchmark, a manual refresh)."""
        self._poll_due = True
        await self.async_refresh()

    async def _async_poll(self) -> None:
        """One insertTime poll per EAN, the mandate re-sync, then schedule the next poll."""
        now = dt_util.utcnow()
        async with self._lock:
            try:
                await self._async_sync_mandates(now)
            except FluviusAuthError as err:
                raise ConfigEntryAuthFailed(str(err)) from err
            except FluviusError as err:
                LOGGER.warning("Could not re-read the mandates: %s", err.message)
            failure: FluviusError | None = None
            for ean in self.eans:
                if not self._pollable(ean, now):
                    continue
                try:
                    await self._async_poll_ean(ean, now)
                except (FluviusNoMandateError, FluviusForbiddenError) as err:
                    if isinstance(err, FluviusSubscriptionKeyError):
                        raise ConfigEntryAuthFailed(str(err)) from err
                    if self._past_end(ean, now):
                        # Expired or ended: Fluvius releases nothing more, as its own issue
                        # (mandate_expired, mandate_missing) already says.
                        LOGGER.debug("No more data for %s after its end: %s", ean, err.message)
                        continue
                    async_set_mandate_missing(self.hass, self.config_entry, ean, True)
                except FluviusAuthError as err:
                    raise ConfigEntryAuthFailed(str(err)) from err
                except FluviusError as err:
                    LOGGER.debug("Poll of %s failed: %s", ean, err.message)
                    failure = failure or err
                else:
                    async_set_mandate_missing(
                        self.hass, self.config_entry, ean, self._mandate_ended(ean)
                    )
            await self._store.async_save(self.cursors)
        incomplete = any(
            self._yesterday_incomplete(ean, now) for ean in self.eans if self._pollable(ean, now)
        )
        self._schedule_poll(now, retry=failure is not None or incomplete)
        if failure is not None:
            raise update_failed(failure) from failure

    def _data_end(self, ean: str, now: datetime) -> datetime | None:
        return meter_data_end(self.mandates.get(ean), self.cursors.get(ean), now)

    def _pollable(self, ean: str, now: datetime) -> bool:
        return polled(self.mandates.get(ean), self.cursors.get(ean), now)

    def _past_end(self, ean: str, now: datetime) -> bool:
        end = self._data_end(ean, now)
        return end is not None and end <= now

    def _mandate_ended(self, ean: str) -> bool:
        """Whether the meter's mandate ended (Finished) while we were following it."""
        mandate = self.mandates.get(ean)
        return mandate is not None and finished_while_followed(mandate, self.cursors.get(ean))

    def _yesterday_incomplete(self, ean: str, now: datetime) -> bool:
        cursor = self.cursors.get(ean)
        end = self._data_end(ean, now)
        if end is not None and end <= now:
            return False
        today = floor_local_midnight(now, self._day_hour(ean))
        return cursor.last_data is None or cursor.last_data < today

    async def _async_poll_ean(self, ean: str, now: datetime) -> None:
        cursor = self.cursors.get(ean)
        start = (cursor.last_insert_poll or now - POLL_INTERVAL) - POLL_OVERLAP
        start = max(start, now - INSERT_TIME_LOOKBACK)
        end = now.replace(second=0, microsecond=0)
        if end <= start:
            return
        hour = self._day_hour(ean)
        try:
            inserted = await self._async_request(ean, PeriodType.INSERT_TIME, start, end, "poll")
        except FluviusError as err:
            # An insertTime answer refused again and again never stops the polls: its window's
            # days are read by measurement time instead (each of those requests can be skipped
            # on its own); revisions of older days it held come with a later answer, if any.
            if not self.backfill.refused_enough(ean, start, err):
                raise
            self.backfill.refusals.clear(ean, start)
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
            self.backfill.refusals.clear(ean, start)
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
            mandate = self.mandates.get(ean)
            if mandate is not None and mandate.data_period_from is not None:
                fetch_start = max(fetch_start, mandate.data_period_from)
            # Revisions of days before the chosen history (e.g. a gas month re-sent with its
            # definitive conversion factor) stay out, as the days themselves do.
            if cursor.backfill_from is not None:
                fetch_start = max(fetch_start, cursor.backfill_from)
            # Days the API no longer reaches (3 years back) cannot be refetched.
            fetch_start = max(fetch_start, self.backfill.reach(ean))
            while fetch_start < fetch_end:
                chunk_stop = self.backfill.request_end(ean, fetch_start, fetch_end)
                try:
                    data = await self._async_request(
                        ean, PeriodType.READ_TIME, fetch_start, chunk_stop, "refetch"
                    )
                except FluviusError as err:
                    # Refused again and again: the polls go on without it (backfill_policy).
                    if not self.backfill.refused_enough(ean, fetch_start, err):
                        raise
                    await self.backfill.async_skip_chunk(ean, cursor, fetch_start, chunk_stop, err)
                else:
                    self.backfill.refusals.clear(ean, fetch_start)
                    await self._async_process(ean, data)
                fetch_start = chunk_stop
        await self._async_reread_gas_months(ean, cursor, now, end)
        cursor.last_insert_poll = end
        await self._async_load_last_values(ean, cursor)

    async def _async_reread_gas_months(
        self, ean: str, cursor: EanCursor, now: datetime, end: datetime
    ) -> None:
        """Re-read once, with readTime, each gas month whose kWh are still provisional after
        the definitive factor's delay (gas_factor.py), inside the window and data period."""
        for month in months_to_reread(cursor, now):
            fetch_start, fetch_end = gas_month_span(month)
            mandate = self.mandates.get(ean)
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
                chunk_stop = self.backfill.request_end(ean, fetch_start, fetch_end)
                data = await self._async_request(
                    ean, PeriodType.READ_TIME, fetch_start, chunk_stop, "gas_factor"
                )
                await self._async_process(ean, data)
                fetch_start = chunk_stop
            mark_reread(cursor, month, now)

    def _period_limit(self, ean: str, moment: datetime) -> datetime:
        """``moment``, or the end of the meter's data period if that comes first."""
        cursor = self.cursors.get(ean)
        if cursor.data_period_to is not None:
            return min(moment, cursor.data_period_to)
        return moment

    # --- mandates ----------------------------------------------------------------------------

    async def _async_sync_mandates(self, now: datetime) -> None:
        """Re-read GET Mandate; repairs; purge data after a data period end moved back."""
        raw = list(await self.client.get_mandates())
        mandates = choose_mandates(raw, now)
        self._log_request("mandates", None, None, None, "ok", len(raw))
        self.cursors.last_mandate_sync = now
        returned: list[str] = []
        for ean in self.eans:
            new = mandates.get(ean)
            if new is None:
                async_set_mandate_missing(self.hass, self.config_entry, ean, True)
                self.mandates.pop(ean, None)
                continue
            if ean not in self.mandates:
                returned.append(ean)
            self.mandates[ean] = new
            cursor = self.cursors.get(ean)
            note_mandate(cursor, new, now)
            end = new.data_period_to
            earlier = end is not None and (
                cursor.data_period_to is None or end < cursor.data_period_to
            )
            if earlier and end is not None:
                if cursor.backfill_to is not None and cursor.backfill_to > end:
                    cursor.backfill_to = max(end, cursor.backfill_from or end)
                # Only data measured after the new end must go (fluvius-api.md §6.7). A mandate
                # that finishes now ends its period now: nothing after it was imported, nothing
                # is removed and the user is not told that data was.
                if end < now and cursor.last_data is not None and cursor.last_data > end:
                    await self._async_purge_after(ean, cursor, end)
                    async_set_data_period_moved(
                        self.hass,
                        self.config_entry,
                        ean,
                        end,
                        floor_local_midnight(end, self._day_hour(ean)),
                    )
            cursor.data_period_to = end
            if self._mandate_ended(ean):
                # Finished: no new data comes. The issue stays until a renewed mandate is
                # approved (or the meter is deselected).
                async_set_mandate_missing(self.hass, self.config_entry, ean, True)
        if returned and self.backfill.skipped.intersection(returned):
            # A meter skipped by the backfill (404) has a mandate again: resume its history.
            self.backfill.skipped.difference_update(returned)
            self.backfill.start()
        runtime: FluviusData | None = getattr(self.config_entry, "runtime_data", None)
        if runtime is not None:
            runtime.mandates = self.mandates
        async_update_mandate_issues(self.hass, self.config_entry, raw, now)

    async def _async_purge_after(self, ean: str, cursor: EanCursor, end: datetime) -> None:
        """The spec's deletion obligation: remove what was measured from ``end`` on."""
        cut = floor_local_midnight(end, self._day_hour(ean))
        LOGGER.info("Data period of %s now ends %s: removing its data from %s", ean, end, cut)
        await async_purge_after(self.hass, self.config_entry.options, ean, cursor, end, cut)
        if cut < end:
            # The last day is partly inside the period: fetch that part again.
            data = await self._async_request(ean, PeriodType.READ_TIME, cut, end, "purge")
            await self._async_process(ean, data)
        await self._store.async_save(self.cursors)

    # --- requests and import -----------------------------------------------------------------

    async def _async_request(
        self, ean: str, period_type: PeriodType, start: datetime, end: datetime, kind: str
    ) -> EnergyData:
        try:
            async with self._request_slots:
                self.requests_in_flight += 1
                self.max_requests_in_flight = max(
                    self.max_requests_in_flight, self.requests_in_flight
                )
                try:
                    data = await self.client.get_energy(
                        ean, period_type, start, end, complex_energy_types=COMPLEX_TYPES
                    )
                finally:
                    self.requests_in_flight -= 1
        except FluviusError as err:
            self._log_request(kind, ean, start, end, type(err).__name__, None)
            raise
        count = sum(len(samples) for samples in data.series.values())
        self._log_request(kind, ean, start, end, "ok", count)
        return data

    def _log_request(
        self,
        kind: str,
        ean: str | None,
        start: datetime | None,
        end: datetime | None,
        outcome: str,
        values: int | None,
    ) -> None:
        self._requests.append(
            {
                "at": dt_util.utcnow().isoformat(),
                "kind": kind,
                "ean": ean,
                "from": start.isoformat() if start else None,
                "to": end.isoformat() if end else None,
                "outcome": outcome,
                "values": values,
            }
        )

    async def _async_process(self, ean: str, data: EnergyData) -> None:
        """Import one response (importer.py) and count the rows written."""
        written = await async_import_response(
            self.hass,
            self.config_entry.options,
            self.cursors.get(ean),
            ean,
            data,
            hourly_access=self._hourly_access(ean),
            prices=self.prices,
        )
        for stat_id, count in written.items():
            self._rows_written[stat_id] = self._rows_written.get(stat_id, 0) + count

    # --- state for the sensors ---------------------------------------------------------------

    async def _async_load_last_values(self, ean: str, cursor: EanCursor) -> None:
        """The last complete day of the main series, read back from the recorder."""
        daily = not self._hourly_access(ean)
        self._last_values.update(await async_last_day_values(self.hass, ean, cursor, daily=daily))

    def _build_state(self) -> FluviusState:
        meters: dict[str, MeterState] = {}
        now = dt_util.utcnow()
        current_month = month_start(local_day(now, TIMEZONE))
        for ean in self.eans:
            cursor = self.cursors.get(ean)
            mandate = self.mandates.get(ean)
            energy_type = cursor.energy_type or (
                str(mandate.energy_type) if mandate and mandate.energy_type else None
            )
            months = month_peaks(cursor.peak_days, TIMEZONE)
            latest = months[max(months)] if months else None
            meters[ean] = MeterState(
                ean=ean,
                energy_type=energy_type,
                headpoint_type=cursor.headpoint_type,
                meter_id=cursor.meter_id,
                series=frozenset(cursor.series.get(ean, [])),
                last_day=self._last_values.get(ean, {}),
                month_peak=latest,
                capacity_average=capacity_average(months, current_month) if months else None,
                last_data=cursor.last_data,
                mandate_expiry=mandate.mandate_expiration_date if mandate else None,
                hourly_access=self._hourly_access(ean),
                history_start=cursor.backfill_from,
                hours_not_fetched=cursor.lost_hours,
            )
            for sub_ean, sub in cursor.sub_meters.items():
                meters[sub_ean] = MeterState(
                    ean=sub_ean,
                    main_ean=ean,
                    energy_type=str(EnergyType.ELECTRICITY),
                    headpoint_type=sub.type,
                    sub_type=sub.installation_type,
                    series=frozenset(cursor.series.get(sub_ean, [])),
                    last_day=self._last_values.get(sub_ean, {}),
                    last_data=cursor.last_data,
                    hourly_access=self._hourly_access(ean),
                )
        done = all(self.cursors.get(ean).backfill_done for ean in self.eans)
        return FluviusState(meters=meters, backfill_done=done)

    # --- diagnostics -------------------------------------------------------------------------

    def diagnostics(self) -> dict[str, Any]:
        """Cursors, the last requests and their outcomes, rows written (no secrets)."""

        def _iso(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        return {
            "poll_minute_local": f"{self.poll_minute // 60:02d}:{self.poll_minute % 60:02d}",
            "next_poll": _iso(self.next_poll),
            "backfill_running": self.backfill.running,
            "last_mandate_sync": _iso(self.cursors.last_mandate_sync),
            "cursors": {
                ean: {
                    "backfill_from": _iso(cursor.backfill_from),
                    "backfill_to": _iso(cursor.backfill_to),
                    "backfilled_until": _iso(cursor.backfilled_until),
                    "backfill_done": cursor.backfill_done,
                    "last_insert_poll": _iso(cursor.last_insert_poll),
                    "last_data": _iso(cursor.last_data),
                    "data_period_to": _iso(cursor.data_period_to),
                    "headpoint_type": cursor.headpoint_type,
                    "energy_type": cursor.energy_type,
                    "sub_eans": cursor.sub_eans,
                    "series": cursor.series,
                    "peak_months": len({month_start(d) for d in cursor.peak_days}),
                    "rows_written_total": cursor.rows_written,
                    "missing_values_total": cursor.missing_values,
                    "lost": [[_iso(start), _iso(end)] for start, end in cursor.lost],
                    "lost_hours": cursor.lost_hours,
                    "skipped": [[_iso(start), _iso(end)] for start, end in cursor.skipped],
                    "ended_seen": _iso(cursor.ended_seen),
                    "gas_months_provisional": sorted(m.isoformat() for m in cursor.gas_provisional),
                    "gas_months_reread": sorted(m.isoformat() for m in cursor.gas_reread),
                }
                for ean, cursor in self.cursors.eans.items()
            },
            "imported_by_another_entry": sorted(self.imported_elsewhere),
            "requests": list(self._requests),
            "rows_written_since_start": dict(sorted(self._rows_written.items())),
        }


__all__ = [
    "EnergyClient",
    "FluviusConfigEntry",
    "FluviusCoordinator",
    "FluviusData",
    "FluviusState",
    "MeterState",
]
