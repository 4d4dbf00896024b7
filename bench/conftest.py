"""What every benchmark module (``bench/_bench_*.py``, run through ``_runner.py``) stands on."""

from __future__ import annotations

from collections.abc import Iterator
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


@pytest.fixture(autouse=True)
def _warnings_only() -> Iterator[None]:
    """Home Assistant's default log level (warning): the test harness logs at info to the
    console, and writing ~1,000 "Registered new entity" lines as 50 meters' sensors are added
    blocks the event loop (~90 ms) in a way no installation does."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.WARNING)
    yield
    root.setLevel(level)
