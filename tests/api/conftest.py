"""Shared fixtures of the API client tests: no Home Assistant fixtures needed.

* ``fake_api``: the local stand-in of :mod:`tests.api.fake_server` on a TestServer (127.0.0.1);
* ``clock``: a fake monotonic clock, wall clock and ``sleep`` (retries never really wait);
* ``make_client``: a :class:`FluviusClient` wired to both.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp.test_utils import TestServer
import pytest

from custom_components.fluvius.api import Endpoints, FluviusClient

if TYPE_CHECKING:
    from .fake_server import FakeFluvius

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2025, 6, 1, 10, 0, tzinfo=UTC)


def load_fixture(name: str) -> Any:
    """A JSON fixture of the spec's examples (tests/api/fixtures/<name>.json)."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


class FakeClock:
    """Monotonic time, wall time and sleep that only move when told (or when slept on)."""

    def __init__(self, wall: datetime = NOW) -> None:
        self.monotonic = 1000.0
        self.start_wall = wall
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.monotonic

    def now(self) -> datetime:
        return self.start_wall + timedelta(seconds=self.monotonic - 1000.0)

    def advance(self, seconds: float) -> None:
        self.monotonic += seconds

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        self.advance(delay)
        await asyncio.sleep(0)


@pytest.fixture(autouse=True)
def _loopback_sockets(socket_enabled: None) -> None:
    """The stand-in runs on 127.0.0.1; the test harness blocks sockets unless told."""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeFluvius]:
    from .fake_server import FakeFluvius

    api = FakeFluvius()
    server = TestServer(api.app, host="127.0.0.1")
    await server.start_server()
    api.base = f"http://127.0.0.1:{server.port}"  # type: ignore[attr-defined]
    yield api
    await server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


def endpoints_for(base: str) -> Endpoints:
    from .fake_server import API_PREFIX

    return Endpoints.for_environment(
        "custom", base_url=base + API_PREFIX, token_url=base + "/{tenant_id}/oauth2/v2.0/token"
    )


@pytest.fixture
def make_client(
    session: aiohttp.ClientSession, fake_api: FakeFluvius, clock: FakeClock
) -> Callable[..., FluviusClient]:
    from .fake_server import CLIENT_ID, CLIENT_SECRET, SCOPE, SUBSCRIPTION_KEY, TENANT

    def factory(**options: Any) -> FluviusClient:
        settings: dict[str, Any] = {
            "tenant_id": TENANT,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scope": SCOPE,
            "subscription_key": SUBSCRIPTION_KEY,
            "sleep": clock.sleep,
            "time": clock.time,
            "now": clock.now,
            "random": lambda: 0.5,
        }
        settings.update(options)
        base = options.pop("base", None) or fake_api.base  # type: ignore[attr-defined]
        settings.pop("base", None)
        return FluviusClient(session, endpoints_for(base), **settings)

    return factory


@pytest.fixture
def client(make_client: Callable[..., FluviusClient]) -> FluviusClient:
    return make_client()
