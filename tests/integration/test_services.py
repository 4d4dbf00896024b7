"""The actions as Home Assistant describes them (Developer tools): registered once for the
domain, fields and selectors from services.yaml, names and descriptions translated."""

from __future__ import annotations

import json
from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius.const import DOMAIN

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
