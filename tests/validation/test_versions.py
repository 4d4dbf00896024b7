"""The Home Assistant releases we claim are the ones scripts/test runs, and no shim outlives them.

scripts/test runs the version matrix on every release with a requirements/ha-<version>.txt;
hacs.json's minimum must be the oldest of them, and the README must name each of them.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from awesomeversion import AwesomeVersion

from .conftest import INTEGRATION, ROOT

REQUIREMENTS = ROOT / "requirements"
COMPAT = INTEGRATION / "compat.py"
HARNESS_COMPAT = ROOT / "tests" / "harness_compat.py"

# Each shim of custom_components/fluvius/compat.py and the first release that no longer needs it:
# once hacs.json's minimum reaches that release the shim is dead and must go.
SHIMS = {
    "via_parent": AwesomeVersion("2026.8.0"),
    "advanced_mode": AwesomeVersion("2026.6.0"),
}


def matrix() -> list[AwesomeVersion]:
    """The releases of the version matrix (as scripts/_toolchain.sh's ha_matrix lists them)."""
    versions = [
        AwesomeVersion(path.name.removeprefix("ha-").removesuffix(".txt"))
        for path in REQUIREMENTS.glob("ha-*.txt")
        if not path.name.endswith(".upgrade.txt")
    ]
    assert all(version.valid for version in versions), versions
    return sorted(versions)


def pinned_version(path: Any) -> str | None:
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := re.fullmatch(r"homeassistant==(\S+)", line.strip()):
            return match.group(1)
    return None


def test_the_matrix_has_the_oldest_and_a_newer_release() -> None:
    assert len(matrix()) >= 2


def test_hacs_minimum_is_the_oldest_tested_release(hacs: dict[str, Any]) -> None:
    assert AwesomeVersion(hacs["homeassistant"]) == matrix()[0]


def test_readme_names_every_tested_release(hacs: dict[str, Any]) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for version in matrix():
        assert f"Home Assistant {version}" in text or f"| {version}" in text, version


def test_upgrade_files_pin_their_release() -> None:
    """A release run on the pinned harness: its .upgrade.txt installs exactly that release."""
    for path in REQUIREMENTS.glob("ha-*.upgrade.txt"):
        version = path.name.removeprefix("ha-").removesuffix(".upgrade.txt")
        assert (REQUIREMENTS / f"ha-{version}.txt").exists(), path.name
        assert pinned_version(path) == version, path.name


def test_harness_compat_only_while_a_release_runs_on_the_pinned_harness() -> None:
    upgraded = list(REQUIREMENTS.glob("ha-*.upgrade.txt"))
    assert HARNESS_COMPAT.exists() == bool(upgraded)


def test_every_shim_is_listed_with_the_release_that_ends_it() -> None:
    tree = ast.parse(COMPAT.read_text(encoding="utf-8"))
    public = {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
    }
    assert public == set(SHIMS)


def test_no_dead_shims(hacs: dict[str, Any]) -> None:
    """A shim whose newer side every supported release has is dead code."""
    minimum = AwesomeVersion(hacs["homeassistant"])
    dead = [name for name, needed_until in SHIMS.items() if minimum >= needed_until]
    assert dead == []


def test_every_shim_is_used() -> None:
    sources = [
        path.read_text(encoding="utf-8") for path in INTEGRATION.rglob("*.py") if path != COMPAT
    ]
    for name in SHIMS:
        assert any(re.search(rf"\b{name}\(", source) for source in sources), name
