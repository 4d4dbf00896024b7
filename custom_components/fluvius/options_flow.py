"""Options: the meters, the history depth, prices, the submeters' reactive energy and, per
electricity meter, the capacity tariff.

Steps (``step_id`` → fields):

* ``init``: ``eans``, ``backfill_days``, ``price_day``, ``price_night``, ``price_injection``,
  ``price_gas``, the dynamic prices (``price_sensor_offtake``, ``surcharge_offtake``,
  ``price_sensor_injection``, ``surcharge_injection``), ``submeter_reactive``,
  ``capacity_meter`` (leads on to the next step);
* ``capacity_tariff``: ``area``, ``own_rate``, ``vat`` of the chosen meter.

The entry reloads when the options change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntryState, ConfigFlowResult, OptionsFlowWithReload
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

from .api.models import EnergyType, Mandate
from .capacity_cost import CapacitySettings, capacity_settings
from .const import (
    CONF_AREA,
    CONF_BACKFILL_DAYS,
    CONF_CAPACITY_TARIFF,
    CONF_EANS,
    CONF_ENVIRONMENT,
    CONF_OWN_RATE,
    CONF_PRICE_DAY,
    CONF_PRICE_GAS,
    CONF_PRICE_INJECTION,
    CONF_PRICE_NIGHT,
    CONF_SUBMETER_REACTIVE,
    CONF_SUBMETER_REACTIVE_PENDING,
    CONF_VAT,
    DEFAULT_BACKFILL_DAYS,
    MAX_BACKFILL_DAYS,
)
from .dynamic_price_options import (
    price_sensor_errors,
    price_sensor_options,
    price_sensor_selectors,
)
from .flow_meters import Texts, meter_selector, unusable_mandates, usable_meters
from .flow_validation import CREDENTIAL_ERRORS, async_validate
from .mandates import selected_eans
from .ownership import selected_elsewhere
from .submeter_reactive import submeter_reactive, turned_on
from .tariffs import DEFAULT_VAT, VAT_RATES, NetworkArea

if TYPE_CHECKING:
    # Newer Home Assistant releases validate with probatio and alias ``voluptuous`` to it;
    # 2026.5 (hacs.json's minimum) still uses voluptuous itself. Same API, so type against the
    # one this toolchain has, import the name every supported release has.
    import probatio as vol
else:
    import voluptuous as vol

PRICE_KEYS: Final = (CONF_PRICE_DAY, CONF_PRICE_NIGHT, CONF_PRICE_INJECTION, CONF_PRICE_GAS)
# The options field that leads on to one meter's capacity tariff.
CONF_CAPACITY_METER: Final = "capacity_meter"
# An own capacity rate (EUR/kW/year) outside this range is a typing error, not a tariff.
OWN_RATE_RANGE: Final = (1.0, 1000.0)

_PRICE: Final = NumberSelector(
    NumberSelectorConfig(
        min=0, max=10, step="any", mode=NumberSelectorMode.BOX, unit_of_measurement="EUR/kWh"
    )
)
_BACKFILL_DAYS: Final = NumberSelector(
    NumberSelectorConfig(
        min=1, max=MAX_BACKFILL_DAYS, step=1, mode=NumberSelectorMode.BOX, unit_of_measurement="d"
    )
)


def _vat_key(vat: float) -> str:
    """A VAT rate as a select option: "0", "6", "21"."""
    return f"{vat:g}"


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
        error, mandates = await async_validate(self.hass, entry.data)
        if error is not None and entry.state is ConfigEntryState.LOADED:
            error, mandates = None, list(entry.runtime_data.mandates.values())
        if error is None:
            self._mandates = mandates
        return error, mandates

    def _finish(self, options: dict[str, Any]) -> ConfigFlowResult:
        """Save the options; turning the submeters' reactive energy on imports its history at
        the reload that follows (still, when that set-up has not happened yet)."""
        before = self.config_entry.options
        pending = before.get(CONF_SUBMETER_REACTIVE_PENDING) and submeter_reactive(options)
        if pending or turned_on(before, options):
            options = {**options, CONF_SUBMETER_REACTIVE_PENDING: True}
        return self.async_create_entry(data=options)

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The one options step."""
        entry = self.config_entry
        error, mandates = await self._async_mandates()
        if error is not None:
            reason = "invalid_auth" if error in CREDENTIAL_ERRORS else "cannot_connect"
            return self.async_abort(reason=reason)

        texts = await Texts.async_load(self.hass)
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
            errors = price_sensor_errors(self.hass, user_input)
            if eans and not errors:
                options: dict[str, Any] = {
                    CONF_EANS: eans,
                    CONF_BACKFILL_DAYS: int(user_input[CONF_BACKFILL_DAYS]),
                    CONF_SUBMETER_REACTIVE: bool(
                        user_input.get(CONF_SUBMETER_REACTIVE, submeter_reactive(entry.options))
                    ),
                }
                for key in PRICE_KEYS:
                    if user_input.get(key) is not None:
                        options[key] = float(user_input[key])
                options.update(price_sensor_options(user_input))
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
                    return self._finish(options)
                errors[CONF_CAPACITY_METER] = "capacity_meter_not_selected"
            elif not eans:
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
        fields: dict[vol.Marker, Any] = {
            vol.Required(CONF_EANS): meter_selector(choices),
            vol.Required(CONF_BACKFILL_DAYS): _BACKFILL_DAYS,
        }
        for key in PRICE_KEYS:
            fields[vol.Optional(key)] = _PRICE
        for key, selector in price_sensor_selectors().items():
            fields[vol.Optional(key)] = selector
        fields[vol.Optional(CONF_SUBMETER_REACTIVE)] = BooleanSelector()
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
            CONF_SUBMETER_REACTIVE: submeter_reactive(entry.options),
            **{key: entry.options[key] for key in PRICE_KEYS if key in entry.options},
            **price_sensor_options(entry.options),
        }
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(fields), user_input or suggested
            ),
            errors=errors,
            description_placeholders={
                "unusable": texts.unusable(unusable_mandates(mandates)),
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
                return self._finish(options)

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
