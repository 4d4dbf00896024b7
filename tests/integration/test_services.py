"""The actions as Home Assistant describes them (Developer tools): registered once for the
domain, fields and selectors from services.yaml, names and descriptions translated."""

from __future__ import annotations

from datetime import date
import json
from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius.const import CONF_EANS, DOMAIN

TRANSLATIONS = Path(__file__).parents[2] / "custom_components" / "fluvius" / "translations"
FIELDS = {
    "import_history": {"config_entry_id", "ean", "start", "end"},
    "clear_statistics": {"config_entry_id", "ean"},
}


async def test_actions_are_described_and_translated(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    assert set(hass.services.async_services_for_domain(DOMAIN)) == set(FIELDS)
    descriptions = (await async_get_all_descriptions(hass))[DOMAIN]
    english = json.loads((TRANSLATIONS / "en.json").read_text(encoding="utf-8"))["services"]
    for action, fields in FIELDS.items():
        description = descriptions[action]
        assert set(description["fields"]) == fields
        selector = description["fields"]["config_entry_id"]["selector"]
        assert selector == {"config_entry": {"integration": DOMAIN}}
    # The names Home Assistant shows come from the translations.
    for language in ("en", "nl", "fr", "de"):
        texts = await async_get_translations(hass, language, "services", [DOMAIN])
        for action, fields in FIELDS.items():
            prefix = f"component.{DOMAIN}.services.{action}"
            assert texts[f"{prefix}.name"]
            assert texts[f"{prefix}.description"]
            for field in fields:
                assert texts[f"{prefix}.fields.{field}.name"]
        if language == "en":
            assert (
                texts[f"component.{DOMAIN}.services.import_history.name"]
                == (english["import_history"]["name"])
            )
    for field in ("start", "end"):
        start = descriptions["import_history"]["fields"][field]
        assert start["required"] is True
        assert "date" in start["selector"]


@pytest.mark.parametrize("language", ["en", "nl", "fr", "de"])
def test_every_field_is_translated(language: str) -> None:
    services = json.loads((TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8"))[
        "services"
    ]
    assert {action: set(services[action]["fields"]) for action in services} == FIELDS


async def test_an_entry_without_meters_or_not_loaded_is_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Nothing to act on is said, not silently ignored (and never a crash)."""
    hass.config_entries.async_update_entry(init_integration, options={CONF_EANS: []})
    await hass.async_block_till_done()
    period = {"start": date(2026, 11, 1), "end": date(2026, 11, 2)}
    for action, data in (("import_history", period), ("clear_statistics", {})):
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                DOMAIN,
                action,
                {"config_entry_id": init_integration.entry_id, **data},
                blocking=True,
            )
        assert err.value.translation_key == "action_no_meter"
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(DOMAIN, action, data, blocking=True)
        assert err.value.translation_key == "action_no_meter"

    stopped = MockConfigEntry(domain=DOMAIN, title="Fluvius stopped", unique_id="stopped")
    stopped.add_to_hass(hass)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "clear_statistics", {"config_entry_id": stopped.entry_id}, blocking=True
        )
    assert err.value.translation_key == "action_entry_not_loaded"
    assert err.value.translation_placeholders == {"title": "Fluvius stopped"}
