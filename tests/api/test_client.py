"""FluviusClient against the local stand-in: requests, chunking, limits, errors and retries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
import json
import logging
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
import pytest

from custom_components.fluvius.api import (
    ComplexEnergyType,
    DataServiceType,
    Direction,
    EnergyType,
    FluviusAuthError,
    FluviusClient,
    FluviusConnectionError,
    FluviusForbiddenError,
    FluviusNoMandateError,
    FluviusPayloadError,
    FluviusPeriodError,
    FluviusRateLimitError,
    FluviusRequestError,
    FluviusServerError,
    FluviusSubscriptionKeyError,
    Granularity,
    InvalidEanError,
    MandateStatus,
    PeriodType,
    Register,
    RenewalStatus,
    Resolution,
    RetryPolicy,
    Unit,
)

from .conftest import NOW, FakeClock, load_fixture
from .fake_server import SUBSCRIPTION_KEY, FakeFluvius, Reply

MakeClient = Callable[..., FluviusClient]
EAN = "541441234567891234"
BRUSSELS = ZoneInfo("Europe/Brussels")


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def energy_reply(request: web.Request) -> web.Response:
    """Daily values for [from, to) of the request: one interval per UTC day, value = day."""
    start = datetime.fromisoformat(request.query["from"])
    end = datetime.fromisoformat(request.query["to"])
    intervals = []
    moment = start
    while moment < end:
        stop = min(moment + timedelta(days=1), end)
        intervals.append(
            {
                "start": _z(moment),
                "end": _z(stop),
                "measurements": [
                    {
                        "offtake": {
                            "total": {
                                "value": float(moment.day),
                                "unit": "kWh",
                                "validationState": "READ",
                            }
                        }
                    }
                ],
            }
        )
        moment = stop
    payload = {
        "data": {
            "headpoint": {
                "$type": "metering-on-meter",
                "ean": request.query["ean"],
                "energyType": "E",
                "physicalMeters": [{"seqNumber": "1", "meterID": "M", "dailyEnergy": intervals}],
            }
        }
    }
    return web.json_response(payload)


async def _energy(request: web.Request) -> web.StreamResponse:
    return energy_reply(request)


# --- headers and parameters ---------------------------------------------------------------


async def test_every_request_carries_token_key_and_accept(
    client: FluviusClient, fake_api: FakeFluvius
) -> None:
    await client.get_mandates()
    [request] = fake_api.requests
    assert request.method == "GET"
    assert request.path == "/Mandate"
    assert request.headers["Authorization"] == f"Bearer {fake_api.tokens_issued[0]}"
    assert request.headers["Ocp-Apim-Subscription-Key"] == SUBSCRIPTION_KEY
    assert request.headers["Subscription-Key"] == SUBSCRIPTION_KEY
    assert request.headers["Accept"] == "application/json"
    assert list(request.query.items()) == []


async def test_get_mandates_parses_the_spec_example(client: FluviusClient) -> None:
    [mandate] = await client.get_mandates()
    assert mandate.ean == EAN
    assert mandate.status is MandateStatus.APPROVED
    assert mandate.renewal_status is RenewalStatus.TO_BE_RENEWED


async def test_get_mandates_every_filter(client: FluviusClient, fake_api: FakeFluvius) -> None:
    await client.get_mandates(
        reference_number="REF-123456",
        status=MandateStatus.APPROVED,
        ean="5414 4123 4567 8912 34",
        energy_type=EnergyType.ELECTRICITY,
        data_service_types=(DataServiceType.DAILY, DataServiceType.QUARTER_HOURLY),
        mandate_expiration_date=datetime(2028, 12, 8, 0, 0, tzinfo=BRUSSELS),
        renewal_status=RenewalStatus.TO_BE_RENEWED,
        last_updated_from=datetime(2025, 1, 1, tzinfo=UTC),
        last_updated_to=datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
    )
    [request] = fake_api.requests
    assert list(request.query.items()) == [
        ("referenceNumber", "REF-123456"),
        ("status", "Approved"),
        ("ean", EAN),
        ("energyType", "E"),
        ("dataServiceTypes", "VH_dag"),
        ("dataServiceTypes", "VH_kwartier_uur"),
        ("mandateExpirationDate", "2028-12-07T23:00:00Z"),
        ("lastUpdatedFrom", "2025-01-01T00:00:00Z"),
        ("lastUpdatedTo", "2025-01-02T03:04:05Z"),
        ("renewalStatus", "ToBeRenewed"),
    ]


async def test_naive_datetimes_and_bad_eans_are_refused_before_any_request(
    client: FluviusClient, fake_api: FakeFluvius
) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await client.get_mandates(last_updated_from=datetime(2025, 1, 1))
    with pytest.raises(InvalidEanError) as info:
        await client.get_mandates(ean="54144123")
    assert info.value.reason == "length"
    with pytest.raises(ValueError, match="timezone-aware"):
        await client.get_energy(
            EAN, PeriodType.READ_TIME, datetime(2025, 1, 1), datetime(2025, 1, 2, tzinfo=UTC)
        )
    with pytest.raises(InvalidEanError):
        await client.get_energy("EAN", PeriodType.READ_TIME, NOW - timedelta(days=1), NOW)
    assert fake_api.requests == []
    assert fake_api.token_requests == []


async def test_get_energy_parameters(client: FluviusClient, fake_api: FakeFluvius) -> None:
    data = await client.get_energy(
        EAN,
        PeriodType.READ_TIME,
        datetime(2024, 9, 19, tzinfo=BRUSSELS),
        datetime(2024, 9, 20, tzinfo=BRUSSELS),
        granularity=[Granularity.DAILY, Granularity.HOURLY_QUARTERHOURLY],
        complex_energy_types=[ComplexEnergyType.ACTIVE, ComplexEnergyType.REACTIVE],
        reference_number="REF-1",
    )
    [request] = fake_api.requests
    assert request.path == "/Mandate/energy"
    assert list(request.query.items()) == [
        ("ean", EAN),
        ("periodType", "readTime"),
        ("from", "2024-09-18T22:00:00Z"),
        ("to", "2024-09-19T22:00:00Z"),
        ("granularity", "daily"),
        ("granularity", "hourly_quarterhourly"),
        ("complexEnergyTypes", "active"),
        ("complexEnergyTypes", "reactive"),
        ("referenceNumber", "REF-1"),
    ]
    night = data.samples(EAN, Resolution.DAILY, Direction.OFFTAKE, Register.NIGHT, Unit.KWH)
    assert [s.value for s in night] == [7.876]


async def test_get_energy_without_options(client: FluviusClient, fake_api: FakeFluvius) -> None:
    await client.get_energy(
        EAN, PeriodType.INSERT_TIME, NOW - timedelta(days=2), NOW, granularity=None
    )
    [request] = fake_api.requests
    assert [name for name, _ in request.query.items()] == ["ean", "periodType", "from", "to"]
    assert request.query["periodType"] == "insertTime"


# --- chunking and limits ----------------------------------------------------------------


def _ranges(fake_api: FakeFluvius) -> list[tuple[datetime, datetime]]:
    return [
        (datetime.fromisoformat(r.query["from"]), datetime.fromisoformat(r.query["to"]))
        for r in fake_api.requests
    ]


async def test_exactly_185_days_is_one_request(
    client: FluviusClient, fake_api: FakeFluvius
) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    fake_api.queue(_energy)
    data = await client.get_energy(EAN, PeriodType.READ_TIME, start, start + timedelta(days=185))
    assert _ranges(fake_api) == [(start, start + timedelta(days=185))]
    assert data.sample_count == 185


async def test_186_days_is_two_requests_with_exact_borders(
    client: FluviusClient, fake_api: FakeFluvius
) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    end = start + timedelta(days=186)
    fake_api.queue(_energy, _energy)
    data = await client.get_energy(EAN, PeriodType.READ_TIME, start, end)
    border = start + timedelta(days=185)
    assert _ranges(fake_api) == [(start, border), (border, end)]
    [samples] = data.series.values()
    assert len(samples) == 186
    assert [s.start for s in samples] == [start + timedelta(days=i) for i in range(186)]


async def test_long_range_chunks_are_consecutive_and_bounded(
    client: FluviusClient, fake_api: FakeFluvius
) -> None:
    start = datetime(2022, 6, 2, 7, 30, tzinfo=UTC)
    end = datetime(2025, 5, 30, 12, 45, 10, tzinfo=UTC)
    fake_api.queue(*[_energy] * 6)
    data = await client.get_energy(EAN, PeriodType.READ_TIME, start, end)
    ranges = _ranges(fake_api)
    assert len(ranges) == 6
    assert ranges[0][0] == start
    assert ranges[-1][1] == end
    for (_, a_end), (b_start, _) in pairwise(ranges):
        assert a_end == b_start
    assert all(b - a == timedelta(days=185) for a, b in ranges[:-1])
    starts = [s.start for s in next(iter(data.series.values()))]
    assert starts == sorted(set(starts))


@pytest.mark.parametrize(
    ("first_day", "days", "expected_local_days"),
    [
        (datetime(2024, 9, 1), 186, [184, 2]),  # crosses the October change (+1 h)
        (datetime(2024, 1, 1), 186, [185, 1]),  # crosses the March change (-1 h)
        (datetime(2024, 4, 1), 186, [185, 1]),  # summer time only
        (datetime(2024, 10, 1), 400, [185, 185, 30]),  # both changes
    ],
)
async def test_local_midnight_ranges_are_cut_at_local_midnights(
    client: FluviusClient,
    fake_api: FakeFluvius,
    first_day: datetime,
    days: int,
    expected_local_days: list[int],
) -> None:
    """A range of whole Brussels days across DST changes: borders stay on local midnights."""
    start = first_day.replace(tzinfo=BRUSSELS)
    end = (first_day + timedelta(days=days)).replace(tzinfo=BRUSSELS)
    fake_api.queue(*[_energy] * len(expected_local_days))
    await client.get_energy(EAN, PeriodType.READ_TIME, start, end)
    ranges = _ranges(fake_api)
    assert ranges[0][0] == start
    assert ranges[-1][1] == end
    local_days = []
    for chunk_start, chunk_end in ranges:
        assert chunk_end - chunk_start <= timedelta(days=185)
        for moment in (chunk_start, chunk_end):
            local = moment.astimezone(BRUSSELS)
            assert (local.hour, local.minute) == (0, 0)
        local_days.append(
            (chunk_end.astimezone(BRUSSELS).date() - chunk_start.astimezone(BRUSSELS).date()).days
        )
    assert local_days == expected_local_days
    for (_, a_end), (b_start, _) in pairwise(ranges):
        assert a_end == b_start


async def test_gas_day_ranges_are_cut_at_six(client: FluviusClient, fake_api: FakeFluvius) -> None:
    start = datetime(2024, 9, 1, 6, tzinfo=BRUSSELS)
    end = datetime(2025, 3, 10, 6, tzinfo=BRUSSELS)
    fake_api.queue(_energy, _energy)
    await client.get_energy(EAN, PeriodType.READ_TIME, start, end)
    for moment in (moment for chunk in _ranges(fake_api) for moment in chunk):
        assert moment.astimezone(BRUSSELS).hour == 6


async def test_iter_energy_yields_one_result_per_chunk(
    client: FluviusClient, fake_api: FakeFluvius
) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    fake_api.queue(_energy, _energy, _energy)
    sizes = [
        chunk.sample_count
        async for chunk in client.iter_energy(
            EAN, PeriodType.READ_TIME, start, start + timedelta(days=400)
        )
    ]
    assert sizes == [185, 185, 30]
    assert client.energy_chunks(start, start + timedelta(days=10)) == [
        (start, start + timedelta(days=10))
    ]


@pytest.mark.parametrize(
    ("state", "kept"), [("READ", (99.0, "READ")), ("VAL", (99.0, "VAL")), ("EST", (3.0, "READ"))]
)
async def test_later_chunk_wins_for_the_same_start_unless_less_final(
    client: FluviusClient, fake_api: FakeFluvius, state: str, kept: tuple[float, str]
) -> None:
    """Chunks never overlap, but a server may return an interval on both sides of a border: the
    later chunk's copy wins, unless it is less final (a late EST never replaces a READ)."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    border = start + timedelta(days=185)

    async def first(request: web.Request) -> web.Response:
        return energy_reply(request)

    async def second(request: web.Request) -> web.Response:
        response = energy_reply(request)
        body = json.loads(response.text or "")
        meter = body["data"]["headpoint"]["physicalMeters"][0]
        meter["dailyEnergy"].insert(
            0,
            {
                "start": _z(border - timedelta(days=1)),
                "end": _z(border),
                "measurements": [
                    {"offtake": {"total": {"value": 99.0, "unit": "kWh", "validationState": state}}}
                ],
            },
        )
        return web.json_response(body)

    fake_api.queue(first, second)
    data = await client.get_energy(EAN, PeriodType.READ_TIME, start, border + timedelta(days=2))
    [samples] = data.series.values()
    assert len(samples) == 187
    assert samples[184].start == border - timedelta(days=1)
    assert (samples[184].value, samples[184].state) == kept


