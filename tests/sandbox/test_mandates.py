"""GET Mandate (filters, visibility rules) and POST Create Mock Mandate (validation)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fluvius_sandbox import DEMO_MANDATES, SandboxCredentials

from .conftest import NOW, TOKEN_FORM, TOKEN_PATH, MakeClient, SandboxClient

EXPIRY = "2028-02-01T23:00:00Z"
SPEC_BODY = {
    "referenceNumber": "REF-123456",
    "status": "Approved",
    "ean": "541440000000000001",
    "energyType": "E",
    "dataServiceType": "VH_dag",
    "dataPeriodFrom": "2024-02-01T23:00:00Z",
    "dataPeriodTo": "2025-02-01T23:00:00Z",
    "mandateExpirationDate": EXPIRY,
    "renewalStatus": "toBeRenewed",
}


async def test_create_mock_mandate_spec_example(client: SandboxClient) -> None:
    response = await client.post("/Mandate/mock", json=SPEC_BODY)
    assert response.status == 201
    body = await response.json()
    assert body == {
        "data": {
            "referenceNumber": "REF-123456",
            "status": "Approved",
            "ean": "541440000000000001",
            "energyType": "E",
            "dataPeriodFrom": "2024-02-01T23:00:00Z",
            "dataPeriodTo": "2025-02-01T23:00:00Z",
            "dataServiceType": "VH_dag",
            "mandateExpirationDate": EXPIRY,
            # expiry is more than 3 months away: no renewal status shown yet
        }
    }
    assert await client.mandates() == [body["data"]]


async def test_derived_fields_and_defaults(client: SandboxClient) -> None:
    response = await client.post(
        "/Mandate/mock", json={"status": "Approved", "ean": "541441010000000007"}
    )
    data = (await response.json())["data"]
    assert data["energyType"] == "G"
    assert data["dataServiceType"] == "VH_kwartier_uur"
    assert data["dataPeriodFrom"] == "2023-11-19T23:00:00Z"  # 3 years back, local midnight
    assert data["mandateExpirationDate"] == "2029-11-19T23:00:00Z"  # 20 Nov 2029 00:00 local
    assert "dataPeriodTo" not in data
    assert "referenceNumber" not in data


async def test_vh_kwartier_is_stored_as_vh_kwartier_uur(client: SandboxClient) -> None:
    body = {"status": "Approved", "ean": "541440010000000001", "dataServiceType": "VH_kwartier"}
    data = (await (await client.post("/Mandate/mock", json=body)).json())["data"]
    assert data["dataServiceType"] == "VH_kwartier_uur"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": None}, "'status' is required"),
        ({"ean": None}, "'ean' is required"),
        ({"status": "Removed"}, "'status' must be one of"),
        ({"status": "Ok"}, "'status' must be one of"),
        ({"ean": "54144000000000001"}, "18 digits"),
        ({"ean": 541440000000000001}, "string"),
        ({"ean": "541440200000000001"}, "not an allowed sandbox combination"),
        ({"ean": "541440000000001000"}, "digits 10-15"),
        ({"energyType": "G"}, "does not match"),
        ({"energyType": "X"}, "'energyType' must be E or G"),
        ({"dataServiceType": "VH_kwartier_uur"}, "does not match"),
        ({"dataServiceType": "VH_uur"}, "'dataServiceType' must be one of"),
        ({"dataPeriodFrom": "2024-02-01"}, "YYYY-MM-DDTHH:MM:SSZ"),
        ({"dataPeriodTo": "2024-02-01T23:00:00+01:00"}, "YYYY-MM-DDTHH:MM:SSZ"),
        ({"dataPeriodTo": "2024-01-01T23:00:00Z"}, "later than 'dataPeriodFrom'"),
        ({"mandateExpirationDate": "2023-01-01T00:00:00Z"}, "later than 'dataPeriodFrom'"),
        ({"renewalStatus": "Soon"}, "'renewalStatus' must be one of"),
        ({"referenceNumber": 5}, "'referenceNumber' must be a string"),
    ],
)
async def test_mock_mandate_validation(
    client: SandboxClient, change: dict[str, Any], message: str
) -> None:
    body = {k: v for k, v in {**SPEC_BODY, **change}.items() if v is not None}
    response = await client.post("/Mandate/mock", json=body)
    assert response.status == 400
    error = await response.json()
    assert error["statusCode"] == 400
    assert message in error["message"]
    assert client.sandbox.mandates == []


async def test_mock_mandate_body_must_be_json(client: SandboxClient) -> None:
    headers = await client.headers()
    response = await client.http.post(
        "/ext/mijnfluvius-profnetgebruiker-sbx/v1/Mandate/mock", data=b"{nope", headers=headers
    )
    assert response.status == 400
    response = await client.post("/Mandate/mock", json=[1, 2])
    assert response.status == 400
    assert "JSON object" in (await response.json())["message"]


async def test_demo_mandates(demo: SandboxClient) -> None:
    mandates = await demo.mandates()
    assert [m["ean"] for m in mandates] == [spec.ean for spec in DEMO_MANDATES]
    assert [m["ean"] for m in mandates] == [
        "541440110000000001",
        "541441010000000001",
        "541440000000000001",
        "541450011000000001",
        "541450211000000001",
    ]
    for mandate in mandates:
        assert mandate["status"] == "Approved"
        assert mandate["dataPeriodFrom"] == "2023-11-19T23:00:00Z"
        expiry = datetime.strptime(mandate["mandateExpirationDate"], "%Y-%m-%dT%H:%M:%S%z")
        assert timedelta(days=700) < expiry - NOW < timedelta(days=740)
    assert [m["dataServiceType"] for m in mandates][2] == "VH_dag"
    assert [m["energyType"] for m in mandates] == ["E", "G", "E", "E", "E"]


async def _setup(client: SandboxClient) -> None:
    sandbox = client.sandbox
    sandbox.add_mandate("541440110000000001", reference_number="REF-1")
    sandbox.add_mandate("541441000000000002")  # gas, daily
    sandbox.add_mandate("541440000000000003", status="Requested")
    sandbox.add_mandate("541440000000000004", status="Rejected")
    sandbox.add_mandate("541440010000000005", status="Finished")
    sandbox.add_mandate(  # expires within 3 months
        "541450010000000006", mandate_expiration_date=datetime(2027, 1, 10, 23, tzinfo=UTC)
    )
    sandbox.add_mandate(  # renewal requested
        "541450000000000007",
        mandate_expiration_date=datetime(2027, 2, 1, 23, tzinfo=UTC),
        renewal_status="renewalrequested",
    )
    sandbox.add_mandate(  # expired
        "541450200000000008",
        data_period_from=datetime(2023, 12, 1, 23, tzinfo=UTC),
        mandate_expiration_date=datetime(2026, 6, 1, 22, tzinfo=UTC),
    )
    sandbox.add_mandate("541440000000000009")
    sandbox.revoke_mandate("541440000000000009")  # Removed: never visible


async def test_visibility_rules(client: SandboxClient) -> None:
    await _setup(client)
    mandates = await client.mandates()
    assert len(mandates) == 8
    by_status = {m["status"]: m for m in mandates}
    for hidden in ("Requested", "Rejected"):
        assert "ean" not in by_status[hidden]
        assert "energyType" not in by_status[hidden]
    assert by_status["Finished"]["ean"] == "541440010000000005"
    renewal = {m.get("ean"): m.get("renewalStatus") for m in mandates}
    assert renewal["541450010000000006"] == "ToBeRenewed"
    assert renewal["541450000000000007"] == "RenewalRequested"
    assert renewal["541450200000000008"] == "Expired"
    assert renewal["541440110000000001"] is None
    assert "541440000000000009" not in renewal
    # The renewal window opens three months before expiry.
    client.sandbox.clock.set(datetime(2026, 11, 1, 22, tzinfo=UTC))
    renewal = {m.get("ean"): m.get("renewalStatus") for m in await client.mandates()}
    assert renewal["541450000000000007"] is None
    assert renewal["541450010000000006"] == "ToBeRenewed"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "Approved"}, {"1", "2", "6", "7", "8"}),
        ({"status": "finished"}, {"5"}),
        ({"status": "Requested"}, {None}),
        ({"ean": "541441000000000002"}, {"2"}),
        ({"ean": "541440000000000003"}, set()),  # hidden while Requested
        ({"energyType": "G"}, {"2"}),
        ({"dataServiceTypes": "VH_dag"}, {"2", "7", "8", None}),
        (
            {"dataServiceTypes": ["VH_dag", "VH_kwartier_uur"]},
            {str(i) for i in (1, 2, 5, 6, 7, 8)} | {None},
        ),
        ({"renewalStatus": "toberenewed"}, {"6"}),
        ({"renewalStatus": "Expired"}, {"8"}),
        ({"referenceNumber": "REF-1"}, {"1"}),
        ({"mandateExpirationDate": "2027-01-31T00:00:00Z"}, {"6", "8"}),
        (
            {"lastUpdatedFrom": "2026-11-20T12:00:00Z"},
            {str(i) for i in (1, 2, 5, 6, 7, 8)} | {None},
        ),
        ({"lastUpdatedTo": "2026-11-20T12:00:00Z"}, set()),
    ],
)
async def test_filters(client: SandboxClient, params: dict[str, Any], expected: set[Any]) -> None:
    await _setup(client)
    found = {m["ean"][-1] if "ean" in m else None for m in await client.mandates(**params)}
    assert found == expected


async def test_last_updated_follows_changes(client: SandboxClient) -> None:
    await _setup(client)
    client.sandbox.clock.advance(timedelta(days=1))
    client.sandbox.revoke_mandate("541440110000000001", status="Finished")
    changed = await client.mandates(lastUpdatedFrom="2026-11-21T00:00:00Z")
    assert [(m["ean"], m["status"]) for m in changed] == [("541440110000000001", "Finished")]
    assert changed[0]["dataPeriodTo"] == "2026-11-21T12:00:00Z"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"status": "Removed"}, "'status' must be one of"),
        ({"ean": "12345"}, "'ean' must be 18 digits"),
        ({"energyType": "W"}, "'energyType' must be E or G"),
        ({"dataServiceTypes": "VH_week"}, "'dataServiceTypes' has an invalid value"),
        ({"dataServiceTypes": ["VH_dag", "VH_kwartier_uur", "VH_kwartier"]}, "at most 2"),
        ({"mandateExpirationDate": "2027-01-01"}, "'mandateExpirationDate' must be"),
        ({"renewalStatus": "Later"}, "'renewalStatus' must be one of"),
        ({"lastUpdatedFrom": "yesterday"}, "'lastUpdatedFrom' must be"),
        (
            {"lastUpdatedFrom": "2026-01-02T00:00:00Z", "lastUpdatedTo": "2026-01-01T00:00:00Z"},
            "'lastUpdatedTo' must be later",
        ),
        ({"ean": ["541440110000000001", "541440110000000001"]}, "only once"),
    ],
)
async def test_bad_filters(client: SandboxClient, params: dict[str, Any], message: str) -> None:
    query = [
        (k, v)
        for k, values in params.items()
        for v in (values if isinstance(values, list) else [values])
    ]
    response = await client.get("/Mandate", params=query)
    assert response.status == 400
    body = await response.json()
    assert body["statusCode"] == 400
    assert message in body["message"]


async def test_mandates_are_per_client(make_client: MakeClient) -> None:
    other = SandboxCredentials(client_id="other", client_secret="other-secret")
    client = await make_client(extra_credentials=(other,))
    await client.post("/Mandate/mock", json={"status": "Approved", "ean": "541440110000000001"})
    form = {**TOKEN_FORM, "client_id": "other", "client_secret": "other-secret"}
    token = (await (await client.http.post(TOKEN_PATH, data=form)).json())["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Subscription-Key": other.subscription_key}
    response = await client.get("/Mandate", headers=headers)
    assert (await response.json()) == {"data": {"mandates": []}}
    response = await client.get(
        "/Mandate/energy",
        params={
            "ean": "541440110000000001",
            "periodType": "readTime",
            "from": "2026-11-10T23:00:00Z",
            "to": "2026-11-11T23:00:00Z",
        },
        headers=headers,
    )
    assert response.status == 404
    assert len(await client.mandates()) == 1


async def test_same_mandate_twice_is_replaced(client: SandboxClient) -> None:
    body = {"status": "Approved", "ean": "541440110000000001"}
    await client.post("/Mandate/mock", json=body)
    await client.post("/Mandate/mock", json={**body, "dataPeriodFrom": "2025-01-01T23:00:00Z"})
    mandates = await client.mandates()
    assert [m["dataPeriodFrom"] for m in mandates] == ["2025-01-01T23:00:00Z"]
    await client.post("/Mandate/mock", json={**body, "status": "Finished"})
    assert len(await client.mandates()) == 2
