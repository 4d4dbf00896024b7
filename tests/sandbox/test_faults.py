"""Fault knobs: every kind, the spec string, reproducibility from the seed, counters."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
import json

import aiohttp
import pytest

from fluvius_sandbox import FaultKind, FaultRule, FaultSpecError, parse_spec

from .conftest import API, KEY, TOKEN_FORM, TOKEN_PATH, MakeClient, SandboxClient

EAN = "541440110000000001"
DAY = ("2026-11-10T23:00:00Z", "2026-11-11T23:00:00Z")


def test_parse_spec() -> None:
    rules = parse_spec(
        "429:0.05,retry_after=2; 500:next=3 ;slow:next=1,delay=30;early_expiry:uses=2;"
        "geoblock:after=100,next=5;revoke:ean=541440110000000001,after=50;"
        "period_end:ean=541441010000000001,to=2026-01-01T00:00:00Z;malformed:share=0.1,"
        "endpoints=energy|mandate;truncated:ean=541440110000000001;rate_limit"
    )
    assert [r.kind for r in rules] == [
        FaultKind.RATE_LIMIT,
        FaultKind.SERVER_ERROR,
        FaultKind.SLOW,
        FaultKind.EARLY_EXPIRY,
        FaultKind.GEOBLOCK,
        FaultKind.REVOKE,
        FaultKind.PERIOD_END,
        FaultKind.MALFORMED,
        FaultKind.TRUNCATED,
        FaultKind.RATE_LIMIT,
    ]
    assert rules[0].share == 0.05 and rules[0].retry_after == 2
    assert rules[1].next == 3
    assert rules[2].delay == 30.0
    assert rules[3].uses == 2 and rules[3].endpoints == frozenset({"token"})
    assert (rules[4].after, rules[4].next) == (100, 5)
    assert rules[6].to == datetime(2026, 1, 1, tzinfo=UTC)
    assert rules[7].endpoints == frozenset({"energy", "mandate"})
    assert parse_spec("") == []


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("teapot", "unknown fault kind"),
        ("429:colour=red", "unknown fault parameter"),
        ("429:next=many", "bad value for next"),
        ("429:1.5", "share must be between 0 and 1"),
        ("revoke:after=3", "needs ean"),
        ("revoke:ean=541440110000000001,status=Gone", "Removed or Finished"),
        ("500:endpoints=energy|nowhere", "unknown endpoints"),
        ("period_end:ean=541440110000000001,to=someday", "bad value for to"),
    ],
)
def test_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(FaultSpecError, match=message):
        parse_spec(spec)


async def test_rate_limit_next(client: SandboxClient) -> None:
    client.sandbox.faults.add("429", next=2, retry_after=3)
    for _ in range(2):
        response = await client.get("/Mandate")
        assert response.status == 429
        assert response.headers["Retry-After"] == "3"
        assert await response.json() == {
            "statusCode": 429,
            "message": "Rate limit is exceeded. Try again in 3 seconds.",
        }
    assert (await client.get("/Mandate")).status == 200
    assert client.sandbox.stats.faults["429"] == 2
    assert client.sandbox.stats.responses["mandate 429"] == 2
    assert client.sandbox.stats.requests["mandate"] == 3
    assert client.sandbox.faults.rules[0].done


@pytest.mark.parametrize(("kind", "status"), [("500", 500), ("503", 503), ("geoblock", 403)])
async def test_status_faults(client: SandboxClient, kind: str, status: int) -> None:
    client.sandbox.add_mandate(EAN)
    client.sandbox.faults.add(kind, next=1, endpoints=frozenset({"energy"}))
    assert (await client.get("/Mandate")).status == 200  # other endpoints are not touched
    response = await client.energy(EAN, *DAY)
    assert response.status == status
    body = await response.json()
    assert body["statusCode"] == status
    if kind == "503":
        assert response.headers["Retry-After"] == "1"
    if kind == "geoblock":
        assert "geoblocking" in body["message"]
    assert (await client.energy(EAN, *DAY)).status == 200
    assert client.sandbox.stats.faults_injected == 1


async def test_geoblock_switch(client: SandboxClient) -> None:
    rule = client.sandbox.faults.add("geoblock")
    for path in ("/Mandate", "/Mandate/energy"):
        assert (await client.get(path)).status == 403
    assert (await client.post("/Mandate/mock", json={})).status == 403
    assert (await client.http.post(TOKEN_PATH, data=TOKEN_FORM)).status == 200  # Entra ID
    client.sandbox.faults.remove(rule)
    assert (await client.get("/Mandate")).status == 200


async def test_faults_only_for_one_ean(client: SandboxClient) -> None:
    client.sandbox.add_mandate(EAN)
    client.sandbox.add_mandate("541441010000000001")
    client.sandbox.faults.add("500", ean=EAN)
    assert (await client.energy("541441010000000001", *DAY)).status == 200
    assert (await client.energy(EAN, *DAY)).status == 500


async def test_no_mandate_for_one_ean_for_a_moment(client: SandboxClient) -> None:
    client.sandbox.add_mandate(EAN)
    client.sandbox.add_mandate("541441010000000001")
    client.sandbox.faults.load("no_mandate:ean=" + EAN + ",next=1")
    assert (await client.energy("541441010000000001", *DAY)).status == 200
    response = await client.energy(EAN, *DAY)
    assert response.status == 404
    body = await response.json()
    assert body["statusCode"] == 404
    assert "No valid mandates" in body["message"]
    assert (await client.energy(EAN, *DAY)).status == 200  # the mandate itself stayed
    assert [m["ean"] for m in await client.mandates()].count(EAN) == 1
    assert client.sandbox.stats.faults["404"] == 1


async def test_share_is_reproducible_from_the_seed(make_client: MakeClient) -> None:
    async def statuses(seed: int) -> list[int]:
        client = await make_client(seed=seed, faults="429:0.3;500:0.1")
        return [(await client.get("/Mandate")).status for _ in range(40)]

    first, again, other = await statuses(1), await statuses(1), await statuses(2)
    assert first == again
    assert first != other
    assert 429 in first and 200 in first


async def test_slow_responses_time_out_clients(client: SandboxClient) -> None:
    client.sandbox.faults.add("slow", next=1, delay=0.5)
    headers = await client.headers()
    with pytest.raises(asyncio.TimeoutError):
        await client.http.get(
            API + "/Mandate", headers=headers, timeout=aiohttp.ClientTimeout(total=0.1)
        )
    response = await client.get("/Mandate", timeout=aiohttp.ClientTimeout(total=0.4))
    assert response.status == 200
    assert client.sandbox.stats.faults["slow"] == 1


async def test_truncated_and_malformed_bodies(client: SandboxClient) -> None:
    client.sandbox.add_mandate(EAN)
    good = await (await client.energy(EAN, *DAY)).text()
    client.sandbox.faults.add("truncated", next=1)
    response = await client.energy(EAN, *DAY)
    assert response.status == 200
    assert response.content_type == "application/json"
    cut = await response.text()
    assert good.startswith(cut)
    assert len(cut) < len(good)
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut)
    client.sandbox.faults.add("malformed", next=1)
    broken = await (await client.energy(EAN, *DAY)).text()
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken)
    assert json.loads(await (await client.energy(EAN, *DAY)).text()) == json.loads(good)
    # Error answers are never corrupted (and do not use up the rule).
    client.sandbox.faults.add("malformed", next=1)
    bad = await client.get("/Mandate", params={"status": "x"})
    assert (await bad.json())["statusCode"] == 400
    assert client.sandbox.stats.faults == {"truncated": 1, "malformed": 1}


async def test_tokens_that_expire_early(client: SandboxClient) -> None:
    client.sandbox.faults.add("early_expiry", next=1, uses=2)
    response = await client.http.post(TOKEN_PATH, data=TOKEN_FORM)
    body = await response.json()
    assert body["expires_in"] == 3600
    headers = {"Authorization": f"Bearer {body['access_token']}", "Subscription-Key": KEY}
    assert (await client.get("/Mandate", headers=headers)).status == 200
    assert (await client.get("/Mandate", headers=headers)).status == 200
    assert (await client.get("/Mandate", headers=headers)).status == 401
    assert (await client.get("/Mandate", headers=await client.headers(fresh=True))).status == 200
    client.sandbox.faults.add("early_expiry", next=1, lifetime=60)
    headers = await client.headers(fresh=True)
    assert (await client.get("/Mandate", headers=headers)).status == 200
    client.sandbox.clock.advance(timedelta(seconds=60))
    assert (await client.get("/Mandate", headers=headers)).status == 401
    assert client.sandbox.stats.faults["early_expiry"] == 2


async def test_revoked_mid_run(client: SandboxClient) -> None:
    client.sandbox.add_mandate(EAN)
    client.sandbox.faults.add("revoke", ean=EAN, after=2)
    assert (await client.energy(EAN, *DAY)).status == 200
    assert (await client.energy(EAN, *DAY)).status == 200
    response = await client.energy(EAN, *DAY)
    assert response.status == 404
    assert (await response.json())["message"].startswith("No valid mandates found")
    assert await client.mandates() == []
    assert client.sandbox.stats.faults["revoke"] == 1


async def test_finished_mid_run(client: SandboxClient) -> None:
    client.sandbox.add_mandate(EAN)
    client.sandbox.faults.add(
        FaultRule(
            kind=FaultKind.REVOKE, ean=EAN, status="Finished", at=datetime(2026, 11, 21, tzinfo=UTC)
        )
    )
    assert (await client.mandates())[0]["status"] == "Approved"
    client.sandbox.clock.set(datetime(2026, 11, 21, 6, tzinfo=UTC))
    (mandate,) = await client.mandates()
    assert mandate["status"] == "Finished"
    assert mandate["dataPeriodTo"] == "2026-11-21T06:00:00Z"
    assert (await client.energy(EAN, *DAY)).status == 200  # old data stays available


async def test_data_period_end_moved_into_the_past(client: SandboxClient) -> None:
    client.sandbox.add_mandate(EAN)
    client.sandbox.faults.load("period_end:ean=541440110000000001,to=2026-11-11T11:00:00Z,after=1")
    before = await client.energy_json(EAN, *DAY)
    quarters = before["data"]["headpoint"]["physicalMeters"][0]["quarterHourlyEnergy"]
    assert len(quarters) == 96
    after = await client.energy_json(EAN, *DAY)
    meter = after["data"]["headpoint"]["physicalMeters"][0]
    assert meter["quarterHourlyEnergy"][-1]["end"] == "2026-11-11T11:00:00Z"
    assert len(meter["quarterHourlyEnergy"]) == 48
    assert meter["dailyEnergy"] == []  # the day is no longer complete
    (mandate,) = await client.mandates()
    assert mandate["dataPeriodTo"] == "2026-11-11T11:00:00Z"
    later = ("2026-11-12T23:00:00Z", "2026-11-13T23:00:00Z")
    assert (await client.energy(EAN, *later)).status == 404


async def test_faults_from_the_config(make_client: MakeClient) -> None:
    client = await make_client(faults=[FaultRule(kind=FaultKind.SERVER_ERROR, next=1)])
    assert (await client.get("/Mandate")).status == 500
    client = await make_client(faults="503:next=1,retry_after=9")
    response = await client.get("/Mandate")
    assert (response.status, response.headers["Retry-After"]) == (503, "9")


async def test_token_endpoint_faults_are_opt_in(client: SandboxClient) -> None:
    client.sandbox.faults.load("500:next=1,endpoints=token")
    assert (await client.http.post(TOKEN_PATH, data=TOKEN_FORM)).status == 500
    assert (await client.http.post(TOKEN_PATH, data=TOKEN_FORM)).status == 200
    client.sandbox.faults.load("500:next=1")
    assert (await client.http.post(TOKEN_PATH, data=TOKEN_FORM)).status == 200
    assert client.sandbox.stats.requests["token"] == 3


@pytest.mark.parametrize(
    ("retry_after", "said"),
    [(86_399, "23:59:59"), (3_599, "00:59:59"), (176_400, "2.01:00:00")],
)
async def test_quota_exhausted(client: SandboxClient, retry_after: int, said: str) -> None:
    """API Management's quota policy: 403 with the time until the quota is replenished."""
    client.sandbox.add_mandate(EAN)
    (rule,) = parse_spec(f"quota:next=2,retry_after={retry_after},endpoints=energy")
    client.sandbox.faults.add(rule)
    assert (await client.get("/Mandate")).status == 200  # only GET Energy is limited
    for _ in range(2):
        response = await client.energy(EAN, *DAY)
        assert response.status == 403
        assert await response.json() == {
            "statusCode": 403,
            "message": f"Out of call volume quota. Quota will be replenished in {said}.",
        }
    assert (await client.energy(EAN, *DAY)).status == 200
    assert client.sandbox.stats.faults["quota"] == 2
    assert rule.as_dict()["retry_after"] == retry_after
