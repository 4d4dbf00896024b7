"""OAuth 2.0 client credentials for the Fluvius API (fluvius-api.md §4).

The token endpoint is Microsoft Entra ID's, with the tenant ID in its URL (A8): a form-encoded
POST of ``grant_type=client_credentials``, ``client_id``, ``client_secret`` and ``scope``
answers ``{"access_token": ..., "expires_in": 3599, "token_type": "Bearer"}``.

* The token is cached until shortly before it expires: 5 minutes early, or at half its life
  for tokens shorter than 10 minutes. The clock is injectable (monotonic by default).
* Concurrent callers share one refresh: the first starts it, the others await the same task.
* When a refresh fails for a transient reason (unreachable, 5xx, 429) while the cached token is
  still valid, the cached token is used (the refresh is tried again on the next call).
* Errors: a 4xx from the token endpoint (Entra: ``{"error": "invalid_client",
  "error_description": "AADSTS7000215: ..."}``) is :class:`FluviusAuthError` with ``code``;
  5xx, 429 and network failures are retried (bounded) and then :class:`FluviusServerError`,
  :class:`FluviusRateLimitError` or :class:`FluviusConnectionError`.

Neither the secret nor a token ever appears in a message, a ``repr`` or a log line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
import logging
import math
import random as _random
import time as _time
from typing import Final

import aiohttp
from yarl import URL

from ._http import Redactor, json_loads, message_from_body, oauth_error_code
from .errors import (
    FluviusAuthError,
    FluviusConnectionError,
    FluviusError,
    FluviusPayloadError,
    FluviusRateLimitError,
    FluviusServerError,
)
from .retry import RetryPolicy, parse_retry_after

_LOGGER = logging.getLogger(__name__)

GRANT_TYPE: Final = "client_credentials"
DEFAULT_EXPIRES_IN: Final = 3600.0  # "valid for at most 1 hour" (§4.2), when expires_in is absent
REFRESH_MARGIN: Final = 300.0  # renew 5 minutes before expiry ...
SHORT_TOKEN: Final = 2 * REFRESH_MARGIN  # ... or at half-life for tokens shorter than this
DEFAULT_TIMEOUT: Final = 60.0

type Sleep = Callable[[float], Awaitable[None]]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True, repr=False)
class Credentials:
    """What Mijn Fluvius issues per environment (§4.1). The ``repr`` hides the secrets."""

    tenant_id: str
    client_id: str
    client_secret: str
    scope: str
    subscription_key: str

    def __repr__(self) -> str:
        return (
            f"Credentials(tenant_id={self.tenant_id!r}, client_id={self.client_id!r}, "
            f"client_secret='***', scope={self.scope!r}, subscription_key='***')"
        )

    __str__ = __repr__

    def redactor(self) -> Redactor:
        """A redactor that knows these credentials' secrets."""
        return Redactor((self.client_secret, self.subscription_key))


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A bearer token and when to renew it (monotonic clock seconds)."""

    value: str = field(repr=False)
    expires_at: float
    refresh_at: float

    def fresh(self, now: float) -> bool:
        """Whether it needs no renewal yet."""
        return now < self.refresh_at

    def valid(self, now: float) -> bool:
        """Whether the server still accepts it (with a small safety margin)."""
        return now < self.expires_at - 10.0


def refresh_delay(expires_in: float) -> float:
    """Seconds after issue at which a token of ``expires_in`` seconds is renewed."""
    if expires_in > SHORT_TOKEN:
        return expires_in - REFRESH_MARGIN
    return max(expires_in, 0.0) / 2


class TokenManager:
    """Fetches, caches and renews the bearer token of one set of credentials."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        token_url: str,
        credentials: Credentials,
        retry: RetryPolicy | None = None,
        request_timeout: float = DEFAULT_TIMEOUT,
        sleep: Sleep = asyncio.sleep,
        time: Callable[[], float] = _time.monotonic,
        random: Callable[[], float] = _random.random,
        now: Callable[[], datetime] = _utcnow,
        redactor: Redactor | None = None,
    ) -> None:
        self._session = session
        self._token_url = token_url
        self._credentials = credentials
        self._retry = retry or RetryPolicy()
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._sleep = sleep
        self._time = time
        self._random = random
        self._now = now
        self._redact = redactor or credentials.redactor()
        self._token: AccessToken | None = None
        self._refresh: asyncio.Task[AccessToken] | None = None
        self.requests = 0  # token requests sent (diagnostics, tests)

    def __repr__(self) -> str:
        return f"TokenManager(token_url={self._token_url!r}, cached={self._token is not None})"

    @property
    def token(self) -> AccessToken | None:
        """The cached token, if any (fresh or not)."""
        return self._token

    def invalidate(self, token: str | None = None) -> None:
        """Forget the cached token (only if it is ``token``, when given: a 401 on an old token
        must not throw away the new one another caller just fetched)."""
        current = self._token
        if current is not None and (token is None or current.value == token):
            self._token = None

    async def get_token(self) -> str:
        """A bearer token, from the cache or fetched (one fetch for all concurrent callers)."""
        now = self._time()
        cached = self._token
        if cached is not None and cached.fresh(now):
            return cached.value
        task = self._refresh
        if task is None:
            task = asyncio.get_running_loop().create_task(
                self._fetch_with_retries(), name="fluvius-token-refresh"
            )
            self._refresh = task
            task.add_done_callback(self._refresh_done)
        try:
            token = await asyncio.shield(task)
        except (FluviusConnectionError, FluviusServerError, FluviusRateLimitError):
            if cached is not None and cached is self._token and cached.valid(self._time()):
                _LOGGER.debug("Token renewal failed; the current token is still valid")
                return cached.value
            raise
        return token.value

    def _refresh_done(self, task: asyncio.Task[AccessToken]) -> None:
        if self._refresh is task:
            self._refresh = None
        if not task.cancelled():
            task.exception()  # retrieved here, so an unawaited failure is not reported twice

    async def _fetch_with_retries(self) -> AccessToken:
        retry = 0
        policy = self._retry
        while True:
            try:
                return await self._fetch_once()
            except _Retryable as err:
                if retry >= policy.max_retries:
                    raise err.final from None
                if err.rate_limited:
                    delay = policy.rate_limit_wait(err.retry_after, retry, self._random)
                else:
                    delay = policy.backoff(retry, self._random)
                _LOGGER.debug(
                    "Token request failed (%s); retry %d/%d in %.1f s",
                    err.final.message,
                    retry + 1,
                    policy.max_retries,
                    delay,
                )
                retry += 1
                await self._sleep(delay)

    async def _fetch_once(self) -> AccessToken:
        credentials = self._credentials
        form = {
            "grant_type": GRANT_TYPE,
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "scope": credentials.scope,
        }
        started = self._time()
        self.requests += 1
        try:
            async with self._session.post(
                self._token_url,
                data=form,
                headers={"Accept": "application/json"},
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                status = response.status
                body = await response.read()
                retry_after_header = response.headers.get("Retry-After")
        except aiohttp.InvalidURL:
            raise FluviusConnectionError("the token endpoint URL is not valid") from None
        except (aiohttp.ClientError, TimeoutError) as err:
            reason = "timed out" if isinstance(err, TimeoutError) else type(err).__name__
            _LOGGER.debug("POST %s: %s", _safe_url(self._token_url), reason)
            raise _Retryable(
                FluviusConnectionError(f"the token endpoint could not be reached ({reason})")
            ) from None
        elapsed = self._time() - started
        _LOGGER.debug("POST %s -> %d in %.3f s", _safe_url(self._token_url), status, elapsed)
        if 200 <= status < 300:
            token = self._token_from(body, started)
            self._token = token
            self._redact.add_transient(token.value)
            return token
        message = self._redact(message_from_body(body, default=f"HTTP {status}"))
        if status == 429:
            retry_after = parse_retry_after(retry_after_header, self._now())
            raise _Retryable(
                FluviusRateLimitError(
                    f"token endpoint rate limit: {message}", retry_after=retry_after
                ),
                retry_after=retry_after,
                rate_limited=True,
            )
        if status >= 500:
            raise _Retryable(FluviusServerError(f"token endpoint: {message}", status=status))
        raise FluviusAuthError(
            f"the token endpoint refused the credentials: {message}",
            status=status,
            code=oauth_error_code(body),
        )

    def _token_from(self, body: bytes, started: float) -> AccessToken:
        try:
            document = json_loads(body)
        except ValueError:
            raise FluviusPayloadError("the token response is not JSON", path="$") from None
        if not isinstance(document, dict):
            raise FluviusPayloadError("the token response is not an object", path="$")
        value = document.get("access_token")
        if not isinstance(value, str) or not value:
            raise FluviusPayloadError("no access token in the response", path="access_token")
        expires_in = _seconds(document.get("expires_in"))
        return AccessToken(
            value=value,
            expires_at=started + expires_in,
            refresh_at=started + refresh_delay(expires_in),
        )


def _seconds(value: object) -> float:
    """``expires_in``: a number, or a numeric string (Entra v1 sends strings)."""
    if isinstance(value, bool):
        return DEFAULT_EXPIRES_IN
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        try:
            seconds = float(value)
        except ValueError:
            return DEFAULT_EXPIRES_IN
    else:
        return DEFAULT_EXPIRES_IN
    return seconds if math.isfinite(seconds) and seconds >= 0 else DEFAULT_EXPIRES_IN


def _safe_url(url: str) -> str:
    """The URL without query or user info, for logs."""
    with contextlib.suppress(ValueError):
        parsed = URL(url)
        return str(parsed.with_query(None).with_user(None).with_fragment(None))
    return "<token endpoint>"


class _Retryable(Exception):  # an internal signal, never leaves this module
    """A token request that may succeed when tried again; ``final`` is raised when not."""

    def __init__(
        self,
        final: FluviusError,
        *,
        retry_after: float | None = None,
        rate_limited: bool = False,
    ) -> None:
        super().__init__(final.message)
        self.final = final
        self.retry_after = retry_after
        self.rate_limited = rate_limited
