"""Setup, unload and removal of a config entry."""

from __future__ import annotations

from unittest.mock import MagicMock, patch

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.fluvius import async_remove_config_entry_device
from custom_components.fluvius.api.errors import (
    FluviusAuthError,
    FluviusConnectionError,
    FluviusError,
    FluviusForbiddenError,
    FluviusPayloadError,
    FluviusRateLimitError,
    FluviusServerError,
    FluviusSubscriptionKeyError,
)
from custom_components.fluvius.compat import via_parent
from custom_components.fluvius.const import CONF_EANS, DOMAIN
from custom_components.fluvius.coordinator import FluviusCoordinator, FluviusData

from .conftest import EAN_AMR, EAN_ELECTRICITY, EAN_GAS


async def test_setup_and_unload(
    hass: HomeAssistant, init_integration: MockConfigEntry, mock_client: MagicMock
) -> None:
    """One validation call; runtime data holds the client, coordinator and mandates."""
    entry = init_integration
    data = entry.runtime_data
    assert isinstance(data, FluviusData)
    assert isinstance(data.coordinator, FluviusCoordinator)
    assert data.client is mock_client
    assert set(data.mandates) >= {EAN_ELECTRICITY, EAN_GAS}
    assert mock_client.get_mandates.await_count == 1

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_setup_auth_failure_starts_reauth(
    hass: HomeAssistant, mock_client: MagicMock, mock_config_entry: MockConfigEntry
) -> None:
    for error in (FluviusAuthError("invalid_client"), FluviusSubscriptionKeyError("key")):
        mock_client.get_mandates.side_effect = error
        entry = MockConfigEntry(
            domain=DOMAIN,
            data=mock_config_entry.data,
            options=mock_config_entry.options,
            unique_id=f"{mock_config_entry.unique_id}-{type(error).__name__}",
        )
        entry.add_to_hass(hass)
        assert not await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.SETUP_ERROR
        assert "The Fluvius API refused the credentials" in (entry.reason or "")
        flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        assert any(
            flow["context"]["source"] == SOURCE_REAUTH
            and flow["context"].get("entry_id") == entry.entry_id
            for flow in flows
        )


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (FluviusConnectionError("timeout"), "Could not connect to the Fluvius API"),
        (TimeoutError(), "Could not connect to the Fluvius API"),
        (FluviusServerError("503", status=503), "server error"),
        (FluviusRateLimitError("429"), "too many requests"),
        (FluviusForbiddenError("403", status=403), "EEA and the United Kingdom"),
        (FluviusPayloadError("not JSON"), "could not be read"),
        (FluviusError("something odd"), "answered with an error: something odd"),
    ],
)
async def test_setup_transient_errors_retry(
    hass: HomeAssistant,
    mock_client: MagicMock,
    mock_config_entry: MockConfigEntry,
    error: Exception,
    message: str,
) -> None:
    mock_client.get_mandates.side_effect = error
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert message in (mock_config_entry.reason or "")
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_setup_raises_mandate_issues(
    hass: HomeAssistant, mock_client: MagicMock, mock_config_entry: MockConfigEntry
) -> None:
    """Setup checks the mandates right away: the AMR meter's is ToBeRenewed."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=mock_config_entry.data,
        options={**mock_config_entry.options, CONF_EANS: [EAN_AMR]},
        unique_id=mock_config_entry.unique_id,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"mandate_renewal_{entry.entry_id}_{EAN_AMR}"
    )
    assert issue is not None
    assert issue.translation_key == "mandate_expiring"
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_options_change_reloads(
    hass: HomeAssistant, init_integration: MockConfigEntry, mock_client: MagicMock
) -> None:
    entry = init_integration
    coordinator = entry.runtime_data.coordinator
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_EANS: [EAN_GAS], "backfill_days": 30}
    )
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator is not coordinator
    assert entry.options[CONF_EANS] == [EAN_GAS]


async def test_stale_devices_removed(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Deselecting a meter removes its device and its submeters' devices; others stay."""
    entry = init_integration
    main = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, EAN_ELECTRICITY)}
    )
    sub = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, "541450000000000999")},
        **via_parent(main),
    )
    gas = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, EAN_GAS)}
    )
    assert not await async_remove_config_entry_device(hass, entry, main)
    assert not await async_remove_config_entry_device(hass, entry, sub)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_EANS: [EAN_GAS], "backfill_days": 1095}
    )
    await hass.async_block_till_done()
    assert device_registry.async_get(main.id) is None
    assert device_registry.async_get(sub.id) is None
    assert device_registry.async_get(gas.id) is not None
    assert not await async_remove_config_entry_device(hass, entry, gas)

    other = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, EAN_AMR)}
    )
    assert await async_remove_config_entry_device(hass, entry, other)
    foreign = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={("other", "x")}
    )
    assert await async_remove_config_entry_device(hass, entry, foreign)


async def test_remove_entry_clears_statistics_store_and_issues(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Removal (never unload) clears statistics, the cursor Store and the repair issues."""
    entry = init_integration
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"mandate_missing_{entry.entry_id}_{EAN_GAS}",
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="mandate_missing",
    )
    with (
        patch(
            "custom_components.fluvius.async_clear_entry_statistics", autospec=True
        ) as clear_statistics,
        patch("custom_components.fluvius.async_remove_cursor_store", autospec=True) as remove_store,
    ):
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
        clear_statistics.assert_not_called()
        remove_store.assert_not_called()

        await hass.config_entries.async_remove(entry.entry_id)
        await hass.async_block_till_done()
    clear_statistics.assert_awaited_once_with(hass, entry, keep=set())
    remove_store.assert_awaited_once_with(hass, entry.entry_id)
    assert not ir.async_get(hass).async_get_issue(
        DOMAIN, f"mandate_missing_{entry.entry_id}_{EAN_GAS}"
    )


async def test_setup_component_without_entries(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