@pytest.mark.parametrize(
    ("period_type", "start", "ok"),
    [
        (PeriodType.READ_TIME, datetime(2022, 6, 1, 10, tzinfo=UTC), True),
        (PeriodType.READ_TIME, datetime(2022, 6, 1, 9, 59, 59, tzinfo=UTC), False),
        (PeriodType.INSERT_TIME, datetime(2024, 12, 1, 10, tzinfo=UTC), True),
        (PeriodType.INSERT_TIME, datetime(2024, 12, 1, 9, 59, tzinfo=UTC), False),
    ],
)
async def test_how_far_back(
    client: FluviusClient,
    fake_api: FakeFluvius,
    period_type: PeriodType,
    start: datetime,
    ok: bool,
) -> None:
    """readTime: 3 years back from now (2025-06-01 10:00Z); insertTime: 6 months (A18)."""
    end = start + timedelta(days=1)
    if ok:
        await client.get_energy(EAN, period_type, start, end)
        assert len(fake_api.requests) == 1
    else:
        with pytest.raises(FluviusPeriodError, match="reach back"):
            await client.get_energy(EAN, period_type, start, end)
        assert fake_api.requests == []
        assert fake_api.token_requests == []


@pytest.mark.parametrize(
    "end",
    [NOW - timedelta(days=2), NOW - timedelta(days=1), NOW - timedelta(days=1, microseconds=-999)],
)
async def test_end_must_be_after_start(
    client: FluviusClient, fake_api: FakeFluvius, end: datetime
) -> None:
    with pytest.raises(FluviusPeriodError, match="must end after"):
        await client.get_energy(EAN, PeriodType.READ_TIME, NOW - timedelta(days=1), end)
    assert fake_api.requests == []


