"""Secrets never leak: raise every error of the client and search its text and the DEBUG log.

The stand-in is hostile on purpose: its error bodies echo the client secret, the subscription
key and the bearer token back, as a badly written gateway might.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
import logging
from typing import Any

from aiohttp import web
import pytest

from custom_components.fluvius.api import (
    FluviusAuthError,
    FluviusClient,
    FluviusConnectionError,
    FluviusError,
    FluviusForbiddenError,
    FluviusNoMandateError,
    FluviusPayloadError,
    FluviusPeriodError,
    FluviusRateLimitError,
    FluviusRequestError,
    FluviusServerError,
    FluviusSubscriptionKeyError,
    InvalidEanError,
    PeriodType,
)

from .conftest import NOW, FakeClock
from .fake_server import CLIENT_SECRET, SUBSCRIPTION_KEY, FakeFluvius, Reply

MakeClient = Callable[..., FluviusClient]
EAN = "541441234567891234"


def _echo(status: int, headers: dict[str, str] | None = None) -> Any:
    """A reply that quotes every credential it received."""

    async def handler(request: web.Request) -> web.Response:
        text = (
            f"rejected: Authorization={request.headers.get('Authorization')} "
            f"key={request.headers.get('Ocp-Apim-Subscription-Key')} secret={CLIENT_SECRET}"
        )
        return web.json_response(
            {"statusCode": status, "message": text}, status=status, headers=headers
        )

    return handler


def _token_echo(status: int) -> Any:
    async def handler(request: web.Request) -> web.Response:
        form = await request.post()
        return web.json_response(
            {
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret "
                + str(form["client_secret"]),
            },
            status=status,
        )

    return handler


async def _mandates(client: FluviusClient) -> Any:
    return await client.get_mandates()


async def _energy(client: FluviusClient) -> Any:
    return await client.get_energy(EAN, PeriodType.READ_TIME, NOW - timedelta(days=1), NOW)


Scenario = tuple[type[Exception], Callable[[FakeFluvius], None], Callable[..., Awaitable[Any]]]

SCENARIOS: dict[str, Scenario] = {
    "token refused": (
        FluviusAuthError,
        lambda api: api.queue_token(_token_echo(401)),
        _mandates,
    ),
    "token 5xx": (
        FluviusServerError,
        lambda api: api.queue_token(*[_token_echo(500)] * 4),
        _mandates,
    ),
    "token 429": (
        FluviusRateLimitError,
        lambda api: api.queue_token(*[_token_echo(429)] * 4),
        _mandates,
    ),
    "400": (FluviusRequestError, lambda api: api.queue(_echo(400)), _energy),
    "401 twice": (FluviusAuthError, lambda api: api.queue(_echo(401), _echo(401)), _energy),
    "subscription key": (
        FluviusSubscriptionKeyError,
        lambda api: api.queue(
            Reply(
                401,
                {"message": f"Access denied due to invalid subscription key {SUBSCRIPTION_KEY}"},
            )
        ),
        _mandates,
    ),
    "403": (FluviusForbiddenError, lambda api: api.queue(_echo(403)), _energy),
    "404": (FluviusNoMandateError, lambda api: api.queue(_echo(404)), _energy),
    "429": (
        FluviusRateLimitError,
        lambda api: api.queue(*[_echo(429, {"Retry-After": "1"})] * 4),
        _energy,
    ),
    "5xx": (FluviusServerError, lambda api: api.queue(*[_echo(503)] * 4), _energy),
    "payload": (
        FluviusPayloadError,
        lambda api: api.queue(Reply(200, f"not json {CLIENT_SECRET} {SUBSCRIPTION_KEY}")),
        _energy,
    ),
    "timeout": (
        FluviusConnectionError,
        lambda api: api.queue(*[Reply(delay=0.5)] * 4),
        _mandates,
    ),
    "period": (
        FluviusPeriodError,
        lambda api: None,
        lambda client: client.get_energy(EAN, PeriodType.READ_TIME, NOW, NOW),
    ),
    "ean": (
        InvalidEanError,
        lambda api: None,
        lambda client: client.get_mandates(ean="1234"),
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_no_secret_in_errors_or_logs(
    make_client: MakeClient,
    fake_api: FakeFluvius,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    name: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    expected, arrange, call = SCENARIOS[name]
    client = make_client(request_timeout=0.05)
    arrange(fake_api)
    with pytest.raises(expected) as info:
        await call(client)
    error = info.value
    texts = [str(error), repr(error), caplog.text, repr(client), repr(client.credentials)]
    if isinstance(error, FluviusError):
        texts.append(error.message)
    texts += [str(a) for a in error.args]
    secrets = [CLIENT_SECRET, SUBSCRIPTION_KEY, *fake_api.tokens_issued]
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"{name}: a secret leaked into {text[:200]!r}"
    # the redaction is visible where the server echoed a secret
    if name in ("token refused", "400", "403", "404"):
        assert "**REDACTED**" in str(error)


async def test_old_tokens_stay_redacted(
    client: FluviusClient, fake_api: FakeFluvius, clock: FakeClock
) -> None:
    await client.get_mandates()
    old = fake_api.tokens_issued[0]
    clock.advance(3400)
    await client.get_mandates()  # a new token
    assert fake_api.tokens_issued[1] != old
    fake_api.queue(Reply(400, {"message": f"token {old} is not the current one"}))
    with pytest.raises(FluviusRequestError) as info:
        await client.get_mandates()
    assert old not in str(info.value)
