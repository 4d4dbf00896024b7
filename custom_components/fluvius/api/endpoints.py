"""Where the Fluvius API lives: base URLs, endpoint paths, header names.

The specification names the endpoints (GET Mandate, GET Energy, POST Create Mock Mandate) but
their paths and the live base URL are only in a Swagger page that needs credentials to open
(fluvius-api.md §3, ambiguity A6). Everything that is a guess about addresses is kept here, in
one place, so that correcting it is a one-line change:

* the base URLs follow the Swagger link of the sandbox
  (``https://api.fluvius.be/ext/mijnfluvius-profnetgebruiker-sbx/v1``); live is the same path
  without ``-sbx``;
* the paths follow the shape of Fluvius' sister ESCO API (``Mandate``, ``Mandate/energy``,
  ``Mandate/mock``);
* the token endpoint is Microsoft Entra ID's v2 endpoint with the tenant ID in the URL (A8);
* the subscription key header: the spec says "Subscription-Key"; Azure API Management, which
  fronts the API, names it ``Ocp-Apim-Subscription-Key`` (A7). We send both names, so whichever
  the gateway reads is present.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Environment(StrEnum):
    """Which Fluvius environment an account belongs to (credentials are issued per environment)."""

    LIVE = "live"
    SANDBOX = "sandbox"
    CUSTOM = "custom"


LIVE_BASE_URL: Final = "https://api.fluvius.be/ext/mijnfluvius-profnetgebruiker/v1"
SANDBOX_BASE_URL: Final = "https://api.fluvius.be/ext/mijnfluvius-profnetgebruiker-sbx/v1"
DEFAULT_TOKEN_URL: Final = (  # a URL, not a password
    "https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token"  # noqa: S105
)

MANDATE_PATH: Final = "/Mandate"
ENERGY_PATH: Final = "/Mandate/energy"
MOCK_MANDATE_PATH: Final = "/Mandate/mock"

SUBSCRIPTION_KEY_HEADERS: Final = ("Ocp-Apim-Subscription-Key", "Subscription-Key")


@dataclass(frozen=True, slots=True)
class Endpoints:
    """The addresses one client talks to."""

    base_url: str
    token_url: str  # may contain ``{tenant_id}``

    @classmethod
    def for_environment(
        cls,
        environment: Environment | str,
        *,
        base_url: str | None = None,
        token_url: str | None = None,
    ) -> Endpoints:
        """Defaults for live and sandbox; a custom environment needs both URLs."""
        env = Environment(environment)
        if env is Environment.CUSTOM:
            if not base_url or not token_url:
                raise ValueError("a custom environment needs a base URL and a token URL")
            return cls(base_url.rstrip("/"), token_url)
        default = LIVE_BASE_URL if env is Environment.LIVE else SANDBOX_BASE_URL
        return cls((base_url or default).rstrip("/"), token_url or DEFAULT_TOKEN_URL)

    def token_url_for(self, tenant_id: str) -> str:
        """The token URL with the tenant filled in."""
        return self.token_url.replace("{tenant_id}", tenant_id)

    @property
    def mandate_url(self) -> str:
        return self.base_url + MANDATE_PATH

    @property
    def energy_url(self) -> str:
        return self.base_url + ENERGY_PATH

    @property
    def mock_mandate_url(self) -> str:
        return self.base_url + MOCK_MANDATE_PATH
