"""Diagnostics: what an installer needs to see, without credentials and with masked EANs."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from enum import Enum
import re
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .api.ean import mask_ean
from .api.models import Mandate
from .const import CONF_CLIENT_ID, CONF_CLIENT_SECRET, CONF_SUBSCRIPTION_KEY, CONF_TENANT_ID
from .coordinator import FluviusConfigEntry
from .helpers import mask_client_id

TO_REDACT = {
    CONF_CLIENT_SECRET,
    CONF_SUBSCRIPTION_KEY,
    CONF_TENANT_ID,
    "access_token",
    "token",
    "refresh_token",
    "authorization",
    "reference_number",
}

# An EAN: 18 digits (Belgian ones start with 5414). Masked wherever it appears, keys included.
_EAN = re.compile(r"\d{18}")


def _mask(value: Any) -> Any:
    """Mask the EANs in any JSON-like value."""
    if isinstance(value, str):
        return _EAN.sub(lambda match: mask_ean(match.group(0)), value)
    if isinstance(value, dict):
        return {_mask(key): _mask(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_mask(item) for item in value]
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(item) for item in value]
    return value


def _mandate(mandate: Mandate) -> dict[str, Any]:
    return {key: _jsonable(item) for key, item in asdict(mandate).items()}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: FluviusConfigEntry
) -> dict[str, Any]:
    """Config entry, mandates and the coordinator's cursors and last requests, redacted."""
    data = entry.runtime_data
    entry_dict = entry.as_dict()
    entry_data = dict(entry_dict["data"])
    if CONF_CLIENT_ID in entry_data:
        entry_data[CONF_CLIENT_ID] = mask_client_id(str(entry_data[CONF_CLIENT_ID]))
    entry_dict["data"] = entry_data
    if entry_dict.get("unique_id"):
        environment, _, client_id = str(entry_dict["unique_id"]).partition("_")
        entry_dict["unique_id"] = f"{environment}_{mask_client_id(client_id)}"
    diagnostics = {
        "entry": _jsonable(entry_dict),
        "mandates": {ean: _mandate(mandate) for ean, mandate in data.mandates.items()},
        "coordinator": _jsonable(data.coordinator.diagnostics()),
    }
    redacted: dict[str, Any] = async_redact_data(diagnostics, TO_REDACT)
    masked: dict[str, Any] = _mask(redacted)
    return masked
