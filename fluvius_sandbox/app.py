"""The HTTP face of the stand-in: token endpoint, the three API endpoints, admin endpoints.

Layout (only the host differs from the real thing)::

    POST /{tenant_id}/oauth2/v2.0/token                                   (Entra ID style)
    GET  /ext/mijnfluvius-profnetgebruiker-sbx/v1/Mandate
    GET  /ext/mijnfluvius-profnetgebruiker-sbx/v1/Mandate/energy
    POST /ext/mijnfluvius-profnetgebruiker-sbx/v1/Mandate/mock
    GET|POST /_sandbox/...                                                (admin, no auth)

API errors have the body ``{"statusCode": N, "message": "..."}`` (Azure API Management's shape);
token errors look like Microsoft Entra ID's.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
import json
from typing import Final
import uuid

from aiohttp import web
from multidict import MultiMapping

from .config import (
    ADMIN_PREFIX,
    API_PREFIX,
    ENERGY_PATH,
    MANDATE_PATH,
    MOCK_MANDATE_PATH,
    SUBSCRIPTION_KEY_HEADERS,
    TOKEN_PATH,
    SandboxConfig,
)
from .eans import InvalidEanError, is_ean18, parse_mock_ean
from .energy import EnergyRequest, Granularity, PeriodType
from .faults import (
    BODY_KINDS,
    RESPONSE_KINDS,
    FaultKind,
    FaultSpecError,
    quota_message,
    rule_from_params,
)
from .mandates import (
    MandateError,
    MandateRecord,
    parse_data_service_type,
    parse_energy_type,
    parse_renewal_status,
    parse_status,
    validate_body,
)
from .scenario import ScenarioError
from .state import RequestRecord, Sandbox
from .timeutil import (
    add_months,
    add_years,
    format_api_datetime,
    local_day,
    local_midnight,
    parse_api_datetime,
    parse_iso_datetime,
)

SANDBOX_KEY: Final = web.AppKey("fluvius_sandbox", Sandbox)

MAX_PERIOD: Final = timedelta(days=185)
MISSING_KEY: Final = (
    "Access denied due to missing subscription key. Make sure to include subscription key when "
    "making requests to an API."
)
INVALID_KEY: Final = (
    "Access denied due to invalid subscription key. Make sure to provide a valid key for an "
    "active subscription."
)
INVALID_TOKEN: Final = "Unauthorized. Access token is missing or invalid."  # noqa: S105
GEOBLOCKED: Final = (
    "Forbidden. Requests are only accepted from the European Economic Area and the United "
    "Kingdom (geoblocking)."
)
NO_MANDATE: Final = "No valid mandates found"

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# --- helpers ------------------------------------------------------------------------------------


def _json(
    data: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        text=json.dumps(data, separators=(",", ":")),
        status=status,
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )


def api_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    return _json({"statusCode": status, "message": message}, status, headers)


class BadRequest(Exception):
    """A 400 with a message naming the problem."""


def _single(query: MultiMapping[str], name: str, *, required: bool) -> str | None:
    values = query.getall(name, [])
    if not values:
        if required:
            raise BadRequest(f"Missing required query parameter '{name}'.")
        return None
    if len(values) > 1:
        raise BadRequest(f"Query parameter '{name}' may be given only once.")
    value = values[0].strip()
    if required and not value:
        raise BadRequest(f"Query parameter '{name}' must not be empty.")
    return value


def _multi(query: MultiMapping[str], name: str, allowed: tuple[str, ...], limit: int) -> list[str]:
    """A repeatable parameter (``a=x&a=y``); comma-separated values are accepted too (A9)."""
    values: list[str] = []
    for raw in query.getall(name, []):
        for piece in raw.split(","):
            part = piece.strip()
            if not part:
                continue
            if part not in allowed:
                raise BadRequest(
                    f"Query parameter '{name}' has an invalid value '{part}'; allowed: "
                    f"{', '.join(allowed)}."
                )
            if part not in values:
                values.append(part)
    if len(values) > limit:
        raise BadRequest(f"Query parameter '{name}' accepts at most {limit} values.")
    return values


def _time(value: str, name: str) -> datetime:
    try:
        return parse_api_datetime(value)
    except ValueError:
        raise BadRequest(
            f"Query parameter '{name}' must be a UTC date-time formatted as YYYY-MM-DDTHH:MM:SSZ, "
            f"got '{value}'."
        ) from None


def _sandbox(request: web.Request) -> Sandbox:
    return request.app[SANDBOX_KEY]


def _authenticate(request: web.Request) -> str | web.Response:
    """The client id behind the request, or the 401 answer (APIM checks the key first)."""
    sandbox = _sandbox(request)
    key = None
    for header in SUBSCRIPTION_KEY_HEADERS:
        if request.headers.get(header):
            key = request.headers[header]
            break
    if key is None:
        return api_error(401, MISSING_KEY)
    if key not in sandbox.subscription_keys:
        return api_error(401, INVALID_KEY)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    client_id = sandbox.check_token(token.strip()) if scheme.lower() == "bearer" else None
    if client_id is None:
        return api_error(401, INVALID_TOKEN, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return client_id


# --- token endpoint -----------------------------------------------------------------------------


def _entra_error(
    sandbox: Sandbox, status: int, error: str, code: int, description: str
) -> web.Response:
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    stamp = sandbox.now().strftime("%Y-%m-%d %H:%M:%SZ")
    return _json(
        {
            "error": error,
            "error_description": (
                f"AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {correlation} "
                f"Timestamp: {stamp}"
            ),
            "error_codes": [code],
            "timestamp": stamp,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": f"https://login.microsoftonline.com/error?code={code}",
        },
        status,
    )


async def token_handler(request: web.Request) -> web.Response:
    sandbox = _sandbox(request)
    tenant = request.match_info["tenant_id"]
    if tenant not in sandbox.tenants:
        return _entra_error(
            sandbox,
            400,
            "invalid_request",
            90002,
            f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and "
            "are signing into the correct cloud. Check with your subscription administrator, this "
            "may happen if there are no active subscriptions for the tenant.",
        )
    form: dict[str, str] = {}
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":  # client_secret_basic
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user = password = ""
        form.setdefault("client_id", user)
        form.setdefault("client_secret", password)

    def missing(name: str) -> web.Response:
        return _entra_error(
            sandbox,
            400,
            "invalid_request",
            900144,
            f"The request body must contain the following parameter: '{name}'.",
        )

    grant_type = form.get("grant_type")
    if not grant_type:
        return missing("grant_type")
    if grant_type != "client_credentials":
        return _entra_error(
            sandbox,
            400,
            "unsupported_grant_type",
            70003,
            f"The app requested an unsupported grant type '{grant_type}'.",
        )
    client_id = form.get("client_id")
    if not client_id:
        return missing("client_id")
    credentials = sandbox.clients.get(client_id)
    if credentials is None or credentials.tenant_id != tenant:
        return _entra_error(
            sandbox,
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory "
            f"'{tenant}'. This can happen if the application has not been installed by the "
            "administrator of the tenant or consented to by any user in the tenant. You may have "
            "sent your authentication request to the wrong tenant.",
        )
    secret = form.get("client_secret")
    if not secret:
        return _entra_error(
            sandbox,
            401,
            "invalid_client",
            7000216,
            "'client_assertion', 'client_secret' or 'request' is required for the "
            "'client_credentials' grant type.",
        )
    if secret != credentials.client_secret:
        return _entra_error(
            sandbox,
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the "
            f"client secret value, not the client secret ID, for a secret added to app "
            f"'{client_id}'.",
        )
    scope = form.get("scope")
    if not scope:
        return missing("scope")
    if scope.split() != [credentials.scope]:
        return _entra_error(
            sandbox,
            400,
            "invalid_scope",
            70011,
            "The provided request must include a 'scope' input parameter. The provided value for "
            f"the input parameter 'scope' is not valid. The scope {scope} is not valid.",
        )
    token, _ = sandbox.issue_token(client_id)
    lifetime = sandbox.token_lifetime
    return _json(
        {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": token,
        },
        headers={"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"},
    )


# --- GET Mandate --------------------------------------------------------------------------------


async def mandate_handler(request: web.Request) -> web.Response:
    sandbox = _sandbox(request)
    client = _authenticate(request)
    if isinstance(client, web.Response):
        return client
    query = request.query
    try:
        filters = _mandate_filters(query)
    except (BadRequest, MandateError) as err:
        return api_error(400, str(err))
    now = sandbox.now()
    shown = []
    for mandate in sandbox.mandates_of(client):
        view = mandate.as_api(now)
        if all(check(mandate, view) for check in filters):
            shown.append(view)
    return _json({"data": {"mandates": shown}})


type MandateFilter = Callable[[MandateRecord, dict[str, object]], bool]


def _mandate_filters(query: MultiMapping[str]) -> list[MandateFilter]:
    filters: list[MandateFilter] = []
    reference = _single(query, "referenceNumber", required=False)
    if reference is not None:
        filters.append(lambda _m, view: view.get("referenceNumber") == reference)
    status = _single(query, "status", required=False)
    if status is not None:
        wanted_status = parse_status(status)
        filters.append(lambda _m, view: view["status"] == wanted_status)
    ean = _single(query, "ean", required=False)
    if ean is not None:
        if not is_ean18(ean):
            raise BadRequest(f"Query parameter 'ean' must be 18 digits, got '{ean}'.")
        filters.append(lambda _m, view: view.get("ean") == ean)
    energy = _single(query, "energyType", required=False)
    if energy is not None:
        wanted_energy = parse_energy_type(energy)
        filters.append(lambda _m, view: view.get("energyType") == wanted_energy)
    services = [
        parse_data_service_type(v, field="dataServiceTypes")
        for v in _multi(query, "dataServiceTypes", ("VH_dag", "VH_kwartier_uur", "VH_kwartier"), 2)
    ]
    if services:
        filters.append(lambda _m, view: view["dataServiceType"] in services)
    expiry = _single(query, "mandateExpirationDate", required=False)
    if expiry is not None:
        # Mandates that have expired by then (A23: the spec does not say; documented here).
        limit = format_api_datetime(_time(expiry, "mandateExpirationDate"))
        filters.append(lambda _m, view: str(view["mandateExpirationDate"]) <= limit)
    renewal = _single(query, "renewalStatus", required=False)
    if renewal is not None:
        wanted_renewal = parse_renewal_status(renewal)
        filters.append(lambda _m, view: view.get("renewalStatus") == wanted_renewal)
    updated_from = _single(query, "lastUpdatedFrom", required=False)
    updated_to = _single(query, "lastUpdatedTo", required=False)
    lo = _time(updated_from, "lastUpdatedFrom") if updated_from is not None else None
    hi = _time(updated_to, "lastUpdatedTo") if updated_to is not None else None
    if lo is not None and hi is not None and hi <= lo:
        raise BadRequest("Query parameter 'lastUpdatedTo' must be later than 'lastUpdatedFrom'.")
    if lo is not None or hi is not None:

        def updated(mandate: MandateRecord, _view: dict[str, object]) -> bool:
            moment = mandate.last_updated
            return (lo is None or moment >= lo) and (hi is None or moment < hi)

        filters.append(updated)
    return filters


# --- GET Energy ---------------------------------------------------------------------------------


async def energy_handler(request: web.Request) -> web.Response:
    sandbox = _sandbox(request)
    client = _authenticate(request)
    if isinstance(client, web.Response):
        return client
    try:
        energy_request = _energy_request(sandbox, client, request.query)
    except BadRequest as err:
        return api_error(400, str(err))
    except LookupError as err:
        return api_error(404, str(err.args[0]))
    if _big(energy_request):
        text = await asyncio.to_thread(sandbox.energy_json, energy_request)
    else:
        text = sandbox.energy_json(energy_request)
    return web.Response(text=text, content_type="application/json", charset="utf-8")


def _big(request: EnergyRequest) -> bool:
    """Long answers are built off the event loop so slow-fault timers keep ticking."""
    return request.end - request.start > 40 * 86400


def _energy_request(sandbox: Sandbox, client: str, query: MultiMapping[str]) -> EnergyRequest:
    ean = _single(query, "ean", required=True)
    assert ean is not None
    if not is_ean18(ean):
        raise BadRequest(f"Query parameter 'ean' must be 18 digits, got '{ean}'.")
    period_type_text = _single(query, "periodType", required=True)
    if period_type_text not in ("readTime", "insertTime"):
        raise BadRequest(
            f"Query parameter 'periodType' must be readTime or insertTime, got "
            f"'{period_type_text}'."
        )
    period_type = PeriodType(period_type_text)
    from_text = _single(query, "from", required=True)
    to_text = _single(query, "to", required=True)
    assert from_text is not None and to_text is not None
    start, end = _time(from_text, "from"), _time(to_text, "to")
    if end <= start:
        raise BadRequest("Query parameter 'to' must be later than 'from'.")
    if end - start > MAX_PERIOD:
        raise BadRequest(
            "The period between 'from' and 'to' may be at most 185 days (about 6 months)."
        )
    now = sandbox.now()
    today = local_day(now)
    if period_type is PeriodType.READ_TIME:
        if start < local_midnight(add_years(today, -3)):
            raise BadRequest("Query parameter 'from' may be at most 3 years in the past.")
    elif start < local_midnight(add_months(today, -6)):
        raise BadRequest(
            "Query parameter 'from' may be at most 6 months in the past for periodType insertTime."
        )
    granularities = [
        Granularity(g) for g in _multi(query, "granularity", ("daily", "hourly_quarterhourly"), 2)
    ]
    complex_types = _multi(query, "complexEnergyTypes", ("active", "reactive"), 2)
    reference = _single(query, "referenceNumber", required=False)
    try:
        mock = parse_mock_ean(ean)
    except InvalidEanError:
        raise LookupError(f"{NO_MANDATE} for ean {ean}.") from None
    periods = sandbox.periods_for(ean, client, reference)
    if not periods:
        raise LookupError(f"{NO_MANDATE} for ean {ean}.")
    if not granularities:
        granularities = [
            g for g in (Granularity.DAILY, Granularity.HOURLY_QUARTERHOURLY) if g in periods
        ]
    for granularity in granularities:
        if granularity not in periods:
            raise LookupError(f"{NO_MANDATE} for ean {ean} with granularity {granularity.value}.")
    lo, hi = int(start.timestamp()), int(end.timestamp())
    if period_type is PeriodType.READ_TIME and not any(
        p_lo < hi and lo < p_hi for g in granularities for p_lo, p_hi in periods[g]
    ):
        raise LookupError(
            f"{NO_MANDATE} for ean {ean} in the requested period (outside the mandate's data "
            "period)."
        )
    return EnergyRequest(
        mock=mock,
        period_type=period_type,
        start=lo,
        end=hi,
        now=int(now.timestamp()),
        granularities=tuple(granularities),
        periods=periods,
        active=not complex_types or "active" in complex_types,
        reactive=not complex_types or "reactive" in complex_types,
    )


# --- POST Create Mock Mandate -------------------------------------------------------------------


async def mock_handler(request: web.Request) -> web.Response:
    sandbox = _sandbox(request)
    client = _authenticate(request)
    if isinstance(client, web.Response):
        return client
    try:
        body = json.loads(await request.text())
    except ValueError:
        return api_error(400, "The request body must be valid JSON.")
    try:
        fields = validate_body(body)
    except MandateError as err:
        return api_error(400, str(err))
    record = sandbox.create_mandate(fields, client_id=client)
    return _json({"data": record.as_api(sandbox.now())}, status=201)


async def not_found_handler(request: web.Request) -> web.Response:
    return api_error(404, "Resource not found")


# --- faults -------------------------------------------------------------------------------------


@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Counts, scheduled events and injected faults around the API and token endpoints."""
    route = request.match_info.route
    endpoint = route.name or "other"
    if endpoint.startswith("admin"):
        return await handler(request)
    sandbox = _sandbox(request)
    sandbox.stats.requests[endpoint] += 1
    now = sandbox.now()
    fault: str | None = None
    response: web.StreamResponse | None = None
    if endpoint in ("mandate", "energy", "mock"):
        sandbox.run_events(endpoint)
    ean = request.query.get("ean") if endpoint == "energy" else None
    for rule in sandbox.faults.active(*RESPONSE_KINDS, FaultKind.SLOW):
        if not rule.decide(endpoint, ean, now):
            continue
        fault = rule.kind.value
        sandbox.stats.faults[fault] += 1
        if rule.kind is FaultKind.SLOW:
            await asyncio.sleep(rule.delay)
            continue
        response = _fault_response(rule.kind, rule.retry_after)
        break
    if response is None:
        response = await handler(request)
        if 200 <= response.status < 300 and isinstance(response, web.Response):
            for rule in sandbox.faults.active(*BODY_KINDS):
                if rule.decide(endpoint, ean, now):
                    fault = rule.kind.value
                    sandbox.stats.faults[fault] += 1
                    response = _corrupt(response, rule.kind)
                    break
    sandbox.stats.responses[f"{endpoint} {response.status}"] += 1
    sandbox.stats.history.append(
        RequestRecord(now, endpoint, request.method, request.path_qs, response.status, fault)
    )
    return response


