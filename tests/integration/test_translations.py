"""The four translation files: same keys, same placeholders, every flow key present in English."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

import pytest

TRANSLATIONS = Path(__file__).parents[2] / "custom_components" / "fluvius" / "translations"
LANGUAGES = ("nl", "fr", "de")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _flatten(node: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in node.items():
        if isinstance(value, dict):
            flat |= _flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _load(language: str) -> dict[str, str]:
    return _flatten(json.loads((TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8")))


def test_english_is_complete() -> None:
    """No strings.json-style references: a custom integration ships its English text."""
    english = _load("en")
    assert not [key for key, text in english.items() if "[%key:" in text]
    assert not (TRANSLATIONS.parent / "strings.json").exists()
    for key in (
        "config.step.user.data_description.client_secret",
        "config.step.meters.data.eans",
        "config.step.reauth_confirm.data.subscription_key",
        "config.step.reconfigure.data.token_url",
        "config.step.custom.data.base_url",
        "config.abort.no_mandates",
        "config.error.invalid_subscription_key",
        "options.step.init.data.backfill_days",
        "issues.mandate_expiring.description",
        "issues.mandate_missing.fix_flow.step.confirm.description",
        "exceptions.invalid_auth.message",
        "selector.environment.options.custom",
    ):
        assert english.get(key), key


def test_every_step_field_has_a_description() -> None:
    english = _load("en")
    for key in english:
        match = re.fullmatch(r"(config|options)\.step\.(\w+)\.data\.(\w+)", key)
        if match:
            flow, step, field = match.groups()
            assert f"{flow}.step.{step}.data_description.{field}" in english, key


@pytest.mark.parametrize("language", LANGUAGES)
def test_translation_matches_english(language: str) -> None:
    english = _load("en")
    other = _load(language)
    assert sorted(set(english) - set(other)) == [], "missing"
    assert sorted(set(other) - set(english)) == [], "extra"
    for key, text in english.items():
        assert set(PLACEHOLDER.findall(other[key])) == set(PLACEHOLDER.findall(text)), key
