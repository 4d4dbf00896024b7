"""A faithful local stand-in for the Fluvius "API for professional users" (sandbox flavour).

Serves the token endpoint (Microsoft Entra ID style), GET Mandate, GET Energy and POST Create
Mock Mandate with the specification's paths, parameters, validation errors and JSON shapes, the
mock-EAN semantics of the addendum, deterministic synthetic data with insert times and revisions,
a simulated clock and fault knobs. ``python -m fluvius_sandbox --demo`` runs it; tests use
:func:`create_app` and drive the state through ``app[SANDBOX_KEY]``.
"""

from __future__ import annotations

from .app import SANDBOX_KEY, create_app
from .clock import SimClock
from .config import (
    API_PREFIX,
    DEMO_MANDATES,
    ENERGY_PATH,
    MANDATE_PATH,
    MOCK_MANDATE_PATH,
    MandateSpec,
    SandboxConfig,
    SandboxCredentials,
)
from .eans import InvalidEanError, MockEan, parse_mock_ean, sub_ean
from .faults import FaultKind, FaultRule, Faults, FaultSpecError, parse_spec
from .mandates import MandateError, MandateRecord
from .state import Sandbox, SandboxStats
from .truth import SeriesTruth, Truth

__all__ = [
    "API_PREFIX",
    "DEMO_MANDATES",
    "ENERGY_PATH",
    "MANDATE_PATH",
    "MOCK_MANDATE_PATH",
    "SANDBOX_KEY",
    "FaultKind",
    "FaultRule",
    "FaultSpecError",
    "Faults",
    "InvalidEanError",
    "MandateError",
    "MandateRecord",
    "MandateSpec",
    "MockEan",
    "Sandbox",
    "SandboxConfig",
    "SandboxCredentials",
    "SandboxStats",
    "SeriesTruth",
    "SimClock",
    "Truth",
    "create_app",
    "parse_mock_ean",
    "parse_spec",
    "sub_ean",
]
