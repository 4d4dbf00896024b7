"""The config flow: user, custom, meters, reauth and reconfigure steps, every error and abort."""

from __future__ import annotations

from typing import Any
from unittest.mock import AsyncMock, MagicMock

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius.api.errors import (
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
from custom_components.fluvius.api.models import Mandate, MandateStatus
from custom_components.fluvius.const import (
    CONF_BACKFILL_DAYS,
    CONF_BASE_URL,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_EANS,
    CONF_ENVIRONMENT,
    CONF_SCOPE,
    CONF_SUBMETER_REACTIVE,
    CONF_SUBSCRIPTION_KEY,
    CONF_TENANT_ID,
    CONF_TOKEN_URL,
    DEFAULT_BACKFILL_DAYS,
    DOMAIN,
)

from .conftest import (
    CLIENT_ID,
    EAN_AMR,
    EAN_ELECTRICITY,
    EAN_FINISHED,
    EAN_GAS,
    USER_INPUT,
)

pytestmark = pytest.mark.usefixtures("mock_setup_entry")

ERRORS = [
    (FluviusAuthError("invalid_client", status=401, code="invalid_client"), "invalid_auth"),
    (FluviusSubscriptionKeyError("bad key", status=401), "invalid_subscription_key"),
    (FluviusForbiddenError("geoblocked", status=403), "forbidden"),
    (FluviusConnectionError("timeout"), "cannot_connect"),
    (FluviusServerError("503", status=503), "cannot_connect"),
    (FluviusRateLimitError("429", retry_after=10), "cannot_connect"),
    (TimeoutError(), "cannot_connect"),
    (FluviusPayloadError("not JSON"), "invalid_response"),
    (FluviusNoMandateError("no mandate"), "no_mandate"),
    (FluviusRequestError("bad scope", status=400), "bad_request"),
    (FluviusError("teapot", status=418), "api_error"),
    (RuntimeError("boom"), "unknown"),
]


async def _start(hass: HomeAssistant, *, advanced: bool | None = False) -> dict[str, Any]:
    """Start a user flow; ``advanced`` None: no advanced-mode flag (Home Assistant >= 2026.x)."""
    context: dict[str, Any] = {"source": SOURCE_USER}
    if advanced is not None:
        context["show_advanced_options"] = advanced
    result = await hass.config_entries.flow.async_init(DOMAIN, context=context)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return dict(result)


def _options(result: dict[str, Any], key: str) -> list[Any]:
    schema = result["data_schema"].schema
    for marker, selector in schema.items():
        if str(marker) == key:
            return list(selector.config["options"])
    raise AssertionError(f"no field {key}")


async def test_user_flow(hass: HomeAssistant, mock_client: MagicMock) -> None:
    """Credentials (stripped), then meters; the entry has credentials and options."""
    result = await _start(hass)
    assert _options(result, CONF_ENVIRONMENT) == ["live", "sandbox"]
    padded = {key: f"  {value} " for key, value in USER_INPUT.items()}
    padded[CONF_ENVIRONMENT] = "sandbox"

    result = await hass.config_entries.flow.async_configure(result["flow_id"], padded)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "meters"
    assert result["errors"] == {}
    options = _options(result, CONF_EANS)
    assert [option["value"] for option in options] == sorted(
        [EAN_ELECTRICITY, EAN_FINISHED, EAN_GAS, EAN_AMR]
    )
    labels = {option["value"]: option["label"] for option in options}
    assert labels[EAN_ELECTRICITY] == (
        f"{EAN_ELECTRICITY} · electricity · digital meter · quarter-hour values + day values"
        " · valid until 2028-12-07"
    )
    assert labels[EAN_GAS] == (
        f"{EAN_GAS} · gas · digital meter · day values · valid until 2027-03-01"
    )
    assert labels[EAN_AMR].startswith(f"{EAN_AMR} · electricity · AMR meter · quarter-hour")
    assert labels[EAN_FINISHED].endswith("ended: history only")
    unusable = result["description_placeholders"]["unusable"]
    assert "REF-123456: requested" in unusable
    assert "- rejected" in unusable

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_EANS: [EAN_GAS, EAN_ELECTRICITY]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Fluvius sandbox (0a1b***6789)"
    assert result["data"] == USER_INPUT
    # A new entry leaves the submeters' reactive energy out (not billed); entry version 1.2.
    assert result["options"] == {
        CONF_EANS: [EAN_ELECTRICITY, EAN_GAS],
        CONF_BACKFILL_DAYS: DEFAULT_BACKFILL_DAYS,
        CONF_SUBMETER_REACTIVE: False,
    }
    assert (result["result"].version, result["result"].minor_version) == (1, 2)
    assert result["result"].unique_id == f"sandbox_{CLIENT_ID}"
    mock_client.get_mandates.assert_awaited_once()


async def test_live_labels_without_meter_kind(hass: HomeAssistant, mock_client: MagicMock) -> None:
    """Live EANs are real: the mock-EAN digits say nothing about the meter kind."""
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**USER_INPUT, CONF_ENVIRONMENT: "live"}
    )
    labels = {option["value"]: option["label"] for option in _options(result, CONF_EANS)}
    assert labels[EAN_GAS] == f"{EAN_GAS} · gas · day values · valid until 2027-03-01"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_EANS: [EAN_GAS]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == f"live_{CLIENT_ID}"


