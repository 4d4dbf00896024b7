"""The demo's dynamic price and capacity tariff, set up as a user would.

* A template sensor (``sensor.demo_day_ahead_price``, EUR/kWh, ``state_class: measurement``)
  follows a day-ahead-like curve by local hour (:data:`DAY_AHEAD_CURVE`).
* Its past hourly long-term statistics (mean, min, max per hour) are imported over the websocket
  (``recorder/import_statistics``, source ``recorder``) for the demo's history window, before the
  Fluvius options select it: the history is priced from them.
* The Fluvius options flow (REST) then picks it as the offtake price sensor with a surcharge, and
  a network area for the capacity tariff of the first meter with quarter-hours; the options
  reload the entry, and ``fluvius.import_history`` prices again the days imported before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
import time
from typing import Any, Final
from zoneinfo import ZoneInfo

from demo.provision import HomeAssistantClient, ProvisionError, offered_options

BRUSSELS: Final = ZoneInfo("Europe/Brussels")
PRICE_SENSOR: Final = "sensor.demo_day_ahead_price"
PRICE_UNIT: Final = "EUR/kWh"
# EUR/kWh per local hour 0..23: cheap nights, a morning peak, a solar dip, an evening peak.
DAY_AHEAD_CURVE: Final = (
    0.082, 0.076, 0.071, 0.069, 0.070, 0.078, 0.098, 0.124,
    0.131, 0.112, 0.086, 0.062, 0.048, 0.044, 0.051, 0.069,
    0.094, 0.128, 0.152, 0.146, 0.121, 0.104, 0.095, 0.088,
)  # fmt: skip
SURCHARGE_OFFTAKE: Final = 0.1  # EUR/kWh: network costs and levies on top of the day-ahead
NETWORK_AREA: Final = "imewo"  # the demo's home is in Ghent
VAT: Final = "0"
HOUR: Final = timedelta(hours=1)
_IMPORT_BATCH: Final = 2000  # rows per recorder/import_statistics message

# Appended to the demo's configuration.yaml (demo/stack.py).
PRICE_SENSOR_YAML: Final = f"""
template:
  - sensor:
      - name: Demo day-ahead price
        unique_id: fluvius_demo_day_ahead_price
        unit_of_measurement: {PRICE_UNIT}
        state_class: measurement
        state: "{{{{ {list(DAY_AHEAD_CURVE)}[now().hour] }}}}"
"""


def price_at(hour_start: datetime) -> float:
    """The demo's price of the hour starting at ``hour_start``."""
    return DAY_AHEAD_CURVE[hour_start.astimezone(BRUSSELS).hour]


def price_rows(start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Hourly statistics rows (mean = min = max: one price per hour) over ``[start, end)``."""
    hour = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    rows = []
    while hour < end:
        price = price_at(hour)
        rows.append({"start": hour.isoformat(), "mean": price, "min": price, "max": price})
        hour += HOUR
    return rows


async def import_price_history(client: HomeAssistantClient, days: int) -> int:
    """Import the sensor's hourly statistics for the last ``days`` days up to the current hour
    (which the recorder compiles from the sensor itself). Returns the rows imported."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    rows = price_rows(now - timedelta(days=days + 1), now)
    metadata = {
        "has_sum": False,
        "mean_type": 1,  # arithmetic
        "name": "Demo day-ahead price",
        "source": "recorder",
        "statistic_id": PRICE_SENSOR,
        "unit_class": None,
        "unit_of_measurement": PRICE_UNIT,
    }
    for first in range(0, len(rows), _IMPORT_BATCH):
        await client.ws(
            "recorder/import_statistics",
            metadata=metadata,
            stats=rows[first : first + _IMPORT_BATCH],
        )
    return len(rows)


def _suggested(form: Mapping[str, Any]) -> dict[str, Any]:
    """The values a serialized options form suggests (the current options)."""
    values: dict[str, Any] = {}
    for fieldinfo in form.get("data_schema", []):
        description = fieldinfo.get("description") or {}
        if "suggested_value" in description:
            values[fieldinfo["name"]] = description["suggested_value"]
    return values


async def configure_prices(client: HomeAssistantClient, entry_id: str) -> str | None:
    """Through the options flow: the price sensor for offtake, with its surcharge, and the
    capacity tariff of the first electricity meter with quarter-hours. Returns that meter's
    EAN; None when the options had them already (no reload)."""
    form = await client.options_flow(entry_id)
    current = _suggested(form)
    meters = offered_options(form, "capacity_meter")
    # A meter with quarter-hours (a power statistic) has monthly peaks, hence a capacity cost.
    listed = await client.ws("recorder/list_statistic_ids", statistic_type="mean")
    power = {str(row["statistic_id"]) for row in listed}
    meters = [ean for ean in meters if f"fluvius:{ean}_power" in power]
    if not meters:
        raise ProvisionError("the options offer no electricity meter with quarter-hours")
    if current.get("price_sensor_offtake") == PRICE_SENSOR:
        await client.abort_options_flow(form["flow_id"])
        return None
    payload = {
        **current,
        "price_sensor_offtake": PRICE_SENSOR,
        "surcharge_offtake": SURCHARGE_OFFTAKE,
        "capacity_meter": meters[0],
    }
    result = await client.options_flow(entry_id, form["flow_id"], payload)
    if result.get("step_id") != "capacity_tariff" or result.get("errors"):
        raise ProvisionError(f"options step init answered {result}")
    result = await client.options_flow(
        entry_id, form["flow_id"], {"area": NETWORK_AREA, "vat": VAT}
    )
    if result.get("type") != "create_entry":
        raise ProvisionError(f"options step capacity_tariff answered {result}")
    return meters[0]


async def wait_reloaded(client: HomeAssistantClient, ean: str, within: float) -> str:
    """Wait until the entry runs with the new options: loaded, with the capacity-cost sensor
    of ``ean`` (which only the new options create). Returns that sensor's entity id."""
    deadline = time.monotonic() + within
    unique_id = f"{ean}_capacity_cost_month"
    while time.monotonic() < deadline:
        entries = await client.fluvius_entries()
        if entries and entries[0]["state"] == "loaded":
            for entity in await client.ws("config/entity_registry/list"):
                if (
                    entity.get("platform") == "fluvius"
                    and entity.get("unique_id") == unique_id
                    and await client.state(entity["entity_id"]) is not None
                ):
                    return str(entity["entity_id"])
        await asyncio.sleep(0.5)
    raise ProvisionError(f"no capacity-cost sensor for {ean} after {within:.0f} s")


async def reprice(client: HomeAssistantClient, first: date, last: date) -> None:
    """Import ``[first, last)`` again (all meters) so that its hours get their costs."""
    await client.ws(
        "call_service",
        domain="fluvius",
        service="import_history",
        service_data={"start": first.isoformat(), "end": last.isoformat()},
    )


def local_today() -> date:
    return datetime.now(BRUSSELS).date()
