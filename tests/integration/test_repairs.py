"""Repair issues: raised when the cause appears, cleared when it is gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from unittest.mock import MagicMock

from homeassistant.components.repairs import DOMAIN as REPAIRS_DOMAIN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.fluvius.api.models import (
    DataServiceType,
    EnergyType,
    Mandate,
    MandateStatus,
)
from custom_components.fluvius.const import CONF_EANS, DOMAIN
from custom_components.fluvius.repairs import (
    async_set_data_period_moved,
    async_set_mandate_missing,
    async_update_mandate_issues,
)

from .conftest import EAN_AMR, EAN_ELECTRICITY, EAN_GAS

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _mandate(
    ean: str,
    expires: datetime | None,
    *,
    renewal: str | None = None,
    level: DataServiceType = DataServiceType.QUARTER_HOURLY,
    status: MandateStatus = MandateStatus.APPROVED,
) -> Mandate:
    return Mandate(
        status=status,
        ean=ean,
        energy_type=EnergyType.ELECTRICITY,
        data_service_type=level,
        mandate_expiration_date=expires,
        renewal_status=renewal,
    )


def _renewal(hass: HomeAssistant, entry: MockConfigEntry, ean: str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"mandate_renewal_{entry.entry_id}_{ean}")


async def test_mandate_expiring_and_expired(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    entry = mock_config_entry
    entry.add_to_hass(hass)

    # Far from expiry: nothing.
    async_update_mandate_issues(hass, entry, [_mandate(EAN_GAS, NOW + timedelta(days=400))], NOW)
    assert _renewal(hass, entry, EAN_GAS) is None

    # Within 30 days: a warning with the last valid (local) day.
    expires = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)  # 8 Dec 00:00 in Brussels, exclusive
    async_update_mandate_issues(hass, entry, [_mandate(EAN_GAS, expires)], NOW)
    issue = _renewal(hass, entry, EAN_GAS)
    assert issue is not None
    assert issue.translation_key == "mandate_expiring"
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_placeholders == {
        "ean": EAN_GAS,
        "title": entry.title,
        "expiration_date": "2026-12-07",
    }
    assert issue.learn_more_url is not None

    # Expired: the same issue becomes an error.
    async_update_mandate_issues(
        hass, entry, [_mandate(EAN_GAS, NOW - timedelta(days=1), renewal="Expired")], NOW
    )
    issue = _renewal(hass, entry, EAN_GAS)
    assert issue is not None
    assert issue.translation_key == "mandate_expired"
    assert issue.severity is ir.IssueSeverity.ERROR

    # Renewed: a new mandate runs long; the expired one is still listed. Cleared.
    async_update_mandate_issues(
        hass,
        entry,
        [
            _mandate(EAN_GAS, NOW - timedelta(days=1), renewal="Expired"),
            _mandate(EAN_GAS, NOW + timedelta(days=3 * 365)),
        ],
        NOW,
    )
    assert _renewal(hass, entry, EAN_GAS) is None


async def test_to_be_renewed_and_levels(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """ToBeRenewed (any casing) raises; of two detail levels the worst decides."""
    entry = mock_config_entry
    entry.add_to_hass(hass)
    far = NOW + timedelta(days=80)
    async_update_mandate_issues(
        hass, entry, [_mandate(EAN_ELECTRICITY, far, renewal="toBeRenewed")], NOW
    )
    issue = _renewal(hass, entry, EAN_ELECTRICITY)
    assert issue is not None
    assert issue.translation_key == "mandate_expiring"

    async_update_mandate_issues(
        hass,
        entry,
        [
            _mandate(EAN_ELECTRICITY, far, renewal="ToBeRenewed", level=DataServiceType.DAILY),
            _mandate(EAN_ELECTRICITY, NOW - timedelta(hours=1)),
            _mandate(EAN_ELECTRICITY, None, status=MandateStatus.FINISHED),
            _mandate(EAN_ELECTRICITY, None, level=DataServiceType.DAILY),
            _mandate(EAN_ELECTRICITY, far, level=DataServiceType.DAILY),
        ],
        NOW,
    )
    issue = _renewal(hass, entry, EAN_ELECTRICITY)
    assert issue is not None
    assert issue.translation_key == "mandate_expired"

    # RenewalRequested far from expiry: nothing to do for the user.
    async_update_mandate_issues(
        hass, entry, [_mandate(EAN_ELECTRICITY, far, renewal="RenewalRequested")], NOW
    )
    assert _renewal(hass, entry, EAN_ELECTRICITY) is None


async def test_issues_of_deselected_meters_are_cleared(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    entry = mock_config_entry
    entry.add_to_hass(hass)
    soon = NOW + timedelta(days=5)
    async_update_mandate_issues(hass, entry, [_mandate(EAN_GAS, soon)], NOW)
    async_set_mandate_missing(hass, entry, EAN_GAS, True)
    async_set_data_period_moved(hass, entry, EAN_GAS, NOW - timedelta(days=3), NOW)
    # An issue of a meter not selected, another entry's, another domain's: untouched rules.
    ir.async_create_issue(
        hass, "other", "x", is_fixable=False, severity=ir.IssueSeverity.WARNING, translation_key="x"
    )
    registry = ir.async_get(hass)
    assert len([i for d, i in registry.issues if d == DOMAIN]) == 3

    hass.config_entries.async_update_entry(entry, options={**entry.options, CONF_EANS: [EAN_AMR]})
    async_update_mandate_issues(hass, entry, [_mandate(EAN_GAS, soon)], NOW)
    assert not [i for d, i in registry.issues if d == DOMAIN]
    assert registry.async_get_issue("other", "x") is not None


async def test_mandate_missing_raised_and_cleared(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    entry = mock_config_entry
    entry.add_to_hass(hass)
    issue_id = f"mandate_missing_{entry.entry_id}_{EAN_GAS}"
    async_set_mandate_missing(hass, entry, EAN_GAS, True)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders == {"ean": EAN_GAS, "title": entry.title}
    async_set_mandate_missing(hass, entry, EAN_GAS, False)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_data_period_moved(hass: HomeAssistant, mock_config_entry: MockConfigEntry) -> None:
    entry = mock_config_entry
    entry.add_to_hass(hass)
    async_set_data_period_moved(
        hass,
        entry,
        EAN_ELECTRICITY,
        datetime(2026, 9, 30, 22, 0, tzinfo=UTC),
        datetime(2026, 9, 30, 22, 0, tzinfo=UTC),
    )
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"data_period_moved_{entry.entry_id}_{EAN_ELECTRICITY}"
    )
    assert issue is not None
    assert issue.translation_key == "data_period_moved"
    assert issue.translation_placeholders == {
        "ean": EAN_ELECTRICITY,
        "title": entry.title,
        "data_period_to": "2026-10-01",
        "removed_from": "2026-10-01",
    }


async def test_fix_flow_deselects_meter(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_client: MagicMock,
    hass_client: ClientSessionGenerator,
) -> None:
    """The missing-mandate fix: the meter is deselected and the entry reloads without it."""
    entry = init_integration
    assert await async_setup_component(hass, REPAIRS_DOMAIN, {})
    await hass.async_block_till_done(wait_background_tasks=True)
    async_set_mandate_missing(hass, entry, EAN_GAS, True)
    issue_id = f"mandate_missing_{entry.entry_id}_{EAN_GAS}"
    client = await hass_client()

    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    assert response.status == HTTPStatus.OK
    flow = await response.json()
    assert flow["step_id"] == "confirm"
    assert flow["description_placeholders"] == {"ean": EAN_GAS, "title": entry.title}

    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert response.status == HTTPStatus.OK, await response.text()
    assert (await response.json())["type"] == "create_entry"
    await hass.async_block_till_done()
    assert entry.options[CONF_EANS] == [EAN_ELECTRICITY]
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_fix_flow_entry_gone(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    entry = init_integration
    assert await async_setup_component(hass, REPAIRS_DOMAIN, {})
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    issue_id = f"mandate_missing_{entry.entry_id}_{EAN_GAS}"
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        data={"entry_id": entry.entry_id, "ean": EAN_GAS},
        is_fixable=True,
        severity=ir.IssueSeverity.ERROR,
        translation_key="mandate_missing",
    )
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    result = await response.json()
    assert result["type"] == "abort", result
    assert result["reason"] == "entry_removed"
