"""Shared helpers of the API client tests (no Home Assistant fixtures needed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(name: str) -> Any:
    """A JSON fixture of the spec's examples (tests/api/fixtures/<name>.json)."""
    return json.loads((FIXTURES / f"{name}.json").read_text())
