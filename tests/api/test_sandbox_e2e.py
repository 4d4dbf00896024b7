"""End to end: the real client against the local stand-in of the API (``fluvius_sandbox``).

Skipped until the stand-in is in the checkout. Mandates are created the spec's way, with POST
Create Mock Mandate; the data is the stand-in's synthetic but deterministic data, so the checks
are about shape and consistency, not exact values.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
import math
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp.test_utils import TestServer
import pytest

from custom_components.fluvius.api import (
    Credentials,
    DataServiceType,
    Direction,
    Endpoints,
    EnergyData,
    EnergyType,
    FluviusClient,
    FluviusError,
    FluviusNoMandateError,
    FluviusSubscriptionKeyError,
    MandateStatus,
    PeriodType,
    Register,
    Resolution,
    Unit,
)
import fluvius_sandbox

API_PATH = "/ext/mijnfluvius-profnetgebruiker-sbx/v1"
CREDENTIALS = Credentials(
    tenant_id="sandbox-tenant",
    client_id="sandbox-client",
    client_secret="sandbox-secret",
    scope="api://fluvius-sandbox/.default",
    subscription_key="sandbox-subscription-key",
)
BRUSSELS = ZoneInfo("Europe/Brussels")
# The stand-in's clock stands still here, and no day arrives late: results never depend on today.
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
EAN_DIGITAL_QH = "541440110000000001"  # digital, electricity, offtake + injection, quarter-hour
EAN_GAS_HOUR = "541441010000000002"  # digital, gas, offtake, hour
EAN_AMR_PV = "541450211000000003"  # AMR, electricity injection, PV production + auxiliary


def _endpoints(base: str) -> Endpoints:
    return Endpoints.for_environment(
        "custom", base_url=base + API_PATH, token_url=base + "/{tenant_id}/oauth2/v2.0/token"
    )


@pytest.fixture
async def sandbox() -> AsyncIterator[str]:
    app = fluvius_sandbox.create_app(fluvius_sandbox.SandboxConfig(now=NOW, late_share=0))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield f"http://127.0.0.1:{server.port}"
    await server.close()


@pytest.fixture
async def sandbox_client(sandbox: str) -> AsyncIterator[FluviusClient]:
    async with aiohttp.ClientSession() as session:
        yield FluviusClient.from_credentials(session, _endpoints(sandbox), CREDENTIALS)


def _last_local_days(days: int) -> tuple[datetime, datetime]:
    """Whole Brussels days ending at the start of the day before yesterday (data is there)."""
    today = NOW.astimezone(BRUSSELS).date()
    end = datetime.combine(today - timedelta(days=2), datetime.min.time(), BRUSSELS)
    start = datetime.combine(end.date() - timedelta(days=days), datetime.min.time(), BRUSSELS)
    return start.astimezone(UTC), end.astimezone(UTC)


async def _mandate(client: FluviusClient, ean: str, **extra: Any) -> None:
    mandate = await client.create_mock_mandate(ean=ean, status=MandateStatus.APPROVED, **extra)
    assert mandate.ean == ean
    assert mandate.status == MandateStatus.APPROVED


def _check_series(data: EnergyData, start: datetime, end: datetime) -> None:
    for key, samples in data.series.items():
        assert samples, key
        starts = [s.start for s in samples]
        assert starts == sorted(set(starts)), key
        for sample in samples:
            assert sample.start.tzinfo is UTC
            assert sample.end > sample.start
            assert math.isfinite(sample.value)
            # readTime selects by measurement time; daily gas days may overhang the window
            assert sample.end > start - timedelta(days=1)
            assert sample.start < end + timedelta(days=1)


async def test_mandates_round_trip(sandbox_client: FluviusClient) -> None:
    await _mandate(
        sandbox_client,
        EAN_DIGITAL_QH,
        energy_type=EnergyType.ELECTRICITY,
        data_service_type=DataServiceType.QUARTER_HOURLY,
    )
    mandates = await sandbox_client.get_mandates()
    mine = [m for m in mandates if m.ean == EAN_DIGITAL_QH]
    assert mine
    assert all(m.usable for m in mine)
    filtered = await sandbox_client.get_mandates(ean=EAN_DIGITAL_QH, status=MandateStatus.APPROVED)
    assert {m.ean for m in filtered} == {EAN_DIGITAL_QH}


async def test_digital_quarter_hours(sandbox_client: FluviusClient) -> None:
    await _mandate(
        sandbox_client, EAN_DIGITAL_QH, energy_type="E", data_service_type="VH_kwartier_uur"
    )
    start, end = _last_local_days(3)
    data = await sandbox_client.get_energy(EAN_DIGITAL_QH, PeriodType.READ_TIME, start, end)
    assert data.ean == EAN_DIGITAL_QH
    assert data.physical_meters
    _check_series(data, start, end)
    expected = int((end - start) / timedelta(minutes=15))
    # The stand-in's default layout of digital quarter-hours: day and night registers (A13).
    for direction in (Direction.OFFTAKE, Direction.INJECTION):
        for register in (Register.DAY, Register.NIGHT):
            samples = data.samples(
                EAN_DIGITAL_QH, Resolution.QUARTER_HOURLY, direction, register, Unit.KWH
            )
            assert len(samples) == expected
            assert samples[0].start == start
            assert samples[-1].end == end


async def test_gas_hours_in_two_units(sandbox_client: FluviusClient) -> None:
    await _mandate(
        sandbox_client, EAN_GAS_HOUR, energy_type="G", data_service_type="VH_kwartier_uur"
    )
    start, end = _last_local_days(2)
    data = await sandbox_client.get_energy(EAN_GAS_HOUR, PeriodType.READ_TIME, start, end)
    assert data.energy_type == EnergyType.GAS
    _check_series(data, start, end)
    m3 = data.samples(EAN_GAS_HOUR, Resolution.HOURLY, Direction.OFFTAKE, Register.TOTAL, Unit.M3)
    kwh = data.samples(EAN_GAS_HOUR, Resolution.HOURLY, Direction.OFFTAKE, Register.TOTAL, Unit.KWH)
    assert len(m3) == len(kwh) == int((end - start) / timedelta(hours=1))
    assert all(s.gas_conversion_factor is not None for s in kwh)


async def test_amr_with_production_submeter(sandbox_client: FluviusClient) -> None:
    await _mandate(sandbox_client, EAN_AMR_PV, energy_type="E", data_service_type="VH_kwartier_uur")
    start, end = _last_local_days(1)
    data = await sandbox_client.get_energy(EAN_AMR_PV, PeriodType.READ_TIME, start, end)
    assert data.physical_meters == ()
    assert data.sub_headpoints
    _check_series(data, start, end)
    directions = {key.direction for key in data.series if key.ean != EAN_AMR_PV}
    assert Direction.PRODUCTION in directions
    assert {key.direction for key in data.series if key.ean == EAN_AMR_PV} == {Direction.INJECTION}


async def test_more_than_185_days_in_chunks(sandbox_client: FluviusClient) -> None:
    await _mandate(
        sandbox_client,
        EAN_DIGITAL_QH,
        energy_type="E",
        data_service_type="VH_kwartier_uur",
        data_period_from=NOW - timedelta(days=800),
    )
    start, end = _last_local_days(200)
    chunks = [
        chunk
        async for chunk in sandbox_client.iter_energy(
            EAN_DIGITAL_QH, PeriodType.READ_TIME, start, end
        )
    ]
    assert len(chunks) == 2
    merged = chunks[0].merge(chunks[1])
    offtake = merged.samples(  # every quarter-hour carries day and night (the default, A13)
        EAN_DIGITAL_QH, Resolution.QUARTER_HOURLY, Direction.OFFTAKE, Register.DAY, Unit.KWH
    )
    assert offtake[0].start == start
    assert offtake[-1].end == end
    assert all(a.end == b.start for a, b in pairwise(offtake))


async def test_no_mandate(sandbox_client: FluviusClient) -> None:
    start, end = _last_local_days(1)
    with pytest.raises(FluviusNoMandateError) as info:
        await sandbox_client.get_energy("541440000000000999", PeriodType.READ_TIME, start, end)
    assert info.value.ean == "541440000000000999"


async def test_wrong_subscription_key(sandbox: str) -> None:
    async with aiohttp.ClientSession() as session:
        wrong = replace(CREDENTIALS, subscription_key="not-the-key")
        client = FluviusClient.from_credentials(session, _endpoints(sandbox), wrong)
        with pytest.raises(FluviusError) as info:
            await client.get_mandates()
    assert isinstance(info.value, FluviusSubscriptionKeyError) or info.value.status in (401, 403)
