"""Set up the demo's Home Assistant through its public APIs, as the frontend would.

* onboarding (``/api/onboarding/*``) with the demo user, or a normal login when it is done;
* the Fluvius config entry through the real config flow (``/api/config/config_entries/flow``
  with ``show_advanced_options`` to reach the custom environment that points at the stand-in);
* the Energy dashboard preferences (websocket ``energy/save_prefs``) on our statistics;
* statistics read back over the websocket (``recorder/list_statistic_ids``,
  ``recorder/statistics_during_period``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import itertools
import re
import time
from typing import Any, Final
from zoneinfo import ZoneInfo

import aiohttp

DOMAIN: Final = "fluvius"
BRUSSELS: Final = ZoneInfo("Europe/Brussels")
# Integrations the onboarding's core_config step sets up on its own.
ONBOARDING_EXTRAS: Final = frozenset({"google_translate", "met", "radio_browser", "shopping_list"})
# Repair issues about the way the demo runs Home Assistant, not about the integration.
SETUP_ISSUES: Final = frozenset(
    {("http", "deprecated_yaml"), ("homeassistant", "deprecated_method")}
)
STATISTIC_RE: Final = re.compile(r"^fluvius:(?P<ean>[0-9a-z]+)_(?P<series>[a-z0-9_]+)$")


class ProvisionError(RuntimeError):
    """Home Assistant answered something the demo did not expect."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


def yesterday_bounds(now: datetime | None = None) -> tuple[datetime, datetime]:
    """Start and end of yesterday in Belgian local time (the demo's time zone), as UTC."""
    local = (now or datetime.now(UTC)).astimezone(BRUSSELS)
    today = local.replace(hour=0, minute=0, second=0, microsecond=0)
    yesterday = (today - timedelta(days=1)).date()
    start = datetime(yesterday.year, yesterday.month, yesterday.day, tzinfo=BRUSSELS)
    return start.astimezone(UTC), today.astimezone(UTC)


@dataclass(frozen=True)
class FluviusStatistics:
    """Our statistic ids, grouped by what the Energy dashboard does with them."""

    offtake: list[str]
    injection: list[str]
    production: list[str]
    gas: list[str]
    # Hourly offtake power from quarter-hours (kW mean/min/max): the grid's power source.
    power: list[str] = field(default_factory=list)
    # The offtake cost (fixed or dynamic prices): the grid connection's ``stat_cost``.
    offtake_cost: list[str] = field(default_factory=list)

    @classmethod
    def from_ids(cls, ids: Iterable[str]) -> FluviusStatistics:
        series: dict[str, dict[str, str]] = {}
        for statistic_id in ids:
            if match := STATISTIC_RE.match(statistic_id):
                series.setdefault(match["ean"], {})[match["series"]] = statistic_id
        offtake: list[str] = []
        injection: list[str] = []
        production: list[str] = []
        gas: list[str] = []
        power: list[str] = []
        offtake_cost: list[str] = []
        for _ean, by_series in sorted(series.items()):
            if "power" in by_series:
                power.append(by_series["power"])
            if "offtake_cost" in by_series:
                offtake_cost.append(by_series["offtake_cost"])
            if "offtake" in by_series:
                offtake.append(by_series["offtake"])
            if "injection" in by_series:
                injection.append(by_series["injection"])
            if "production" in by_series:
                production.append(by_series["production"])
            if "gas_m3" in by_series:
                gas.append(by_series["gas_m3"])
            elif "gas_kwh" in by_series:
                gas.append(by_series["gas_kwh"])
        return cls(offtake, injection, production, gas, power, offtake_cost)

    @property
    def complete(self) -> bool:
        """Every kind the demo mandates give: grid offtake and injection, solar, gas."""
        return bool(self.offtake and self.injection and self.production and self.gas)

    @property
    def all_ids(self) -> list[str]:
        return [*self.offtake, *self.injection, *self.production, *self.gas]

    def energy_prefs(self) -> dict[str, Any]:
        """Energy dashboard preferences: one grid connection per main meter (with its offtake
        cost statistic as ``stat_cost`` and its power statistic as the grid's power, a standard
        ``power_config``), solar, gas."""
        sources: list[dict[str, Any]] = []
        injection_by_ean = {_ean(i): i for i in self.injection}
        power_by_ean = {_ean(p): p for p in self.power}
        cost_by_ean = {_ean(c): c for c in self.offtake_cost}
        for offtake in self.offtake:
            grid: dict[str, Any] = {
                "type": "grid",
                "stat_energy_from": offtake,
                "stat_energy_to": injection_by_ean.pop(_ean(offtake), None),
                "stat_cost": cost_by_ean.get(_ean(offtake)),
                "stat_compensation": None,
                "cost_adjustment_day": 0.0,
            }
            if (power := power_by_ean.get(_ean(offtake))) is not None:
                grid["power_config"] = {"stat_rate": power}
            sources.append(grid)
        sources.extend(
            {
                "type": "grid",
                "stat_energy_from": None,
                "stat_energy_to": injection,
                "stat_cost": None,
                "stat_compensation": None,
                "cost_adjustment_day": 0.0,
            }
            for injection in injection_by_ean.values()
        )
        sources.extend(
            {"type": "solar", "stat_energy_from": production, "config_entry_solar_forecast": None}
            for production in self.production
        )
        sources.extend(
            {"type": "gas", "stat_energy_from": gas, "stat_cost": None} for gas in self.gas
        )
        return {"energy_sources": sources, "device_consumption": []}


