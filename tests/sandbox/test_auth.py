"""Token endpoint (Entra ID behaviour) and the API's authentication (APIM behaviour)."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from fluvius_sandbox import SandboxCredentials

from .conftest import API, KEY, TOKEN_FORM, TOKEN_PATH, MakeClient, SandboxClient


async def test_token_success(client: SandboxClient) -> None:
    response = await client.http.post(TOKEN_PATH, data=TOKEN_FORM)
    assert response.status == 200
    assert response.headers["Cache-Control"].startswith("no-store")
    body = await response.json()
    assert list(body) == ["token_type", "expires_in", "ext_expires_in", "access_token"]
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == body["ext_expires_in"] == 3600
    assert len(body["access_token"]) > 40
    other = await client.token()
    assert other != body["access_token"]
    assert client.sandbox.stats.tokens_issued == 2


async def test_token_basic_auth(client: SandboxClient) -> None:
    basic = base64.b64encode(b"sandbox-client:sandbox-secret").decode()
    response = await client.http.post(
        TOKEN_PATH,
        data={"grant_type": "client_credentials", "scope": TOKEN_FORM["scope"]},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status == 200


@pytest.mark.parametrize(
    ("path", "change", "status", "error", "code"),
    [
        (TOKEN_PATH, {"client_secret": "wrong"}, 401, "invalid_client", 7000215),
        (TOKEN_PATH, {"client_secret": None}, 401, "invalid_client", 7000216),
        (TOKEN_PATH, {"client_id": "someone"}, 400, "unauthorized_client", 700016),
        (TOKEN_PATH, {"client_id": None}, 400, "invalid_request", 900144),
        ("/other-tenant/oauth2/v2.0/token", {}, 400, "invalid_request", 90002),
        (TOKEN_PATH, {"scope": "api://other/.default"}, 400, "invalid_scope", 70011),
        (TOKEN_PATH, {"scope": None}, 400, "invalid_request", 900144),
        (TOKEN_PATH, {"grant_type": "password"}, 400, "unsupported_grant_type", 70003),
        (TOKEN_PATH, {"grant_type": None}, 400, "invalid_request", 900144),
    ],
)
async def test_token_errors(
    client: SandboxClient,
    path: str,
    change: dict[str, str | None],
    status: int,
    error: str,
    code: int,
) -> None:
    form = {**TOKEN_FORM, **change}
    response = await client.http.post(path, data={k: v for k, v in form.items() if v})
    assert response.status == status
    body = await response.json()
    assert body["error"] == error
    assert body["error_codes"] == [code]
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    assert {"timestamp", "trace_id", "correlation_id", "error_uri"} <= set(body)
    assert client.sandbox.stats.tokens_issued == 0


async def test_token_needs_a_form(client: SandboxClient) -> None:
    response = await client.http.post(TOKEN_PATH, json=TOKEN_FORM)
    assert response.status == 400
    assert "'grant_type'" in (await response.json())["error_description"]


async def test_client_of_another_tenant(make_client: MakeClient) -> None:
    other = SandboxCredentials(tenant_id="t2", client_id="c2", client_secret="s2", scope="x")
    sandbox = await make_client(extra_credentials=(other,))
    form = {**TOKEN_FORM, "client_id": "c2", "client_secret": "s2", "scope": "x"}
    assert (await sandbox.http.post(TOKEN_PATH, data=form)).status == 400  # wrong tenant
    assert (await sandbox.http.post("/t2/oauth2/v2.0/token", data=form)).status == 200


async def test_both_subscription_key_headers(client: SandboxClient) -> None:
    token = await client.token()
    for header in ("Ocp-Apim-Subscription-Key", "Subscription-Key"):
        response = await client.http.get(
            API + "/Mandate", headers={"Authorization": f"Bearer {token}", header: KEY}
        )
        assert response.status == 200


@pytest.mark.parametrize("endpoint", ["/Mandate", "/Mandate/energy", "/Mandate/mock"])
async def test_missing_and_invalid_credentials(client: SandboxClient, endpoint: str) -> None:
    token = await client.token()
    method = client.http.post if endpoint.endswith("mock") else client.http.get
    cases = [
        ({"Authorization": f"Bearer {token}"}, "missing subscription key"),
        ({"Authorization": f"Bearer {token}", "Subscription-Key": "nope"}, "invalid subscription"),
        ({"Subscription-Key": KEY}, "Access token is missing or invalid"),
        ({"Subscription-Key": KEY, "Authorization": "Bearer nope"}, "missing or invalid"),
        ({"Subscription-Key": KEY, "Authorization": token}, "missing or invalid"),
    ]
    for headers, message in cases:
        response = await method(API + endpoint, headers=headers)
        assert response.status == 401
        body = await response.json()
        assert body["statusCode"] == 401
        assert message in body["message"]
    assert (await method(API + endpoint, headers={})).status == 401
    body = await (await method(API + endpoint, headers={})).json()
    assert body == {
        "statusCode": 401,
        "message": "Access denied due to missing subscription key. Make sure to include "
        "subscription key when making requests to an API.",
    }


async def test_token_expires_on_the_simulated_clock(client: SandboxClient) -> None:
    headers = await client.headers()
    assert (await client.get("/Mandate", headers=headers)).status == 200
    client.sandbox.clock.advance(timedelta(seconds=3599))
    assert (await client.get("/Mandate", headers=headers)).status == 200
    client.sandbox.clock.advance(timedelta(seconds=1))
    response = await client.get("/Mandate", headers=headers)
    assert response.status == 401
    assert (await response.json())["message"] == "Unauthorized. Access token is missing or invalid."
    assert (await client.get("/Mandate", headers=await client.headers(fresh=True))).status == 200


async def test_token_lifetime_is_configurable(make_client: MakeClient) -> None:
    sandbox = await make_client(token_lifetime=60)
    response = await sandbox.http.post(TOKEN_PATH, data=TOKEN_FORM)
    assert (await response.json())["expires_in"] == 60
    headers = await sandbox.headers()
    sandbox.sandbox.clock.advance(timedelta(seconds=61))
    assert (await sandbox.get("/Mandate", headers=headers)).status == 401


async def test_expire_all_tokens(client: SandboxClient) -> None:
    headers = await client.headers()
    assert client.sandbox.expire_tokens() == 1
    assert (await client.get("/Mandate", headers=headers)).status == 401


async def test_unknown_api_path(client: SandboxClient) -> None:
    response = await client.get("/Nothing")
    assert response.status == 404
    assert await response.json() == {"statusCode": 404, "message": "Resource not found"}
