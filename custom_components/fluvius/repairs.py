"""Repair issues: what the user must do in Mijn Fluvius to keep their data coming.

Three causes, each one issue per meter (EAN) of a config entry, created when the cause appears
and deleted when it is gone:

* ``mandate_expiring`` / ``mandate_expired`` (same issue id, so one issue per EAN): the
  mandate expires within :data:`MANDATE_EXPIRY_WARNING`, Fluvius says ``ToBeRenewed``, or it has
  expired (no new data is released under it);
* ``mandate_missing``: GET Energy answered 404 or the mandate disappeared from GET Mandate
  (removed on Mijn Fluvius, ended by the grid user). It is fixable: the fix deselects the meter;
* ``data_period_moved``: Fluvius moved the end of the consumption period into the past and,
  as the specification requires (fluvius-api.md §6.7), we removed the data after it;
* ``capacity_rates_outdated`` (one per config entry): this version of the integration has no
  capacity-tariff rates for the current year, so the capacity costs use the latest year's; an
  update of the integration brings the new rates;
* ``periods_skipped``: Fluvius answered a period of a meter with data that could not be read,
  again and again; the backfill went on without it and tries it again every day. The issue
  names the periods and disappears once they are imported.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .api.models import Mandate, MandateStatus, RenewalStatus, parse_renewal_status
from .const import CONF_EANS, DOMAIN, MANDATE_EXPIRY_WARNING, TIMEZONE
from .tariffs import Rate

if TYPE_CHECKING:
    # Newer Home Assistant releases validate with probatio and alias ``voluptuous`` to it;
    # 2026.5 (hacs.json's minimum) still uses voluptuous itself. Same API.
    from homeassistant.components.repairs import RepairsFlowResult
    import probatio as vol
else:
    import voluptuous as vol

ISSUE_MANDATE_EXPIRING = "mandate_expiring"
ISSUE_MANDATE_EXPIRED = "mandate_expired"
ISSUE_MANDATE_MISSING = "mandate_missing"
ISSUE_DATA_PERIOD_MOVED = "data_period_moved"
ISSUE_PERIODS_SKIPPED = "periods_skipped"
ISSUE_CAPACITY_RATES_OUTDATED = "capacity_rates_outdated"

# Where Fluvius explains how to create and renew access (mandates) in Mijn Fluvius.
MANDATE_HELP_URL = "https://www.fluvius.be/nl/veelgestelde-vragen/mijn-fluvius/verbruik"
API_INFO_URL = "https://www.fluvius.be/api-energieverbruik-opvolgen-ondernemers"

_RENEWAL = "mandate_renewal"


def _issue_id(kind: str, entry_id: str, ean: str) -> str:
    return f"{kind}_{entry_id}_{ean}"


def _local_date(moment: datetime) -> str:
    """The calendar day, in Belgium, of an instant."""
    return moment.astimezone(TIMEZONE).date().isoformat()


def _last_valid_day(exclusive_end: datetime) -> str:
    """The last day a mandate is valid: its expiry is exclusive ("tot", not "tot en met")."""
    return _local_date(exclusive_end - timedelta(microseconds=1))


def _selected_eans(entry: ConfigEntry[Any]) -> list[str]:
    return list(entry.options.get(CONF_EANS) or [])


def _renewal_state(mandates: Iterable[Mandate], now: datetime) -> tuple[str, Mandate] | None:
    """Which renewal issue one meter's approved mandates call for, if any.

    A grant may consist of several mandates (day and quarter-hour level), and a renewed grant
    may be listed next to the expired one: per detail level the mandate that runs longest
    counts, and of those the one that ends first decides.
    """
    per_level: dict[str, Mandate] = {}
    for mandate in mandates:
        if mandate.status != MandateStatus.APPROVED:
            continue
        level = str(mandate.data_service_type)
        current = per_level.get(level)
        if current is None or _runs_longer(mandate, current):
            per_level[level] = mandate
    worst: tuple[str, Mandate] | None = None
    for mandate in per_level.values():
        state = _mandate_state(mandate, now)
        if state is None:
            continue
        if worst is None or (state == ISSUE_MANDATE_EXPIRED and worst[0] != state):
            worst = (state, mandate)
    return worst


def _runs_longer(mandate: Mandate, other: Mandate) -> bool:
    if mandate.mandate_expiration_date is None:
        return other.mandate_expiration_date is not None
    if other.mandate_expiration_date is None:
        return False
    return mandate.mandate_expiration_date > other.mandate_expiration_date


def _mandate_state(mandate: Mandate, now: datetime) -> str | None:
    renewal = parse_renewal_status(str(mandate.renewal_status)) if mandate.renewal_status else None
    expires = mandate.mandate_expiration_date
    if renewal == RenewalStatus.EXPIRED or (expires is not None and expires <= now):
        return ISSUE_MANDATE_EXPIRED
    if renewal == RenewalStatus.TO_BE_RENEWED:
        return ISSUE_MANDATE_EXPIRING
    if expires is not None and expires - now <= MANDATE_EXPIRY_WARNING:
        return ISSUE_MANDATE_EXPIRING
    return None


@callback
def async_update_mandate_issues(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    mandates: Iterable[Mandate],
    now: datetime,
) -> None:
    """Raise, update or clear the renewal issue of every selected meter of ``entry``.

    Issues of meters that are no longer selected (renewal, missing mandate, moved data period)
    are cleared too: they are not the user's concern any more.
    """
    selected = _selected_eans(entry)
    by_ean: dict[str, list[Mandate]] = {}
    for mandate in mandates:
        if mandate.ean is not None:
            by_ean.setdefault(mandate.ean, []).append(mandate)

    wanted: set[str] = set()
    for ean in selected:
        state = _renewal_state(by_ean.get(ean, ()), now)
        if state is None:
            continue
        kind, mandate = state
        issue_id = _issue_id(_RENEWAL, entry.entry_id, ean)
        wanted.add(issue_id)
        expires = mandate.mandate_expiration_date
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            learn_more_url=MANDATE_HELP_URL,
            severity=(
                ir.IssueSeverity.ERROR
                if kind == ISSUE_MANDATE_EXPIRED
                else ir.IssueSeverity.WARNING
            ),
            translation_key=kind,
            translation_placeholders={
                "ean": ean,
                "title": entry.title,
                "expiration_date": _last_valid_day(expires) if expires else "-",
            },
        )

    prefixes = {
        _RENEWAL: selected,
        ISSUE_MANDATE_MISSING: selected,
        ISSUE_DATA_PERIOD_MOVED: selected,
        ISSUE_PERIODS_SKIPPED: selected,
    }
    registry = ir.async_get(hass)
    for domain, issue_id in list(registry.issues):
        if domain != DOMAIN:
            continue
        for prefix, keep in prefixes.items():
            head = f"{prefix}_{entry.entry_id}_"
            if not issue_id.startswith(head):
                continue
            ean = issue_id.removeprefix(head)
            stale = ean not in keep or (prefix == _RENEWAL and issue_id not in wanted)
            if stale:
                ir.async_delete_issue(hass, DOMAIN, issue_id)


@callback
def async_set_mandate_missing(
    hass: HomeAssistant, entry: ConfigEntry[Any], ean: str, missing: bool
) -> None:
    """Raise (``missing``) or clear the issue that a meter has no valid mandate any more."""
    issue_id = _issue_id(ISSUE_MANDATE_MISSING, entry.entry_id, ean)
    if not missing:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        data={"entry_id": entry.entry_id, "ean": ean},
        is_fixable=True,
        learn_more_url=MANDATE_HELP_URL,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_MANDATE_MISSING,
        translation_placeholders={"ean": ean, "title": entry.title},
    )


@callback
def _set_warning(
    hass: HomeAssistant,
    issue_id: str,
    translation_key: str,
    placeholders: dict[str, str] | None,
    learn_more_url: str | None = API_INFO_URL,
) -> None:
    """Raise or update a warning the user cannot fix here; ``placeholders`` None deletes it."""
    if placeholders is None:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        learn_more_url=learn_more_url,
        severity=ir.IssueSeverity.WARNING,
        translation_key=translation_key,
        translation_placeholders=placeholders,
    )


@callback
def async_set_data_period_moved(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    ean: str,
    data_period_to: datetime,
    removed_from: datetime,
) -> None:
    """Tell the user that Fluvius moved a meter's data period end and we removed later data."""
    _set_warning(
        hass,
        _issue_id(ISSUE_DATA_PERIOD_MOVED, entry.entry_id, ean),
        ISSUE_DATA_PERIOD_MOVED,
        {
            "ean": ean,
            "title": entry.title,
            "data_period_to": _local_date(data_period_to),
            "removed_from": _local_date(removed_from),
        },
    )


