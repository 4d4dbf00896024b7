"""The submeters' reactive energy (kVArh): an option, off for new entries.

An AMR main meter's reactive energy is billed when it exceeds the allowed share of the active
energy, so it is always imported. Its submeters' (PV production, auxiliary) is not billed: an
installation with both writes 9 hourly series, 6 of them reactive, and the 4 of the submeters
only when the entry's ``submeter_reactive`` option is on. Entries from before the option keep
importing them (the option's absence means on; ``async_migrate_entry`` writes it).

Turning the option on re-imports the history of the meters with submeters (the statistics
import is idempotent: only the new series are written); turning it off keeps the statistics
already written, which then stop growing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from .api.models import Register
from .const import CONF_SUBMETER_REACTIVE, CONF_SUBMETER_REACTIVE_PENDING, LOGGER
from .cursors import CursorStore

if TYPE_CHECKING:
    from .series import SeriesRows

REACTIVE_SUFFIXES: Final = (f"_{Register.INDUCTIVE}", f"_{Register.CAPACITIVE}")


def submeter_reactive(options: Mapping[str, Any]) -> bool:
    """Whether the submeters' reactive energy is imported (entries from before: yes)."""
    return bool(options.get(CONF_SUBMETER_REACTIVE, True))


def is_reactive(series: str) -> bool:
    """A reactive-energy series (``offtake_inductive``, ``injection_capacitive``, ...)."""
    return series.endswith(REACTIVE_SUFFIXES)


def drop_submeter_reactive(rows: SeriesRows, main_ean: str) -> None:
    """Remove the submeters' reactive series from one response's rows (in place)."""
    for key in [key for key in rows if key[0] != main_ean and is_reactive(key[1])]:
        del rows[key]
        rows.partial.pop(key, None)


def turned_on(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Whether an options change turns the import of the submeters' reactive energy on."""
    return submeter_reactive(after) and not submeter_reactive(before)


async def async_reimport_if_turned_on(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """At set-up, after the option was turned on: the meters with submeters import their
    whole backfill window again (a new window up to now), so that the submeters' reactive
    energy has its history. Runs before the coordinator loads the cursors."""
    if not entry.options.get(CONF_SUBMETER_REACTIVE_PENDING):
        return
    store = CursorStore(hass, entry.entry_id)
    cursors = await store.async_load()
    for ean, cursor in cursors.eans.items():
        if not cursor.sub_meters or cursor.backfill_to is None:
            continue
        LOGGER.debug("History of %s imported again for its submeters' reactive energy", ean)
        cursor.forget_window()
    await store.async_save(cursors)
    options = {k: v for k, v in entry.options.items() if k != CONF_SUBMETER_REACTIVE_PENDING}
    hass.config_entries.async_update_entry(entry, options=options)