async def test_labels_in_home_assistant_language(
    hass: HomeAssistant, mock_client: MagicMock
) -> None:
    hass.config.language = "nl"
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], USER_INPUT)
    labels = {option["value"]: option["label"] for option in _options(result, CONF_EANS)}
    assert labels[EAN_GAS] == (
        f"{EAN_GAS} · gas · digitale meter · dagwaarden · geldig tot en met 2027-03-01"
    )


@pytest.mark.parametrize(("error", "key"), ERRORS)
async def test_user_errors_then_recover(
    hass: HomeAssistant,
    mock_client: MagicMock,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
    key: str,
) -> None:
    """Each validation error shows on the form; fixing it leads to an entry."""
    mock_client.get_mandates.side_effect = error
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], USER_INPUT)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": key}
    if key == "unknown":
        assert "Unexpected error while checking the Fluvius API credentials" in caplog.text
    for secret in (USER_INPUT[CONF_CLIENT_SECRET], USER_INPUT[CONF_SUBSCRIPTION_KEY]):
        assert secret not in caplog.text

    mock_client.get_mandates.side_effect = None
    result = await hass.config_entries.flow.async_configure(result["flow_id"], USER_INPUT)
    assert result["step_id"] == "meters"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_EANS: [EAN_ELECTRICITY]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_duplicate_aborts(
    hass: HomeAssistant, mock_client: MagicMock, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**USER_INPUT, CONF_CLIENT_ID: CLIENT_ID.upper()}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    mock_client.get_mandates.assert_not_awaited()


async def test_same_client_other_environment_is_allowed(
    hass: HomeAssistant, mock_client: MagicMock, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**USER_INPUT, CONF_ENVIRONMENT: "live"}
    )
    assert result["step_id"] == "meters"


async def test_custom_needs_advanced_mode(hass: HomeAssistant, mock_client: MagicMock) -> None:
    result = await _start(hass)
    with pytest.raises(InvalidData):
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {**USER_INPUT, CONF_ENVIRONMENT: "custom"}
        )


@pytest.mark.parametrize("advanced", [True, None])
async def test_custom_environment(
    hass: HomeAssistant, mock_client: MagicMock, advanced: bool | None
) -> None:
    """Custom: the URL step refuses non-URLs and plain http off the local network."""
    result = await _start(hass, advanced=advanced)
    assert _options(result, CONF_ENVIRONMENT) == ["live", "sandbox", "custom"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**USER_INPUT, CONF_ENVIRONMENT: "custom"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "custom"
    assert result["description_placeholders"]["tenant_marker"] == "{tenant_id}"
    mock_client.get_mandates.assert_not_awaited()

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_BASE_URL: "not a url", CONF_TOKEN_URL: "ftp://example.com/token"},
    )
    assert result["errors"] == {CONF_BASE_URL: "invalid_url", CONF_TOKEN_URL: "invalid_url"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_BASE_URL: "http://[::1", CONF_TOKEN_URL: "https://login.example.com/t"},
    )
    assert result["errors"] == {CONF_BASE_URL: "invalid_url"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_BASE_URL: "http://api.example.com/v1",
            CONF_TOKEN_URL: "http://[::1]:8080/{tenant_id}/token",
        },
    )
    assert result["errors"] == {CONF_BASE_URL: "insecure_url"}

    mock_client.get_mandates.side_effect = FluviusConnectionError("refused")
    urls = {
        CONF_BASE_URL: " http://127.0.0.1:8080/ext/v1 ",
        CONF_TOKEN_URL: "http://localhost:8080/{tenant_id}/oauth2/v2.0/token",
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], urls)
    assert result["errors"] == {"base": "cannot_connect"}

    mock_client.get_mandates.side_effect = None
    result = await hass.config_entries.flow.async_configure(result["flow_id"], urls)
    assert result["step_id"] == "meters"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_EANS: [EAN_AMR]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_BASE_URL] == "http://127.0.0.1:8080/ext/v1"
    assert result["data"][CONF_ENVIRONMENT] == "custom"
    assert result["result"].unique_id == f"custom_{CLIENT_ID}"


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.com/v1",
        "http://127.0.0.1:8080/v1",
        "http://localhost:8080/v1",
        "http://[::1]:8080/v1",
    ],
)
async def test_custom_urls_accepted(hass: HomeAssistant, mock_client: MagicMock, url: str) -> None:
    result = await _start(hass, advanced=True)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**USER_INPUT, CONF_ENVIRONMENT: "custom"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_BASE_URL: url, CONF_TOKEN_URL: url + "/token"}
    )
    assert result["step_id"] == "meters"


