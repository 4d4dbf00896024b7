"""Fixtures of the integration tests: a mocked Fluvius client, mandates, a config entry.

The client is patched with ``autospec`` where the integration creates it
(``helpers.FluviusClient``), so a call the real client does not support fails the test.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from datetime import UTC, datetime
from typing import Any
from unittest.mock import AsyncMock, MagicMock, patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius.api.models import (
    DataServiceType,
    EnergyData,
    EnergyType,
    Mandate,
    MandateStatus,
    RenewalStatus,
)
from custom_components.fluvius.const import (
    CONF_BACKFILL_DAYS,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_EANS,
    CONF_ENVIRONMENT,
    CONF_SCOPE,
    CONF_SUBMETER_REACTIVE,
    CONF_SUBSCRIPTION_KEY,
    CONF_TENANT_ID,
    DEFAULT_BACKFILL_DAYS,
    DOMAIN,
)

# Sandbox mock EANs (fluvius-api.md §10.2): digital electricity offtake+injection, quarter-hour;
# digital gas, day; AMR electricity offtake, quarter-hour.
EAN_ELECTRICITY = "541440110000000001"
EAN_GAS = "541441000000000002"
EAN_AMR = "541450010000000003"
EAN_FINISHED = "541440100000000004"

CLIENT_ID = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"

USER_INPUT: dict[str, Any] = {
    CONF_ENVIRONMENT: "sandbox",
    CONF_TENANT_ID: "sandbox-tenant",
    CONF_CLIENT_ID: CLIENT_ID,
    CONF_CLIENT_SECRET: "sandbox-secret",
    CONF_SCOPE: "api://fluvius-sandbox/.default",
    CONF_SUBSCRIPTION_KEY: "sandbox-subscription-key",
}


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def make_mandates() -> list[Mandate]:
    """Approved (day + quarter-hour on one EAN), Finished, Requested and Rejected mandates."""
    return [
        Mandate(
            status=MandateStatus.APPROVED,
            ean=EAN_ELECTRICITY,
            energy_type=EnergyType.ELECTRICITY,
            data_service_type=DataServiceType.QUARTER_HOURLY,
            data_period_from=_dt("2023-01-01T23:00:00Z"),
            mandate_expiration_date=_dt("2028-12-07T23:00:00Z"),
        ),
        Mandate(
            status=MandateStatus.APPROVED,
            ean=EAN_ELECTRICITY,
            energy_type=EnergyType.ELECTRICITY,
            data_service_type=DataServiceType.DAILY,
            data_period_from=_dt("2023-01-01T23:00:00Z"),
            mandate_expiration_date=_dt("2028-12-07T23:00:00Z"),
        ),
        Mandate(
            status=MandateStatus.APPROVED,
            ean=EAN_GAS,
            energy_type=EnergyType.GAS,
            data_service_type=DataServiceType.DAILY,
            mandate_expiration_date=_dt("2027-03-01T23:00:00Z"),
        ),
        Mandate(
            status=MandateStatus.APPROVED,
            ean=EAN_AMR,
            energy_type=EnergyType.ELECTRICITY,
            data_service_type=DataServiceType.QUARTER_HOURLY,
            mandate_expiration_date=_dt("2027-06-30T22:00:00Z"),
            renewal_status=RenewalStatus.TO_BE_RENEWED,
        ),
        Mandate(
            status=MandateStatus.FINISHED,
            ean=EAN_FINISHED,
            energy_type=EnergyType.ELECTRICITY,
            data_service_type=DataServiceType.DAILY,
            data_period_to=_dt("2024-06-30T22:00:00Z"),
        ),
        Mandate(status=MandateStatus.REQUESTED, reference_number="REF-123456"),
        Mandate(status=MandateStatus.REJECTED),
    ]


@pytest.fixture(autouse=True)
async def auto_recorder_and_custom_integrations(
    recorder_mock: Any, enable_custom_integrations: None
) -> None:
    """The integration depends on the recorder (statistics), which must start before ``hass``."""


@pytest.fixture
def mandates() -> list[Mandate]:
    return make_mandates()


@pytest.fixture
def mock_client(mandates: list[Mandate]) -> Generator[MagicMock]:
    """The Fluvius client, wherever the integration creates it."""
    with patch("custom_components.fluvius.helpers.FluviusClient", autospec=True) as client_class:
        client = client_class.return_value
        client.get_mandates.return_value = mandates
        # No measurements: the background backfill finishes at once without statistics.
        client.get_energy.side_effect = lambda ean, *args, **kwargs: EnergyData(
            ean=ean, energy_type=None, headpoint_type="metering-on-meter"
        )
        yield client


@pytest.fixture
def mock_setup_entry() -> Generator[AsyncMock]:
    """Config flow tests stop at the entry: setting it up is tested in test_init."""
    with patch("custom_components.fluvius.async_setup_entry", return_value=True) as setup_entry:
        yield setup_entry


@pytest.fixture
def mock_config_entry() -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Fluvius sandbox (0a1b***6789)",
        unique_id=f"sandbox_{CLIENT_ID}",
        data=dict(USER_INPUT),
        options={
            CONF_EANS: [EAN_ELECTRICITY, EAN_GAS],
            CONF_BACKFILL_DAYS: DEFAULT_BACKFILL_DAYS,
            CONF_SUBMETER_REACTIVE: True,
        },
        entry_id="01JFLUVIUSENTRY000000000000",
        minor_version=2,
    )


@pytest.fixture
async def init_integration(
    hass: Any, mock_client: MagicMock, mock_config_entry: MockConfigEntry
) -> AsyncGenerator[MockConfigEntry]:
    """The entry set up with the real coordinator and sensors on the mocked client."""
    from homeassistant.config_entries import ConfigEntryState

    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    yield mock_config_entry
    if mock_config_entry.state is ConfigEntryState.LOADED:
        assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
        await hass.async_block_till_done()
