"""GET Energy: parameters, errors, mandate coverage and clipping to the data period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from .conftest import SandboxClient

EAN = "541440110000000001"  # digital, electricity, offtake + injection, quarter-hours
DAY = ("2026-11-10T23:00:00Z", "2026-11-11T23:00:00Z")  # 11 Nov 2026, local day


def _query(**params: Any) -> list[tuple[str, str]]:
    base: dict[str, Any] = {"ean": EAN, "periodType": "readTime", "from": DAY[0], "to": DAY[1]}
    base.update(params)
    query = []
    for key, value in base.items():
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            query.append((key, item))
    return query


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"ean": None}, "Missing required query parameter 'ean'"),
        ({"periodType": None}, "Missing required query parameter 'periodType'"),
        ({"from": None}, "Missing required query parameter 'from'"),
        ({"to": None}, "Missing required query parameter 'to'"),
        ({"ean": ""}, "'ean' must not be empty"),
        ({"ean": "5414401100000000011"}, "'ean' must be 18 digits"),
        ({"ean": [EAN, EAN]}, "'ean' may be given only once"),
        ({"periodType": "readtime"}, "'periodType' must be readTime or insertTime"),
        ({"from": "2026-11-10T23:00:00"}, "'from' must be a UTC date-time"),
        ({"to": "2024-09-19T22:00:00:00Z"}, "'to' must be a UTC date-time"),  # the spec's typo
        ({"from": "2026-11-10 23:00:00Z"}, "YYYY-MM-DDTHH:MM:SSZ"),
        ({"to": "2026-11-10T23:00:00.000Z"}, "'to' must be"),
        ({"from": "2026-11-10T23:00:00+00:00"}, "'from' must be"),
        ({"to": DAY[0]}, "'to' must be later than 'from'"),
        ({"to": "2026-11-09T23:00:00Z"}, "'to' must be later than 'from'"),
        ({"from": "2026-05-09T22:00:00Z"}, "at most 185 days"),
        ({"from": "2023-11-19T22:00:00Z", "to": "2024-01-01T23:00:00Z"}, "3 years"),
        (
            {"periodType": "insertTime", "from": "2026-05-19T21:00:00Z"},
            "6 months in the past for periodType insertTime",
        ),
        ({"granularity": "hourly"}, "'granularity' has an invalid value 'hourly'"),
        ({"complexEnergyTypes": "apparent"}, "'complexEnergyTypes' has an invalid value"),
    ],
)
async def test_bad_requests(client: SandboxClient, params: dict[str, Any], message: str) -> None:
    client.sandbox.add_mandate(EAN)
    response = await client.get("/Mandate/energy", params=_query(**params))
    assert response.status == 400
    body = await response.json()
    assert body["statusCode"] == 400
    assert message in body["message"]


async def test_limits_are_inclusive(client: SandboxClient) -> None:
    client.sandbox.add_mandate(EAN)
    ok = [
        {"from": "2026-05-09T23:00:00Z", "to": "2026-11-10T23:00:00Z"},  # exactly 185 days
        {"from": "2023-11-19T23:00:00Z", "to": "2023-11-20T23:00:00Z"},  # exactly 3 years back
        {"periodType": "insertTime", "from": "2026-05-19T22:00:00Z", "to": DAY[1]},  # 6 months
        {"to": "2027-01-01T00:00:00Z"},  # in the future: allowed, nothing after now returned
    ]
    for params in ok:
        response = await client.get("/Mandate/energy", params=_query(**params))
        assert response.status == 200, (params, await response.text())


@pytest.mark.parametrize(
    ("setup", "params", "detail"),
    [
        ({}, {}, "for ean"),  # no mandate at all
        ({"status": "Requested"}, {}, "for ean"),
        ({"status": "Rejected"}, {}, "for ean"),
        ({"removed": True}, {}, "for ean"),
        (
            {"ean": "541440100000000001"},
            {"ean": "541440100000000001", "granularity": "hourly_quarterhourly"},
            "granularity",
        ),
        ({}, {"ean": "541440200000000001"}, "for ean"),  # not even a valid mock EAN
        ({"reference_number": "REF-9"}, {"referenceNumber": "REF-8"}, "for ean"),
        (
            {"data_period_from": datetime(2026, 11, 15, 23, tzinfo=UTC)},
            {},
            "requested period",
        ),
        (
            {"data_period_to": datetime(2026, 11, 5, 23, tzinfo=UTC)},
            {},
            "requested period",
        ),
    ],
)
async def test_no_valid_mandate(
    client: SandboxClient, setup: dict[str, Any], params: dict[str, Any], detail: str
) -> None:
    ean = setup.pop("ean", EAN)
    removed = setup.pop("removed", False)
    if setup or removed or ean != EAN:
        client.sandbox.add_mandate(ean, **setup)
    if removed:
        client.sandbox.revoke_mandate(ean)
    response = await client.get("/Mandate/energy", params=_query(**params))
    assert response.status == 404
    body = await response.json()
    assert body["statusCode"] == 404
    assert body["message"].startswith("No valid mandates found")
    assert detail in body["message"]


async def test_granularity_defaults_to_what_the_mandate_allows(client: SandboxClient) -> None:
    client.sandbox.add_mandate(EAN)
    client.sandbox.add_mandate("541440100000000001")  # VH_dag
    meter = (await client.energy_json(EAN, *DAY))["data"]["headpoint"]["physicalMeters"][0]
    assert list(meter) == ["seqNumber", "meterID", "dailyEnergy", "quarterHourlyEnergy"]
    assert len(meter["dailyEnergy"]) == 1
    assert len(meter["quarterHourlyEnergy"]) == 96
    only_days = await client.energy_json(EAN, *DAY, granularity="daily")
    assert list(only_days["data"]["headpoint"]["physicalMeters"][0])[2:] == ["dailyEnergy"]
    only_qh = await client.energy_json(EAN, *DAY, granularity="hourly_quarterhourly")
    assert list(only_qh["data"]["headpoint"]["physicalMeters"][0])[2:] == ["quarterHourlyEnergy"]
    both = await client.energy_json(EAN, *DAY, granularity=["daily", "hourly_quarterhourly"])
    assert both == await client.energy_json(EAN, *DAY)
    comma = await client.energy_json(EAN, *DAY, granularity="daily,hourly_quarterhourly")
    assert comma == both
    daily_only = await client.energy_json("541440100000000001", *DAY)
    assert list(daily_only["data"]["headpoint"]["physicalMeters"][0])[2:] == ["dailyEnergy"]


async def test_clipped_to_the_data_period(client: SandboxClient) -> None:
    client.sandbox.add_mandate(
        EAN,
        data_period_from=datetime(2026, 11, 11, 5, tzinfo=UTC),
        data_period_to=datetime(2026, 11, 13, 23, tzinfo=UTC),
    )
    data = await client.energy_json(EAN, "2026-11-09T23:00:00Z", "2026-11-15T23:00:00Z")
    meter = data["data"]["headpoint"]["physicalMeters"][0]
    quarters = meter["quarterHourlyEnergy"]
    assert quarters[0]["start"] == "2026-11-11T05:00:00Z"
    assert quarters[-1]["end"] == "2026-11-13T23:00:00Z"
    # Days only when entirely inside: 12 and 13 Nov (11 Nov starts before dataPeriodFrom).
    assert [d["start"] for d in meter["dailyEnergy"]] == [
        "2026-11-11T23:00:00Z",
        "2026-11-12T23:00:00Z",
    ]


async def test_expired_mandate_keeps_old_data_only(client: SandboxClient) -> None:
    client.sandbox.add_mandate(EAN, mandate_expiration_date=datetime(2026, 11, 12, 23, tzinfo=UTC))
    data = await client.energy_json(EAN, "2026-11-10T23:00:00Z", "2026-11-15T23:00:00Z")
    quarters = data["data"]["headpoint"]["physicalMeters"][0]["quarterHourlyEnergy"]
    assert quarters[0]["start"] == "2026-11-10T23:00:00Z"
    assert quarters[-1]["end"] == "2026-11-12T23:00:00Z"
    (mandate,) = await client.mandates()
    assert mandate["renewalStatus"] == "Expired"


async def test_nothing_after_now(client: SandboxClient) -> None:
    client.sandbox.add_mandate(EAN)
    now = client.sandbox.now()
    data = await client.energy_json(EAN, "2026-11-15T23:00:00Z", "2026-11-21T23:00:00Z")
    meter = data["data"]["headpoint"]["physicalMeters"][0]
    for interval in meter["quarterHourlyEnergy"] + meter["dailyEnergy"]:
        assert datetime.strptime(interval["end"], "%Y-%m-%dT%H:%M:%S%z") < now
    # The last days arrive within 72 h of their end: three days on, there is more.
    before = len(meter["quarterHourlyEnergy"])
    client.sandbox.clock.advance(timedelta(days=3))
    later = await client.energy_json(EAN, "2026-11-15T23:00:00Z", "2026-11-21T23:00:00Z")
    assert len(later["data"]["headpoint"]["physicalMeters"][0]["quarterHourlyEnergy"]) > before


async def test_reference_number(client: SandboxClient) -> None:
    client.sandbox.add_mandate(EAN, reference_number="REF-1")
    assert (await client.energy(EAN, *DAY, referenceNumber="REF-1")).status == 200
    assert (await client.energy(EAN, *DAY)).status == 200
