"""Fluvius Energy: metering data of the Fluvius API for professional users in Home Assistant."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import dt as dt_util

from .api.errors import FluviusAuthError, FluviusError, FluviusSubscriptionKeyError
from .const import CONF_SUBMETER_REACTIVE, DOMAIN
from .coordinator import FluviusConfigEntry, FluviusCoordinator, FluviusData
from .cursors import async_remove_cursor_store
from .helpers import create_client, error_key
from .mandates import choose_mandates, selected_eans
from .ownership import (
    async_reload_waiting,
    async_update_ownership_issues,
    imported_elsewhere,
    selected_elsewhere,
)
from .repairs import async_delete_entry_issues, async_update_mandate_issues
from .services import async_setup_services
from .statistics import async_clear_entry_statistics
from .submeter_reactive import async_reimport_if_turned_on

PLATFORMS: list[Platform] = [Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions once for the domain, whatever the number of entries."""
    async_setup_services(hass)
    return True


def _not_ready(err: FluviusError) -> ConfigEntryNotReady:
    """A transient failure of the validation call: Home Assistant retries the setup."""
    return ConfigEntryNotReady(
        translation_domain=DOMAIN,
        translation_key=error_key(err),
        translation_placeholders={"error": err.message},
    )


async def async_setup_entry(hass: HomeAssistant, entry: FluviusConfigEntry) -> bool:
    """Check the credentials with one GET Mandate, then start the coordinator and the sensors."""
    client = create_client(hass, entry.data)
    try:
        raw_mandates = list(await client.get_mandates())
    except (FluviusAuthError, FluviusSubscriptionKeyError) as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="invalid_auth"
        ) from err
    except FluviusError as err:
        raise _not_ready(err) from err
    except TimeoutError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="cannot_connect"
        ) from err

    now = dt_util.utcnow()
    async_remove_stale_devices(hass, entry)
    async_update_mandate_issues(hass, entry, raw_mandates, now)

    await async_reimport_if_turned_on(hass, entry)
    mandates = choose_mandates(raw_mandates, now)
    coordinator = FluviusCoordinator(hass, entry, client, mandates)
    # One importer per EAN: say which meters an older entry imports; an entry that stopped
    # importing one (options changed) hands it over to the next entry that selects it.
    async_update_ownership_issues(hass, entry, coordinator.imported_elsewhere)
    async_reload_waiting(hass, entry.entry_id, set(selected_eans(entry.options)))
    entry.runtime_data = FluviusData(client=client, coordinator=coordinator, mandates=mandates)
    await coordinator.async_config_entry_first_refresh()

    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: FluviusConfigEntry) -> bool:
    """1.1 -> 1.2: entries from before the ``submeter_reactive`` option keep importing the
    submeters' reactive energy (new entries start without it)."""
    if entry.version > 1:
        return False  # a newer release's entry (downgrade)
    if entry.minor_version < 2:
        hass.config_entries.async_update_entry(
            entry, options={CONF_SUBMETER_REACTIVE: True, **entry.options}, minor_version=2
        )
    return True


async def async_unload_entry(hass: HomeAssistant, entry: FluviusConfigEntry) -> bool:
    """Stop the sensors; the coordinator's timers and background tasks end with the entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: FluviusConfigEntry) -> None:
    """The entry is deleted: remove its statistics, its cursor Store and its repair issues.

    Never on unload or reload: statistics survive restarts, reloads and reconfiguration. The
    statistics of a meter another entry selects stay (theirs, one importer per EAN), and an
    entry that skipped one of this entry's meters reloads to import it.
    """
    kept = set(selected_elsewhere(hass, entry.entry_id))
    await async_clear_entry_statistics(hass, entry, keep=kept)
    await async_remove_cursor_store(hass, entry.entry_id)
    async_delete_entry_issues(hass, entry.entry_id)
    async_reload_waiting(hass, entry.entry_id, set())


def _device_ean(device: dr.DeviceEntry) -> str | None:
    for domain, identifier in device.identifiers:
        if domain == DOMAIN:
            return identifier
    return None


def _kept_devices(devices: list[dr.DeviceEntry], selected: set[str]) -> set[str]:
    """Ids of the devices of selected meters and of their submeters (``via_device``)."""
    kept = {device.id for device in devices if _device_ean(device) in selected}
    changed = True
    while changed:
        changed = False
        for device in devices:
            if device.id not in kept and device.via_device_id in kept:
                kept.add(device.id)
                changed = True
    return kept


def _imported(hass: HomeAssistant, entry: FluviusConfigEntry) -> set[str]:
    """The meters the entry imports: selected, and not imported by an older entry."""
    return set(selected_eans(entry.options)) - set(imported_elsewhere(hass, entry))


@callback
def async_remove_stale_devices(hass: HomeAssistant, entry: FluviusConfigEntry) -> None:
    """Remove the devices of meters deselected in the options (with their submeters)."""
    registry = dr.async_get(hass)
    devices = dr.async_entries_for_config_entry(registry, entry.entry_id)
    kept = _kept_devices(devices, _imported(hass, entry))
    for device in devices:
        if device.id not in kept:
            registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: FluviusConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Allow deleting a device from the UI only when its meter is no longer selected."""
    registry = dr.async_get(hass)
    devices = dr.async_entries_for_config_entry(registry, entry.entry_id)
    return device.id not in _kept_devices(devices, _imported(hass, entry))
