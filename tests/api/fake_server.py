"""A small local stand-in of the token endpoint and the API, on aiohttp's TestServer.

Every request is recorded; answers come from queues the test fills (``api.queue(...)``,
``api.queue_token(...)``), else from defaults: a fresh token per token request, the spec's
example payloads for GET Mandate / GET Energy, and a bearer-token and subscription-key check
like the real gateway's.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
import json
from typing import Any

from aiohttp import web
from multidict import MultiDict

from .conftest import load_fixture

TENANT = "tenant-0000"
CLIENT_ID = "client-1111"
CLIENT_SECRET = "s3cr3t-Client-Secret-Value~xyz"
SCOPE = "api://fluvius/.default"
SUBSCRIPTION_KEY = "subKey0123456789abcdef"
API_PREFIX = "/ext/mijnfluvius-profnetgebruiker-sbx/v1"

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: MultiDict[str]
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Reply:
    """A canned answer."""

    status: int = 200
    body: Any = None  # JSON-encodable, or bytes/str sent as is
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (real time: keep small)

    def response(self) -> web.Response:
        if isinstance(self.body, bytes):
            raw = self.body
        elif isinstance(self.body, str):
            raw = self.body.encode()
        elif self.body is None:
            raw = b""
        else:
            raw = json.dumps(self.body).encode()
        return web.Response(
            status=self.status,
            body=raw,
            headers={"Content-Type": "application/json", **self.headers},
        )


class FakeFluvius:
    """The app, its recordings and its queues."""

    def __init__(self) -> None:
        self.tokens_issued: list[str] = []
        self.token_requests: list[dict[str, str]] = []
        self.token_urls: list[str] = []
        self.requests: list[Recorded] = []
        self.token_queue: deque[Reply | Handler] = deque()
        self.api_queue: deque[Reply | Handler] = deque()
        self.expires_in: Any = 3599
        self.check_auth = True
        self.token_gate: asyncio.Event | None = None  # hold token answers until set
        self.app = web.Application()
        self.app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        self.app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._api)

    # --- queues -------------------------------------------------------------------------

    def queue(self, *replies: Reply | Handler) -> None:
        self.api_queue.extend(replies)

    def queue_token(self, *replies: Reply | Handler) -> None:
        self.token_queue.extend(replies)

    @property
    def api_requests(self) -> list[Recorded]:
        return self.requests

    # --- handlers -----------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        self.token_requests.append({k: str(v) for k, v in form.items()})
        self.token_urls.append(request.path)
        if self.token_gate is not None:
            await self.token_gate.wait()
        if self.token_queue:
            reply = self.token_queue.popleft()
            if not isinstance(reply, Reply):
                return await reply(request)
            if reply.delay:
                await asyncio.sleep(reply.delay)
            return reply.response()
        token = f"eyJ0eXAi.token-{len(self.tokens_issued) + 1}.sig"
        self.tokens_issued.append(token)
        return web.json_response(
            {"token_type": "Bearer", "expires_in": self.expires_in, "access_token": token}
        )

    async def _api(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(
            Recorded(
                request.method,
                request.path.removeprefix(API_PREFIX),
                MultiDict(request.query),
                dict(request.headers),
                body,
            )
        )
        if self.check_auth:
            keys = {
                request.headers.get("Ocp-Apim-Subscription-Key"),
                request.headers.get("Subscription-Key"),
            }
            if keys != {SUBSCRIPTION_KEY}:
                return web.json_response(
                    {
                        "statusCode": 401,
                        "message": "Access denied due to invalid subscription key. Make sure "
                        "to provide a valid key for an active subscription.",
                    },
                    status=401,
                )
            bearer = request.headers.get("Authorization", "")
            if bearer.removeprefix("Bearer ") not in self.tokens_issued[-1:]:
                return web.json_response(
                    {"statusCode": 401, "message": "Unauthorized. Access token is invalid."},
                    status=401,
                )
        if self.api_queue:
            reply = self.api_queue.popleft()
            if not isinstance(reply, Reply):
                return await reply(request)
            if reply.delay:
                await asyncio.sleep(reply.delay)
            return reply.response()
        path = request.path.removeprefix(API_PREFIX)
        if path == "/Mandate":
            return web.json_response(load_fixture("mandates_example_1"))
        if path == "/Mandate/energy":
            return web.json_response(load_fixture("energy_daily_digital_electricity"))
        if path == "/Mandate/mock":
            return web.json_response({"data": json.loads(body)}, status=201)
        return web.json_response({"message": "not found"}, status=404)
