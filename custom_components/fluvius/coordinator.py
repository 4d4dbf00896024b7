"""The coordinator: the daily timer and poll, the import's shared state, the sensors' state.

* First refresh: no network. The cursors come from the Store and the sensor values from the
  recorder; the backfill (backfill.py) starts as a background task of the entry, and the daily
  poll's timer starts, independently of the backfill.
* Once a day, at a minute drawn from a generator seeded with the entry id (stable across
  restarts, different across installations): the mandates are re-read (mandate_sync.py), then
  each followed meter is polled (poll.py: insertTime, then readTime refetches of the days it
  touches). While yesterday is incomplete a retry follows RETRY_INTERVAL later the same day.
  After each daily poll a backfill that is neither running nor waiting for its retry is started
  again (skipped chunks are retried then).
* Every response is imported by importer.py, one at a time (``lock``); GET Energy requests share
  a few slots (energy_requests.py). The sensors read :class:`~.state.FluviusState`.
* Our own timer drives the polls, so they run with no entity listening. A poll runs as a task
  the coordinator keeps: an unload (reload, restart) cancels it before its cursors are saved,
  and an unloaded coordinator never schedules again (else the old one kept polling next to the
  new).
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime
import random
from typing import Any, Final, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .api.models import DataServiceType, EnergyData, EnergyType, Mandate
from .backfill import Backfill, update_failed
from .capacity_cost import async_setup_capacity_cost
from .const import DOMAIN, LOGGER, POLL_INTERVAL, RETRY_INTERVAL, TIMEZONE
from .cursors import Cursors, CursorStore, EanCursor
from .energy_requests import EnergyClient, EnergyRequests
from .importer import async_import_response, async_last_day_values
from .mandate_sync import MandateSync
from .mandates import finished_while_followed, meter_data_end, note_mandate, selected_eans
from .ownership import imported_elsewhere
from .poll import MeterPoll
from .prices import Prices
from .state import FluviusState, MeterState, cursor_diagnostics, meter_states
from .timeutil import GAS_DAY_START_HOUR, local_day

POLL_WINDOW: Final = (5 * 60, 11 * 60)  # the daily poll falls between 05:00 and 11:00 local


@dataclass(slots=True)
class FluviusData:
    """The entry's live objects (``entry.runtime_data``)."""

    client: EnergyClient
    coordinator: FluviusCoordinator
    mandates: dict[str, Mandate]


type FluviusConfigEntry = ConfigEntry[FluviusData]


