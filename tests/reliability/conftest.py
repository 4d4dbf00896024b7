"""Fixtures of the reliability tests: the API stand-in on loopback, the real client (through the
config entry's data), a real recorder, and Home Assistant's clock moved together with the
stand-in's simulated clock. They live in :mod:`tests.standin` (shared with the statistics tests)
and are re-exported here, so ``from .conftest import ...`` keeps working for every name it had.

These tests run on SQLite and again on PostgreSQL (``scripts/test`` passes ``--dburl``).
"""

from __future__ import annotations

from tests.standin import *  # noqa: F403  # fixtures, helpers, EANs, NOW: one shared home
from tests.standin import _harness  # noqa: F401  # autouse: recorder, integration, sockets
