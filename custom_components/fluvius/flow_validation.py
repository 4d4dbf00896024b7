"""What the config and options flows check before and with a request.

Typed text is cleaned (spaces and invisible characters a copy brings along; GUIDs in lower
case), too long or missing fields and unsafe addresses are refused before any request, and the
credentials are checked with one token request plus one GET Mandate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import ipaddress
import re
from typing import Any, Final

from homeassistant.core import HomeAssistant
from yarl import URL

from .api.models import Mandate
from .const import (
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_SCOPE,
    CONF_SUBSCRIPTION_KEY,
    CONF_TENANT_ID,
    LOGGER,
)
from .helpers import create_client, error_key

CREDENTIAL_KEYS: Final = (
    CONF_TENANT_ID,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_SCOPE,
    CONF_SUBSCRIPTION_KEY,
)
SECRET_KEYS: Final = (CONF_CLIENT_SECRET, CONF_SUBSCRIPTION_KEY)
# The errors the person at the form corrects by typing the credentials again.
CREDENTIAL_ERRORS: Final = ("invalid_auth", "invalid_subscription_key")
# A busy or failing server is, to the person at the form, one thing: try again later.
FLOW_ERROR_KEYS: Final = {"rate_limited": "cannot_connect", "server_error": "cannot_connect"}

MAX_FIELD_LENGTH: Final = 1000
"""Longest text accepted in any field. Real values are far shorter (a GUID is 36 characters,
a subscription key 32, a client secret about 40, an address well under 200); a longer one is a
paste gone wrong and is refused before any request is sent."""

_GUID: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_GUID_KEYS: Final = (CONF_TENANT_ID, CONF_CLIENT_ID)

# Invisible characters a copy from a web page or PDF brings along that str.strip() keeps:
# zero-width space, non-joiner, joiner, word joiner, byte order mark.
_INVISIBLE: Final = "\u200b\u200c\u200d\u2060\ufeff"


def _strip_text(value: str) -> str:
    """Without surrounding spaces (Unicode ones included) and invisible characters."""
    previous = None
    while previous != value:
        previous, value = value, value.strip().strip(_INVISIBLE)
    return value


def strip_input(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Inputs as typed, without the spaces (and invisible characters) a copy from a web
    page brings along.

    A tenant or client ID that is a GUID is written in lower case: Entra ID compares GUIDs
    case-insensitively, and the unique id (always lower case) then matches the stored data.
    """
    data = {
        key: _strip_text(value) if isinstance(value, str) else value
        for key, value in user_input.items()
    }
    for key in _GUID_KEYS:
        value = data.get(key)
        if isinstance(value, str) and _GUID.fullmatch(value):
            data[key] = value.lower()
    return data


def field_errors(data: Mapping[str, Any], required: Iterable[str]) -> dict[str, str]:
    """``too_long`` for any text over :data:`MAX_FIELD_LENGTH`, ``required`` for a required
    field left empty (or only spaces). Checked before any request."""
    errors: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, str) and len(value) > MAX_FIELD_LENGTH:
            errors[key] = "too_long"
    for key in required:
        if key not in errors and not data.get(key):
            errors[key] = "required"
    return errors


def _is_local_host(host: str) -> bool:
    """A loopback host: the local stand-in of the API on this machine.

    Not the rest of the local network: the client secret would cross it in plain text.
    """
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return address.is_loopback


def url_error(value: str) -> str | None:
    """``invalid_url``, ``insecure_url`` or None.

    Credentials travel to these addresses, so only https is accepted, except for a local
    stand-in of the API on this machine (loopback), which has no certificate.
    """
    try:
        url = URL(value)
    except ValueError:
        return "invalid_url"
    if url.scheme not in ("http", "https") or not url.host:
        return "invalid_url"
    if url.scheme == "http" and not _is_local_host(url.host):
        return "insecure_url"
    return None


async def async_validate(
    hass: HomeAssistant, data: Mapping[str, Any]
) -> tuple[str | None, list[Mandate]]:
    """One token request and one GET Mandate: the error key, or the mandates."""
    client = create_client(hass, data)
    try:
        mandates = await client.get_mandates()
    except Exception as err:
        key = FLOW_ERROR_KEYS.get(error_key(err), error_key(err))
        if key == "unknown":
            LOGGER.exception("Unexpected error while checking the Fluvius API credentials")
        return key, []
    return None, list(mandates)
