"""Secrets never leave the config entry's data.

One whole life cycle against the API stand-in with the real client, every logger at DEBUG:
the config flow (a wrong secret first), set-up, backfill, a daily poll, a malformed answer, a 401
after every token expired (renewed once), a secret revoked at the identity provider (reauth
with a new one), a data period moved back and a mandate removed (repairs, the fix flow), and
the diagnostics download. Every log record (caplog and a root handler, tracebacks included),
every exception raised by the client or by Home Assistant, every flow result, every event,
every state, the diagnostics JSON, the repair issues (data and translation placeholders) and
every Store written under ``.storage`` is searched for the client secrets, the subscription key
and every access token the stand-in issued.

Where the secrets may be: ``core.config_entries``, in the entry's ``data`` and nowhere else
(not its options, title or unique id).
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
from dataclasses import replace
from datetime import timedelta
from http import HTTPStatus
import json
import logging
import traceback
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.diagnostics import DOMAIN as DIAGNOSTICS_DOMAIN
from homeassistant.components.repairs import DOMAIN as REPAIRS_DOMAIN
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE, MATCH_ALL
from homeassistant.core import Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import CLIENT_ID
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.fluvius.api.errors import FluviusError
from custom_components.fluvius.const import (
    CONF_CLIENT_SECRET,
    CONF_EANS,
    CONF_ENVIRONMENT,
    CONF_SUBSCRIPTION_KEY,
    DOMAIN,
)
from custom_components.fluvius.coordinator import FluviusCoordinator
from fluvius_sandbox import SandboxCredentials
from tests.helpers import async_fire_poll, async_wait_backfill

from .conftest import (
    EAN_DIGITAL,
    EAN_GAS,
    NOW,
    StandIn,
    advance,
    start_stand_in,
)

# Distinctive values: a leak of any of them, whole, is found by a plain substring search.
CLIENT_SECRET = "Cs8~Q!leak-me-not-CLIENT-SECRET-6f1d2c3b"
NEW_CLIENT_SECRET = "Cs8~Q!rotated-CLIENT-SECRET-a9e8d7c6b5"
WRONG_SECRET = "Cs8~Q!typo-CLIENT-SECRET-00ff00ff00"
SUBSCRIPTION_KEY = "SK-leak-me-not-subscription-key-3e4f5a6b"
CREDENTIALS = SandboxCredentials(
    tenant_id="reliability-tenant",
    client_id="reliability-client-0a1b2c3d",
    client_secret=CLIENT_SECRET,
    scope="api://fluvius-sandbox/.default",
    subscription_key=SUBSCRIPTION_KEY,
)
EANS = [EAN_DIGITAL, EAN_GAS]
DAY = timedelta(days=1)


class _Everything(logging.Handler):
    """Formats every record it sees, traceback and stack included."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception as err:  # a broken record must not hide the others
            self.lines.append(f"unformattable record {record.name}: {err!r} {record.msg!r}")


@contextlib.contextmanager
def _every_logger_at_debug(handler: logging.Handler) -> Iterator[None]:
    """While inside: DEBUG for the root and every logger that exists now, the handler on the
    root and on the loggers that do not propagate to it. On leaving, every level, ``disabled``
    flag and handler is as it was (the tests that follow must not log every SQL statement)."""
    root = logging.getLogger()
    loggers = [
        logger
        for logger in list(logging.root.manager.loggerDict.values())
        if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.level, logger.disabled) for logger in (root, *loggers)]
    attached: list[logging.Logger] = []
    try:
        for logger in (root, *loggers):
            logger.setLevel(logging.DEBUG)
            logger.disabled = False
            if (logger is root or not logger.propagate) and handler not in logger.handlers:
                logger.addHandler(handler)
                attached.append(logger)
        yield
    finally:
        for logger in attached:
            logger.removeHandler(handler)
        for logger, level, disabled in saved:
            logger.setLevel(level)
            logger.disabled = disabled


