"""The Fluvius API client: GET Mandate, GET Energy, POST Create Mock Mandate.

Pure asyncio + aiohttp on an injected ``aiohttp.ClientSession`` (no Home Assistant import).
Every request carries ``Authorization: Bearer …``, the subscription key under every header
name in :data:`SUBSCRIPTION_KEY_HEADERS` and ``Accept: application/json``.

Error handling (fluvius-api.md §9; every error is a :class:`FluviusError`):

======================  ==================================================================
400 (and other 4xx)     :class:`FluviusRequestError` with the server's message
401                     the token is dropped, a new one fetched once and the request
                        retried; a second 401 is :class:`FluviusAuthError`
401/403 about the key   :class:`FluviusSubscriptionKeyError` (API Management: "Access denied
                        due to missing/invalid subscription key"), no token refresh
403 about a quota       :class:`FluviusRateLimitError` (API Management: "Out of call volume
                        quota. Quota will be replenished in 00:59:59."), not retried
403                     :class:`FluviusForbiddenError` (rights, contract, geoblocking)
404                     :class:`FluviusNoMandateError` with the EAN
429                     wait ``Retry-After`` (seconds or HTTP date, capped at 300 s; backoff
                        when absent) and retry; then :class:`FluviusRateLimitError`
5xx                     backoff with full jitter and retry; then :class:`FluviusServerError`
network, timeout        likewise; then :class:`FluviusConnectionError`
a bad 2xx body          :class:`FluviusPayloadError` with the JSON path
======================  ==================================================================

Retries of all kinds share one bound per request (:class:`RetryPolicy`, 3 retries = 4
attempts by default); the 401 refresh is separate and happens once. Messages and debug logs
never contain the client secret, the subscription key or a token (everything goes through a
redactor); EANs are masked in the logs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, datetime, tzinfo
import logging
import random as _random
import re
import time as _time
from typing import Any, Final

import aiohttp
from yarl import URL

from ._http import json_loads, message_from_body
from .auth import DEFAULT_TIMEOUT, Credentials, Sleep, TokenManager
from .ean import mask_ean, validate_ean
from .endpoints import SUBSCRIPTION_KEY_HEADERS, Endpoints
from .errors import (
    FluviusAuthError,
    FluviusConnectionError,
    FluviusError,
    FluviusForbiddenError,
    FluviusNoMandateError,
    FluviusPayloadError,
    FluviusRateLimitError,
    FluviusRequestError,
    FluviusServerError,
    FluviusSubscriptionKeyError,
)
from .mandate_parser import parse_mandates, parse_mock_mandate
from .models import (
    ComplexEnergyType,
    DataServiceType,
    EnergyData,
    EnergyType,
    Granularity,
    Mandate,
    MandateStatus,
    PeriodType,
    RenewalStatus,
)
from .parser import parse_energy
from .periods import BRUSSELS, MAX_PERIOD, check_period, format_datetime, split_period
from .retry import RetryPolicy, parse_retry_after

_LOGGER = logging.getLogger(__name__)

_SUBSCRIPTION_KEY = re.compile(r"subscription[\s_-]*key", re.IGNORECASE)
# API Management's quota policy answers 403 "Out of call volume quota. Quota will be
# replenished in 00:59:59." - a rate limit, not a missing right.
_QUOTA = re.compile(r"\bquota\b", re.IGNORECASE)
_REPLENISHED_IN = re.compile(r"replenished in (?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})")
_PARSE_ERRORS: Final = (
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    IndexError,
    OverflowError,
    RecursionError,
)

# Bodies at least this long are decoded off the event loop (a day of quarter-hours is ~20 kB).
PARSE_OFF_LOOP_BYTES: Final = 256 * 1024

type Params = list[tuple[str, str]]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _unique(values: Iterable[object] | None) -> list[str]:
    return list(dict.fromkeys(str(value) for value in values or ()))


class FluviusClient:
    """Client of the Fluvius "API for professional users" for one set of credentials."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        endpoints: Endpoints,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        scope: str,
        subscription_key: str,
        sleep: Sleep = asyncio.sleep,
        time: Callable[[], float] = _time.monotonic,
        now: Callable[[], datetime] = _utcnow,
        random: Callable[[], float] = _random.random,
        max_retries: int = 3,
        request_timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        timezone: tzinfo = BRUSSELS,
    ) -> None:
        self._session = session
        self._endpoints = endpoints
        self._credentials = Credentials(
            tenant_id=tenant_id,
            client_id=client_id,
            client_secret=client_secret,
            scope=scope,
            subscription_key=subscription_key,
        )
        self._redact = self._credentials.redactor()
        self._retry = retry if retry is not None else RetryPolicy(max_retries=max_retries)
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._sleep = sleep
        self._time = time
        self._now = now
        self._random = random
        self._timezone = timezone
        self._auth = TokenManager(
            session,
            token_url=endpoints.token_url_for(tenant_id),
            credentials=self._credentials,
            retry=self._retry,
            request_timeout=request_timeout,
            sleep=sleep,
            time=time,
            random=random,
            now=now,
            redactor=self._redact,
        )

    @classmethod
    def from_credentials(
        cls,
        session: aiohttp.ClientSession,
        endpoints: Endpoints,
        credentials: Credentials,
        **options: Any,
    ) -> FluviusClient:
        """A client for a :class:`Credentials` bundle (``options``: as for the constructor)."""
        return cls(
            session,
            endpoints,
            tenant_id=credentials.tenant_id,
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
            scope=credentials.scope,
            subscription_key=credentials.subscription_key,
            **options,
        )

    def __repr__(self) -> str:
        return (
            f"FluviusClient(base_url={self._endpoints.base_url!r}, "
            f"client_id={self._credentials.client_id!r})"
        )

    @property
    def endpoints(self) -> Endpoints:
        return self._endpoints

    @property
    def credentials(self) -> Credentials:
        return self._credentials

    @property
    def auth(self) -> TokenManager:
        """The token manager (its cache, request count)."""
        return self._auth

    # --- GET Mandate ----------------------------------------------------------------------

    async def get_mandates(
        self,
        *,
        reference_number: str | None = None,
        status: MandateStatus | str | None = None,
        ean: str | None = None,
        energy_type: EnergyType | str | None = None,
        data_service_types: Iterable[DataServiceType | str] = (),
        mandate_expiration_date: datetime | None = None,
        renewal_status: RenewalStatus | str | None = None,
        last_updated_from: datetime | None = None,
        last_updated_to: datetime | None = None,
    ) -> list[Mandate]:
        """The mandates matching every filter given (§6.1); all of them without filters."""
        params: Params = []
        if reference_number is not None:
            params.append(("referenceNumber", reference_number))
        if status is not None:
            params.append(("status", str(status)))
        if ean is not None:
            ean = validate_ean(ean, require_check_digit=False)
            params.append(("ean", ean))
        if energy_type is not None:
            params.append(("energyType", str(energy_type)))
        params += [("dataServiceTypes", value) for value in _unique(data_service_types)]
        for name, moment in (
            ("mandateExpirationDate", mandate_expiration_date),
            ("lastUpdatedFrom", last_updated_from),
            ("lastUpdatedTo", last_updated_to),
        ):
            if moment is not None:
                params.append((name, format_datetime(moment, name)))
        if renewal_status is not None:
            params.append(("renewalStatus", str(renewal_status)))
        body = await self._request("GET", self._endpoints.mandate_url, params=params, ean=ean)
        return self._parse(parse_mandates, body)

    # --- GET Energy -----------------------------------------------------------------------

    async def get_energy(
        self,
        ean: str,
        period_type: PeriodType,
        start: datetime,
        end: datetime,
        *,
        granularity: Iterable[Granularity] | None = (),
        complex_energy_types: Iterable[ComplexEnergyType] | None = (),
        reference_number: str | None = None,
    ) -> EnergyData:
        """Metering data of ``ean`` for ``[start, end)``, in as many ≤185-day requests as needed.

        The chunks are merged per series by start (a later chunk wins for the same start).
        :class:`FluviusPeriodError` before any request when the period cannot be asked for.
        """
        merged: EnergyData | None = None
        async for chunk in self.iter_energy(
            ean,
            period_type,
            start,
            end,
            granularity=granularity,
            complex_energy_types=complex_energy_types,
            reference_number=reference_number,
        ):
            merged = chunk if merged is None else merged.merge(chunk)
        assert merged is not None  # a valid period has at least one chunk
        return merged

    async def iter_energy(
        self,
        ean: str,
        period_type: PeriodType,
        start: datetime,
        end: datetime,
        *,
        granularity: Iterable[Granularity] | None = (),
        complex_energy_types: Iterable[ComplexEnergyType] | None = (),
        reference_number: str | None = None,
    ) -> AsyncIterator[EnergyData]:
        """One :class:`EnergyData` per ≤185-day request, oldest first (bounded memory).

        The period is checked (and the EAN validated) before the first request.
        """
        ean = validate_ean(ean, require_check_digit=False)
        begin, stop = check_period(period_type, start, end, self._now())
        chunks = self.energy_chunks(begin, stop)
        options: Params = [("granularity", value) for value in _unique(granularity)]
        options += [("complexEnergyTypes", value) for value in _unique(complex_energy_types)]
        if reference_number is not None:
            options.append(("referenceNumber", reference_number))
        for chunk_start, chunk_end in chunks:
            params: Params = [
                ("ean", ean),
                ("periodType", str(period_type)),
                ("from", format_datetime(chunk_start)),
                ("to", format_datetime(chunk_end)),
                *options,
            ]
            body = await self._request("GET", self._endpoints.energy_url, params=params, ean=ean)
            yield await self._parse_off_loop(lambda payload: parse_energy(payload, ean=ean), body)

    def energy_chunks(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The ``[from, to)`` requests :meth:`iter_energy` sends for ``[start, end)``."""
        return split_period(start, end, max_span=MAX_PERIOD, timezone=self._timezone)

    # --- POST Create Mock Mandate (sandbox) -----------------------------------------------

    async def create_mock_mandate(
        self,
        *,
        ean: str,
        status: MandateStatus | str = MandateStatus.APPROVED,
        reference_number: str | None = None,
        energy_type: EnergyType | str | None = None,
        data_service_type: DataServiceType | str | None = None,
        data_period_from: datetime | None = None,
        data_period_to: datetime | None = None,
        mandate_expiration_date: datetime | None = None,
        renewal_status: RenewalStatus | str | None = None,
    ) -> Mandate:
        """Create a fictitious mandate in the sandbox (§10.1); the created mandate.

        The response is not documented (A22): ``{"data": {mandate}}``, ``{"data": {"mandate":
        {...}}}`` and ``{"data": {"mandates": [...]}}`` are read; an empty body gives back the
        mandate as requested.
        """
        ean = validate_ean(ean, require_check_digit=False)
        body: dict[str, str] = {}
        if reference_number is not None:
            body["referenceNumber"] = reference_number
        body["status"] = str(status)
        body["ean"] = ean
        if energy_type is not None:
            body["energyType"] = str(energy_type)
        if data_service_type is not None:
            body["dataServiceType"] = str(data_service_type)
        for name, moment in (
            ("dataPeriodFrom", data_period_from),
            ("dataPeriodTo", data_period_to),
            ("mandateExpirationDate", mandate_expiration_date),
        ):
            if moment is not None:
                body[name] = format_datetime(moment, name)
        if renewal_status is not None:
            body["renewalStatus"] = str(renewal_status)
        raw = await self._request("POST", self._endpoints.mock_mandate_url, json=body, ean=ean)
        if not raw.strip():
            return parse_mock_mandate(body)
        return self._parse(parse_mock_mandate, raw)

    # --- the request loop -----------------------------------------------------------------

    async def _parse_off_loop[T](self, parse: Callable[[object], T], body: bytes) -> T:
        """:meth:`_parse`, in a worker thread for a big body: a 185-day chunk of quarter-hours
        is megabytes of JSON, and decoding it on the event loop would stall it for hundreds of
        milliseconds (measured in bench/scale.py)."""
        if len(body) < PARSE_OFF_LOOP_BYTES:
            return self._parse(parse, body)
        return await asyncio.get_running_loop().run_in_executor(None, self._parse, parse, body)

    def _parse[T](self, parse: Callable[[object], T], body: bytes) -> T:
        try:
            payload = json_loads(body)
        except ValueError:
            raise FluviusPayloadError("the response is not JSON", path="$") from None
        try:
            return parse(payload)
        except FluviusError:
            raise
        except _PARSE_ERRORS as err:  # a parser bug must not escape as a KeyError
            raise FluviusPayloadError(f"unreadable response ({type(err).__name__})") from None

    def _headers(self, token: str) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        for name in SUBSCRIPTION_KEY_HEADERS:
            headers[name] = self._credentials.subscription_key
        return headers

    async def _request(
        self,
        method: str,
        url: str,
        *,
        params: Params | None = None,
        json: dict[str, str] | None = None,
        ean: str | None = None,
    ) -> bytes:
        """The body of a 2xx response, after retries; a :class:`FluviusError` otherwise."""
        policy = self._retry
        retries = 0
        refreshed = False
        path = _path_of(url)
        shown = _loggable(params)
        while True:
            token = await self._auth.get_token()
            started = self._time()
            try:
                async with self._session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers=self._headers(token),
                    timeout=self._timeout,
                    allow_redirects=False,
                ) as response:
                    status = response.status
                    body = await response.read()
                    retry_after_header = response.headers.get("Retry-After")
            except aiohttp.InvalidURL:
                raise FluviusConnectionError(f"{method} {path}: the URL is not valid") from None
            except (aiohttp.ClientError, TimeoutError) as err:
                reason = "timed out" if isinstance(err, TimeoutError) else type(err).__name__
                _LOGGER.debug(
                    "%s %s %s: %s after %.3f s",
                    method,
                    path,
                    shown,
                    reason,
                    self._time() - started,
                )
                failure: FluviusError = FluviusConnectionError(
                    f"{method} {path}: the Fluvius API could not be reached ({reason})"
                )
                delay = policy.backoff(retries, self._random)
            else:
                _LOGGER.debug(
                    "%s %s %s -> %d in %.3f s",
                    method,
                    path,
                    shown,
                    status,
                    self._time() - started,
                )
                if 200 <= status < 300:
                    return body
                message = self._redact(message_from_body(body, default=f"HTTP {status}"))
                if status in (401, 403) and _SUBSCRIPTION_KEY.search(message):
                    raise FluviusSubscriptionKeyError(
                        f"the subscription key was refused: {message}", status=status
                    )
                if status == 401:
                    if not refreshed:
                        _LOGGER.debug("401 from %s: fetching a new token once", path)
                        self._auth.invalidate(token)
                        refreshed = True
                        continue
                    raise FluviusAuthError(
                        f"the API refused a fresh token: {message}", status=status
                    )
                if status == 403 and _QUOTA.search(message):
                    raise FluviusRateLimitError(
                        f"call quota exhausted: {message}",
                        status=status,
                        retry_after=_quota_reset(message),
                    )
                if status == 403:
                    raise FluviusForbiddenError(f"access denied: {message}", status=status)
                if status == 404:
                    raise FluviusNoMandateError(
                        f"no valid mandate: {message}", status=status, ean=ean
                    )
                if status == 429:
                    retry_after = parse_retry_after(retry_after_header, self._now())
                    failure = FluviusRateLimitError(
                        f"rate limit exceeded: {message}", retry_after=retry_after
                    )
                    delay = policy.rate_limit_wait(retry_after, retries, self._random)
                elif status >= 500:
                    failure = FluviusServerError(f"server error {status}: {message}", status=status)
                    delay = policy.backoff(retries, self._random)
                else:
                    raise FluviusRequestError(message, status=status)
            if retries >= policy.max_retries:
                raise failure
            retries += 1
            _LOGGER.debug(
                "%s %s: %s; retry %d/%d in %.1f s",
                method,
                path,
                failure.message,
                retries,
                policy.max_retries,
                delay,
            )
            await self._sleep(delay)


def _quota_reset(message: str) -> float | None:
    """Seconds until an API Management quota is replenished ("[d.]hh:mm:ss"), if said."""
    match = _REPLENISHED_IN.search(message)
    if match is None:
        return None
    days, hours, minutes, seconds = (int(group or 0) for group in match.groups())
    return float(((days * 24 + hours) * 60 + minutes) * 60 + seconds)


def _path_of(url: str) -> str:
    try:
        return URL(url).path or "/"
    except ValueError:  # pragma: no cover - yarl accepts nearly anything
        return "<url>"


def _loggable(params: Params | None) -> str:
    """The query for a log line, EANs masked."""
    if not params:
        return "{}"
    shown = [(name, mask_ean(value) if name == "ean" else value) for name, value in params]
    return "{" + ", ".join(f"{name}={value}" for name, value in shown) + "}"


__all__ = ["FluviusClient"]