def _period_text(start: datetime, end: datetime) -> str:
    first, last = _local_date(start), _last_valid_day(end)
    return first if first == last else f"{first} - {last}"


@callback
def async_set_periods_skipped(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    ean: str,
    periods: Iterable[tuple[datetime, datetime]],
) -> None:
    """Raise, update or clear the issue naming the periods of a meter that were skipped."""
    spans = sorted(periods)
    _set_warning(
        hass,
        _issue_id(ISSUE_PERIODS_SKIPPED, entry.entry_id, ean),
        ISSUE_PERIODS_SKIPPED,
        {
            "ean": ean,
            "title": entry.title,
            "periods": ", ".join(_period_text(start, end) for start, end in spans),
        }
        if spans
        else None,
    )


@callback
def async_set_capacity_rates_outdated(
    hass: HomeAssistant, entry: ConfigEntry[Any], rate: Rate | None
) -> None:
    """Say that the rate table has no rates for this year (``rate``: the one used instead),
    or delete the issue (``rate`` None)."""
    _set_warning(
        hass,
        _issue_id(ISSUE_CAPACITY_RATES_OUTDATED, entry.entry_id, "rates"),
        ISSUE_CAPACITY_RATES_OUTDATED,
        None
        if rate is None
        else {"title": entry.title, "year": str(rate.asked_year), "rate_year": str(rate.year)},
        learn_more_url=None,
    )


