"""The repair issue saying the capacity-tariff rates need an update, and its going away."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest.mock import MagicMock

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.fluvius import tariffs
from custom_components.fluvius.const import (
    CONF_AREA,
    CONF_CAPACITY_TARIFF,
    CONF_OWN_RATE,
    CONF_VAT,
    DOMAIN,
)

from .conftest import EAN_AMR, EAN_ELECTRICITY


def _issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"capacity_rates_outdated_{entry.entry_id}_rates"
    )


async def _setup(hass: HomeAssistant, entry: MockConfigEntry, tariff: dict[str, object]) -> None:
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_CAPACITY_TARIFF: tariff}
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.freeze_time("2026-12-31T22:30:00Z")  # 23:30 in Brussels
@pytest.mark.usefixtures("mock_client")
async def test_the_issue_appears_when_the_year_passes_the_table(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _setup(hass, mock_config_entry, {EAN_ELECTRICITY: {CONF_AREA: "west", CONF_VAT: 0.0}})
    assert _issue(hass, mock_config_entry) is None  # 2026 is in the table

    # Midnight in Brussels: 2027 has no rates in this version.
    freezer.move_to(datetime(2026, 12, 31, 23, 0, tzinfo=UTC))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    issue = _issue(hass, mock_config_entry)
    assert issue is not None
    assert issue.translation_key == "capacity_rates_outdated"
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_placeholders == {
        "title": mock_config_entry.title,
        "year": "2027",
        "rate_year": "2026",
    }
    for language in ("en", "nl", "fr", "de"):
        texts = await async_get_translations(hass, language, "issues", [DOMAIN])
        description = texts[f"component.{DOMAIN}.issues.capacity_rates_outdated.description"]
        assert "{rate_year}" in description and "{year}" in description

    # An update brings the 2027 rates: the issue goes at the next check.
    monkeypatch.setattr(
        tariffs,
        "CAPACITY_RATES",
        {**tariffs.CAPACITY_RATES, 2027: tariffs.CAPACITY_RATES[2026]},
    )
    freezer.move_to(datetime(2027, 1, 1, 0, 0, tzinfo=UTC))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert _issue(hass, mock_config_entry) is None


@pytest.mark.freeze_time("2028-03-10T10:00:00Z")
async def test_own_rates_need_no_update_and_clearing_removes_the_issue(
    hass: HomeAssistant, mock_client: MagicMock, mock_config_entry: MockConfigEntry
) -> None:
    await _setup(hass, mock_config_entry, {EAN_AMR: {CONF_OWN_RATE: 70.0, CONF_VAT: 0.0}})
    assert _issue(hass, mock_config_entry) is None

    hass.config_entries.async_update_entry(
        mock_config_entry,
        options={
            **mock_config_entry.options,
            CONF_CAPACITY_TARIFF: {EAN_ELECTRICITY: {CONF_AREA: "kempen", CONF_VAT: 21.0}},
        },
    )
    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    issue = _issue(hass, mock_config_entry)
    assert issue is not None and issue.translation_placeholders is not None
    assert issue.translation_placeholders["year"] == "2028"

    # The area cleared in the options (they reload the entry): nothing left to update.
    options = {k: v for k, v in mock_config_entry.options.items() if k != CONF_CAPACITY_TARIFF}
    hass.config_entries.async_update_entry(mock_config_entry, options=options)
    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert _issue(hass, mock_config_entry) is None
