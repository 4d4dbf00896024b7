"""hacs.json and the repository layout as HACS validates them for an integration."""

from __future__ import annotations

from typing import Any

from awesomeversion import AwesomeVersion
import voluptuous as vol

from .conftest import INTEGRATION, ROOT


def _countries(value: Any) -> list[str]:
    codes = [value] if isinstance(value, str) else value
    if not isinstance(codes, list) or not codes:
        raise vol.Invalid("country must be a code or a list of codes")
    for code in codes:
        if not (isinstance(code, str) and len(code) == 2 and code.isalpha() and code.isupper()):
            raise vol.Invalid(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return codes


# The keys HACS accepts in hacs.json (it rejects any other key).
HACS_SCHEMA = vol.Schema(
    {
        vol.Required("name"): vol.All(str, vol.Length(min=1)),
        vol.Optional("content_in_root"): bool,
        vol.Optional("country"): _countries,
        vol.Optional("filename"): str,
        vol.Optional("hacs"): str,
        vol.Optional("hide_default_branch"): bool,
        vol.Optional("homeassistant"): str,
        vol.Optional("persistent_directory"): str,
        vol.Optional("render_readme"): bool,
        vol.Optional("zip_release"): bool,
    },
    extra=vol.PREVENT_EXTRA,
)

# The manifest keys HACS needs from an integration (its own integration manifest check).
HACS_MANIFEST_KEYS = ("codeowners", "documentation", "domain", "issue_tracker", "name", "version")

# The oldest release the version matrix tests (scripts/test, requirements/ha-2026.5.0.txt).
OLDEST_SUPPORTED = AwesomeVersion("2026.5.0")


def test_schema(hacs: dict[str, Any]) -> None:
    HACS_SCHEMA(hacs)


def test_values(hacs: dict[str, Any], manifest: dict[str, Any]) -> None:
    assert hacs["name"] == manifest["name"] == "Fluvius Energy"
    assert hacs.get("content_in_root", False) is False
    assert hacs["country"] in ("BE", ["BE"])
    assert hacs.get("render_readme") is True


def test_minimum_home_assistant(hacs: dict[str, Any]) -> None:
    minimum = AwesomeVersion(hacs["homeassistant"])
    assert minimum.valid
    assert minimum >= OLDEST_SUPPORTED


def test_minimum_is_not_newer_than_the_tested_release(hacs: dict[str, Any]) -> None:
    """We never ask users for a newer Home Assistant than the one the tests run on."""
    from homeassistant.const import __version__ as tested

    assert AwesomeVersion(hacs["homeassistant"]) <= AwesomeVersion(tested)


def test_manifest_has_what_hacs_needs(manifest: dict[str, Any]) -> None:
    for key in HACS_MANIFEST_KEYS:
        assert manifest.get(key) not in (None, ""), key


def test_one_integration_under_custom_components() -> None:
    """content_in_root false: HACS installs the single folder under custom_components/."""
    folders = [
        path.name
        for path in (ROOT / "custom_components").iterdir()
        if path.is_dir() and not path.name.startswith((".", "__"))
    ]
    assert folders == [INTEGRATION.name]


def test_readme_and_info_exist() -> None:
    """render_readme shows README.md in HACS; info.md is the short description."""
    for name in ("README.md", "info.md"):
        text = (ROOT / name).read_text(encoding="utf-8")
        assert text.startswith("# "), name


def test_docs_state_the_minimum_home_assistant(hacs: dict[str, Any]) -> None:
    """README and info.md name the same minimum version as hacs.json."""
    for name in ("README.md", "info.md"):
        text = (ROOT / name).read_text(encoding="utf-8")
        assert f"Home Assistant {hacs['homeassistant']} or newer" in text, name


def test_readme_starts_with_the_two_commands() -> None:
    head = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:6]
    assert any(line.startswith("scripts/demo") for line in head), head
    assert any(line.startswith("scripts/test") for line in head), head


def test_readme_images_exist() -> None:
    """Every picture the README shows is in the repository (docs/)."""
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [
        path
        for path in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
        if not path.startswith("http") and not (ROOT / path).exists()
    ]
    assert missing == []
