"""Config flow: credentials, meters, reauth, reconfigure and options.

Steps (``step_id`` → fields):

* ``user``: ``environment`` (live, sandbox; custom in advanced mode), ``tenant_id``,
  ``client_id``, ``client_secret``, ``scope``, ``subscription_key``;
* ``custom`` (only for the custom environment): ``base_url``, ``token_url``;
* ``meters``: ``eans`` (the meters of the Approved and Finished mandates);
* ``reauth_confirm``: ``client_secret``, ``subscription_key``;
* ``reconfigure``: ``tenant_id``, ``client_id``, ``client_secret`` (blank keeps it), ``scope``,
  ``subscription_key`` (blank keeps it), plus ``base_url`` and ``token_url`` for custom;
* options ``init``: ``eans``, ``backfill_days``, ``price_day``, ``price_night``,
  ``price_injection``, ``price_gas``.

Every credential check is one token request plus one GET Mandate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import ipaddress
import re
from typing import TYPE_CHECKING, Any, Final, cast, override

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.translation import async_get_translations
from yarl import URL

from .api import Environment
from .api.ean import decode_mock_ean
from .api.models import DataServiceType, EnergyType, Mandate, MandateStatus
from .capacity_cost import CapacitySettings, capacity_settings
from .const import (
    CONF_AREA,
    CONF_BACKFILL_DAYS,
    CONF_BASE_URL,
    CONF_CAPACITY_TARIFF,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_EANS,
    CONF_ENVIRONMENT,
    CONF_OWN_RATE,
    CONF_PRICE_DAY,
    CONF_PRICE_GAS,
    CONF_PRICE_INJECTION,
    CONF_PRICE_NIGHT,
    CONF_SCOPE,
    CONF_SUBSCRIPTION_KEY,
    CONF_TENANT_ID,
    CONF_TOKEN_URL,
    CONF_VAT,
    DEFAULT_BACKFILL_DAYS,
    DOMAIN,
    LOGGER,
    MAX_BACKFILL_DAYS,
    TIMEZONE,
)
from .helpers import create_client, error_key, mask_client_id, unique_id_for
from .mandates import selected_eans
from .ownership import selected_elsewhere
from .tariffs import DEFAULT_VAT, VAT_RATES, NetworkArea

if TYPE_CHECKING:
    # Home Assistant 2026.x validates with probatio and aliases ``voluptuous`` to it; older
    # versions (hacs.json allows 2025.11) use voluptuous itself. Same API, so type against the
    # one this toolchain has, import the name every supported version has.
    import probatio as vol
else:
    import voluptuous as vol

API_MANAGEMENT_URL: Final = "https://mijn.fluvius.be/verbruik/netgebruiker/api-beheer"
TENANT_MARKER: Final = "{tenant_id}"

PRICE_KEYS: Final = (CONF_PRICE_DAY, CONF_PRICE_NIGHT, CONF_PRICE_INJECTION, CONF_PRICE_GAS)
# The options field that leads on to one meter's capacity tariff.
CONF_CAPACITY_METER: Final = "capacity_meter"
# An own capacity rate (EUR/kW/year) outside this range is a typing error, not a tariff.
OWN_RATE_RANGE: Final = (1.0, 1000.0)
CREDENTIAL_KEYS: Final = (
    CONF_TENANT_ID,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_SCOPE,
    CONF_SUBSCRIPTION_KEY,
)

# A busy or failing server is, to the person at the form, one thing: try again later.
_FLOW_ERROR_KEYS: Final = {"rate_limited": "cannot_connect", "server_error": "cannot_connect"}
_CREDENTIAL_ERRORS: Final = ("invalid_auth", "invalid_subscription_key")
_SECRET_KEYS: Final = (CONF_CLIENT_SECRET, CONF_SUBSCRIPTION_KEY)

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


def _strip(user_input: Mapping[str, Any]) -> dict[str, Any]:
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


def _field_errors(data: Mapping[str, Any], required: Iterable[str]) -> dict[str, str]:
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


def _url_error(value: str) -> str | None:
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


async def _async_validate(
    hass: HomeAssistant, data: Mapping[str, Any]
) -> tuple[str | None, list[Mandate]]:
    """One token request and one GET Mandate: the error key, or the mandates."""
    client = create_client(hass, data)
    try:
        mandates = await client.get_mandates()
    except Exception as err:
        key = _FLOW_ERROR_KEYS.get(error_key(err), error_key(err))
        if key == "unknown":
            LOGGER.exception("Unexpected error while checking the Fluvius API credentials")
        return key, []
    return None, list(mandates)


# --- Meters offered for selection -------------------------------------------------------------


@dataclass(slots=True)
class _Meter:
    """What the mandates say about one EAN."""

    ean: str
    energy_type: str | None = None
    levels: set[str] = field(default_factory=set)
    expires: datetime | None = None
    finished_only: bool = True


def usable_meters(mandates: Iterable[Mandate]) -> dict[str, _Meter]:
    """The meters of the Approved and Finished (historical data) mandates, one per EAN."""
    meters: dict[str, _Meter] = {}
    for mandate in mandates:
        if not mandate.usable or mandate.ean is None:
            continue
        meter = meters.setdefault(mandate.ean, _Meter(mandate.ean))
        if mandate.energy_type is not None:
            meter.energy_type = str(mandate.energy_type)
        if mandate.data_service_type is not None:
            meter.levels.add(str(mandate.data_service_type))
        if mandate.status == MandateStatus.APPROVED:
            meter.finished_only = False
        expires = mandate.mandate_expiration_date
        if expires is not None and (meter.expires is None or expires > meter.expires):
            meter.expires = expires
    return dict(sorted(meters.items()))


def _unusable(mandates: Iterable[Mandate]) -> list[Mandate]:
    return [mandate for mandate in mandates if not mandate.usable]


_UNUSABLE_REASONS: Final[dict[str, str]] = {
    MandateStatus.REQUESTED.value: "requested",
    MandateStatus.REJECTED.value: "rejected",
}


class _Texts:
    """Labels built in code (meter options, unusable mandates), in Home Assistant's language."""

    def __init__(self, strings: Mapping[str, str]) -> None:
        self._strings = strings

    @classmethod
    async def async_load(cls, hass: HomeAssistant) -> _Texts:
        strings = await async_get_translations(hass, hass.config.language, "selector", [DOMAIN])
        if hass.config.language != "en":
            english = await async_get_translations(hass, "en", "selector", [DOMAIN])
            strings = {**english, **strings}
        return cls(strings)

    def get(self, selector: str, key: str) -> str:
        return self._strings.get(f"component.{DOMAIN}.selector.{selector}.options.{key}", key)

    def meter_label(self, meter: _Meter, environment: str) -> str:
        parts = [meter.ean]
        gas = meter.energy_type == EnergyType.GAS
        if meter.energy_type in (EnergyType.ELECTRICITY, EnergyType.GAS):
            parts.append(self.get("meter", "gas" if gas else "electricity"))
        if environment != Environment.LIVE and (decoded := decode_mock_ean(meter.ean)) is not None:
            parts.append(self.get("meter", "amr" if decoded.amr else "digital"))
        levels = []
        if DataServiceType.QUARTER_HOURLY in meter.levels:
            levels.append(self.get("meter", "hour" if gas else "quarter_hour"))
        if DataServiceType.DAILY in meter.levels:
            levels.append(self.get("meter", "day"))
        if levels:
            parts.append(" + ".join(levels))
        if meter.finished_only:
            parts.append(self.get("meter", "finished"))
        elif meter.expires is not None:
            last_day = (meter.expires - timedelta(microseconds=1)).astimezone(TIMEZONE).date()
            parts.append(self.get("meter", "valid_until").replace("{date}", last_day.isoformat()))
        return " · ".join(parts)

    def unusable(self, mandates: Iterable[Mandate]) -> str:
        """The Requested and Rejected mandates, with why they give no data (a description)."""
        lines = []
        for mandate in mandates:
            status = str(mandate.status)
            key = _UNUSABLE_REASONS.get(status, "other")
            name = mandate.reference_number or mandate.ean or ""
            reason = self.get("unusable", key).replace("{status}", status)
            lines.append(f"- {name + ': ' if name else ''}{reason}")
        if not lines:
            return ""
        return "\n\n" + self.get("unusable", "header") + "\n" + "\n".join(lines)

    def taken(self, taken: Mapping[str, str]) -> str:
        """The meters another entry imports, with that entry's title (a description)."""
        if not taken:
            return ""
        line = self.get("taken", "line")
        lines = [
            "- " + line.replace("{ean}", ean).replace("{title}", title)
            for ean, title in sorted(taken.items())
        ]
        return "\n\n" + self.get("taken", "header") + "\n" + "\n".join(lines)