# --- mock mandates ------------------------------------------------------------------------


async def test_create_mock_mandate_sends_the_spec_body(
    client: FluviusClient, fake_api: FakeFluvius
) -> None:
    mandate = await client.create_mock_mandate(
        reference_number="REF-123456",
        status=MandateStatus.APPROVED,
        ean="541440000000000001",
        energy_type=EnergyType.ELECTRICITY,
        data_service_type=DataServiceType.DAILY,
        data_period_from=datetime(2024, 2, 2, tzinfo=BRUSSELS),
        data_period_to=datetime(2025, 2, 1, 23, tzinfo=UTC),
        mandate_expiration_date=datetime(2028, 2, 1, 23, tzinfo=UTC),
        renewal_status="toBeRenewed",
    )
    [request] = fake_api.requests
    assert (request.method, request.path) == ("POST", "/Mandate/mock")
    assert json.loads(request.body) == load_fixture("mock_mandate_request")
    assert list(json.loads(request.body)) == list(load_fixture("mock_mandate_request"))
    assert mandate.ean == "541440000000000001"
    assert mandate.renewal_status is RenewalStatus.TO_BE_RENEWED
    assert mandate.data_period_from == datetime(2024, 2, 1, 23, tzinfo=UTC)


@pytest.mark.parametrize(
    "reply",
    [
        Reply(201, {"data": {"mandate": {"status": "Approved", "ean": "541450210000000007"}}}),
        Reply(200, {"data": {"mandates": [{"status": "Approved", "ean": "541450210000000007"}]}}),
        Reply(204, b""),
        Reply(201, b"  "),
    ],
)
async def test_create_mock_mandate_response_shapes(
    client: FluviusClient, fake_api: FakeFluvius, reply: Reply
) -> None:
    fake_api.queue(reply)
    mandate = await client.create_mock_mandate(ean="541450210000000007")
    assert mandate.status is MandateStatus.APPROVED
    assert mandate.ean == "541450210000000007"
    body = json.loads(fake_api.requests[0].body)
    assert body == {"status": "Approved", "ean": "541450210000000007"}


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"message": "Parameter 'to' must be greater than 'from'."}, "must be greater"),
        ({"error": {"code": "BadRequest", "message": "Invalid EAN."}}, "Invalid EAN."),
        ({"error": "invalid_request", "error_description": "bad ean"}, "bad ean"),
        ({"detail": "periodType is required"}, "periodType is required"),
        (
            {
                "title": "One or more validation errors occurred.",
                "errors": {"from": ["The from field is required."], "ean": "too short"},
            },
            "validation errors occurred.: from: The from field is required.; ean: too short",
        ),
        ({"errors": {"to": ["bad"]}}, "to: bad"),
        ({"error": "invalid_ean"}, "invalid_ean"),
        ("plain text explanation", "plain text explanation"),
        (b"", "HTTP 400"),
        ({"unrelated": 1}, '{"unrelated": 1}'),
        ("x" * 1000, "x" * 299 + "…"),
    ],
)
async def test_400_carries_the_server_message(
    client: FluviusClient, fake_api: FakeFluvius, clock: FakeClock, body: Any, message: str
) -> None:
    fake_api.queue(Reply(400, body))
    with pytest.raises(FluviusRequestError) as info:
        await client.get_mandates()
    assert message in info.value.message
    assert len(info.value.message) <= 300
    assert info.value.status == 400
    assert type(info.value) is FluviusRequestError
    assert clock.sleeps == []
    assert len(fake_api.requests) == 1


