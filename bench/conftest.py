"""What every benchmark module (``bench/_bench_*.py``, run through ``_runner.py``) stands on."""

from __future__ import annotations

import logging

from homeassistant.components.recorder import Recorder
import pytest


@pytest.fixture(autouse=True)
def _harness(
    recorder_mock: Recorder, enable_custom_integrations: None, socket_enabled: None
) -> None:
    """A real (file-backed, --dburl) recorder, the custom integration, loopback sockets."""


@pytest.fixture(autouse=True)
def _quiet_sql() -> None:
    """No SQL statement log (the test harness turns it on): Home Assistant does not log every
    statement either, and formatting ~100,000 of them would weigh on what is measured."""
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