def _meter_selector(options: list[SelectOptionDict]) -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(options=options, multiple=True, mode=SelectSelectorMode.LIST)
    )


# --- The config flow ---------------------------------------------------------------------------


class FluviusConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a Fluvius API account: credentials, then the meters to import."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}
        self._urls: dict[str, Any] = {}  # the custom step's last addresses, to refill its form
        self._mandates: list[Mandate] = []

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: ConfigEntry[Any]) -> FluviusOptionsFlow:
        return FluviusOptionsFlow()

    @property
    def _advanced_mode(self) -> bool:
        """Whether to offer the custom environment.

        Home Assistant before 2026.x put the user's advanced mode in the flow context (what
        ``show_advanced_options`` returned). Newer versions deprecated that property, dropped the
        context key and treat every user as advanced: the custom environment is then offered.
        """
        context = cast(Mapping[str, Any], self.context)
        return bool(context.get("show_advanced_options", True))

    def _placeholders(self, **extra: str) -> dict[str, str]:
        return {"api_management_url": API_MANAGEMENT_URL, "tenant_marker": TENANT_MARKER, **extra}

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Environment and credentials."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _strip(user_input)
            errors = _field_errors(data, CREDENTIAL_KEYS)
            if not errors:
                self._data = data
                await self.async_set_unique_id(unique_id_for(data))
                self._abort_if_unique_id_configured()
                if data[CONF_ENVIRONMENT] == Environment.CUSTOM:
                    return await self.async_step_custom()
                error, self._mandates = await _async_validate(self.hass, data)
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
                    _environment_selector(self._advanced_mode)
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
            urls = _strip(user_input)
            errors = _field_errors(urls, (CONF_BASE_URL, CONF_TOKEN_URL))
            for key in (CONF_BASE_URL, CONF_TOKEN_URL):
                if key not in errors and (error := _url_error(urls[key])):
                    errors[key] = error
            if not errors:
                self._urls = urls
                self._data.update(urls)
                error, self._mandates = await _async_validate(self.hass, self._data)
                if error is None:
                    return await self.async_step_meters()
                if error in _CREDENTIAL_ERRORS:
                    # The stored secrets are not sent back to the browser: typed again.
                    refill = {k: v for k, v in self._data.items() if k not in _SECRET_KEYS}
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
        texts = await _Texts.async_load(self.hass)
        meters = usable_meters(self._mandates)
        unusable = texts.unusable(_unusable(self._mandates))
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
                    options={CONF_EANS: eans, CONF_BACKFILL_DAYS: DEFAULT_BACKFILL_DAYS},
                )
            errors["base"] = "no_meters_selected"

        environment = self._data[CONF_ENVIRONMENT]
        options = [
            SelectOptionDict(value=ean, label=texts.meter_label(meter, environment))
            for ean, meter in meters.items()
        ]
        schema = vol.Schema({vol.Required(CONF_EANS): _meter_selector(options)})
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
            entered = _strip(user_input)
            errors = _field_errors(entered, (CONF_CLIENT_SECRET, CONF_SUBSCRIPTION_KEY))
            if not errors:
                data = {**entry.data, **entered}
                await self.async_set_unique_id(unique_id_for(data))
                self._abort_if_unique_id_mismatch()
                error, _ = await _async_validate(self.hass, data)
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
            entered = _strip(user_input)
            for secret in (CONF_CLIENT_SECRET, CONF_SUBSCRIPTION_KEY):
                if not entered.get(secret):
                    entered.pop(secret, None)
            required = [CONF_TENANT_ID, CONF_CLIENT_ID, CONF_SCOPE]
            if custom:
                required += [CONF_BASE_URL, CONF_TOKEN_URL]
            errors = _field_errors(entered, required)
            data = {**entry.data, **entered}
            if custom:
                for key in (CONF_BASE_URL, CONF_TOKEN_URL):
                    if key not in errors and (error := _url_error(data[key])):
                        errors[key] = error
            if not errors:
                await self.async_set_unique_id(unique_id_for(data))
                self._abort_if_unique_id_mismatch()
                error, _ = await _async_validate(self.hass, data)
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


