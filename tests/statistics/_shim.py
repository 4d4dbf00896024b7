"""Temporary: lets these tests import the integration while the API client is not there yet.

``helpers.py`` imports ``FluviusClient`` from ``api``; until the API client lands, the tests
use a stub ``helpers`` module. These tests never use the real client (they hand the fake API to
the coordinator). Remove once ``api/__init__.py`` exports the client.
"""

from __future__ import annotations

from pathlib import Path
import sys
import types

_API = Path(__file__).parents[2] / "custom_components" / "fluvius" / "api"
if not (_API / "__init__.py").exists() or "FluviusClient" not in (_API / "__init__.py").read_text(
    encoding="utf-8"
):
    stub = types.ModuleType("custom_components.fluvius.helpers")

    def create_client(*args: object, **kwargs: object) -> object:
        raise RuntimeError("API client not available yet")

    stub.create_client = create_client  # type: ignore[attr-defined]
    sys.modules["custom_components.fluvius.helpers"] = stub

    # The config flow imports the client too; setting up an entry only needs it importable.
    from homeassistant import config_entries

    flow = types.ModuleType("custom_components.fluvius.config_flow")

    class FluviusConfigFlow(config_entries.ConfigFlow, domain="fluvius"):
        VERSION = 1

    flow.FluviusConfigFlow = FluviusConfigFlow  # type: ignore[attr-defined]
    sys.modules["custom_components.fluvius.config_flow"] = flow