@pytest.mark.parametrize("status", [302, 405, 409, 422])
async def test_other_client_errors(
    client: FluviusClient, fake_api: FakeFluvius, status: int
) -> None:
    fake_api.queue(Reply(status, {"message": "nope"}, {"Location": "https://elsewhere"}))
    with pytest.raises(FluviusRequestError) as info:
        await client.get_mandates()
    assert info.value.status == status


async def test_401_refreshes_the_token_once(client: FluviusClient, fake_api: FakeFluvius) -> None:
    await client.auth.get_token()
    fake_api.queue(Reply(401, {"statusCode": 401, "message": "Unauthorized. Token expired."}))
    assert len(await client.get_mandates()) == 1
    assert len(fake_api.token_requests) == 2
    assert [r.headers["Authorization"] for r in fake_api.requests] == [
        f"Bearer {fake_api.tokens_issued[0]}",
        f"Bearer {fake_api.tokens_issued[1]}",
    ]


async def test_401_twice_is_an_auth_error(
    client: FluviusClient, fake_api: FakeFluvius, clock: FakeClock
) -> None:
    fake_api.queue(Reply(401, {"message": "Unauthorized"}), Reply(401, {"message": "Unauthorized"}))
    with pytest.raises(FluviusAuthError) as info:
        await client.get_mandates()
    assert info.value.status == 401
    assert len(fake_api.token_requests) == 2
    assert len(fake_api.requests) == 2
    assert clock.sleeps == []


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (
            401,
            "Access denied due to missing subscription key. Make sure to include subscription "
            "key when making requests to an API.",
        ),
        (
            401,
            "Access denied due to invalid subscription key. Make sure to provide a valid key "
            "for an active subscription.",
        ),
        (403, "Access denied due to invalid subscription key."),
        (403, "Subscription-Key header is required"),
    ],
)
async def test_subscription_key_refusal(
    client: FluviusClient, fake_api: FakeFluvius, status: int, message: str
) -> None:
    fake_api.queue(Reply(status, {"statusCode": status, "message": message}))
    with pytest.raises(FluviusSubscriptionKeyError) as info:
        await client.get_mandates()
    assert isinstance(info.value, FluviusForbiddenError)
    assert info.value.status == status
    assert len(fake_api.token_requests) == 1  # no token refresh
    assert len(fake_api.requests) == 1