async def test_no_mandates(hass: HomeAssistant, mock_client: MagicMock) -> None:
    """Valid credentials, no usable mandate: abort with how to grant access."""
    mock_client.get_mandates.return_value = [
        Mandate(status=MandateStatus.REQUESTED, reference_number="REF-1"),
        Mandate(status=MandateStatus.REJECTED),
        Mandate(status="Suspended"),
    ]
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], USER_INPUT)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_mandates"
    placeholders = result["description_placeholders"]
    assert placeholders["api_management_url"] == (
        "https://mijn.fluvius.be/verbruik/netgebruiker/api-beheer"
    )
    assert "REF-1: requested" in placeholders["unusable"]
    assert "- Suspended: gives no data" in placeholders["unusable"]


async def test_no_mandates_at_all(hass: HomeAssistant, mock_client: MagicMock) -> None:
    mock_client.get_mandates.return_value = []
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], USER_INPUT)
    assert result["reason"] == "no_mandates"
    assert result["description_placeholders"]["unusable"] == ""


async def test_meters_must_select_one(hass: HomeAssistant, mock_client: MagicMock) -> None:
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], USER_INPUT)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_EANS: []})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "no_meters_selected"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_EANS: [EAN_FINISHED]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"][CONF_EANS] == [EAN_FINISHED]


# --- reauth ------------------------------------------------------------------------------------


async def test_reauth(
    hass: HomeAssistant, mock_client: MagicMock, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    options = dict(mock_config_entry.options)
    result = await mock_config_entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"]["client_id"] == CLIENT_ID
    assert {str(key) for key in result["data_schema"].schema} == {
        CONF_CLIENT_SECRET,
        CONF_SUBSCRIPTION_KEY,
    }

    mock_client.get_mandates.side_effect = FluviusAuthError("invalid_client")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_SECRET: "wrong", CONF_SUBSCRIPTION_KEY: "key"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}

    mock_client.get_mandates.side_effect = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_SECRET: " new-secret ", CONF_SUBSCRIPTION_KEY: "new-key"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert mock_config_entry.data == {
        **USER_INPUT,
        CONF_CLIENT_SECRET: "new-secret",
        CONF_SUBSCRIPTION_KEY: "new-key",
    }
    assert dict(mock_config_entry.options) == options


async def test_reauth_other_client_aborts(hass: HomeAssistant, mock_client: MagicMock) -> None:
    """An entry whose unique id is not this client's cannot be re-authenticated with it."""
    entry = MockConfigEntry(domain=DOMAIN, unique_id="sandbox_someone-else", data=USER_INPUT)
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_SECRET: "s", CONF_SUBSCRIPTION_KEY: "k"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unique_id_mismatch"
    mock_client.get_mandates.assert_not_awaited()


# --- reconfigure -------------------------------------------------------------------------------


