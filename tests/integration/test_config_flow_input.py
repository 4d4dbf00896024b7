"""Bad input in the config flow, as a careless or hostile user types it: spaces, upper-case
GUIDs, empty and huge fields, plain-http addresses, and a refused secret on the custom step."""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius.api.errors import FluviusAuthError, FluviusSubscriptionKeyError
from custom_components.fluvius.const import (
    CONF_BACKFILL_DAYS,
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
from custom_components.fluvius.flow_validation import MAX_FIELD_LENGTH

from .conftest import CLIENT_ID, EAN_ELECTRICITY, USER_INPUT

pytestmark = pytest.mark.usefixtures("mock_setup_entry")

TENANT_GUID = "9F8E7D6C-5B4A-3210-FEDC-BA9876543210"
TEXT_FIELDS = (
    CONF_TENANT_ID,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_SCOPE,
    CONF_SUBSCRIPTION_KEY,
)
URLS = {
    CONF_BASE_URL: "http://127.0.0.1:8080/ext/v1",
    CONF_TOKEN_URL: "http://127.0.0.1:8080/{tenant_id}/oauth2/v2.0/token",
}


async def _start(hass: HomeAssistant) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER, "show_advanced_options": True}
    )
    assert result["step_id"] == "user"
    return dict(result)


def _suggested(result: Any) -> dict[str, Any]:
    return {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description and "suggested_value" in key.description
    }


async def test_spaces_stripped_and_guids_lower_case(
    hass: HomeAssistant, mock_client: MagicMock
) -> None:
    """Pasted values lose their surrounding spaces; GUIDs are stored in lower case."""
    result = await _start(hass)
    typed = {
        CONF_ENVIRONMENT: "sandbox",
        CONF_TENANT_ID: f"  {TENANT_GUID}\t",
        CONF_CLIENT_ID: f" {CLIENT_ID.upper()} ",
        CONF_CLIENT_SECRET: "\u00a0secret\n",
        CONF_SCOPE: "\u200b api://fluvius-sandbox/.default \ufeff",
        CONF_SUBSCRIPTION_KEY: "\tkey\u2060 ",
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], typed)
    assert result["step_id"] == "meters"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_EANS: [EAN_ELECTRICITY]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_ENVIRONMENT: "sandbox",
        CONF_TENANT_ID: TENANT_GUID.lower(),
        CONF_CLIENT_ID: CLIENT_ID,
        CONF_CLIENT_SECRET: "secret",
        CONF_SCOPE: "api://fluvius-sandbox/.default",
        CONF_SUBSCRIPTION_KEY: "key",
    }
    assert result["result"].unique_id == f"sandbox_{CLIENT_ID}"


async def test_non_guid_ids_keep_their_case(hass: HomeAssistant, mock_client: MagicMock) -> None:
    """Only GUIDs are case-insensitive: another tenant name is kept as typed."""
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**USER_INPUT, CONF_TENANT_ID: " Contoso.onmicrosoft.com "}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_EANS: [EAN_ELECTRICITY]}
    )
    assert result["data"][CONF_TENANT_ID] == "Contoso.onmicrosoft.com"