class FluviusCoordinator(DataUpdateCoordinator[FluviusState]):
    """The daily timer and poll, the import's shared state, what the sensors show."""

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
        self.store = CursorStore(hass, entry.entry_id)
        self.lock = asyncio.Lock()  # one import at a time: the backfill's chunks, the polls
        self.requests = EnergyRequests(client)
        rng = random.Random(entry.entry_id)
        self.poll_minute = rng.randrange(*POLL_WINDOW)  # minute of the local day
        self.next_poll: datetime | None = None
        self._poll_due = False
        self._started = False
        self._unloaded = False
        self._poll_task: asyncio.Task[None] | None = None
        self._unsub_timer: CALLBACK_TYPE | None = None
        self._last_values: dict[str, dict[str, tuple[date, float]]] = {}
        self._rows_written: dict[str, int] = {}
        # Selected meters an older entry imports (EAN -> that entry): fixed at set-up.
        self.imported_elsewhere = imported_elsewhere(hass, entry)
        self.backfill = Backfill(self, entry)
        self.meter_poll = MeterPoll(self)
        self.mandate_sync = MandateSync(self)
        entry.async_on_unload(self._async_cancel_timers)

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

    def hourly_access(self, ean: str) -> bool:
        mandate = self.mandates.get(ean)
        return mandate is None or mandate.data_service_type != DataServiceType.DAILY

    def day_hour(self, ean: str) -> int:
        """Chunks and refetches follow gas days (06:00 local) for gas, local midnights else."""
        mandate = self.mandates.get(ean)
        energy = self.cursors.get(ean).energy_type or (mandate.energy_type if mandate else None)
        return GAS_DAY_START_HOUR if energy == EnergyType.GAS else 0

    # --- set-up ------------------------------------------------------------------------------

    @override
    async def _async_setup(self) -> None:
        """Load the cursors and the last values (no network)."""
        self.cursors = await self.store.async_load()
        now = dt_util.utcnow()
        for ean in self.eans:
            cursor = self.cursors.get(ean)
            if (mandate := self.mandates.get(ean)) is not None:
                # Before any backfill window: a meter chosen when already ended is history only.
                note_mandate(cursor, mandate, now)
            await self.async_load_last_values(ean, cursor)
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
            return self.build_state()
        if self._poll_due:
            self._poll_due = False
            await self._async_poll()
        return self.build_state()

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

    async def _async_poll(self) -> None:
        """The mandate re-sync, one poll per followed meter, then the next poll's time."""
        now = dt_util.utcnow()
        async with self.lock:
            await self.mandate_sync.async_run(now)
            failure = await self.meter_poll.async_poll_all(now)
            await self.store.async_save(self.cursors)
        incomplete = self.meter_poll.any_incomplete(now)
        self._schedule_poll(now, retry=failure is not None or incomplete)
        if failure is not None:
            raise update_failed(failure) from failure

    def data_end(self, ean: str, now: datetime) -> datetime | None:
        """When the meter's data ends (data period, expiry, first seen ended), if it does."""
        return meter_data_end(self.mandates.get(ean), self.cursors.get(ean), now)

    def mandate_ended(self, ean: str) -> bool:
        """Whether the meter's mandate ended (Finished) while we were following it."""
        mandate = self.mandates.get(ean)
        return mandate is not None and finished_while_followed(mandate, self.cursors.get(ean))

    # --- import ------------------------------------------------------------------------------

    async def async_process(self, ean: str, data: EnergyData) -> None:
        """Import one response (importer.py) and count the rows written."""
        written = await async_import_response(
            self.hass,
            self.config_entry.options,
            self.cursors.get(ean),
            ean,
            data,
            hourly_access=self.hourly_access(ean),
            prices=self.prices,
        )
        for stat_id, count in written.items():
            self._rows_written[stat_id] = self._rows_written.get(stat_id, 0) + count

    # --- state for the sensors ---------------------------------------------------------------

    async def async_load_last_values(self, ean: str, cursor: EanCursor) -> None:
        """The last complete day of the main series, read back from the recorder."""
        daily = not self.hourly_access(ean)
        self._last_values.update(await async_last_day_values(self.hass, ean, cursor, daily=daily))

    def build_state(self) -> FluviusState:
        """The state of every followed meter, submeters included."""
        now = dt_util.utcnow()
        meters: dict[str, MeterState] = {}
        for ean in self.eans:
            meters.update(
                meter_states(
                    ean,
                    self.cursors.get(ean),
                    self.mandates.get(ean),
                    self._last_values,
                    hourly_access=self.hourly_access(ean),
                    now=now,
                )
            )
        done = all(self.cursors.get(ean).backfill_done for ean in self.eans)
        return FluviusState(meters=meters, backfill_done=done)

    # --- diagnostics -------------------------------------------------------------------------

    def diagnostics(self) -> dict[str, Any]:
        """Cursors, the last requests and their outcomes, rows written (no secrets)."""
        return {
            "poll_minute_local": f"{self.poll_minute // 60:02d}:{self.poll_minute % 60:02d}",
            "next_poll": self.next_poll.isoformat() if self.next_poll else None,
            "backfill_running": self.backfill.running,
            "last_mandate_sync": (
                sync.isoformat() if (sync := self.cursors.last_mandate_sync) else None
            ),
            "cursors": {ean: cursor_diagnostics(c) for ean, c in self.cursors.eans.items()},
            "imported_by_another_entry": sorted(self.imported_elsewhere),
            "requests": self.requests.entries(),
            "rows_written_since_start": dict(sorted(self._rows_written.items())),
        }