# --- Options -----------------------------------------------------------------------------------


class FluviusOptionsFlow(OptionsFlowWithReload):
    """Meters, history depth and prices; the entry reloads when they change."""

    _mandates: list[Mandate] | None = None
    _options: dict[str, Any]
    _capacity_ean: str

    async def _async_mandates(self) -> tuple[str | None, list[Mandate]]:
        """The current mandates, read once per options flow.

        From the API, so that new mandates show up and Requested/Rejected ones can be
        explained; when the API cannot be reached, a loaded entry's last known ones do.
        """
        if self._mandates is not None:
            return None, self._mandates
        entry = self.config_entry
        error, mandates = await _async_validate(self.hass, entry.data)
        if error is not None and entry.state is ConfigEntryState.LOADED:
            error, mandates = None, list(entry.runtime_data.mandates.values())
        if error is None:
            self._mandates = mandates
        return error, mandates

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The one options step."""
        entry = self.config_entry
        error, mandates = await self._async_mandates()
        if error is not None:
            reason = (
                "invalid_auth"
                if error in ("invalid_auth", "invalid_subscription_key")
                else "cannot_connect"
            )
            return self.async_abort(reason=reason)

        texts = await _Texts.async_load(self.hass)
        meters = usable_meters(mandates)
        current = selected_eans(entry.options)
        # One importer per EAN: a meter another entry imports is not offered (unless this
        # entry still selects it, from before the rule: it can be deselected here).
        elsewhere = selected_elsewhere(self.hass, entry.entry_id)
        taken = texts.taken(
            {ean: title for ean, title in elsewhere.items() if ean in meters or ean in current}
        )
        meters = {
            ean: meter for ean, meter in meters.items() if ean not in elsewhere or ean in current
        }
        errors: dict[str, str] = {}
        if user_input is not None:
            offered = [*meters, *(ean for ean in current if ean not in meters)]
            eans = [ean for ean in offered if ean in user_input[CONF_EANS]]
            if eans:
                options: dict[str, Any] = {
                    CONF_EANS: eans,
                    CONF_BACKFILL_DAYS: int(user_input[CONF_BACKFILL_DAYS]),
                }
                for key in PRICE_KEYS:
                    if user_input.get(key) is not None:
                        options[key] = float(user_input[key])
                tariffs = {
                    ean: raw
                    for ean, raw in (entry.options.get(CONF_CAPACITY_TARIFF) or {}).items()
                    if ean in eans
                }
                if tariffs:
                    options[CONF_CAPACITY_TARIFF] = tariffs
                capacity_ean = user_input.get(CONF_CAPACITY_METER)
                if capacity_ean in eans:
                    self._options = options
                    self._capacity_ean = capacity_ean
                    return await self.async_step_capacity_tariff()
                if not capacity_ean:
                    return self.async_create_entry(data=options)
                errors[CONF_CAPACITY_METER] = "capacity_meter_not_selected"
            else:
                errors["base"] = "no_meters_selected"

        environment = entry.data[CONF_ENVIRONMENT]
        choices = [
            SelectOptionDict(value=ean, label=texts.meter_label(meter, environment))
            for ean, meter in meters.items()
        ]
        choices += [
            SelectOptionDict(value=ean, label=f"{ean} · {texts.get('meter', 'no_mandate')}")
            for ean in current
            if ean not in meters
        ]
        price = NumberSelector(
            NumberSelectorConfig(
                min=0,
                max=10,
                step="any",
                mode=NumberSelectorMode.BOX,
                unit_of_measurement="EUR/kWh",
            )
        )
        fields: dict[vol.Marker, Any] = {
            vol.Required(CONF_EANS): _meter_selector(choices),
            vol.Required(CONF_BACKFILL_DAYS): NumberSelector(
                NumberSelectorConfig(
                    min=1,
                    max=MAX_BACKFILL_DAYS,
                    step=1,
                    mode=NumberSelectorMode.BOX,
                    unit_of_measurement="d",
                )
            ),
        }
        for key in PRICE_KEYS:
            fields[vol.Optional(key)] = price
        electricity = [
            SelectOptionDict(value=ean, label=texts.meter_label(meter, environment))
            for ean, meter in meters.items()
            if meter.energy_type == EnergyType.ELECTRICITY
        ]
        if electricity:
            fields[vol.Optional(CONF_CAPACITY_METER)] = SelectSelector(
                SelectSelectorConfig(options=electricity, mode=SelectSelectorMode.DROPDOWN)
            )
        suggested: dict[str, Any] = {
            CONF_EANS: current,
            CONF_BACKFILL_DAYS: entry.options.get(CONF_BACKFILL_DAYS, DEFAULT_BACKFILL_DAYS),
            **{key: entry.options[key] for key in PRICE_KEYS if key in entry.options},
        }
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(fields), user_input or suggested
            ),
            errors=errors,
            description_placeholders={
                "unusable": texts.unusable(_unusable(mandates)),
                "taken": taken,
            },
        )

    async def async_step_capacity_tariff(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """One meter's capacity tariff: network area, own rate, VAT. Neither an area nor an
        own rate: no capacity cost for that meter."""
        ean = self._capacity_ean
        tariffs: dict[str, Any] = dict(self._options.get(CONF_CAPACITY_TARIFF) or {})
        errors: dict[str, str] = {}
        if user_input is not None:
            own = user_input.get(CONF_OWN_RATE)
            if own is not None and not OWN_RATE_RANGE[0] <= float(own) <= OWN_RATE_RANGE[1]:
                errors[CONF_OWN_RATE] = "invalid_own_rate"
            else:
                area = user_input.get(CONF_AREA)
                settings = CapacitySettings(
                    area=NetworkArea(area) if area else None,
                    own_rate=float(own) if own is not None else None,
                    vat=float(user_input.get(CONF_VAT) or DEFAULT_VAT),
                )
                if settings.area is None and settings.own_rate is None:
                    tariffs.pop(ean, None)
                else:
                    tariffs[ean] = settings.as_option()
                options = {k: v for k, v in self._options.items() if k != CONF_CAPACITY_TARIFF}
                if tariffs:
                    options[CONF_CAPACITY_TARIFF] = tariffs
                return self.async_create_entry(data=options)

        fields: dict[vol.Marker, Any] = {
            vol.Optional(CONF_AREA): SelectSelector(
                SelectSelectorConfig(
                    options=[area.value for area in NetworkArea],
                    mode=SelectSelectorMode.DROPDOWN,
                    translation_key="network_area",
                )
            ),
            vol.Optional(CONF_OWN_RATE): NumberSelector(
                NumberSelectorConfig(
                    min=0,
                    step="any",
                    mode=NumberSelectorMode.BOX,
                    unit_of_measurement="EUR/kW/year",
                )
            ),
            vol.Required(CONF_VAT): SelectSelector(
                SelectSelectorConfig(
                    options=[_vat_key(vat) for vat in VAT_RATES],
                    mode=SelectSelectorMode.LIST,
                    translation_key="vat",
                )
            ),
        }
        current = capacity_settings({CONF_CAPACITY_TARIFF: tariffs}).get(ean)
        suggested: dict[str, Any] = {CONF_VAT: _vat_key(current.vat if current else DEFAULT_VAT)}
        if current is not None:
            if current.area is not None:
                suggested[CONF_AREA] = current.area.value
            if current.own_rate is not None:
                suggested[CONF_OWN_RATE] = current.own_rate
        return self.async_show_form(
            step_id="capacity_tariff",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(fields), user_input or suggested
            ),
            errors=errors,
            description_placeholders={"ean": ean},
        )


def _vat_key(vat: float) -> str:
    """A VAT rate as a select option: "0", "6", "21"."""
    return f"{vat:g}"
