"""Small helpers shared by setup, the config flow and diagnostics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import Endpoints, Environment, FluviusClient
from .api.errors import (
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
from .const import (
    CONF_BASE_URL,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_ENVIRONMENT,
    CONF_SCOPE,
    CONF_SUBSCRIPTION_KEY,
    CONF_TENANT_ID,
    CONF_TOKEN_URL,
    DOMAIN,
)


def endpoints_from_data(data: Mapping[str, Any]) -> Endpoints:
    """The addresses of the entry's environment (custom: the ones the user entered)."""
    return Endpoints.for_environment(
        data[CONF_ENVIRONMENT],
        base_url=data.get(CONF_BASE_URL),
        token_url=data.get(CONF_TOKEN_URL),
    )


def create_client(
    hass: HomeAssistant, data: Mapping[str, Any], **options: Any
) -> FluviusClient:
    """A Fluvius API client for config entry data, on Home Assistant's shared HTTP session
    (``options``: further client settings, e.g. ``request_timeout``)."""
    return FluviusClient(
        async_get_clientsession(hass),
        endpoints_from_data(data),
        tenant_id=data[CONF_TENANT_ID],
        client_id=data[CONF_CLIENT_ID],
        client_secret=data[CONF_CLIENT_SECRET],
        scope=data[CONF_SCOPE],
        subscription_key=data[CONF_SUBSCRIPTION_KEY],
        **options,
    )


def unique_id_for(data: Mapping[str, Any]) -> str:
    """One entry per environment and API client (architecture.md: lower case)."""
    return f"{Environment(data[CONF_ENVIRONMENT]).value}_{data[CONF_CLIENT_ID]}".lower()


def mask_client_id(client_id: str) -> str:
    """Enough of the client ID to recognise it, not enough to use it."""
    if len(client_id) <= 8:
        return client_id[:2] + "***"
    return f"{client_id[:4]}***{client_id[-4:]}"


# Most specific first: FluviusSubscriptionKeyError is a FluviusForbiddenError, FluviusPeriodError
# a FluviusRequestError.
_ERROR_KEYS: tuple[tuple[type[BaseException], str], ...] = (
    (FluviusAuthError, "invalid_auth"),
    (FluviusSubscriptionKeyError, "invalid_subscription_key"),
    (FluviusForbiddenError, "forbidden"),
    (FluviusNoMandateError, "no_mandate"),
    (FluviusRateLimitError, "rate_limited"),
    (FluviusServerError, "server_error"),
    (FluviusConnectionError, "cannot_connect"),
    (TimeoutError, "cannot_connect"),
    (FluviusPayloadError, "invalid_response"),
    (FluviusRequestError, "bad_request"),
)


def error_key(err: BaseException) -> str:
    """The translation key of a client error, shared by setup (``ConfigEntryNotReady``), the
    coordinator (``UpdateFailed``) and the config flow (form errors): ``api_error`` for any
    other Fluvius error, ``unknown`` for anything that is not one."""
    for error_type, key in _ERROR_KEYS:
        if isinstance(err, error_type):
            return key
    return "api_error" if isinstance(err, FluviusError) else "unknown"


def auth_failed(err: FluviusError) -> ConfigEntryAuthFailed:
    """Refused credentials or subscription key during a poll or the backfill, translated with
    the key of :func:`error_key`: Home Assistant starts the reauth flow."""
    return ConfigEntryAuthFailed(
        translation_domain=DOMAIN,
        translation_key=error_key(err),
        translation_placeholders={"error": err.message},
    )
