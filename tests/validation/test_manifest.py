"""manifest.json as hassfest wants it for a custom integration."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
import pytest

from .conftest import INTEGRATION, ROOT

# hassfest's manifest schema for custom integrations (script/hassfest/manifest.py), less the
# discovery keys we have no use for.
ALLOWED_KEYS = {
    "domain",
    "name",
    "after_dependencies",
    "codeowners",
    "config_flow",
    "dependencies",
    "disabled",
    "documentation",
    "import_executor",
    "integration_type",
    "iot_class",
    "issue_tracker",
    "loggers",
    "requirements",
    "single_config_entry",
    "version",
}
URL = re.compile(r"^https://[^\s/$.?#].[^\s]*$")


def test_key_order(manifest_text: str) -> None:
    """domain, name, then the rest in alphabetical order (hassfest's sort rule)."""
    keys = list(json.loads(manifest_text))
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_only_known_keys(manifest: dict[str, Any]) -> None:
    assert set(manifest) <= ALLOWED_KEYS, set(manifest) - ALLOWED_KEYS


def test_values(manifest: dict[str, Any]) -> None:
    assert manifest["domain"] == "fluvius"
    assert manifest["name"] == "Fluvius Energy"
    assert manifest["config_flow"] is True
    assert manifest["iot_class"] == "cloud_polling"
    assert manifest["integration_type"] == "service"
    assert manifest["dependencies"] == ["recorder"]
    # The API client ships inside the integration: nothing to install from PyPI.
    assert manifest.get("requirements", []) == []


def test_domain_matches_folder(manifest: dict[str, Any]) -> None:
    assert INTEGRATION.name == manifest["domain"]


def test_version_is_valid(manifest: dict[str, Any]) -> None:
    """Custom integrations must carry a version Home Assistant's loader accepts (the same
    strategies as ``homeassistant.loader.Integration.resolve_from_root``)."""
    version = AwesomeVersion(
        manifest["version"],
        ensure_strategy=[
            AwesomeVersionStrategy.CALVER,
            AwesomeVersionStrategy.SEMVER,
            AwesomeVersionStrategy.SIMPLEVER,
            AwesomeVersionStrategy.BUILDVER,
            AwesomeVersionStrategy.PEP440,
        ],
    )
    assert version.valid


@pytest.mark.parametrize("key", ["documentation", "issue_tracker"])
def test_links(manifest: dict[str, Any], key: str) -> None:
    assert URL.match(manifest[key]), manifest[key]


def test_codeowners_and_loggers(manifest: dict[str, Any]) -> None:
    assert all(owner.startswith("@") for owner in manifest.get("codeowners", []))
    assert all(isinstance(name, str) and name for name in manifest.get("loggers", []))


def test_version_matches_the_project(manifest: dict[str, Any]) -> None:
    """One version for the release: manifest.json and pyproject.toml agree."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert manifest["version"] == project["project"]["version"]
