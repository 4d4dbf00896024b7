"""OAuth 2.0 client credentials: the token request, caching, renewal, concurrency, errors."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiohttp import web
import pytest

from custom_components.fluvius.api import (
    AccessToken,
    Credentials,
    FluviusAuthError,
    FluviusClient,
    FluviusConnectionError,
    FluviusPayloadError,
    FluviusRateLimitError,
    FluviusServerError,
    TokenManager,
)
from custom_components.fluvius.api.auth import refresh_delay

from .conftest import FakeClock
from .fake_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    SCOPE,
    SUBSCRIPTION_KEY,
    TENANT,
    FakeFluvius,
    Reply,
)

MakeClient = Callable[..., FluviusClient]


async def test_token_request_is_client_credentials(
    client: FluviusClient, fake_api: FakeFluvius
) -> None:
    token = await client.auth.get_token()
    assert token == fake_api.tokens_issued[0]
    assert fake_api.token_requests == [
        {
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scope": SCOPE,
        }
    ]
    assert fake_api.token_urls == [f"/{TENANT}/oauth2/v2.0/token"]


async def test_token_is_cached_until_five_minutes_before_expiry(
    client: FluviusClient, fake_api: FakeFluvius, clock: FakeClock
) -> None:
    first = await client.auth.get_token()
    clock.advance(3599 - 300 - 1)
    assert await client.auth.get_token() == first
    assert len(fake_api.token_requests) == 1
    clock.advance(1)  # 5 minutes before expiry
    second = await client.auth.get_token()
    assert second != first
    assert len(fake_api.token_requests) == 2
    assert await client.auth.get_token() == second


@pytest.mark.parametrize(
    ("expires_in", "renew_after"),
    [(3600, 3300), ("3599", 3299), (600, 300), (300, 150), (60, 30), (None, 3300), ("x", 3300)],
)
async def test_renewal_time(
    client: FluviusClient,
    fake_api: FakeFluvius,
    clock: FakeClock,
    expires_in: Any,
    renew_after: float,
) -> None:
    fake_api.expires_in = expires_in
    await client.auth.get_token()
    clock.advance(renew_after - 0.5)
    await client.auth.get_token()
    assert len(fake_api.token_requests) == 1
    clock.advance(0.5)
    await client.auth.get_token()
    assert len(fake_api.token_requests) == 2


def test_refresh_delay() -> None:
    assert refresh_delay(3600) == 3300
    assert refresh_delay(601) == 301
    assert refresh_delay(600) == 300
    assert refresh_delay(100) == 50
    assert refresh_delay(-5) == 0


async def test_concurrent_callers_share_one_token_request(
    client: FluviusClient, fake_api: FakeFluvius
) -> None:
    fake_api.token_gate = asyncio.Event()
    calls = [asyncio.create_task(client.get_mandates()) for _ in range(10)]
    await asyncio.sleep(0.05)
    fake_api.token_gate.set()
    results = await asyncio.gather(*calls)
    assert len(fake_api.token_requests) == 1
    assert len(fake_api.requests) == 10
    assert all(len(mandates) == 1 for mandates in results)
    tokens = {r.headers["Authorization"] for r in fake_api.requests}
    assert tokens == {f"Bearer {fake_api.tokens_issued[0]}"}


async def test_concurrent_callers_share_one_failure(
    client: FluviusClient, fake_api: FakeFluvius
) -> None:
    fake_api.queue_token(
        Reply(
            400,
            {
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided.",
            },
        )
    )
    fake_api.token_gate = asyncio.Event()
    calls = [asyncio.create_task(client.auth.get_token()) for _ in range(5)]
    await asyncio.sleep(0.05)
    fake_api.token_gate.set()
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert all(isinstance(r, FluviusAuthError) for r in results)
    assert len(fake_api.token_requests) == 1
    # the next call tries again
    assert await client.auth.get_token() == fake_api.tokens_issued[0]
    assert len(fake_api.token_requests) == 2


async def test_cancelled_caller_does_not_cancel_the_shared_refresh(
    client: FluviusClient, fake_api: FakeFluvius
) -> None:
    fake_api.token_gate = asyncio.Event()
    first = asyncio.create_task(client.auth.get_token())
    second = asyncio.create_task(client.auth.get_token())
    await asyncio.sleep(0.05)
    first.cancel()
    fake_api.token_gate.set()
    assert await second == fake_api.tokens_issued[0]
    with pytest.raises(asyncio.CancelledError):
        await first
    assert len(fake_api.token_requests) == 1


@pytest.mark.parametrize(
    ("status", "body", "code", "text"),
    [
        (
            400,
            {
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided.",
            },
            "invalid_client",
            "AADSTS7000215",
        ),
        (
            401,
            {"error": "unauthorized_client", "error_description": "AADSTS700016: not found"},
            "unauthorized_client",
            "AADSTS700016",
        ),
        (
            400,
            {"error": "invalid_scope", "error_description": "AADSTS70011: The provided scope"},
            "invalid_scope",
            "AADSTS70011",
        ),
        (404, "Not Found", None, "Not Found"),
        (403, b"", None, "HTTP 403"),
    ],
)
async def test_token_endpoint_refusals(
    client: FluviusClient,
    fake_api: FakeFluvius,
    clock: FakeClock,
    status: int,
    body: Any,
    code: str | None,
    text: str,
) -> None:
    fake_api.queue_token(Reply(status, body))
    with pytest.raises(FluviusAuthError) as info:
        await client.get_mandates()
    assert info.value.code == code
    assert info.value.status == status
    assert text in str(info.value)
    assert clock.sleeps == []  # not retried
    assert fake_api.requests == []


async def test_token_endpoint_5xx_is_retried(
    client: FluviusClient, fake_api: FakeFluvius, clock: FakeClock
) -> None:
    fake_api.queue_token(Reply(503, {"error": "temporarily_unavailable"}), Reply(500))
    assert await client.auth.get_token() == fake_api.tokens_issued[0]
    assert clock.sleeps == [1.0, 2.0]  # random() = 0.5: half of 2 s, 4 s


async def test_token_endpoint_5xx_gives_up(
    client: FluviusClient, fake_api: FakeFluvius, clock: FakeClock
) -> None:
    fake_api.queue_token(*[Reply(502, "Bad Gateway")] * 4)
    with pytest.raises(FluviusServerError) as info:
        await client.auth.get_token()
    assert info.value.status == 502
    assert len(fake_api.token_requests) == 4
    assert clock.sleeps == [1.0, 2.0, 4.0]


async def test_token_endpoint_429_honours_retry_after(
    client: FluviusClient, fake_api: FakeFluvius, clock: FakeClock
) -> None:
    fake_api.queue_token(Reply(429, {}, {"Retry-After": "7"}), Reply(429, {}))
    assert await client.auth.get_token()
    assert clock.sleeps == [7.0, 2.0]  # Retry-After, then backoff (retry 1: half of 4 s)


async def test_token_endpoint_429_gives_up(
    make_client: MakeClient, fake_api: FakeFluvius, clock: FakeClock
) -> None:
    client = make_client(max_retries=1)
    fake_api.queue_token(Reply(429, {}, {"Retry-After": "3"}), Reply(429, {}, {"Retry-After": "4"}))
    with pytest.raises(FluviusRateLimitError) as info:
        await client.auth.get_token()
    assert info.value.retry_after == 4.0
    assert clock.sleeps == [3.0]


async def test_token_endpoint_unreachable(
    make_client: MakeClient, clock: FakeClock, unused_tcp_port: int
) -> None:
    client = make_client(base=f"http://127.0.0.1:{unused_tcp_port}")
    with pytest.raises(FluviusConnectionError, match="could not be reached"):
        await client.auth.get_token()
    assert clock.sleeps == [1.0, 2.0, 4.0]


async def test_token_endpoint_invalid_url(make_client: MakeClient) -> None:
    client = make_client(base="http://[::1")
    with pytest.raises(FluviusConnectionError, match="not valid"):
        await client.auth.get_token()


async def test_token_endpoint_timeout(
    make_client: MakeClient, fake_api: FakeFluvius, clock: FakeClock
) -> None:
    client = make_client(request_timeout=0.05, max_retries=1)
    fake_api.queue_token(Reply(delay=1.0), Reply(delay=1.0))
    with pytest.raises(FluviusConnectionError, match="timed out"):
        await client.auth.get_token()
    assert clock.sleeps == [1.0]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (b"<html>login</html>", "$"),
        (["access_token"], "$"),
        ({"token_type": "Bearer"}, "access_token"),
        ({"access_token": ""}, "access_token"),
    ],
)
async def test_token_response_without_token(
    client: FluviusClient, fake_api: FakeFluvius, body: Any, path: str
) -> None:
    fake_api.queue_token(Reply(200, body))
    with pytest.raises(FluviusPayloadError) as info:
        await client.auth.get_token()
    assert info.value.path == path


async def test_transient_renewal_failure_keeps_the_valid_token(
    make_client: MakeClient, fake_api: FakeFluvius, clock: FakeClock
) -> None:
    client = make_client(max_retries=0)
    first = await client.auth.get_token()
    clock.advance(3400)  # renewal due, still valid for ~200 s
    fake_api.queue_token(Reply(503))
    assert await client.auth.get_token() == first
    clock.advance(200)  # now really expired (within the safety margin)
    fake_api.queue_token(Reply(503))
    with pytest.raises(FluviusServerError):
        await client.auth.get_token()
    assert await client.auth.get_token() == fake_api.tokens_issued[-1] != first


async def test_auth_failure_on_renewal_is_not_hidden(
    client: FluviusClient, fake_api: FakeFluvius, clock: FakeClock
) -> None:
    await client.auth.get_token()
    clock.advance(3400)
    fake_api.queue_token(Reply(401, {"error": "invalid_client"}))
    with pytest.raises(FluviusAuthError):
        await client.auth.get_token()


async def test_invalidate_only_the_given_token(
    client: FluviusClient, fake_api: FakeFluvius
) -> None:
    def cached() -> AccessToken | None:
        return client.auth.token

    token = await client.auth.get_token()
    client.auth.invalidate("some-older-token")
    assert cached() is not None
    client.auth.invalidate(token)
    assert cached() is None
    assert await client.auth.get_token() != token
    client.auth.invalidate()
    assert cached() is None


async def test_unawaited_failure_is_retrieved(
    session: Any, fake_api: FakeFluvius, clock: FakeClock
) -> None:
    """A refresh that fails after its only caller was cancelled leaves no unhandled error."""
    manager = TokenManager(
        session,
        token_url=fake_api.base + f"/{TENANT}/oauth2/v2.0/token",  # type: ignore[attr-defined]
        credentials=Credentials(TENANT, CLIENT_ID, CLIENT_SECRET, SCOPE, SUBSCRIPTION_KEY),
        sleep=clock.sleep,
        time=clock.time,
    )

    async def refuse(request: web.Request) -> web.Response:
        await asyncio.sleep(0.05)
        return web.json_response({"error": "invalid_client"}, status=400)

    fake_api.queue_token(refuse)
    caller = asyncio.create_task(manager.get_token())
    await asyncio.sleep(0.01)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    await asyncio.sleep(0.1)
    assert manager.requests == 1
    assert "cached=False" in repr(manager)


def test_secrets_are_not_in_reprs() -> None:
    credentials = Credentials(TENANT, CLIENT_ID, CLIENT_SECRET, SCOPE, SUBSCRIPTION_KEY)
    for text in (repr(credentials), str(credentials)):
        assert CLIENT_SECRET not in text
        assert SUBSCRIPTION_KEY not in text
        assert CLIENT_ID in text
    token = AccessToken("eyJ.secret-token.sig", 10.0, 5.0)
    assert "secret-token" not in repr(token)
    assert token.fresh(4.0)
    assert not token.fresh(5.0)
    assert token.valid(-0.5)
    assert not token.valid(0.0)
