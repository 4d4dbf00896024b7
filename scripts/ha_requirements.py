"""Print what the demo and the end-to-end test need on top of a Home Assistant environment.

``hass --skip-pip`` (demo/stack.py) fetches nothing at run time, so every requirement of what
Home Assistant sets up by default (bootstrap.DEFAULT_INTEGRATIONS, the core integrations, the
components the demo configures, and their dependencies), the frontend included, must already be
installed. Run in an environment with ``homeassistant`` installed; prints, as pinned requirement
lines, those the environment does not satisfy yet, with the integration that wants each one;
of the integrations those may use (after_dependencies), only packages installed at another version
than the release pins (a harness made for another release brings those along).
Used to write the requirements files of the version matrix (requirements/ha-*.txt):

    FLUVIUS_HA=2026.5.0 scripts/run python scripts/ha_requirements.py
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
import json
from pathlib import Path

from homeassistant import bootstrap
import homeassistant.components
from homeassistant.const import __version__ as ha_version
from packaging.requirements import Requirement

# The components demo/stack.py's configuration.yaml lists.
DEMO_COMPONENTS = ("auth", "config", "energy", "frontend", "history", "http", "logger", "recorder")


def wanted() -> dict[str, tuple[str, bool]]:
    """Requirement -> (the integration that lists it, whether that one is set up for sure), for
    everything set up by default and the integrations those may use (after_dependencies)."""
    components = Path(homeassistant.components.__path__[0])
    todo = [
        (domain, True)
        for domain in (*bootstrap.DEFAULT_INTEGRATIONS, *bootstrap.CORE_INTEGRATIONS)
    ] + [(domain, True) for domain in DEMO_COMPONENTS]
    seen: dict[str, bool] = {}
    requirements: dict[str, tuple[str, bool]] = {}
    while todo:
        domain, certain = todo.pop()
        if domain in seen and (seen[domain] or not certain):
            continue
        seen[domain] = certain
        path = components / domain / "manifest.json"
        if not path.exists():
            continue
        manifest = json.loads(path.read_text(encoding="utf-8"))
        for requirement in manifest.get("requirements", []):
            if requirement not in requirements or certain:
                requirements[requirement] = (domain, certain)
        todo.extend((dependency, certain) for dependency in manifest.get("dependencies", []))
        todo.extend((dependency, False) for dependency in manifest.get("after_dependencies", []))
    return requirements


def installed_version(requirement: str) -> str | None:
    try:
        return version(Requirement(requirement).name)
    except PackageNotFoundError:
        return None


def main() -> None:
    print(f"# What Home Assistant {ha_version} sets up by default needs (ha_requirements.py).")
    for requirement, (domain, certain) in sorted(
        wanted().items(), key=lambda item: item[0].lower()
    ):
        installed = installed_version(requirement)
        if installed is None and not certain:
            continue  # an optional integration's package nothing installed: not imported
        if installed is None or not Requirement(requirement).specifier.contains(
            installed, prereleases=True
        ):
            print(f"{requirement}  # {domain}")


if __name__ == "__main__":
    main()
