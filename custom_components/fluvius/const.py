"""Constants shared by the integration's modules."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final
from zoneinfo import ZoneInfo

DOMAIN: Final = "fluvius"
LOGGER = logging.getLogger(__package__)

# Fluvius works in Belgian local time: day boundaries, gas days (06:00-06:00), months.
TIMEZONE: Final = ZoneInfo("Europe/Brussels")

# Config entry data (credentials: stored only here, never logged).
CONF_ENVIRONMENT: Final = "environment"
CONF_BASE_URL: Final = "base_url"
CONF_TOKEN_URL: Final = "token_url"
CONF_TENANT_ID: Final = "tenant_id"
CONF_CLIENT_ID: Final = "client_id"
CONF_CLIENT_SECRET: Final = "client_secret"
CONF_SCOPE: Final = "scope"
CONF_SUBSCRIPTION_KEY: Final = "subscription_key"

# Config entry options.
CONF_EANS: Final = "eans"
CONF_BACKFILL_DAYS: Final = "backfill_days"
CONF_PRICE_DAY: Final = "price_day"  # EUR per kWh offtake, day register (or all offtake)
CONF_PRICE_NIGHT: Final = "price_night"  # EUR per kWh offtake, night register
CONF_PRICE_INJECTION: Final = "price_injection"  # EUR per kWh injected (compensation)
CONF_PRICE_GAS: Final = "price_gas"  # EUR per kWh of gas
# The capacity tariff per electricity main meter: {ean: {area, own_rate, vat}}.
CONF_CAPACITY_TARIFF: Final = "capacity_tariff"
CONF_AREA: Final = "area"  # a tariffs.NetworkArea value
CONF_OWN_RATE: Final = "own_rate"  # EUR per kW per year, excl. VAT (AMR, medium voltage)
CONF_VAT: Final = "vat"  # percent: 0, 6 or 21
# Whether the submeters' reactive energy (kVArh) is imported; absent (entries from before the
# option) means on. The main meter's reactive energy is always imported (billed on AMR).
CONF_SUBMETER_REACTIVE: Final = "submeter_reactive"
# Set by the options flow when the option is turned on: the next set-up imports the history of
# the meters with submeters again, to bring their reactive energy in (then it is removed).
CONF_SUBMETER_REACTIVE_PENDING: Final = "submeter_reactive_pending"

DEFAULT_SCOPE: Final = ""
MAX_BACKFILL_DAYS: Final = 3 * 365
DEFAULT_BACKFILL_DAYS: Final = MAX_BACKFILL_DAYS

# The daily insertTime poll. Data arrives 1 h to 72 h after measurement.
POLL_INTERVAL: Final = timedelta(days=1)
RETRY_INTERVAL: Final = timedelta(hours=4)

# Repairs: warn this long before a mandate expires.
MANDATE_EXPIRY_WARNING: Final = timedelta(days=30)