def async_delete_entry_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Delete every issue of a config entry (it is being removed)."""
    registry = ir.async_get(hass)
    for domain, issue_id in list(registry.issues):
        if domain == DOMAIN and f"_{entry_id}_" in issue_id:
            ir.async_delete_issue(hass, DOMAIN, issue_id)


class DeselectMeterRepairFlow(RepairsFlow):
    """Fix for a meter whose mandate is gone (``mandate_missing``) or that another entry
    imports (``imported_elsewhere``): stop importing it here (deselect it in the options).

    Deselecting the entry's only meter leaves an empty selection, which follows no meter (never
    every mandate); the ``confirm_last`` step says so and how to choose meters again.
    """

    def __init__(self, entry_id: str, ean: str, placeholders: dict[str, str]) -> None:
        self._entry_id = entry_id
        self._ean = ean
        self._placeholders = placeholders

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is not None and not [e for e in _selected_eans(entry) if e != self._ean]:
            return await self.async_step_confirm_last()
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        return self._confirm("confirm", user_input)

    async def async_step_confirm_last(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        return self._confirm("confirm_last", user_input)

    def _confirm(self, step_id: str, user_input: dict[str, str] | None) -> RepairsFlowResult:
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None:
            return self.async_abort(reason="entry_removed")
        if user_input is not None:
            eans = [ean for ean in _selected_eans(entry) if ean != self._ean]
            self.hass.config_entries.async_update_entry(
                entry, options={**entry.options, CONF_EANS: eans}
            )
            async_set_mandate_missing(self.hass, entry, self._ean, missing=False)
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
            return self.async_create_entry(data={})
        return self.async_show_form(
            step_id=step_id,
            data_schema=vol.Schema({}),
            description_placeholders={
                **self._placeholders,
                "ean": self._ean,
                "title": entry.title,
            },
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The fix flow of a fixable issue (``mandate_missing``, ``imported_elsewhere``)."""
    assert data is not None
    extra = {"other": str(data["other"])} if data.get("other") is not None else {}
    return DeselectMeterRepairFlow(str(data["entry_id"]), str(data["ean"]), extra)
