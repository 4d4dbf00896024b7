"""Admin endpoints under /_sandbox/ (no authentication)."""

from __future__ import annotations

from .conftest import NOW, SandboxClient

EAN = "541440110000000001"


async def test_index_and_stats(demo: SandboxClient) -> None:
    await demo.mandates()
    index = await (await demo.http.get("/_sandbox")).json()
    assert index["now"] == "2026-11-20T12:00:00Z"
    assert index["clients"] == ["sandbox-client"]
    assert len(index["mandates"]) == 5
    assert index["mandates"][3]["subEans"] == ["541450011000800001", "541450011000900001"]
    stats = await (await demo.http.get("/_sandbox/stats")).json()
    assert stats["requests"] == {"token": 1, "mandate": 1}
    assert stats["responses"] == {"token 200": 1, "mandate 200": 1}
    assert stats["faultsInjected"] == 0
    await demo.http.post("/_sandbox/stats/reset")
    assert (await (await demo.http.get("/_sandbox/stats")).json())["requests"] == {}
    assert demo.sandbox.stats.history == type(demo.sandbox.stats.history)()


async def test_clock(client: SandboxClient) -> None:
    assert await (await client.http.get("/_sandbox/clock")).json() == {
        "now": "2026-11-20T12:00:00Z",
        "frozen": True,
    }
    answer = await client.http.post("/_sandbox/clock", json={"now": "2026-01-01T00:00:00+01:00"})
    assert (await answer.json())["now"] == "2025-12-31T23:00:00Z"
    answer = await client.http.post("/_sandbox/clock", json={"advance": 3600})
    assert (await answer.json())["now"] == "2026-01-01T00:00:00Z"
    answer = await client.http.post("/_sandbox/clock", json={"frozen": False})
    assert (await answer.json())["frozen"] is False
    assert (await client.http.post("/_sandbox/clock", json={"now": "soon"})).status == 400
    assert (await client.http.post("/_sandbox/clock", json={"advance": "x"})).status == 400
    assert (await client.http.post("/_sandbox/clock", data=b"[")).status == 400


async def test_faults(client: SandboxClient) -> None:
    answer = await client.http.post("/_sandbox/faults", json={"spec": "429:next=1"})
    assert [r["kind"] for r in (await answer.json())["rules"]] == ["429"]
    assert (await client.get("/Mandate")).status == 429
    rules = (await (await client.http.get("/_sandbox/faults")).json())["rules"]
    assert rules[0]["fired"] == 1 and rules[0]["done"] is True
    answer = await client.http.post(
        "/_sandbox/faults", json={"rules": [{"kind": "500", "next": 1}], "replace": False}
    )
    assert [r["kind"] for r in (await answer.json())["rules"]] == ["429", "500"]
    assert (await client.get("/Mandate")).status == 500
    bad = await client.http.post("/_sandbox/faults", json={"spec": "boom"})
    assert bad.status == 400
    assert "unknown fault kind" in (await bad.json())["error"]
    assert (await client.http.post("/_sandbox/faults", json={"rules": [{}]})).status == 400
    assert (await client.http.post("/_sandbox/faults", json={})).status == 400
    await client.http.delete("/_sandbox/faults")
    assert client.sandbox.faults.rules == []
    stats = await (await client.http.get("/_sandbox/stats")).json()
    assert stats["faults"] == {"429": 1, "500": 1}


async def test_mandates(client: SandboxClient) -> None:
    answer = await client.http.post(
        "/_sandbox/mandates", json={"status": "Approved", "ean": EAN, "clientId": "someone"}
    )
    assert answer.status == 201
    assert (await answer.json())["clientId"] == "someone"
    assert await client.mandates() == []  # another client's
    await client.http.post("/_sandbox/mandates", json={"status": "Approved", "ean": EAN})
    assert len(await client.mandates()) == 1
    bad = await client.http.post("/_sandbox/mandates", json={"status": "Approved", "ean": "1"})
    assert bad.status == 400
    answer = await client.http.post(
        "/_sandbox/mandates/data-period-end", json={"ean": EAN, "to": "2026-11-01T23:00:00Z"}
    )
    assert (await answer.json()) == {"changed": 2}
    assert (await client.mandates())[0]["dataPeriodTo"] == "2026-11-01T23:00:00Z"
    await client.http.post("/_sandbox/mandates/data-period-end", json={"ean": EAN, "to": None})
    assert "dataPeriodTo" not in (await client.mandates())[0]
    answer = await client.http.post(
        "/_sandbox/mandates/revoke", json={"ean": EAN, "clientId": "sandbox-client"}
    )
    assert (await answer.json()) == {"changed": 1}
    assert await client.mandates() == []
    listed = await (await client.http.get("/_sandbox/mandates")).json()
    assert [m["status"] for m in listed["mandates"]] == ["Approved", "Removed"]
    bad = await client.http.post("/_sandbox/mandates/revoke", json={"ean": EAN, "status": "Gone"})
    assert bad.status == 400


async def test_tokens(client: SandboxClient) -> None:
    headers = await client.headers()
    answer = await client.http.post("/_sandbox/tokens/expire")
    assert (await answer.json()) == {"expired": 1}
    assert (await client.get("/Mandate", headers=headers)).status == 401


async def test_truth(client: SandboxClient) -> None:
    client.sandbox.add_mandate(EAN)
    params = {"ean": EAN, "start": "2026-11-10T23:00:00Z", "end": "2026-11-11T23:00:00Z"}
    body = await (await client.http.get("/_sandbox/truth", params=params)).json()
    names = [s["name"] for s in body["series"]]
    assert names == [
        "offtake",
        "offtake_day",
        "offtake_night",
        "injection",
        "injection_day",
        "injection_night",
    ]
    offtake = body["series"][0]
    assert len(offtake["quarterHourly"]) == 96
    assert len(offtake["hourly"]) == 24
    assert list(offtake["daily"]) == ["2026-11-10T23:00:00Z"]
    truth = client.sandbox.truth(EAN, NOW.replace(day=10, hour=23), NOW.replace(day=11, hour=23))
    assert offtake["daily"]["2026-11-10T23:00:00Z"] == truth["offtake"].total()
    as_of = await (
        await client.http.get("/_sandbox/truth", params={**params, "as_of": "2026-11-11T00:00:00Z"})
    ).json()
    assert as_of["series"][0]["quarterHourly"] == {}
    assert (await client.http.get("/_sandbox/truth", params={"ean": EAN})).status == 400
    bad = await client.http.get("/_sandbox/truth", params={**params, "ean": "541440200000000001"})
    assert bad.status == 400
