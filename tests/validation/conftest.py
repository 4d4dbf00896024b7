"""Paths shared by the metadata checks; nothing here touches the network or Home Assistant."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[2]
INTEGRATION = ROOT / "custom_components" / "fluvius"
LANGUAGES = ("en", "nl", "fr", "de")


def load_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(name="manifest_text")
def manifest_text_fixture() -> str:
    return (INTEGRATION / "manifest.json").read_text(encoding="utf-8")


@pytest.fixture(name="manifest")
def manifest_fixture() -> dict[str, Any]:
    data: dict[str, Any] = load_json(INTEGRATION / "manifest.json")
    return data


@pytest.fixture(name="hacs")
def hacs_fixture() -> dict[str, Any]:
    data: dict[str, Any] = load_json(ROOT / "hacs.json")
    return data
