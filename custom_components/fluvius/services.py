"""The integration's actions: import a period of history again, clear a meter's statistics.

* ``fluvius.import_history`` fetches ``[start, end)`` (local days; gas days for gas) again with
  ``readTime`` and imports it through the coordinator's normal path, chunk by chunk under its
  import lock: the import is idempotent and revision-safe, so the rows of that window end equal
  to what Fluvius sends now and every later sum follows. The window is clamped to the API's
  3-year reach, the meter's history (its backfill window and data period) and now.
* ``fluvius.clear_statistics`` removes a meter's statistics (submeters included) and its cursor,
  then sets the entry up again, so a fresh backfill imports its history from scratch.

Both act on the meters an entry imports: a meter another entry imports (ownership.py) is
refused, and its statistics are never touched. Registered once for the domain (``async_setup``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, service
from homeassistant.util import dt as dt_util

from .api.errors import FluviusAuthError, FluviusError, FluviusSubscriptionKeyError
from .api.models import PeriodType
from .const import DOMAIN, LOGGER, TIMEZONE
from .cursors import CursorStore
from .helpers import error_key
from .mandates import selected_eans
from .ownership import imported_elsewhere
from .repairs import async_set_periods_skipped
from .statistics import async_clear_statistics_for
from .timeutil import day_boundary

if TYPE_CHECKING:
    # Newer Home Assistant releases validate with probatio and alias ``voluptuous`` to it;
    # 2026.5 (hacs.json's minimum) still uses voluptuous itself. Same API.
    import probatio as vol

    from .coordinator import FluviusConfigEntry, FluviusCoordinator
else:
    import voluptuous as vol

SERVICE_IMPORT_HISTORY: Final = "import_history"
SERVICE_CLEAR_STATISTICS: Final = "clear_statistics"
ATTR_EAN: Final = "ean"
ATTR_START: Final = "start"
ATTR_END: Final = "end"

_METER_FIELDS: Final = {
    vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
    vol.Optional(ATTR_EAN): vol.All(cv.string, str.strip),
}
IMPORT_HISTORY_SCHEMA: Final = vol.Schema(
    {**_METER_FIELDS, vol.Required(ATTR_START): cv.date, vol.Required(ATTR_END): cv.date}
)
CLEAR_STATISTICS_SCHEMA: Final = vol.Schema(_METER_FIELDS)


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


@dataclass(frozen=True, slots=True)
class Target:
    """The meters of one loaded entry an action works on."""

    entry: FluviusConfigEntry
    eans: list[str]

    @property
    def coordinator(self) -> FluviusCoordinator:
        return self.entry.runtime_data.coordinator


def _loaded_entry(hass: HomeAssistant, entry_id: str) -> FluviusConfigEntry:
    entry: FluviusConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise _invalid("action_entry_not_found", entry_id=entry_id)
    if entry.state is not ConfigEntryState.LOADED:
        raise _invalid("action_entry_not_loaded", title=entry.title)
    return entry


def _check_meter(entry: FluviusConfigEntry, ean: str) -> None:
    """``ean`` is imported by ``entry``; a meter an older entry imports is refused."""
    other = entry.runtime_data.coordinator.imported_elsewhere.get(ean)
    if other is not None:
        raise _invalid("action_meter_imported_elsewhere", ean=ean, other=other.title)
    if ean not in entry.runtime_data.coordinator.eans:
        raise _invalid("action_meter_not_found", ean=ean)


@callback
def _targets(hass: HomeAssistant, call: ServiceCall) -> list[Target]:
    """The entries and meters the call names: an entry (all its meters, or one), a meter (the
    loaded entry importing it), or every meter of every loaded entry."""
    ean: str | None = call.data.get(ATTR_EAN) or None
    if (entry_id := call.data.get(ATTR_CONFIG_ENTRY_ID)) is not None:
        entry = _loaded_entry(hass, entry_id)
        if ean is None:
            if not (eans := list(entry.runtime_data.coordinator.eans)):
                raise _invalid("action_no_meter")
            return [Target(entry, eans)]
        _check_meter(entry, ean)
        return [Target(entry, [ean])]
    loaded: list[FluviusConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    if ean is None:
        targets = [Target(e, list(e.runtime_data.coordinator.eans)) for e in loaded]
        targets = [target for target in targets if target.eans]
        if not targets:
            raise _invalid("action_no_meter")
        return targets
    for entry in loaded:
        if ean in entry.runtime_data.coordinator.eans:
            return [Target(entry, [ean])]
    for entry in loaded:
        if ean in entry.runtime_data.coordinator.imported_elsewhere:
            _check_meter(entry, ean)
    raise _invalid("action_meter_not_found", ean=ean)


# --- import_history ----------------------------------------------------------------------------


def _window(
    coordinator: FluviusCoordinator, ean: str, first: date, last: date, now: datetime
) -> tuple[datetime, datetime]:
    """``[first, last)`` in local (gas) days of ``ean``, clamped to what may be fetched now:
    the API's reach, the meter's history (backfill window, data period) and now. Empty (end <=
    start) when nothing of it may."""
    hour = coordinator.day_hour(ean)
    start = max(day_boundary(first, hour), coordinator.backfill.reach(ean))
    end = min(day_boundary(last, hour), now.replace(second=0, microsecond=0))
    cursor = coordinator.cursors.get(ean)
    if cursor.backfill_from is None:  # the history has not started: nothing to rewrite
        return start, start
    start = max(start, cursor.backfill_from)
    mandate = coordinator.mandates.get(ean)
    if mandate is not None and mandate.data_period_from is not None:
        start = max(start, mandate.data_period_from)
    if (data_end := coordinator.data_end(ean, now)) is not None:
        end = min(end, data_end)
    return start, end


def _failed(target: Target, err: FluviusError) -> HomeAssistantError:
    """The translated reason (one mapping with setup and the coordinator)."""
    if isinstance(err, FluviusAuthError | FluviusSubscriptionKeyError):
        target.entry.async_start_reauth(target.coordinator.hass)
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=error_key(err),
        translation_placeholders={"error": err.message},
    )


async def _async_import_window(target: Target, ean: str, start: datetime, end: datetime) -> None:
    """Fetch ``[start, end)`` of ``ean`` again in chunks and import each like the backfill."""
    coordinator = target.coordinator
    while start < end:
        stop = coordinator.backfill.request_end(ean, start, end)
        async with coordinator.lock:
            try:
                data = await coordinator.requests.async_get(
                    ean, PeriodType.READ_TIME, start, stop, "action"
                )
            except FluviusError as err:
                raise _failed(target, err) from err
            await coordinator.async_process(ean, data)
        start = stop


async def _async_import_history(hass: HomeAssistant, call: ServiceCall) -> None:
    first: date = call.data[ATTR_START]
    last: date = call.data[ATTR_END]
    if last <= first:
        raise _invalid("action_end_before_start", start=str(first), end=str(last))
    now = dt_util.utcnow()
    if day_boundary(first) >= now:
        raise _invalid("action_range_in_future", start=str(first))
    targets = _targets(hass, call)
    windows = [
        (target, ean, *_window(target.coordinator, ean, first, last, now))
        for target in targets
        for ean in target.eans
    ]
    windows = [(target, ean, start, end) for target, ean, start, end in windows if start < end]
    if not windows:
        reach = min(t.coordinator.backfill.reach(e) for t in targets for e in t.eans)
        raise _invalid(
            "action_range_out_of_reach",
            start=str(first),
            end=str(last),
            reach=str(reach.astimezone(TIMEZONE).date()),
        )
    for target, ean, start, end in windows:
        coordinator = target.coordinator
        LOGGER.debug("Importing %s to %s of %s again", start, end, ean)
        try:
            await _async_import_window(target, ean, start, end)
        finally:
            # What was imported stays imported: keep the cursor and the sensors in step.
            await coordinator.store.async_save(coordinator.cursors)
            await coordinator.async_load_last_values(ean, coordinator.cursors.get(ean))
            coordinator.async_set_updated_data(coordinator.build_state())


# --- clear_statistics ------------------------------------------------------------------------


def _imported_by_others(hass: HomeAssistant, entry_id: str) -> set[str]:
    """The meters the other entries import (their selection less what an older one takes)."""
    eans: set[str] = set()
    for other in hass.config_entries.async_entries(DOMAIN, include_ignore=False):
        if other.entry_id != entry_id:
            eans.update(set(selected_eans(other.options)) - set(imported_elsewhere(hass, other)))
    return eans


async def _async_clear_entry_meters(hass: HomeAssistant, target: Target) -> None:
    """Stop the entry, remove the meters' statistics and cursors, set the entry up again."""
    entry = target.entry
    if not await hass.config_entries.async_unload(entry.entry_id):
        raise _invalid("action_entry_not_loaded", title=entry.title)
    # Unloaded: no backfill or poll writes any more, so the Store holds the last word.
    store = CursorStore(hass, entry.entry_id)
    cursors = await store.async_load()
    others = _imported_by_others(hass, entry.entry_id)
    eans: set[str] = set()
    for ean in target.eans:
        eans.add(ean)
        if (cursor := cursors.eans.pop(ean, None)) is not None:
            eans.update(cursor.sub_eans)
        async_set_periods_skipped(hass, entry, ean, [])
    cleared = await async_clear_statistics_for(hass, eans - others)
    LOGGER.debug("Cleared %d statistics of %s", len(cleared), sorted(eans - others))
    await store.async_save(cursors)
    await hass.config_entries.async_setup(entry.entry_id)


async def _async_clear_statistics(hass: HomeAssistant, call: ServiceCall) -> None:
    for target in _targets(hass, call):
        await _async_clear_entry_meters(hass, target)


# --- registration ----------------------------------------------------------------------------


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions once for the domain (from ``async_setup``)."""

    async def import_history(call: ServiceCall) -> None:
        await _async_import_history(hass, call)

    async def clear_statistics(call: ServiceCall) -> None:
        await _async_clear_statistics(hass, call)

    service.async_register_admin_service(
        hass, DOMAIN, SERVICE_IMPORT_HISTORY, import_history, IMPORT_HISTORY_SCHEMA
    )
    service.async_register_admin_service(
        hass, DOMAIN, SERVICE_CLEAR_STATISTICS, clear_statistics, CLEAR_STATISTICS_SCHEMA
    )


__all__ = ["SERVICE_CLEAR_STATISTICS", "SERVICE_IMPORT_HISTORY", "async_setup_services"]
