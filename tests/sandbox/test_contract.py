"""The stand-in's addresses are the integration's (custom_components/fluvius/api/endpoints.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
import sys
from types import ModuleType
from urllib.parse import urlsplit

from fluvius_sandbox import config

ENDPOINTS = Path(__file__).parents[2] / "custom_components" / "fluvius" / "api" / "endpoints.py"


def _endpoints() -> ModuleType:
    """Load endpoints.py on its own (the package's __init__ would import Home Assistant)."""
    spec = importlib.util.spec_from_file_location("_fluvius_endpoints_contract", ENDPOINTS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_paths_and_headers_match_the_integration() -> None:
    endpoints = _endpoints()
    assert urlsplit(endpoints.SANDBOX_BASE_URL).path == config.API_PREFIX
    assert endpoints.MANDATE_PATH == config.MANDATE_PATH
    assert endpoints.ENERGY_PATH == config.ENERGY_PATH
    assert endpoints.MOCK_MANDATE_PATH == config.MOCK_MANDATE_PATH
    assert urlsplit(endpoints.DEFAULT_TOKEN_URL).path == config.TOKEN_PATH
    assert set(endpoints.SUBSCRIPTION_KEY_HEADERS) == set(config.SUBSCRIPTION_KEY_HEADERS)