async def test_wrong_subscription_key_end_to_end(
    make_client: MakeClient, fake_api: FakeFluvius
) -> None:
    client = make_client(subscription_key="wrong-key-value")
    with pytest.raises(FluviusSubscriptionKeyError):
        await client.get_mandates()


@pytest.mark.parametrize(
    "message",
    [
        "No access to the requested data: check your rights and contracts.",
        "Request blocked: geoblocking (EEA and UK only).",
    ],
)
async def test_403_is_forbidden(client: FluviusClient, fake_api: FakeFluvius, message: str) -> None:
    fake_api.queue(Reply(403, {"message": message}))
    with pytest.raises(FluviusForbiddenError) as info:
        await client.get_energy(EAN, PeriodType.READ_TIME, NOW - timedelta(days=1), NOW)
    assert type(info.value) is FluviusForbiddenError
    assert message in str(info.value)
    assert info.value.status == 403


@pytest.mark.parametrize(
    ("message", "retry_after"),
    [
        ("Out of call volume quota. Quota will be replenished in 00:59:59.", 3599.0),
        ("Out of call volume quota. Quota will be replenished in 2.01:00:00.", 176400.0),
        ("Out of bandwidth quota.", None),
    ],
)
async def test_403_quota_is_a_rate_limit(
    client: FluviusClient,
    fake_api: FakeFluvius,
    clock: FakeClock,
    message: str,
    retry_after: float | None,
) -> None:
    fake_api.queue(Reply(403, {"statusCode": 403, "message": message}))
    with pytest.raises(FluviusRateLimitError) as info:
        await client.get_mandates()
    assert info.value.status == 403
    assert info.value.retry_after == retry_after
    assert clock.sleeps == []


