"""The meters the config and options flows offer, with labels in Home Assistant's language.

A meter is offered when an Approved or Finished (historical data) mandate gives its data; the
Requested and Rejected mandates, and the meters another entry imports, are explained in the
form's description.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
from homeassistant.helpers.translation import async_get_translations

from .api import Environment
from .api.ean import decode_mock_ean
from .api.models import DataServiceType, EnergyType, Mandate, MandateStatus
from .const import DOMAIN, TIMEZONE


@dataclass(slots=True)
class Meter:
    """What the mandates say about one EAN."""

    ean: str
    energy_type: str | None = None
    levels: set[str] = field(default_factory=set)
    expires: datetime | None = None
    finished_only: bool = True


def usable_meters(mandates: Iterable[Mandate]) -> dict[str, Meter]:
    """The meters of the Approved and Finished (historical data) mandates, one per EAN."""
    meters: dict[str, Meter] = {}
    for mandate in mandates:
        if not mandate.usable or mandate.ean is None:
            continue
        meter = meters.setdefault(mandate.ean, Meter(mandate.ean))
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


def unusable_mandates(mandates: Iterable[Mandate]) -> list[Mandate]:
    return [mandate for mandate in mandates if not mandate.usable]


_UNUSABLE_REASONS: Final[dict[str, str]] = {
    MandateStatus.REQUESTED.value: "requested",
    MandateStatus.REJECTED.value: "rejected",
}


class Texts:
    """Labels built in code (meter options, unusable mandates), in Home Assistant's language."""

    def __init__(self, strings: Mapping[str, str]) -> None:
        self._strings = strings

    @classmethod
    async def async_load(cls, hass: HomeAssistant) -> Texts:
        strings = await async_get_translations(hass, hass.config.language, "selector", [DOMAIN])
        if hass.config.language != "en":
            english = await async_get_translations(hass, "en", "selector", [DOMAIN])
            strings = {**english, **strings}
        return cls(strings)

    def get(self, selector: str, key: str) -> str:
        return self._strings.get(f"component.{DOMAIN}.selector.{selector}.options.{key}", key)

    def meter_label(self, meter: Meter, environment: str) -> str:
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


def meter_selector(options: list[SelectOptionDict]) -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(options=options, multiple=True, mode=SelectSelectorMode.LIST)
    )
