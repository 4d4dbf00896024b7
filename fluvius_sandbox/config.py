"""How a sandbox starts: credentials, seed, clock, faults and preset mandates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from .faults import FaultRule
from .scenario import MissingForm, QuarterHourLayout

API_PREFIX: Final = "/ext/mijnfluvius-profnetgebruiker-sbx/v1"
# Paths as in custom_components/fluvius/api/endpoints.py (tests check they stay equal).
MANDATE_PATH: Final = "/Mandate"
ENERGY_PATH: Final = "/Mandate/energy"
MOCK_MANDATE_PATH: Final = "/Mandate/mock"
TOKEN_PATH: Final = "/{tenant_id}/oauth2/v2.0/token"  # noqa: S105 - a path
SUBSCRIPTION_KEY_HEADERS: Final = ("Ocp-Apim-Subscription-Key", "Subscription-Key")
ADMIN_PREFIX: Final = "/_sandbox"

DEFAULT_TOKEN_LIFETIME: Final = 3600
DEFAULT_MANDATE_VALIDITY: Final = timedelta(days=3 * 365 + 1)  # "3 years" from approval


@dataclass(frozen=True, slots=True, kw_only=True)
class SandboxCredentials:
    """One API client (the credentials Mijn Fluvius hands out per environment)."""

    tenant_id: str = "sandbox-tenant"
    client_id: str = "sandbox-client"
    client_secret: str = "sandbox-secret"  # noqa: S105 - the stand-in's public demo secret
    scope: str = "api://fluvius-sandbox/.default"
    subscription_key: str = "sandbox-subscription-key"


DEFAULT_CREDENTIALS: Final = SandboxCredentials()


@dataclass(frozen=True, slots=True, kw_only=True)
class MandateSpec:
    """A mandate to create at start-up. Times left at None are filled in relative to "now":
    ``data_period_from`` 3 years back at local midnight, expiry ``expires_after`` ahead at local
    midnight; energy type and data service type follow from the mock EAN."""

    ean: str
    status: str = "Approved"
    data_service_type: str | None = None
    energy_type: str | None = None
    data_period_from: datetime | None = None
    data_period_to: datetime | None = None
    mandate_expiration_date: datetime | None = None
    renewal_status: str | None = None
    reference_number: str | None = None
    client_id: str | None = None  # None: the default client
    expires_after: timedelta = DEFAULT_MANDATE_VALIDITY
    note: str = ""


DEMO_VALIDITY: Final = timedelta(days=730)

DEMO_MANDATES: Final[tuple[MandateSpec, ...]] = (
    MandateSpec(
        ean="541440110000000001",
        expires_after=DEMO_VALIDITY,
        note="digital electricity, offtake + injection, quarter-hours",
    ),
    MandateSpec(ean="541441010000000001", expires_after=DEMO_VALIDITY, note="digital gas, hourly"),
    MandateSpec(
        ean="541440000000000001",
        expires_after=DEMO_VALIDITY,
        note="digital electricity, offtake only, daily",
    ),
    MandateSpec(
        ean="541450011000000001",
        expires_after=DEMO_VALIDITY,
        note="AMR electricity offtake, quarter-hours, PV production + auxiliary submeters",
    ),
    MandateSpec(
        ean="541450211000000001",
        expires_after=DEMO_VALIDITY,
        note="AMR electricity injection, quarter-hours, PV production + auxiliary submeters",
    ),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SandboxConfig:
    """Everything :func:`fluvius_sandbox.create_app` needs.

    ``now``: start of the simulated clock (None: real time). ``frozen``: whether the clock stands
    still until moved (default: frozen when ``now`` is given, running otherwise). ``faults``: a
    ``--faults`` spec string or rules. ``demo``: add :data:`DEMO_MANDATES`.
    """

    seed: int = 0
    credentials: SandboxCredentials = DEFAULT_CREDENTIALS
    extra_credentials: tuple[SandboxCredentials, ...] = ()
    now: datetime | None = None
    frozen: bool | None = None
    faults: str | Sequence[FaultRule] = ""
    mandates: Sequence[MandateSpec] = field(default_factory=tuple)
    demo: bool = False
    token_lifetime: int = DEFAULT_TOKEN_LIFETIME
    cache_size: int = 96
    history_size: int = 1000
    late_share: float = 0.02  # days whose data arrives 48-72 h after the day ends
    estimate_share: float | None = None  # days first sent estimated (None: 4 % DM, 8 % AMR)
    quarter_hours: QuarterHourLayout | str = QuarterHourLayout.DAY_NIGHT
    missing_share: float = 0.0  # register values sent as missing
    missing_form: MissingForm | str = MissingForm.NULL
    duplicate_share: float = 0.0  # final intervals listed twice, once as an estimate

    @property
    def all_credentials(self) -> tuple[SandboxCredentials, ...]:
        return (self.credentials, *self.extra_credentials)