async def test_404_is_no_mandate(client: FluviusClient, fake_api: FakeFluvius) -> None:
    fake_api.queue(Reply(404, {"message": "Geen geldige toegangen gevonden"}))
    with pytest.raises(FluviusNoMandateError) as info:
        await client.get_energy(EAN, PeriodType.READ_TIME, NOW - timedelta(days=1), NOW)
    assert info.value.ean == EAN
    assert info.value.status == 404
    assert "Geen geldige toegangen" in str(info.value)
    fake_api.queue(Reply(404))
    with pytest.raises(FluviusNoMandateError) as info:
        await client.get_mandates()
    assert info.value.ean is None


async def test_429_honours_retry_after_seconds(
    client: FluviusClient, fake_api: FakeFluvius, clock: FakeClock
) -> None:
    fake_api.queue(Reply(429, {}, {"Retry-After": "12"}), Reply(429, {}, {"Retry-After": "0"}))
    assert len(await client.get_mandates()) == 1
    assert clock.sleeps == [12.0, 0.0]
    assert len(fake_api.requests) == 3


async def test_429_honours_retry_after_http_date(
    client: FluviusClient, fake_api: FakeFluvius, clock: FakeClock
) -> None:
    fake_api.queue(
        Reply(429, {}, {"Retry-After": "Sun, 01 Jun 2025 10:01:30 GMT"}),  # now + 90 s
        Reply(429, {}, {"Retry-After": "Sun, 01 Jun 2025 09:00:00 GMT"}),  # in the past
    )
    await client.get_mandates()
    assert clock.sleeps == [90.0, 0.0]


async def test_429_retry_after_is_capped(
    client: FluviusClient, fake_api: FakeFluvius, clock: FakeClock
) -> None:
    fake_api.queue(Reply(429, {}, {"Retry-After": "86400"}))
    await client.get_mandates()
    assert clock.sleeps == [300.0]


async def test_429_without_retry_after_backs_off(
    client: FluviusClient, fake_api: FakeFluvius, clock: FakeClock
) -> None:
    fake_api.queue(Reply(429), Reply(429, {}, {"Retry-After": "soon"}))
    await client.get_mandates()
    assert clock.sleeps == [1.0, 2.0]