def _source_key(
    source: Mapping[str, Any],
) -> tuple[str, str | None, str | None, str | None, str | None]:
    power = (source.get("power_config") or {}).get("stat_rate")
    return (
        source["type"],
        source.get("stat_energy_from"),
        source.get("stat_energy_to"),
        power,
        source.get("stat_cost"),
    )


def prefs_cover(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """The saved preferences already have every source we want (Home Assistant adds defaults
    for the keys we leave out, so compare what the sources point at)."""
    have = {_source_key(source) for source in current.get("energy_sources", [])}
    return all(_source_key(source) in have for source in wanted["energy_sources"])


def as_datetime(value: Any) -> datetime:
    """A statistics row time: milliseconds since the epoch (websocket) or ISO text."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, UTC)
    return datetime.fromisoformat(str(value)).astimezone(UTC)


def _ean(statistic_id: str) -> str:
    match = STATISTIC_RE.match(statistic_id)
    return match["ean"] if match else statistic_id


class HomeAssistantClient:
    """REST and websocket calls against one Home Assistant, as the demo user."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = self.base_url + "/"
        self.redirect_uri = self.base_url + "/?auth_callback=1"
        self._session = session
        self.access_token: str | None = None
        self.refresh_token: str | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ws_ids = itertools.count(1)

    @property
    def session(self) -> aiohttp.ClientSession:
        """The HTTP session the client talks through (for other calls on the same loop)."""
        return self._session

    # --- HTTP basics ---------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        if self.access_token is None:
            return {}
        return {"Authorization": f"Bearer {self.access_token}"}

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        async with self._session.request(
            method, self.base_url + path, headers=self._headers(), **kwargs
        ) as response:
            text = await response.text()
            if response.status >= 400:
                raise ProvisionError(
                    f"{method} {path}: HTTP {response.status}: {text[:500]}", str(response.status)
                )
            return await response.json(content_type=None) if text else None

    # --- onboarding and login ------------------------------------------------------------------

    async def onboarding_steps(self) -> dict[str, bool]:
        """Which onboarding steps are done (all of them once the view is gone: Home Assistant
        removes the onboarding views when onboarding is complete)."""
        try:
            steps = await self._json("GET", "/api/onboarding")
        except ProvisionError as err:
            if err.code == "404":
                return dict.fromkeys(("user", "core_config", "analytics", "integration"), True)
            raise
        return {step["step"]: step["done"] for step in steps}

    async def _token_from_code(self, code: str) -> None:
        tokens = await self._json(
            "POST",
            "/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
        )
        self.access_token = tokens["access_token"]
        self.refresh_token = tokens.get("refresh_token")

    async def login(self, username: str, password: str) -> None:
        """The login flow the frontend's login page runs."""
        flow = await self._json(
            "POST",
            "/auth/login_flow",
            json={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.redirect_uri,
            },
        )
        result = await self._json(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            json={"client_id": self.client_id, "username": username, "password": password},
        )
        if result.get("type") != "create_entry":
            raise ProvisionError(f"login as {username!r} failed: {result.get('errors')}")
        await self._token_from_code(result["result"])

    async def onboard(self, name: str, username: str, password: str) -> bool:
        """Finish every onboarding step; True when this call created the user."""
        steps = await self.onboarding_steps()
        created = False
        if not steps.get("user"):
            result = await self._json(
                "POST",
                "/api/onboarding/users",
                json={
                    "client_id": self.client_id,
                    "name": name,
                    "username": username,
                    "password": password,
                    "language": "en",
                },
            )
            await self._token_from_code(result["auth_code"])
            created = True
        else:
            await self.login(username, password)
        if not steps.get("core_config"):
            await self._json("POST", "/api/onboarding/core_config")
        if not steps.get("analytics"):
            await self._json("POST", "/api/onboarding/analytics")
        if not steps.get("integration"):
            await self._json(
                "POST",
                "/api/onboarding/integration",
                json={"client_id": self.client_id, "redirect_uri": self.redirect_uri},
            )
        return created

    async def confirm_http_config(self) -> bool:
        """Confirm the HTTP settings taken from YAML on the first start (else Home Assistant
        reverts them after five minutes) and acknowledge the issue asking to remove that YAML
        (the demo writes it only for the first start). True when there was something to do."""
        try:
            http = await self.ws("http/config")
        except ProvisionError as error:
            if error.code != "unknown_command":
                raise
            return False  # a release that keeps them in YAML (2026.5): nothing to confirm
        if not http.get("pending") or http["pending"].get("error"):
            return False
        await self.ws("http/config/promote")
        return True

    async def ignore_setup_issues(self) -> list[str]:
        """Acknowledge the repair issues about how this demo runs Home Assistant (the one-time
        HTTP YAML, a "Core" installation): they are no news to its user. Ours stay visible."""
        ignored = []
        issues = await self.ws("repairs/list_issues")
        for issue in issues.get("issues", []):
            key = (issue["domain"], issue["issue_id"])
            if key in SETUP_ISSUES and not issue.get("ignored"):
                await self.ws("repairs/ignore_issue", domain=key[0], issue_id=key[1], ignore=True)
                ignored.append("/".join(key))
        return ignored

    async def remove_onboarding_extras(self) -> list[str]:
        """Remove what the onboarding's core_config step adds (weather, radio, TTS, shopping
        list): they want the internet or clutter the demo; the Fluvius entry stays."""
        removed = []
        entries = await self._json("GET", "/api/config/config_entries/entry")
        for entry in entries:
            if entry["domain"] in ONBOARDING_EXTRAS:
                await self._json("DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}")
                removed.append(entry["domain"])
        return removed

    async def wait_running(self, within: float = 120) -> None:
        """Wait until Home Assistant reports the RUNNING state (start-up finished)."""
        deadline = time.monotonic() + within
        state = None
        while time.monotonic() < deadline:
            config = await self._json("GET", "/api/config")
            state = config.get("state")
            if state == "RUNNING":
                return
            await asyncio.sleep(0.5)
        raise ProvisionError(f"Home Assistant still {state} after {within:.0f} s")

    # --- websocket -----------------------------------------------------------------------------

    async def ws_connect(self) -> None:
        if self._ws is not None and not self._ws.closed:
            return
        ws = await self._session.ws_connect(self.base_url + "/api/websocket", max_msg_size=0)
        hello = await ws.receive_json()
        if hello.get("type") != "auth_required":
            raise ProvisionError(f"unexpected websocket greeting {hello}")
        await ws.send_json({"type": "auth", "access_token": self.access_token})
        answer = await ws.receive_json()
        if answer.get("type") != "auth_ok":
            raise ProvisionError(f"websocket authentication failed: {answer}")
        self._ws = ws

    async def ws(self, command: str, **payload: Any) -> Any:
        await self.ws_connect()
        assert self._ws is not None
        message_id = next(self._ws_ids)
        await self._ws.send_json({"id": message_id, "type": command, **payload})
        while True:
            answer = await self._ws.receive_json(timeout=120)
            if answer.get("id") != message_id or answer.get("type") != "result":
                continue
            if not answer.get("success"):
                error = answer.get("error") or {}
                raise ProvisionError(f"{command}: {error}", error.get("code"))
            return answer.get("result")

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    # --- the Fluvius config entry ---------------------------------------------------------------

    async def fluvius_entries(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = await self._json(
            "GET", "/api/config/config_entries/entry", params={"domain": DOMAIN}
        )
        return entries

    async def add_fluvius_entry(self, credentials: Mapping[str, str]) -> dict[str, Any]:
        """Run the config flow: user (custom environment) → custom → meters (all offered)."""
        result = await self._json(
            "POST",
            "/api/config/config_entries/flow",
            json={"handler": DOMAIN, "show_advanced_options": True},
        )
        user_keys = (
            "environment",
            "tenant_id",
            "client_id",
            "client_secret",
            "scope",
            "subscription_key",
        )
        steps_done: list[str] = []
        for _ in range(6):
            if result["type"] == "create_entry":
                return dict(result)
            if result["type"] != "form":
                raise ProvisionError(f"config flow ended with {result}")
            step = result["step_id"]
            if result.get("errors"):
                raise ProvisionError(f"config flow step {step}: errors {result['errors']}")
            if step in steps_done:
                raise ProvisionError(f"config flow repeats step {step}: {result}")
            steps_done.append(step)
            if step == "user":
                payload: dict[str, Any] = {key: credentials[key] for key in user_keys}
            elif step == "custom":
                payload = {key: credentials[key] for key in ("base_url", "token_url")}
            elif step == "meters":
                payload = {"eans": offered_options(result, "eans")}
            else:
                raise ProvisionError(f"unexpected config flow step {step}")
            result = await self._json(
                "POST", f"/api/config/config_entries/flow/{result['flow_id']}", json=payload
            )
        raise ProvisionError(f"config flow did not finish: {result}")

    async def options_flow(
        self, entry_id: str, flow_id: str | None = None, payload: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Start an entry's options flow (no ``flow_id``) or answer its current step."""
        if flow_id is None:
            path = "/api/config/config_entries/options/flow"
            body: Mapping[str, Any] = {"handler": entry_id, "show_advanced_options": True}
        else:
            path, body = f"/api/config/config_entries/options/flow/{flow_id}", payload or {}
        result: dict[str, Any] = await self._json("POST", path, json=body)
        return result

    async def abort_options_flow(self, flow_id: str) -> None:
        await self._json("DELETE", f"/api/config/config_entries/options/flow/{flow_id}")

    # --- statistics and the Energy dashboard ---------------------------------------------------

    async def fluvius_statistic_ids(self) -> list[dict[str, Any]]:
        listed = await self.ws("recorder/list_statistic_ids", statistic_type="sum")
        return [row for row in listed if str(row["statistic_id"]).startswith(f"{DOMAIN}:")]

    async def wait_statistics(self, within: float) -> FluviusStatistics:
        """Wait until every kind of series (grid, solar, gas) has statistics metadata."""
        deadline = time.monotonic() + within
        found = FluviusStatistics([], [], [], [])
        while time.monotonic() < deadline:
            ids = [row["statistic_id"] for row in await self.fluvius_statistic_ids()]
            found = FluviusStatistics.from_ids(ids)
            if found.complete:
                return found
            await asyncio.sleep(1)
        raise ProvisionError(f"statistics still incomplete after {within:.0f} s: {found}")

    async def statistics_during_period(
        self, ids: list[str], start: datetime, end: datetime, period: str = "hour"
    ) -> dict[str, list[dict[str, Any]]]:
        result: dict[str, list[dict[str, Any]]] = await self.ws(
            "recorder/statistics_during_period",
            statistic_ids=ids,
            start_time=start.isoformat(),
            end_time=end.isoformat(),
            period=period,
            types=["change", "sum", "state"],
        )
        return result

    async def yesterday_rows(self, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        start, end = yesterday_bounds()
        return await self.statistics_during_period(ids, start, end)

    async def wait_yesterday(self, ids: list[str], within: float) -> dict[str, Any]:
        """Wait until every id has hourly rows for yesterday (the backfill reached today)."""
        deadline = time.monotonic() + within
        rows: dict[str, list[dict[str, Any]]] = {}
        while time.monotonic() < deadline:
            rows = await self.yesterday_rows(ids)
            if all(rows.get(statistic_id) for statistic_id in ids):
                return rows
            await asyncio.sleep(2)
        missing = [statistic_id for statistic_id in ids if not rows.get(statistic_id)]
        raise ProvisionError(f"no rows for yesterday after {within:.0f} s for {missing}")

    async def state(self, entity_id: str) -> dict[str, Any] | None:
        """An entity's state with its attributes; None when it has none (yet)."""
        try:
            found: dict[str, Any] = await self._json("GET", f"/api/states/{entity_id}")
        except ProvisionError as err:
            if err.code == "404":
                return None
            raise
        return found

    async def energy_prefs(self) -> dict[str, Any]:
        """The saved Energy preferences; empty when nothing was ever saved."""
        try:
            prefs: dict[str, Any] = await self.ws("energy/get_prefs")
        except ProvisionError as err:
            if err.code == "not_found":
                return {"energy_sources": [], "device_consumption": []}
            raise
        return prefs

    async def save_energy_prefs(self, prefs: Mapping[str, Any]) -> dict[str, Any]:
        saved: dict[str, Any] = await self.ws("energy/save_prefs", **prefs)
        return saved

    async def set_advanced_mode(self) -> None:
        """The user profile's "Advanced mode" switch (frontend user data ``core``)."""
        current = await self.ws("frontend/get_user_data", key="core")
        value = dict((current or {}).get("value") or {})
        if not value.get("showAdvanced"):
            value["showAdvanced"] = True
            await self.ws("frontend/set_user_data", key="core", value=value)


def offered_options(form: Mapping[str, Any], name: str) -> list[str]:
    """The values a select field of a serialized flow form offers."""
    for fieldinfo in form.get("data_schema", []):
        if fieldinfo.get("name") != name:
            continue
        selector = fieldinfo.get("selector", {}).get("select", {})
        options = selector.get("options", [])
        return [option["value"] if isinstance(option, dict) else option for option in options]
    raise ProvisionError(f"form {form.get('step_id')} has no field {name}")