def _fault_response(kind: FaultKind, retry_after: int) -> web.Response:
    if kind is FaultKind.RATE_LIMIT:
        return api_error(
            429,
            f"Rate limit is exceeded. Try again in {retry_after} seconds.",
            {"Retry-After": str(retry_after)},
        )
    if kind is FaultKind.UNAVAILABLE:
        return api_error(503, "Service Unavailable", {"Retry-After": str(retry_after)})
    if kind is FaultKind.GEOBLOCK:
        return api_error(403, GEOBLOCKED)
    if kind is FaultKind.QUOTA:
        return api_error(403, quota_message(retry_after))
    if kind is FaultKind.NO_MANDATE:
        return api_error(404, NO_MANDATE)
    return api_error(500, "Internal server error")


def _corrupt(response: web.Response, kind: FaultKind) -> web.Response:
    body = response.body
    raw = body if isinstance(body, bytes) else b""
    if kind is FaultKind.TRUNCATED:
        broken = raw[: max(1, len(raw) // 2)]
    else:
        broken = raw.replace(b'":', b'"', 1) if b'":' in raw else b"{" + raw
    return web.Response(
        body=broken,
        status=response.status,
        content_type="application/json",
        charset="utf-8",
    )


# --- admin --------------------------------------------------------------------------------------


async def _admin_body(request: web.Request) -> dict[str, object]:
    if not request.can_read_body:
        return {}
    try:
        body = json.loads(await request.text())
    except ValueError:
        raise web.HTTPBadRequest(text="body must be JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="body must be a JSON object")
    return body


def _admin_time(value: object, name: str) -> datetime:
    try:
        return parse_iso_datetime(str(value))
    except ValueError:
        raise web.HTTPBadRequest(text=f"{name} must be an ISO 8601 date-time") from None


async def admin_index(request: web.Request) -> web.Response:
    return _json(_sandbox(request).describe())


async def admin_clock_get(request: web.Request) -> web.Response:
    return _json(_sandbox(request).clock.as_dict())


async def admin_clock_set(request: web.Request) -> web.Response:
    """Body: ``{"now": ISO}``, ``{"advance": seconds}``, ``{"frozen": bool}`` (combinable)."""
    sandbox = _sandbox(request)
    body = await _admin_body(request)
    if "now" in body:
        sandbox.clock.set(_admin_time(body["now"], "now"))
    if "advance" in body:
        try:
            seconds = float(str(body["advance"]))
        except ValueError:
            raise web.HTTPBadRequest(text="advance must be a number of seconds") from None
        sandbox.clock.advance(timedelta(seconds=seconds))
    if "frozen" in body:
        if body["frozen"]:
            sandbox.clock.freeze()
        else:
            sandbox.clock.run()
    return _json(sandbox.clock.as_dict())


async def admin_faults_get(request: web.Request) -> web.Response:
    return _json(_sandbox(request).faults.as_dict())


async def admin_faults_set(request: web.Request) -> web.Response:
    """Body: ``{"spec": "...", "replace": true}`` or ``{"rules": [{"kind": ..., ...}]}``."""
    sandbox = _sandbox(request)
    body = await _admin_body(request)
    replace = bool(body.get("replace", True))
    try:
        if "spec" in body:
            sandbox.faults.load(str(body["spec"]), replace=replace)
        elif "rules" in body and isinstance(body["rules"], list):
            rules = []
            for item in body["rules"]:
                if not isinstance(item, dict) or "kind" not in item:
                    raise FaultSpecError("each rule must be an object with a kind")
                params = {k: v for k, v in item.items() if k != "kind"}
                rules.append(rule_from_params(str(item["kind"]), params))
            if replace:
                sandbox.faults.clear()
            for rule in rules:
                sandbox.faults.add(rule)
        else:
            raise FaultSpecError("give spec (string) or rules (list)")
    except FaultSpecError as err:
        return _json({"error": str(err)}, 400)
    return _json(sandbox.faults.as_dict())


async def admin_faults_clear(request: web.Request) -> web.Response:
    sandbox = _sandbox(request)
    sandbox.faults.clear()
    return _json(sandbox.faults.as_dict())


async def admin_scenario_get(request: web.Request) -> web.Response:
    return _json(_sandbox(request).scenario.as_dict())


async def admin_scenario_set(request: web.Request) -> web.Response:
    """Body: any of ``{"quarter_hours": "total"|"day_night", "missing_share": 0.01,
    "missing_form": "null"|"no_value"|"no_register", "duplicate_share": 0.01}``."""
    sandbox = _sandbox(request)
    body = await _admin_body(request)
    try:
        sandbox.scenario.update(body)
    except ScenarioError as err:
        return _json({"error": str(err)}, 400)
    return _json(sandbox.scenario.as_dict())


async def admin_mandates_get(request: web.Request) -> web.Response:
    sandbox = _sandbox(request)
    now = sandbox.now()
    return _json({"mandates": [m.as_admin(now) for m in sandbox.mandates]})


async def admin_mandates_add(request: web.Request) -> web.Response:
    """Body: a mock-mandate body (API field names) plus optional ``clientId``."""
    sandbox = _sandbox(request)
    body = await _admin_body(request)
    try:
        fields = validate_body(body)
    except MandateError as err:
        return _json({"error": str(err)}, 400)
    client = str(body.get("clientId") or sandbox.default_client_id)
    record = sandbox.create_mandate(fields, client_id=client)
    return _json(record.as_admin(sandbox.now()), 201)


async def admin_revoke(request: web.Request) -> web.Response:
    """Body: ``{"ean": ..., "status": "Removed"|"Finished", "clientId": optional}``."""
    sandbox = _sandbox(request)
    body = await _admin_body(request)
    try:
        changed = sandbox.revoke_mandate(
            str(body.get("ean", "")),
            status=str(body.get("status", "Removed")),
            client_id=str(body["clientId"]) if body.get("clientId") else None,
        )
    except MandateError as err:
        return _json({"error": str(err)}, 400)
    return _json({"changed": changed})


async def admin_period_end(request: web.Request) -> web.Response:
    """Body: ``{"ean": ..., "to": ISO or null, "clientId": optional}``."""
    sandbox = _sandbox(request)
    body = await _admin_body(request)
    to = body.get("to")
    moment = None if to is None else _admin_time(to, "to")
    changed = sandbox.set_data_period_to(
        str(body.get("ean", "")),
        moment,
        client_id=str(body["clientId"]) if body.get("clientId") else None,
    )
    return _json({"changed": changed})


async def admin_tokens_expire(request: web.Request) -> web.Response:
    return _json({"expired": _sandbox(request).expire_tokens()})


async def admin_truth(request: web.Request) -> web.Response:
    """``?ean=&start=&end=[&as_of=][&clip=false]``: series -> {quarterHourly, hourly, daily}."""
    sandbox = _sandbox(request)
    query = request.query
    try:
        ean = query["ean"]
        start = _admin_time(query["start"], "start")
        end = _admin_time(query["end"], "end")
    except KeyError as err:
        raise web.HTTPBadRequest(text=f"missing {err.args[0]}") from None
    as_of = _admin_time(query["as_of"], "as_of") if "as_of" in query else None
    clip = query.get("clip", "true").lower() not in ("0", "false", "no")
    try:
        truth = sandbox.truth(ean, start, end, as_of=as_of, clip=clip)
    except InvalidEanError as err:
        raise web.HTTPBadRequest(text=str(err)) from None

    def stamp(values: dict[datetime, float]) -> dict[str, float]:
        return {format_api_datetime(k): v for k, v in values.items()}

    return _json(
        {
            "ean": truth.ean,
            "start": format_api_datetime(truth.start),
            "end": format_api_datetime(truth.end),
            "asOf": format_api_datetime(truth.as_of) if truth.as_of else None,
            "series": [
                {
                    "ean": s.ean,
                    "name": s.name,
                    "unit": s.unit,
                    "quarterHourly": stamp(s.quarter_hourly),
                    "hourly": stamp(s.hourly),
                    "daily": stamp(s.daily),
                    "estimated": sorted(format_api_datetime(t) for t in s.estimated),
                }
                for s in truth.series.values()
            ],
        }
    )


async def admin_stats(request: web.Request) -> web.Response:
    sandbox = _sandbox(request)
    data = sandbox.stats.as_dict()
    data["blocksGenerated"] = sandbox.model.generated
    return _json(data)


async def admin_stats_reset(request: web.Request) -> web.Response:
    sandbox = _sandbox(request)
    sandbox.stats.reset()
    return _json(sandbox.stats.as_dict())


# --- the app ------------------------------------------------------------------------------------


def create_app(config: SandboxConfig | None = None) -> web.Application:
    """The stand-in as an aiohttp application; its state is ``app[SANDBOX_KEY]``."""
    sandbox = Sandbox(config or SandboxConfig())
    app = web.Application(middlewares=[fault_middleware])
    app[SANDBOX_KEY] = sandbox
    app.router.add_post(TOKEN_PATH, token_handler, name="token")
    app.router.add_get(API_PREFIX + MANDATE_PATH, mandate_handler, name="mandate")
    app.router.add_get(API_PREFIX + ENERGY_PATH, energy_handler, name="energy")
    app.router.add_post(API_PREFIX + MOCK_MANDATE_PATH, mock_handler, name="mock")
    app.router.add_route("*", API_PREFIX + "/{tail:.*}", not_found_handler, name="unknown")
    admin = ADMIN_PREFIX
    app.router.add_get(admin, admin_index, name="admin")
    app.router.add_get(admin + "/", admin_index, name="admin_index")
    app.router.add_get(admin + "/clock", admin_clock_get, name="admin_clock")
    app.router.add_post(admin + "/clock", admin_clock_set, name="admin_clock_set")
    app.router.add_get(admin + "/faults", admin_faults_get, name="admin_faults")
    app.router.add_post(admin + "/faults", admin_faults_set, name="admin_faults_set")
    app.router.add_delete(admin + "/faults", admin_faults_clear, name="admin_faults_clear")
    app.router.add_get(admin + "/scenario", admin_scenario_get, name="admin_scenario")
    app.router.add_post(admin + "/scenario", admin_scenario_set, name="admin_scenario_set")
    app.router.add_get(admin + "/mandates", admin_mandates_get, name="admin_mandates")
    app.router.add_post(admin + "/mandates", admin_mandates_add, name="admin_mandates_add")
    app.router.add_post(admin + "/mandates/revoke", admin_revoke, name="admin_revoke")
    app.router.add_post(
        admin + "/mandates/data-period-end", admin_period_end, name="admin_period_end"
    )
    app.router.add_post(admin + "/tokens/expire", admin_tokens_expire, name="admin_tokens")
    app.router.add_get(admin + "/truth", admin_truth, name="admin_truth")
    app.router.add_get(admin + "/stats", admin_stats, name="admin_stats")
    app.router.add_post(admin + "/stats/reset", admin_stats_reset, name="admin_stats_reset")
    return app
