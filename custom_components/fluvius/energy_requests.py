"""GET Energy requests of one entry: at most a few in flight, and a log of the last ones.

Fluvius limits calls per client, so every request of an entry (the backfill's prefetch and the
polls included) takes one of :data:`MAX_CONCURRENT_REQUESTS` slots. Each request's outcome is
kept (the last :data:`LOG_SIZE`) for the diagnostics.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final, Protocol

from homeassistant.util import dt as dt_util

from .api.errors import FluviusError
from .api.models import ComplexEnergyType, EnergyData, Mandate, PeriodType

COMPLEX_TYPES: Final = (ComplexEnergyType.ACTIVE, ComplexEnergyType.REACTIVE)
# At most this many GET Energy requests of one entry are in flight at once, however many meters
# it follows (the backfill's prefetch and the polls included): Fluvius limits calls per client.
MAX_CONCURRENT_REQUESTS: Final = 2
LOG_SIZE: Final = 40


class EnergyClient(Protocol):
    """What the integration needs of ``api.client.FluviusClient``."""

    async def get_energy(
        self,
        ean: str,
        period_type: PeriodType,
        start: datetime,
        end: datetime,
        *,
        granularity: Any = None,
        complex_energy_types: Any = None,
    ) -> EnergyData: ...

    async def get_mandates(self) -> Sequence[Mandate]: ...


class EnergyRequests:
    """The entry's GET Energy requests: bounded concurrency and the request log."""

    def __init__(self, client: EnergyClient) -> None:
        self.client = client
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_REQUESTS)
        self._log: deque[dict[str, Any]] = deque(maxlen=LOG_SIZE)

    async def async_get(
        self, ean: str, period_type: PeriodType, start: datetime, end: datetime, kind: str
    ) -> EnergyData:
        """One GET Energy request (active and reactive energy), logged under ``kind``."""
        try:
            async with self._slots:
                data = await self.client.get_energy(
                    ean, period_type, start, end, complex_energy_types=COMPLEX_TYPES
                )
        except FluviusError as err:
            self.log(kind, ean, start, end, type(err).__name__, None)
            raise
        count = sum(len(samples) for samples in data.series.values())
        self.log(kind, ean, start, end, "ok", count)
        return data

    def log(
        self,
        kind: str,
        ean: str | None,
        start: datetime | None,
        end: datetime | None,
        outcome: str,
        values: int | None,
    ) -> None:
        """Note one request and its outcome."""
        self._log.append(
            {
                "at": dt_util.utcnow().isoformat(),
                "kind": kind,
                "ean": ean,
                "from": start.isoformat() if start else None,
                "to": end.isoformat() if end else None,
                "outcome": outcome,
                "values": values,
            }
        )

    def entries(self) -> list[dict[str, Any]]:
        """The last requests, oldest first."""
        return list(self._log)