async def test_429_gives_up_after_the_bounded_retries(
    client: FluviusClient, fake_api: FakeFluvius, clock: FakeClock
) -> None:
    fake_api.queue(*[Reply(429, {"message": "Rate limit is exceeded."}, {"Retry-After": "5"})] * 4)
    with pytest.raises(FluviusRateLimitError) as info:
        await client.get_mandates()
    assert info.value.retry_after == 5.0
    assert info.value.status == 429
    assert "Rate limit is exceeded." in str(info.value)
    assert clock.sleeps == [5.0, 5.0, 5.0]
    assert len(fake_api.requests) == 4


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_5xx_backs_off_then_succeeds(
    client: FluviusClient, fake_api: FakeFluvius, clock: FakeClock, status: int
) -> None:
    fake_api.queue(Reply(status), Reply(status))
    assert len(await client.get_mandates()) == 1
    assert clock.sleeps == [1.0, 2.0]


async def test_5xx_gives_up(client: FluviusClient, fake_api: FakeFluvius, clock: FakeClock) -> None:
    fake_api.queue(*[Reply(503, {"message": "Service Unavailable"})] * 4)
    with pytest.raises(FluviusServerError) as info:
        await client.get_mandates()
    assert info.value.status == 503
    assert "Service Unavailable" in str(info.value)
    assert clock.sleeps == [1.0, 2.0, 4.0]


@pytest.mark.parametrize("jitter", [0.0, 0.3, 0.999999])
async def test_backoff_is_full_jitter_within_bounds(
    make_client: MakeClient, fake_api: FakeFluvius, clock: FakeClock, jitter: float
) -> None:
    client = make_client(random=lambda: jitter, max_retries=7)
    fake_api.queue(*[Reply(500)] * 8)
    with pytest.raises(FluviusServerError):
        await client.get_mandates()
    ceilings = [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert clock.sleeps == pytest.approx([c * jitter for c in ceilings])
    assert all(0.0 <= s <= c for s, c in zip(clock.sleeps, ceilings, strict=True))


async def test_retry_policy_is_configurable(
    make_client: MakeClient, fake_api: FakeFluvius, clock: FakeClock
) -> None:
    client = make_client(
        retry=RetryPolicy(max_retries=1, backoff_base=0.5, backoff_cap=1.0, retry_after_cap=3.0)
    )
    fake_api.queue(Reply(429, {}, {"Retry-After": "10"}), Reply(500))
    with pytest.raises(FluviusServerError):
        await client.get_mandates()
    assert clock.sleeps == [3.0]


async def test_retries_share_one_bound(
    client: FluviusClient, fake_api: FakeFluvius, clock: FakeClock
) -> None:
    fake_api.queue(Reply(500), Reply(429, {}, {"Retry-After": "1"}), Reply(503), Reply(429))
    with pytest.raises(FluviusRateLimitError) as info:
        await client.get_mandates()
    assert info.value.retry_after is None
    assert clock.sleeps == [1.0, 1.0, 4.0]


async def test_unreachable_api(
    make_client: MakeClient, fake_api: FakeFluvius, clock: FakeClock, unused_tcp_port: int
) -> None:
    client = make_client()
    await client.auth.get_token()
    client._endpoints = type(client.endpoints)(
        f"http://127.0.0.1:{unused_tcp_port}/v1", client.endpoints.token_url
    )
    with pytest.raises(FluviusConnectionError, match="could not be reached") as info:
        await client.get_mandates()
    assert "ClientConnectorError" in str(info.value)
    assert clock.sleeps == [1.0, 2.0, 4.0]


async def test_invalid_base_url(make_client: MakeClient, fake_api: FakeFluvius) -> None:
    client = make_client()
    await client.auth.get_token()
    client._endpoints = type(client.endpoints)("http://[::1", "x")
    with pytest.raises(FluviusConnectionError, match="not valid"):
        await client.get_mandates()


async def test_timeout_is_retried_then_a_connection_error(
    make_client: MakeClient, fake_api: FakeFluvius, clock: FakeClock
) -> None:
    client = make_client(request_timeout=0.05, max_retries=1)
    await client.auth.get_token()
    fake_api.queue(Reply(delay=1.0), Reply(delay=1.0))
    with pytest.raises(FluviusConnectionError, match="timed out"):
        await client.get_mandates()
    assert clock.sleeps == [1.0]


async def test_timeout_then_success(
    make_client: MakeClient, fake_api: FakeFluvius, clock: FakeClock
) -> None:
    client = make_client(request_timeout=0.05)
    fake_api.queue(Reply(delay=1.0))
    assert len(await client.get_mandates()) == 1


async def test_dropped_connection_is_retried(
    client: FluviusClient, fake_api: FakeFluvius, clock: FakeClock
) -> None:
    async def drop(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.close()
        return web.Response()

    fake_api.queue(drop, drop)  # aiohttp itself retries once on a reused connection
    assert len(await client.get_mandates()) == 1
    assert clock.sleeps in ([1.0], [1.0, 2.0])


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (b"<html>maintenance</html>", "$"),
        (b"", "$"),
        ([], "$"),
        ({"data": {"mandates": [{"status": None}]}}, "data.mandates[0].status"),
    ],
)
async def test_bad_2xx_bodies_are_payload_errors(
    client: FluviusClient, fake_api: FakeFluvius, body: Any, path: str
) -> None:
    fake_api.queue(Reply(200, body))
    with pytest.raises(FluviusPayloadError) as info:
        await client.get_mandates()
    assert info.value.path == path