async def test_reconfigure(
    hass: HomeAssistant, mock_client: MagicMock, mock_config_entry: MockConfigEntry
) -> None:
    """New tenant and scope; blank secrets keep the stored ones; options stay."""
    mock_config_entry.add_to_hass(hass)
    options = dict(mock_config_entry.options)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    fields = {str(key) for key in result["data_schema"].schema}
    assert fields == {
        CONF_TENANT_ID,
        CONF_CLIENT_ID,
        CONF_CLIENT_SECRET,
        CONF_SCOPE,
        CONF_SUBSCRIPTION_KEY,
    }
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description and "suggested_value" in key.description
    }
    assert suggested == {
        CONF_TENANT_ID: "sandbox-tenant",
        CONF_CLIENT_ID: CLIENT_ID,
        CONF_SCOPE: "api://fluvius-sandbox/.default",
    }

    new = {
        CONF_TENANT_ID: "other-tenant",
        CONF_CLIENT_ID: CLIENT_ID,
        CONF_SCOPE: "api://other/.default",
        CONF_CLIENT_SECRET: "",
    }
    mock_client.get_mandates.side_effect = FluviusForbiddenError("403")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], new)
    assert result["errors"] == {"base": "forbidden"}

    mock_client.get_mandates.side_effect = None
    result = await hass.config_entries.flow.async_configure(result["flow_id"], new)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data == {
        **USER_INPUT,
        CONF_TENANT_ID: "other-tenant",
        CONF_SCOPE: "api://other/.default",
    }
    assert dict(mock_config_entry.options) == options


async def test_reconfigure_new_secrets(
    hass: HomeAssistant, mock_client: MagicMock, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_TENANT_ID: "sandbox-tenant",
            CONF_CLIENT_ID: CLIENT_ID,
            CONF_SCOPE: "api://fluvius-sandbox/.default",
            CONF_CLIENT_SECRET: "rotated",
            CONF_SUBSCRIPTION_KEY: "rotated-key",
        },
    )
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data[CONF_CLIENT_SECRET] == "rotated"
    assert mock_config_entry.data[CONF_SUBSCRIPTION_KEY] == "rotated-key"


async def test_reconfigure_other_client_aborts(
    hass: HomeAssistant, mock_client: MagicMock, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_TENANT_ID: "sandbox-tenant",
            CONF_CLIENT_ID: "another-client",
            CONF_SCOPE: "api://fluvius-sandbox/.default",
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unique_id_mismatch"
    assert mock_config_entry.data[CONF_CLIENT_ID] == CLIENT_ID
    mock_client.get_mandates.assert_not_awaited()


async def test_reconfigure_custom_urls(hass: HomeAssistant, mock_client: MagicMock) -> None:
    data = {
        **USER_INPUT,
        CONF_ENVIRONMENT: "custom",
        CONF_BASE_URL: "http://127.0.0.1:8080/v1",
        CONF_TOKEN_URL: "http://127.0.0.1:8080/{tenant_id}/token",
    }
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id=f"custom_{CLIENT_ID}", data=data, options={CONF_EANS: [EAN_GAS]}
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    fields = [str(key) for key in result["data_schema"].schema]
    assert fields[:2] == [CONF_BASE_URL, CONF_TOKEN_URL]
    base = {
        CONF_TENANT_ID: "sandbox-tenant",
        CONF_CLIENT_ID: CLIENT_ID,
        CONF_SCOPE: "scope",
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**base, CONF_BASE_URL: "http://8.8.8.8/v1", CONF_TOKEN_URL: "nonsense"},
    )
    assert result["errors"] == {CONF_BASE_URL: "insecure_url", CONF_TOKEN_URL: "invalid_url"}
    mock_client.get_mandates.assert_not_awaited()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            **base,
            CONF_BASE_URL: "https://fluvius.example.com/v1",
            CONF_TOKEN_URL: "https://login.example.com/{tenant_id}/token",
        },
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_BASE_URL] == "https://fluvius.example.com/v1"
    # An entry from before the option (1.1) keeps the submeters' reactive energy.
    assert entry.options == {CONF_EANS: [EAN_GAS], CONF_SUBMETER_REACTIVE: True}


async def test_flow_validation_uses_entry_data(hass: HomeAssistant, mock_client: MagicMock) -> None:
    """The client is built from exactly what the user typed (stripped)."""
    from custom_components.fluvius import helpers

    result = await _start(hass)
    await hass.config_entries.flow.async_configure(result["flow_id"], USER_INPUT)
    client_class = helpers.FluviusClient
    assert isinstance(client_class, MagicMock | AsyncMock)
    kwargs = client_class.call_args.kwargs
    assert kwargs["client_secret"] == USER_INPUT[CONF_CLIENT_SECRET]
    assert kwargs["subscription_key"] == USER_INPUT[CONF_SUBSCRIPTION_KEY]


def test_mask_client_id() -> None:
    from custom_components.fluvius.helpers import mask_client_id

    assert mask_client_id(CLIENT_ID) == "0a1b***6789"
    assert mask_client_id("short") == "sh***"
