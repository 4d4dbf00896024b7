"""End to end against the local stand-in of the API: the real client, the real flow, setup.

The stand-in (``fluvius_sandbox``) runs on 127.0.0.1 in an aiohttp TestServer. Mandates are
created the way the spec says, with POST Create Mock Mandate.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.fluvius.const import (
    CONF_BASE_URL,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_EANS,
    CONF_ENVIRONMENT,
    CONF_SCOPE,
    CONF_SUBSCRIPTION_KEY,
    CONF_TENANT_ID,
    CONF_TOKEN_URL,
    DOMAIN,
)
import fluvius_sandbox

API_PATH = "/ext/mijnfluvius-profnetgebruiker-sbx/v1"
CREDENTIALS = {
    CONF_TENANT_ID: "sandbox-tenant",
    CONF_CLIENT_ID: "sandbox-client",
    CONF_CLIENT_SECRET: "sandbox-secret",
    CONF_SCOPE: "api://fluvius-sandbox/.default",
    CONF_SUBSCRIPTION_KEY: "sandbox-subscription-key",
}
EAN_DIGITAL = "541440110000000001"  # digital, electricity, offtake + injection, quarter-hour
EAN_GAS_DAY = "541441000000000002"  # digital, gas, day


@pytest.fixture
async def sandbox(socket_enabled: None) -> AsyncGenerator[dict[str, str]]:
    """The stand-in with two approved mock mandates; yields the URLs the flow needs."""
    app = fluvius_sandbox.create_app(fluvius_sandbox.SandboxConfig())
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    base = f"http://127.0.0.1:{server.port}"
    urls = {
        CONF_BASE_URL: base + API_PATH,
        CONF_TOKEN_URL: base + "/{tenant_id}/oauth2/v2.0/token",
    }
    async with ClientSession() as session:
        token_response = await session.post(
            f"{base}/{CREDENTIALS[CONF_TENANT_ID]}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": CREDENTIALS[CONF_CLIENT_ID],
                "client_secret": CREDENTIALS[CONF_CLIENT_SECRET],
                "scope": CREDENTIALS[CONF_SCOPE],
            },
        )
        token = (await token_response.json())["access_token"]
        headers = {
            "Authorization": f"Bearer {token}",
            "Ocp-Apim-Subscription-Key": CREDENTIALS[CONF_SUBSCRIPTION_KEY],
            "Subscription-Key": CREDENTIALS[CONF_SUBSCRIPTION_KEY],
        }
        for ean, energy_type, level in (
            (EAN_DIGITAL, "E", "VH_kwartier_uur"),
            (EAN_GAS_DAY, "G", "VH_dag"),
        ):
            response = await session.post(
                base + API_PATH + "/Mandate/mock",
                headers=headers,
                json={
                    "status": "Approved",
                    "ean": ean,
                    "energyType": energy_type,
                    "dataServiceType": level,
                    "dataPeriodFrom": "2026-10-01T22:00:00Z",
                    "mandateExpirationDate": "2029-10-01T22:00:00Z",
                },
            )
            assert response.status < 300, await response.text()
    yield urls
    await server.close()


async def _user_step(hass: HomeAssistant, credentials: dict[str, Any]) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ENVIRONMENT: "custom", **credentials}
    )
    assert result.get("step_id") == "custom", result
    return dict(result)


async def test_flow_and_setup_against_the_stand_in(
    hass: HomeAssistant, sandbox: dict[str, str]
) -> None:
    # A wrong secret is refused by the token endpoint: invalid_auth, then the right one.
    result = await _user_step(hass, {**CREDENTIALS, CONF_CLIENT_SECRET: "wrong"})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], sandbox)
    assert result["errors"] == {"base": "invalid_auth"}
    hass.config_entries.flow.async_abort(result["flow_id"])

    result = await _user_step(hass, {**CREDENTIALS, CONF_SUBSCRIPTION_KEY: "wrong"})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], sandbox)
    assert result["errors"] == {"base": "invalid_subscription_key"}
    hass.config_entries.flow.async_abort(result["flow_id"])

    result = await _user_step(hass, CREDENTIALS)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], sandbox)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "meters"
    offered = [
        option["value"]
        for marker, selector in result["data_schema"].schema.items()
        if str(marker) == CONF_EANS
        for option in selector.config["options"]
    ]
    assert {EAN_DIGITAL, EAN_GAS_DAY} <= set(offered)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_EANS: [EAN_DIGITAL, EAN_GAS_DAY]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert set(entry.runtime_data.mandates) >= {EAN_DIGITAL, EAN_GAS_DAY}

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