async def test_malformed_energy_names_the_path(
    client: FluviusClient, fake_api: FakeFluvius
) -> None:
    payload = load_fixture("energy_daily_digital_electricity")
    meter = payload["data"]["headpoint"]["physicalMeters"][0]
    meter["dailyEnergy"][0]["measurements"][0]["injection"]["night"]["value"] = "3,959"
    fake_api.queue(Reply(200, payload))
    with pytest.raises(FluviusPayloadError) as info:
        await client.get_energy(EAN, PeriodType.READ_TIME, NOW - timedelta(days=1), NOW)
    assert info.value.path == (
        "data.headpoint.physicalMeters[0].dailyEnergy[0].measurements[0].injection.night.value"
    )


async def test_a_parser_bug_is_still_a_payload_error(
    client: FluviusClient, fake_api: FakeFluvius, monkeypatch: pytest.MonkeyPatch
) -> None:
    from custom_components.fluvius.api import client as client_module

    def broken(payload: object) -> Any:
        raise KeyError("oops")

    monkeypatch.setattr(client_module, "parse_mandates", broken)
    with pytest.raises(FluviusPayloadError, match="unreadable response"):
        await client.get_mandates()


async def test_debug_log_lines(
    client: FluviusClient, fake_api: FakeFluvius, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.fluvius.api")
    fake_api.queue(Reply(503))
    await client.get_energy(EAN, PeriodType.READ_TIME, NOW - timedelta(days=1), NOW)
    ours = [r for r in caplog.records if r.name.startswith("custom_components.fluvius.api")]
    assert all(r.levelno == logging.DEBUG for r in ours)
    text = "\n".join(r.getMessage() for r in ours)
    assert "GET /ext/mijnfluvius-profnetgebruiker-sbx/v1/Mandate/energy" in text
    assert "ean=5414**********1234" in text
    assert EAN not in text
    assert "periodType=readTime" in text
    assert "-> 503 in" in text
    assert "-> 200 in" in text
    assert "retry 1/3 in 1.0 s" in text
    assert "POST" in text
    assert "/oauth2/v2.0/token -> 200" in text


def test_repr_and_properties(make_client: MakeClient) -> None:
    client = make_client()
    assert "client-1111" in repr(client)
    assert client.credentials.client_id == "client-1111"
    assert client.endpoints.base_url.endswith("/v1")


async def test_from_credentials(session: Any, fake_api: FakeFluvius, clock: FakeClock) -> None:
    from .conftest import endpoints_for

    client = FluviusClient.from_credentials(
        session,
        endpoints_for(fake_api.base),  # type: ignore[attr-defined]
        (await _credentials()),
        sleep=clock.sleep,
    )
    assert len(await client.get_mandates()) == 1


async def _credentials() -> Any:
    from custom_components.fluvius.api import Credentials

    from .fake_server import CLIENT_ID, CLIENT_SECRET, SCOPE, TENANT

    return Credentials(TENANT, CLIENT_ID, CLIENT_SECRET, SCOPE, SUBSCRIPTION_KEY)