async def test_entry_stored_with_upper_case_client_id_still_matches(
    hass: HomeAssistant, mock_client: MagicMock
) -> None:
    """An entry made before GUIDs were lower-cased (upper case in its data) is still found:
    a new flow aborts as a duplicate, and reauth/reconfigure keep its unique id."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=f"sandbox_{CLIENT_ID}",
        data={**USER_INPUT, CONF_CLIENT_ID: CLIENT_ID.upper()},
    )
    entry.add_to_hass(hass)
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**USER_INPUT, CONF_CLIENT_ID: f" {CLIENT_ID} "}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_SECRET: "new", CONF_SUBSCRIPTION_KEY: "new-key"}
    )
    assert result["reason"] == "reauth_successful"
    assert entry.unique_id == f"sandbox_{CLIENT_ID}"

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_TENANT_ID: "sandbox-tenant",
            CONF_CLIENT_ID: CLIENT_ID.upper(),
            CONF_SCOPE: "api://fluvius-sandbox/.default",
        },
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.unique_id == f"sandbox_{CLIENT_ID}"
    assert entry.data[CONF_CLIENT_ID] == CLIENT_ID


@pytest.mark.parametrize("field", TEXT_FIELDS)
async def test_huge_field_refused_without_request(
    hass: HomeAssistant, mock_client: MagicMock, field: str
) -> None:
    """More than MAX_FIELD_LENGTH characters: a field error, no request; then recovery."""
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**USER_INPUT, field: "x" * (MAX_FIELD_LENGTH + 1)}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: "too_long"}
    mock_client.get_mandates.assert_not_awaited()

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**USER_INPUT, field: f" {USER_INPUT[field]} "}
    )
    assert result["step_id"] == "meters"


async def test_length_limit_is_on_the_stripped_value(
    hass: HomeAssistant, mock_client: MagicMock
) -> None:
    """Exactly MAX_FIELD_LENGTH characters (plus spaces) are accepted."""
    result = await _start(hass)
    scope = "s" * MAX_FIELD_LENGTH
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**USER_INPUT, CONF_SCOPE: f"   {scope}   "}
    )
    assert result["step_id"] == "meters"


@pytest.mark.parametrize("field", TEXT_FIELDS)
@pytest.mark.parametrize("blank", ["", "   ", "\t\n", "\u00a0\u200b\ufeff "])
async def test_blank_field_refused_without_request(
    hass: HomeAssistant, mock_client: MagicMock, field: str, blank: str
) -> None:
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**USER_INPUT, field: blank}
    )
    assert result["errors"] == {field: "required"}
    mock_client.get_mandates.assert_not_awaited()


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://192.168.1.20:8080/v1", "insecure_url"),
        ("http://10.0.0.5/v1", "insecure_url"),
        ("http://fluvius-sandbox.local:8080/v1", "insecure_url"),
        ("http://api.fluvius.be/v1", "insecure_url"),
        ("http://127.0.0.1.example.com/v1", "insecure_url"),
        ("javascript:alert(1)", "invalid_url"),
        ("https://", "invalid_url"),
        ("file:///etc/passwd", "invalid_url"),
        ("", "required"),
        ("   ", "required"),
        ("https://example.com/" + "a" * MAX_FIELD_LENGTH, "too_long"),
    ],
)
async def test_custom_urls_refused(
    hass: HomeAssistant, mock_client: MagicMock, url: str, error: str
) -> None:
    """Plain http only on loopback: the secret must not cross a network unencrypted."""
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**USER_INPUT, CONF_ENVIRONMENT: "custom"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**URLS, CONF_BASE_URL: url}
    )
    assert result["step_id"] == "custom"
    assert result["errors"] == {CONF_BASE_URL: error}
    mock_client.get_mandates.assert_not_awaited()


@pytest.mark.parametrize(
    ("error", "key"),
    [
        (FluviusAuthError("invalid_client", status=401), "invalid_auth"),
        (FluviusSubscriptionKeyError("bad key", status=401), "invalid_subscription_key"),
    ],
)
async def test_custom_refused_credentials_back_to_credentials(
    hass: HomeAssistant, mock_client: MagicMock, error: Exception, key: str
) -> None:
    """Refused credentials on the custom step: the credentials form comes back with the
    error (the URL form has no secret to correct), the addresses are kept for the next pass."""
    result = await _start(hass)
    entered = {**USER_INPUT, CONF_ENVIRONMENT: "custom", CONF_CLIENT_SECRET: "wrong"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], entered)
    assert result["step_id"] == "custom"
    mock_client.get_mandates.side_effect = error
    result = await hass.config_entries.flow.async_configure(result["flow_id"], URLS)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": key}
    fields = {str(marker) for marker in result["data_schema"].schema}
    assert {CONF_CLIENT_SECRET, CONF_SUBSCRIPTION_KEY} <= fields
    suggested = _suggested(result)
    assert suggested[CONF_TENANT_ID] == USER_INPUT[CONF_TENANT_ID]
    assert CONF_CLIENT_SECRET not in suggested
    assert CONF_SUBSCRIPTION_KEY not in suggested

    mock_client.get_mandates.side_effect = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**entered, CONF_CLIENT_SECRET: "right"}
    )
    assert result["step_id"] == "custom"
    assert _suggested(result) == URLS
    result = await hass.config_entries.flow.async_configure(result["flow_id"], URLS)
    assert result["step_id"] == "meters"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_EANS: [EAN_ELECTRICITY]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_CLIENT_SECRET] == "right"
    assert result["data"][CONF_BASE_URL] == URLS[CONF_BASE_URL]


@pytest.mark.parametrize(
    ("entered", "errors"),
    [
        ({CONF_CLIENT_SECRET: "  ", CONF_SUBSCRIPTION_KEY: "k"}, {CONF_CLIENT_SECRET: "required"}),
        (
            {CONF_CLIENT_SECRET: "s", CONF_SUBSCRIPTION_KEY: "k" * (MAX_FIELD_LENGTH + 1)},
            {CONF_SUBSCRIPTION_KEY: "too_long"},
        ),
    ],
)
async def test_reauth_bad_input(
    hass: HomeAssistant,
    mock_client: MagicMock,
    mock_config_entry: MockConfigEntry,
    entered: dict[str, str],
    errors: dict[str, str],
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], entered)
    assert result["step_id"] == "reauth_confirm"
    assert result["errors"] == errors
    mock_client.get_mandates.assert_not_awaited()
    assert mock_config_entry.data == USER_INPUT

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_SECRET: " s ", CONF_SUBSCRIPTION_KEY: " k "}
    )
    assert result["reason"] == "reauth_successful"
    assert mock_config_entry.data[CONF_CLIENT_SECRET] == "s"


@pytest.mark.parametrize(
    ("entered", "errors"),
    [
        ({CONF_TENANT_ID: " "}, {CONF_TENANT_ID: "required"}),
        ({CONF_SCOPE: ""}, {CONF_SCOPE: "required"}),
        ({CONF_CLIENT_ID: "c" * (MAX_FIELD_LENGTH + 1)}, {CONF_CLIENT_ID: "too_long"}),
        ({CONF_CLIENT_SECRET: "s" * (MAX_FIELD_LENGTH + 1)}, {CONF_CLIENT_SECRET: "too_long"}),
    ],
)
async def test_reconfigure_bad_input(
    hass: HomeAssistant,
    mock_client: MagicMock,
    mock_config_entry: MockConfigEntry,
    entered: dict[str, str],
    errors: dict[str, str],
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    valid = {
        CONF_TENANT_ID: "sandbox-tenant",
        CONF_CLIENT_ID: CLIENT_ID,
        CONF_SCOPE: "api://fluvius-sandbox/.default",
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {**valid, **entered})
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == errors
    mock_client.get_mandates.assert_not_awaited()

    result = await hass.config_entries.flow.async_configure(result["flow_id"], valid)
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data == USER_INPUT


async def test_reconfigure_custom_insecure_url(hass: HomeAssistant, mock_client: MagicMock) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=f"custom_{CLIENT_ID}",
        data={**USER_INPUT, CONF_ENVIRONMENT: "custom", **URLS},
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    entered = {
        CONF_TENANT_ID: "sandbox-tenant",
        CONF_CLIENT_ID: CLIENT_ID,
        CONF_SCOPE: "api://fluvius-sandbox/.default",
        **URLS,
        CONF_TOKEN_URL: "http://192.168.1.2/{tenant_id}/token",
        CONF_BASE_URL: " ",
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], entered)
    assert result["errors"] == {CONF_TOKEN_URL: "insecure_url", CONF_BASE_URL: "required"}
    mock_client.get_mandates.assert_not_awaited()
    assert entry.data[CONF_TOKEN_URL] == URLS[CONF_TOKEN_URL]


@pytest.mark.parametrize(
    "ean",
    ["541440110000000099", "54144011000000000", "5414401100000000OO", "", " " + EAN_ELECTRICITY],
)
async def test_meters_only_from_the_mandates(
    hass: HomeAssistant, mock_client: MagicMock, mock_config_entry: MockConfigEntry, ean: str
) -> None:
    """No form lets a user type an EAN: the meter lists offer the mandates' EANs only, and a
    posted EAN that is not offered (valid-looking, too short, letters, padded) is refused."""
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], USER_INPUT)
    assert result["step_id"] == "meters"
    with pytest.raises(InvalidData):
        await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_EANS: [ean]})

    mock_config_entry.add_to_hass(hass)
    options = dict(mock_config_entry.options)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_EANS: [EAN_ELECTRICITY, ean], CONF_BACKFILL_DAYS: 30}
        )
    assert dict(mock_config_entry.options) == options
