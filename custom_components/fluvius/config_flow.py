"""Config flow: credentials, meters, reauth and reconfigure (options: options_flow.py).

Steps (``step_id`` → fields):

* ``user``: ``environment`` (live, sandbox; custom in advanced mode, on Home Assistant before
  2026.6), ``tenant_id``, ``client_id``, ``client_secret``, ``scope``, ``subscription_key``;
* ``custom`` (only for the custom environment): ``base_url``, ``token_url``;
* ``meters``: ``eans`` (the meters of the Approved and Finished mandates);
* ``reauth_confirm``: ``client_secret``, ``subscription_key``;
* ``reconfigure``: ``tenant_id``, ``client_id``, ``client_secret`` (blank keeps it), ``scope``,
  ``subscription_key`` (blank keeps it), plus ``base_url`` and ``token_url`` for custom.

Every credential check is one token request plus one GET Mandate (flow_validation.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, cast, override

from homeassistant.config_entries import ConfigEntry, ConfigFlow, ConfigFlowResult
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .api import Environment
from .api.models import Mandate
from .compat import advanced_mode
from .const import (
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
from .flow_meters import Texts, meter_selector, unusable_mandates, usable_meters
from .flow_validation import (
    CREDENTIAL_ERRORS,
    CREDENTIAL_KEYS,
    SECRET_KEYS,
    async_validate,
    field_errors,
    strip_input,
    url_error,
)
from .helpers import mask_client_id, unique_id_for
from .options_flow import FluviusOptionsFlow
from .ownership import selected_elsewhere

if TYPE_CHECKING:
    # Newer Home Assistant releases validate with probatio and alias ``voluptuous`` to it;
    # 2026.5 (hacs.json's minimum) still uses voluptuous itself. Same API, so type against the
    # one this toolchain has, import the name every supported release has.
    import probatio as vol
else:
    import voluptuous as vol

API_MANAGEMENT_URL: Final = "https://mijn.fluvius.be/verbruik/netgebruiker/api-beheer"
TENANT_MARKER: Final = "{tenant_id}"

_TEXT = TextSelector()
_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))


def _environment_selector(advanced: bool) -> SelectSelector:
    options = [Environment.LIVE.value, Environment.SANDBOX.value]
    if advanced:
        options.append(Environment.CUSTOM.value)
    return SelectSelector(
        SelectSelectorConfig(
            options=options,
            mode=SelectSelectorMode.LIST,
            translation_key=CONF_ENVIRONMENT,
        )
    )


class FluviusConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a Fluvius API account: credentials, then the meters to import."""

    VERSION = 1
    # 1.2: the ``submeter_reactive`` option (off for new entries; on for older ones).
    MINOR_VERSION = 2

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}
        self._urls: dict[str, Any] = {}  # the custom step's last addresses, to refill its form
        self._mandates: list[Mandate] = []

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: ConfigEntry[Any]) -> FluviusOptionsFlow:
        return FluviusOptionsFlow()

    def _placeholders(self, **extra: str) -> dict[str, str]:
        return {"api_management_url": API_MANAGEMENT_URL, "tenant_marker": TENANT_MARKER, **extra}

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Environment and credentials."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = strip_input(user_input)
            errors = field_errors(data, CREDENTIAL_KEYS)
            if not errors:
                self._data = data
                await self.async_set_unique_id(unique_id_for(data))
                self._abort_if_unique_id_configured()
                if data[CONF_ENVIRONMENT] == Environment.CUSTOM:
                    return await self.async_step_custom()
                error, self._mandates = await async_validate(self.hass, data)
                if error is None:
                    return await self.async_step_meters()
                errors["base"] = error
        return self._user_form(user_input, errors)

    def _user_form(
        self, suggested: Mapping[str, Any] | None, errors: dict[str, str]
    ) -> ConfigFlowResult:
        schema = vol.Schema(
            {
                vol.Required(CONF_ENVIRONMENT, default=Environment.LIVE.value): (
                    _environment_selector(advanced_mode(cast(Mapping[str, Any], self.context)))
                ),
                vol.Required(CONF_TENANT_ID): _TEXT,
                vol.Required(CONF_CLIENT_ID): _TEXT,
                vol.Required(CONF_CLIENT_SECRET): _PASSWORD,
                vol.Required(CONF_SCOPE): _TEXT,
                vol.Required(CONF_SUBSCRIPTION_KEY): _PASSWORD,
            }
        )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
            description_placeholders=self._placeholders(),
        )

    async def async_step_custom(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Addresses of a custom environment (a local stand-in, another gateway).

        When the credentials are refused, the user step is shown again (with the error, the
        other fields refilled, the secrets to type again, the addresses kept for the next
        pass): the URL form has no credential fields to correct.
        """
        errors: dict[str, str] = {}
        if user_input is not None:
            urls = strip_input(user_input)
            errors = field_errors(urls, (CONF_BASE_URL, CONF_TOKEN_URL))
            for key in (CONF_BASE_URL, CONF_TOKEN_URL):
                if key not in errors and (error := url_error(urls[key])):
                    errors[key] = error
            if not errors:
                self._urls = urls
                self._data.update(urls)
                error, self._mandates = await async_validate(self.hass, self._data)
                if error is None:
                    return await self.async_step_meters()
                if error in CREDENTIAL_ERRORS:
                    # The stored secrets are not sent back to the browser: typed again.
                    refill = {k: v for k, v in self._data.items() if k not in SECRET_KEYS}
                    return self._user_form(refill, {"base": error})
                errors["base"] = error

        schema = vol.Schema({vol.Required(CONF_BASE_URL): _URL, vol.Required(CONF_TOKEN_URL): _URL})
        return self.async_show_form(
            step_id="custom",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or self._urls),
            errors=errors,
            description_placeholders=self._placeholders(),
        )

    async def async_step_meters(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Which meters (EANs) to import."""
        texts = await Texts.async_load(self.hass)
        meters = usable_meters(self._mandates)
        unusable = texts.unusable(unusable_mandates(self._mandates))
        if not meters:
            return self.async_abort(
                reason="no_mandates", description_placeholders=self._placeholders(unusable=unusable)
            )
        # One importer per EAN: a meter another entry imports is not offered again.
        elsewhere = selected_elsewhere(self.hass)
        taken = texts.taken({ean: title for ean, title in elsewhere.items() if ean in meters})
        meters = {ean: meter for ean, meter in meters.items() if ean not in elsewhere}
        if not meters:
            return self.async_abort(
                reason="all_meters_taken", description_placeholders=self._placeholders(taken=taken)
            )
        errors: dict[str, str] = {}
        if user_input is not None:
            eans = [ean for ean in meters if ean in user_input[CONF_EANS]]
            if eans:
                environment = self._data[CONF_ENVIRONMENT]
                return self.async_create_entry(
                    title=f"Fluvius {environment} ({mask_client_id(self._data[CONF_CLIENT_ID])})",
                    data=self._data,
                    options={
                        CONF_EANS: eans,
                        CONF_BACKFILL_DAYS: DEFAULT_BACKFILL_DAYS,
                        CONF_SUBMETER_REACTIVE: False,
                    },
                )
            errors["base"] = "no_meters_selected"

        environment = self._data[CONF_ENVIRONMENT]
        options = [
            SelectOptionDict(value=ean, label=texts.meter_label(meter, environment))
            for ean, meter in meters.items()
        ]
        schema = vol.Schema({vol.Required(CONF_EANS): meter_selector(options)})
        return self.async_show_form(
            step_id="meters",
            data_schema=self.add_suggested_values_to_schema(
                schema, user_input or {CONF_EANS: list(meters)}
            ),
            errors=errors,
            description_placeholders=self._placeholders(unusable=unusable, taken=taken),
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The API refused the stored credentials (they are valid for one year)."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new client secret and subscription key of the same API client."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            entered = strip_input(user_input)
            errors = field_errors(entered, (CONF_CLIENT_SECRET, CONF_SUBSCRIPTION_KEY))
            if not errors:
                data = {**entry.data, **entered}
                await self.async_set_unique_id(unique_id_for(data))
                self._abort_if_unique_id_mismatch()
                error, _ = await async_validate(self.hass, data)
                if error is None:
                    return self.async_update_reload_and_abort(entry, data=data)
                errors["base"] = error

        schema = vol.Schema(
            {
                vol.Required(CONF_CLIENT_SECRET): _PASSWORD,
                vol.Required(CONF_SUBSCRIPTION_KEY): _PASSWORD,
            }
        )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=schema,
            errors=errors,
            description_placeholders=self._placeholders(
                name=entry.title, client_id=entry.data[CONF_CLIENT_ID]
            ),
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change credentials or addresses; the API client (unique id) must stay the same."""
        entry = self._get_reconfigure_entry()
        custom = entry.data[CONF_ENVIRONMENT] == Environment.CUSTOM
        errors: dict[str, str] = {}
        if user_input is not None:
            entered = strip_input(user_input)
            for secret in (CONF_CLIENT_SECRET, CONF_SUBSCRIPTION_KEY):
                if not entered.get(secret):
                    entered.pop(secret, None)
            required = [CONF_TENANT_ID, CONF_CLIENT_ID, CONF_SCOPE]
            if custom:
                required += [CONF_BASE_URL, CONF_TOKEN_URL]
            errors = field_errors(entered, required)
            data = {**entry.data, **entered}
            if custom:
                for key in (CONF_BASE_URL, CONF_TOKEN_URL):
                    if key not in errors and (error := url_error(data[key])):
                        errors[key] = error
            if not errors:
                await self.async_set_unique_id(unique_id_for(data))
                self._abort_if_unique_id_mismatch()
                error, _ = await async_validate(self.hass, data)
                if error is None:
                    return self.async_update_reload_and_abort(entry, data=data)
                errors["base"] = error

        fields: dict[vol.Marker, Any] = {}
        if custom:
            fields[vol.Required(CONF_BASE_URL)] = _URL
            fields[vol.Required(CONF_TOKEN_URL)] = _URL
        fields[vol.Required(CONF_TENANT_ID)] = _TEXT
        fields[vol.Required(CONF_CLIENT_ID)] = _TEXT
        fields[vol.Optional(CONF_CLIENT_SECRET)] = _PASSWORD
        fields[vol.Required(CONF_SCOPE)] = _TEXT
        fields[vol.Optional(CONF_SUBSCRIPTION_KEY)] = _PASSWORD
        suggested = {
            key: value
            for key, value in {**entry.data, **(user_input or {})}.items()
            if key not in (CONF_CLIENT_SECRET, CONF_SUBSCRIPTION_KEY)
        }
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(vol.Schema(fields), suggested),
            errors=errors,
            description_placeholders=self._placeholders(),
        )
