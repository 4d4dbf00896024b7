"""Diagnostics: no credentials, a partial client id, masked EANs (snapshot)."""

from __future__ import annotations

import json
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from .conftest import CLIENT_ID, EAN_ELECTRICITY, EAN_GAS, USER_INPUT

COORDINATOR_DIAGNOSTICS = {
    "poll_minute_local": "07:42",
    "cursors": {
        EAN_ELECTRICITY: {"imported_from": "2026-11-21T23:00:00+00:00", "sub_eans": []},
        EAN_GAS: {"imported_from": None, "sub_eans": ["541451002000000123"]},
    },
    "requests": [
        {"kind": "energy", "ean": EAN_GAS, "outcome": f"404 no mandate for {EAN_GAS}"},
    ],
}


async def test_diagnostics(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    entry = init_integration
    with patch.object(
        entry.runtime_data.coordinator, "diagnostics", return_value=COORDINATOR_DIAGNOSTICS
    ):
        diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    text = json.dumps(diagnostics)
    for secret in (
        USER_INPUT["client_secret"],
        USER_INPUT["subscription_key"],
        USER_INPUT["tenant_id"],
        CLIENT_ID,
        EAN_ELECTRICITY,
        EAN_GAS,
        "REF-123456",
    ):
        assert secret not in text
    assert diagnostics["entry"]["data"]["client_id"] == "0a1b***6789"
    assert diagnostics == snapshot(exclude=props("created_at", "modified_at"))
