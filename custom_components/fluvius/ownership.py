"""One EAN, one importer: which config entry imports a meter two entries select.

Statistic ids (``fluvius:<ean>_<series>``), entity unique ids and device identifiers depend on
the EAN only, so two entries importing one meter (two credential sets, or live and a stand-in
on the same meter) would write the same statistics and collide on the same entities, and
removing one entry would clear the other's history. So:

* the config and options flows do not offer a meter another entry selects, and say which
  entry has it;
* entries that still share a meter (set up before this rule) let the oldest entry import it;
  the others skip it, with a repair issue that names the entry importing it (its fix
  deselects the meter in the skipping entry);
* removing an entry keeps the statistics of every meter another entry selects, and the
  entries that skipped one of its meters reload to take over.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN, LOGGER
from .mandates import selected_eans

ISSUE_IMPORTED_ELSEWHERE = "imported_elsewhere"


def _age(entry: ConfigEntry[Any]) -> tuple[datetime, str]:
    return entry.created_at, entry.entry_id


def _others(hass: HomeAssistant, entry_id: str | None) -> list[ConfigEntry[Any]]:
    """The other entries of the integration, oldest first (ignored ones hold no meter)."""
    entries = hass.config_entries.async_entries(DOMAIN, include_ignore=False)
    return sorted((e for e in entries if e.entry_id != entry_id), key=_age)


def selected_elsewhere(hass: HomeAssistant, entry_id: str | None = None) -> dict[str, str]:
    """Meters another entry than ``entry_id`` selects (disabled ones too): EAN -> its title."""
    result: dict[str, str] = {}
    for other in _others(hass, entry_id):
        for ean in selected_eans(other.options):
            result.setdefault(ean, other.title)
    return result


def imported_elsewhere(hass: HomeAssistant, entry: ConfigEntry[Any]) -> dict[str, ConfigEntry[Any]]:
    """Meters of ``entry`` that an older entry selects too: EAN -> that entry."""
    mine = set(selected_eans(entry.options))
    result: dict[str, ConfigEntry[Any]] = {}
    for other in _others(hass, entry.entry_id):
        if _age(other) >= _age(entry):
            continue
        for ean in selected_eans(other.options):
            if ean in mine:
                result.setdefault(ean, other)
    return result


def _issue_id(entry_id: str, ean: str) -> str:
    return f"{ISSUE_IMPORTED_ELSEWHERE}_{entry_id}_{ean}"


@callback
def async_update_ownership_issues(
    hass: HomeAssistant, entry: ConfigEntry[Any], skipped: Mapping[str, ConfigEntry[Any]]
) -> None:
    """One issue per meter ``entry`` skips because an older entry imports it; none else."""
    for ean, importer in skipped.items():
        other = importer.title
        LOGGER.warning(
            "Meter %s is selected in %s and in %s: only %s imports it",
            ean,
            entry.title,
            other,
            other,
        )
        ir.async_create_issue(
            hass,
            DOMAIN,
            _issue_id(entry.entry_id, ean),
            data={"entry_id": entry.entry_id, "ean": ean, "other": other},
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_IMPORTED_ELSEWHERE,
            translation_placeholders={"ean": ean, "title": entry.title, "other": other},
        )
    head = f"{ISSUE_IMPORTED_ELSEWHERE}_{entry.entry_id}_"
    for domain, issue_id in list(ir.async_get(hass).issues):
        ean = issue_id.removeprefix(head)
        if domain == DOMAIN and issue_id.startswith(head) and ean not in skipped:
            ir.async_delete_issue(hass, DOMAIN, issue_id)


@callback
def async_reload_waiting(hass: HomeAssistant, entry_id: str, kept: set[str]) -> None:
    """Reload the loaded entries that skip a meter because entry ``entry_id`` imported it and
    no longer selects it (``kept``: what it selects now), so that one of them takes over."""
    for other in _others(hass, entry_id):
        if other.state is not ConfigEntryState.LOADED:
            continue
        coordinator = getattr(getattr(other, "runtime_data", None), "coordinator", None)
        skipped: Mapping[str, ConfigEntry[Any]] = getattr(coordinator, "imported_elsewhere", {})
        if any(e.entry_id == entry_id and ean not in kept for ean, e in skipped.items()):
            hass.config_entries.async_schedule_reload(other.entry_id)
