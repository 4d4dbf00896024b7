"""Fixtures of the stand-in's tests: plain pytest-asyncio and aiohttp test utilities.

``make_client(**config)`` starts a stand-in (``SandboxConfig``, clock frozen at :data:`NOW` unless
given) on a loopback TestServer and returns a :class:`SandboxClient` that knows the default
credentials; ``client`` is one with the defaults.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
import pytest

from fluvius_sandbox import SANDBOX_KEY, Sandbox, SandboxConfig, create_app

API = "/ext/mijnfluvius-profnetgebruiker-sbx/v1"
TOKEN_PATH = "/sandbox-tenant/oauth2/v2.0/token"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TOKEN_FORM = {
    "grant_type": "client_credentials",
    "client_id": "sandbox-client",
    "client_secret": "sandbox-secret",
    "scope": "api://fluvius-sandbox/.default",
}
KEY = "sandbox-subscription-key"


class SandboxClient:
    """A TestClient plus the sandbox state and helpers that authenticate like a real client."""

    def __init__(self, client: TestClient[Any, Any], sandbox: Sandbox) -> None:
        self.http = client
        self.sandbox = sandbox
        self._token: str | None = None

    async def token(self, form: dict[str, str] | None = None) -> str:
        response = await self.http.post(TOKEN_PATH, data=form or TOKEN_FORM)
        assert response.status == 200, await response.text()
        token: str = (await response.json())["access_token"]
        return token

    async def headers(self, *, fresh: bool = False) -> dict[str, str]:
        """Valid headers; a new token when asked or when the clock has moved past the old one."""
        info = self.sandbox.tokens.get(self._token or "")
        if info is None or fresh or self.sandbox.now() >= info.expires:
            self._token = await self.token()
        return {"Authorization": f"Bearer {self._token}", "Ocp-Apim-Subscription-Key": KEY}

    async def get(self, path: str, params: Any = None, **kwargs: Any) -> ClientResponse:
        headers = kwargs.pop("headers", None) or await self.headers()
        return await self.http.get(API + path, params=params, headers=headers, **kwargs)

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> ClientResponse:
        headers = kwargs.pop("headers", None) or await self.headers()
        return await self.http.post(API + path, json=json, headers=headers, **kwargs)

    async def energy(self, ean: str, start: str, end: str, **params: Any) -> ClientResponse:
        query: list[tuple[str, str]] = [
            ("ean", ean),
            ("periodType", params.pop("periodType", "readTime")),
            ("from", start),
            ("to", end),
        ]
        for name, value in params.items():
            values = value if isinstance(value, list | tuple) else [value]
            query += [(name, str(v)) for v in values]
        return await self.get("/Mandate/energy", params=query)

    async def energy_json(self, ean: str, start: str, end: str, **params: Any) -> Any:
        response = await self.energy(ean, start, end, **params)
        assert response.status == 200, await response.text()
        return await response.json()

    async def mandates(self, **params: Any) -> list[dict[str, Any]]:
        query = [
            (name, str(v))
            for name, value in params.items()
            for v in (value if isinstance(value, list | tuple) else [value])
        ]
        response = await self.get("/Mandate", params=query)
        assert response.status == 200, await response.text()
        body = await response.json()
        result: list[dict[str, Any]] = body["data"]["mandates"]
        return result


type MakeClient = Callable[..., Awaitable[SandboxClient]]


@pytest.fixture(autouse=True)
def _loopback_sockets(socket_enabled: None) -> None:
    """The stand-in runs on 127.0.0.1; the Home Assistant test plugin blocks sockets otherwise."""


@pytest.fixture
async def make_client() -> AsyncIterator[MakeClient]:
    clients: list[TestClient[Any, Any]] = []

    async def make(**config: Any) -> SandboxClient:
        config.setdefault("now", NOW)
        app = create_app(SandboxConfig(**config))
        client: TestClient[Any, Any] = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return SandboxClient(client, app[SANDBOX_KEY])

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def client(make_client: MakeClient) -> SandboxClient:
    return await make_client()


@pytest.fixture
async def demo(make_client: MakeClient) -> SandboxClient:
    return await make_client(demo=True)


def skeleton(value: Any) -> Any:
    """The structure of a JSON value: keys in order, types of leaves, lists by their elements."""
    if isinstance(value, dict):
        return [(key, skeleton(item)) for key, item in value.items()]
    if isinstance(value, list):
        shapes = []
        for item in value:
            shape = skeleton(item)
            if shape not in shapes:
                shapes.append(shape)
        return ["list", *shapes]
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "str"


def milli(value: float) -> int:
    """A 3-decimal API value as an integer number of thousandths."""
    return round(value * 1000)


def when(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")


def active(registers: dict[str, Any]) -> dict[str, Any]:
    """A direction's active energy as one leaf: ``total``, or ``day`` + ``night`` (a digital
    quarter-hour in the ``day_night`` layout; both registers carry the same state)."""
    if "total" in registers:
        leaf: dict[str, Any] = registers["total"]
        return leaf
    day, night = registers["day"], registers["night"]
    assert day["validationState"] == night["validationState"]
    return {**day, "value": (milli(day["value"]) + milli(night["value"])) / 1000}


def series(
    intervals: list[dict[str, Any]],
    direction: str,
    register: str = "total",
    unit: str | None = None,
) -> dict[str, tuple[int, dict[str, Any]]]:
    """start -> (thousandths, leaf) of one register in an interval array (``total``: the
    active energy, also where ``day`` and ``night`` carry it)."""
    result = {}
    for interval in intervals:
        for measurement in interval["measurements"]:
            registers = measurement.get(direction, {})
            leaf = registers.get(register)
            if leaf is None and register == "total" and "day" in registers:
                leaf = active(registers)
            if leaf is not None and (unit is None or leaf["unit"] == unit):
                result[interval["start"]] = (milli(leaf["value"]), leaf)
    return result