@contextlib.contextmanager
def _recording_exceptions(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[BaseException]]:
    """Every FluviusError and HomeAssistantError created (raised or not) while inside."""
    created: list[BaseException] = []
    for cls in (FluviusError, HomeAssistantError):
        original = cls.__init__

        def init(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> None:
            __original(self, *args, **kwargs)
            created.append(self)

        monkeypatch.setattr(cls, "__init__", init)
    yield created


def _exception_texts(exc: BaseException) -> list[str]:
    texts = [str(exc), repr(exc), *(str(arg) for arg in exc.args)]
    texts += traceback.format_exception(exc)
    for name in ("message", "translation_placeholders", "code", "path"):
        value = getattr(exc, name, None)
        if value is not None:
            texts.append(str(value))
    return texts


def _where(name: str, value: str, text: str) -> str:
    """Where a secret was found (the secret itself masked, so the failure does not leak it)."""
    at = text.index(value)
    context = text[max(0, at - 160) : at + len(value) + 80].replace(value, f"<{name}>")
    return f"{name}: ...{context}..."


def _dump(value: Any) -> str:
    return json.dumps(value, default=repr, sort_keys=True)


class Http:
    """Home Assistant's HTTP API as the frontend uses it, with a token valid at the (moved)
    clock's now (access tokens live 30 minutes; the test's clock jumps days)."""

    def __init__(self, hass: HomeAssistant, hass_client: ClientSessionGenerator) -> None:
        self.hass = hass
        self.hass_client = hass_client
        self.responses: list[Any] = []

    async def _client(self) -> Any:
        user = next(user for user in await self.hass.auth.async_get_users() if user.is_admin)
        refresh_token = await self.hass.auth.async_create_refresh_token(user, CLIENT_ID)
        return await self.hass_client(self.hass.auth.async_create_access_token(refresh_token))

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        client = await self._client()
        response = await client.request(method, path, json=body)
        text = await response.text()
        assert response.status == HTTPStatus.OK, (path, response.status, text)
        result = json.loads(text)
        self.responses.append(result)
        return result

    async def flow(self, flow_id: str, user_input: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self.call(
            "POST", f"/api/config/config_entries/flow/{flow_id}", user_input
        )
        return result


async def test_secrets_never_leave_the_entry_data(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    hass_client: ClientSessionGenerator,
    hass_storage: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    freezer.move_to(NOW)
    everything = _Everything()
    caplog.set_level(logging.DEBUG)
    with _every_logger_at_debug(everything):
        events: list[Event] = []
        hass.bus.async_listen(MATCH_ALL, events.append)
        for component in ("config", REPAIRS_DOMAIN, DIAGNOSTICS_DOMAIN):
            assert await async_setup_component(hass, component, {})
        await hass.async_block_till_done()
        http = Http(hass, hass_client)

        stand, server = await start_stand_in(CREDENTIALS)
        try:
            with _recording_exceptions(monkeypatch) as exceptions:
                tokens, diagnostics = await _life_cycle(hass, freezer, stand, http)
                texts: dict[str, str] = {"caplog": caplog.text}
                texts |= {f"log {n}": line for n, line in enumerate(everything.lines)}
                texts |= {f"record {n}": r.getMessage() for n, r in enumerate(caplog.records)}
                texts |= {
                    f"exception {n} {type(exc).__name__}": "\n".join(_exception_texts(exc))
                    for n, exc in enumerate(exceptions)
                }
        finally:
            await server.close()

    entry = hass.config_entries.async_entries(DOMAIN)[0]
    coordinator: FluviusCoordinator = entry.runtime_data.coordinator
    issues = [issue for (domain, _), issue in ir.async_get(hass).issues.items() if domain == DOMAIN]
    assert {issue.translation_key for issue in issues} >= {"data_period_moved"}
    texts["diagnostics"] = _dump(diagnostics)
    texts["coordinator diagnostics"] = _dump(coordinator.diagnostics())
    for issue in issues:
        texts[f"issue {issue.issue_id}"] = _dump(issue.to_json())
        texts[f"issue data {issue.issue_id}"] = _dump([issue.data, issue.translation_placeholders])
    texts |= {f"http {n}": _dump(body) for n, body in enumerate(http.responses)}
    texts |= {f"event {n} {event.event_type}": _dump(event.data) for n, event in enumerate(events)}
    texts |= {f"state {s.entity_id}": _dump(s.as_dict()) for s in hass.states.async_all()}
    texts["client repr"] = repr(entry.runtime_data.client)
    texts["credentials repr"] = repr(entry.runtime_data.client.credentials)
    texts["token manager repr"] = repr(entry.runtime_data.client.auth)

    secrets = {
        "client secret": CLIENT_SECRET,
        "new client secret": NEW_CLIENT_SECRET,
        "mistyped client secret": WRONG_SECRET,
        "subscription key": SUBSCRIPTION_KEY,
    }
    assert len(tokens) >= 4, "per flow, at set-up, renewed after the 401, after the reauth"
    secrets |= {f"access token {n}": token for n, token in enumerate(tokens)}
    everything_said = "\n".join(texts.values())
    assert "fluvius" in everything_said.lower()  # the capture did capture
    assert "DEBUG" in everything_said
    assert any(label.startswith("http") for label in texts)
    leaks = [
        f"{label}: {_where(name, value, text)}"
        for name, value in secrets.items()
        for label, text in texts.items()
        if value in text
    ]
    assert not leaks, leaks

    # Stored: the flushed Stores under .storage, the config entry's data being the one place.
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()
    assert f"{DOMAIN}.{entry.entry_id}.cursors" in hass_storage
    stored_entry: dict[str, Any] | None = None
    for key, content in hass_storage.items():
        searched = content
        if key == "core.config_entries":
            for raw in content["data"]["entries"]:
                if raw["entry_id"] == entry.entry_id:
                    stored_entry = raw
            searched = [
                {k: v for k, v in raw.items() if k != "data"} for raw in content["data"]["entries"]
            ]
        text = _dump(searched)
        stored = [_where(name, value, text) for name, value in secrets.items() if value in text]
        assert not stored, (key, stored)
    assert stored_entry is not None
    assert stored_entry["data"][CONF_CLIENT_SECRET] == NEW_CLIENT_SECRET
    assert stored_entry["data"][CONF_SUBSCRIPTION_KEY] == SUBSCRIPTION_KEY
    for field in ("options", "title", "unique_id"):
        text = _dump(stored_entry[field])
        assert not [name for name, value in secrets.items() if value in text], field
    assert dict(entry.data)[CONF_CLIENT_SECRET] == NEW_CLIENT_SECRET


async def _life_cycle(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, stand: StandIn, http: Http
) -> tuple[list[str], dict[str, Any]]:
    """Run everything; the access tokens the stand-in issued and the diagnostics."""
    sandbox = stand.sandbox
    issued: list[str] = []
    issue_token = sandbox.issue_token

    def recording_issue_token(client_id: str) -> Any:
        token, info = issue_token(client_id)
        issued.append(token)
        return token, info

    sandbox.issue_token = recording_issue_token  # type: ignore[method-assign]
    for ean in EANS:
        sandbox.add_mandate(
            ean, data_service_type="VH_kwartier_uur", data_period_from=NOW - timedelta(days=4)
        )
    entry_data = stand.entry_data()
    credentials = {
        key: entry_data[key]
        for key in ("tenant_id", "client_id", "client_secret", "scope", "subscription_key")
    }
    urls = stand.urls
    start = {"handler": DOMAIN, "show_advanced_options": True}

    # --- config flow (as the frontend drives it): a mistyped secret, then the right one ------
    result = await http.call("POST", "/api/config/config_entries/flow", start)
    result = await http.flow(
        result["flow_id"],
        {CONF_ENVIRONMENT: "custom", **credentials, CONF_CLIENT_SECRET: WRONG_SECRET},
    )
    result = await http.flow(result["flow_id"], urls)
    # Back on the credentials form, to correct the secret in the same flow.
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": "invalid_auth"}
    result = await http.flow(result["flow_id"], {CONF_ENVIRONMENT: "custom", **credentials})
    assert result["step_id"] == "custom"
    result = await http.flow(result["flow_id"], urls)
    assert result["step_id"] == "meters", result
    result = await http.flow(result["flow_id"], {CONF_EANS: EANS})
    assert result["type"] == FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entry = hass.config_entries.async_get_entry(result["result"]["entry_id"])
    assert entry is not None
    assert entry.state is ConfigEntryState.LOADED

    # --- set-up and backfill ---------------------------------------------------------------
    coordinator: FluviusCoordinator = entry.runtime_data.coordinator
    await async_wait_backfill(coordinator)
    await async_wait_recording_done(hass)
    assert all(coordinator.cursors.get(ean).backfill_done for ean in EANS)
    assert coordinator.cursors.get(EAN_DIGITAL).rows_written > 0

    # --- the daily polls (each the next one the entry scheduled): one with a malformed answer
    advance(freezer, stand, DAY)
    await async_fire_poll(hass, freezer, coordinator, stand)
    assert coordinator.last_update_success, coordinator.last_exception
    sandbox.faults.add("malformed", next=1, endpoints="energy")
    await async_fire_poll(hass, freezer, coordinator, stand)
    assert sandbox.stats.faults["malformed"] == 1

    # --- every token expires: a 401, one renewal, the poll goes on -------------------------
    before = len(issued)
    sandbox.expire_tokens()
    await async_fire_poll(hass, freezer, coordinator, stand)
    assert coordinator.last_update_success, coordinator.last_exception
    assert len(issued) == before + 1

    # --- the secret is revoked at the identity provider: reauth with a new one -------------
    sandbox.clients[CREDENTIALS.client_id] = replace(CREDENTIALS, client_secret=NEW_CLIENT_SECRET)
    sandbox.expire_tokens()
    await async_fire_poll(hass, freezer, coordinator, stand)
    flows = [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH
    ]
    assert len(flows) == 1
    flow_id = flows[0]["flow_id"]
    result = await http.call("GET", f"/api/config/config_entries/flow/{flow_id}")
    assert result["step_id"] == "reauth_confirm"
    result = await http.flow(
        flow_id, {CONF_CLIENT_SECRET: CLIENT_SECRET, CONF_SUBSCRIPTION_KEY: SUBSCRIPTION_KEY}
    )
    assert result["errors"] == {"base": "invalid_auth"}  # the old one no longer works
    result = await http.flow(
        flow_id, {CONF_CLIENT_SECRET: NEW_CLIENT_SECRET, CONF_SUBSCRIPTION_KEY: SUBSCRIPTION_KEY}
    )
    assert result["type"] == FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    coordinator = entry.runtime_data.coordinator
    await async_wait_backfill(coordinator)

    # --- repairs: a data period moved back, a mandate removed, the fix flow ----------------
    sandbox.set_data_period_to(EAN_DIGITAL, NOW - timedelta(days=2))
    sandbox.revoke_mandate(EAN_GAS)
    await async_fire_poll(hass, freezer, coordinator, stand)
    await async_wait_recording_done(hass)
    assert coordinator.last_update_success, coordinator.last_exception
    issue_id = f"mandate_missing_{entry.entry_id}_{EAN_GAS}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    flow = await http.call(
        "POST", "/api/repairs/issues/fix", {"handler": DOMAIN, "issue_id": issue_id}
    )
    await http.call("POST", f"/api/repairs/issues/fix/{flow['flow_id']}", {})
    await hass.async_block_till_done()
    assert entry.options[CONF_EANS] == [EAN_DIGITAL]
    assert entry.state is ConfigEntryState.LOADED
    await async_wait_backfill(entry.runtime_data.coordinator)
    await async_wait_recording_done(hass)

    # --- the diagnostics download ----------------------------------------------------------
    body = await http.call("GET", f"/api/diagnostics/config_entry/{entry.entry_id}")
    diagnostics: dict[str, Any] = body["data"]
    assert diagnostics["coordinator"]["cursors"]
    return issued, diagnostics
