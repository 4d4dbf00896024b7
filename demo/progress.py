"""Where the demo's history import stands, seen from outside as a user would see it.

* Yesterday: per meter, the recorder (websocket ``recorder/statistics_during_period``) has a row
  for every hour of yesterday that Fluvius (the stand-in, its ``truth`` view as of its clock) has
  delivered, in every series the Energy dashboard shows. Fluvius delivers a day 1 to 72 hours
  after it ends: a meter whose yesterday is not delivered yet does not hold anything up.
* The history: per meter, the oldest day its main series has in the recorder, and whether the
  import is complete: it reaches back to where the meter's history starts (the ``history_start``
  the integration shows on the meter's "last data" sensor) and forward to yesterday.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
import time
from typing import Any, Final
import urllib.parse

from demo.provision import (
    BRUSSELS,
    DOMAIN,
    STATISTIC_RE,
    HomeAssistantClient,
    ProvisionError,
    as_datetime,
    yesterday_bounds,
)

MAIN_SERIES: Final = ("offtake", "injection", "gas_m3", "gas_kwh")  # the first a meter has
HISTORY_DEPTH: Final = timedelta(days=3 * 366 + 31)  # more than the API's reach


@dataclass(frozen=True, slots=True)
class MeterProgress:
    """One meter's import as the recorder shows it."""

    ean: str
    # True: every delivered hour of yesterday is in; False: some are missing; None: Fluvius has
    # delivered nothing of yesterday yet.
    yesterday: bool | None
    oldest_day: date | None = None
    complete: bool = False


@dataclass(frozen=True, slots=True)
class ImportStatus:
    """Every meter's progress."""

    meters: tuple[MeterProgress, ...]

    @property
    def yesterday_visible(self) -> bool:
        """Every meter's delivered part of yesterday is in, and there is some."""
        return visible_everywhere({m.ean: m.yesterday for m in self.meters})

    @property
    def missing_yesterday(self) -> list[str]:
        return [m.ean for m in self.meters if m.yesterday is False]

    @property
    def not_delivered(self) -> list[str]:
        return [m.ean for m in self.meters if m.yesterday is None]

    @property
    def complete(self) -> bool:
        return all(m.complete for m in self.meters)

    def not_ready(self) -> str:
        """Why yesterday is not on the dashboard (for a person)."""
        if self.missing_yesterday:
            return f"yesterday is still missing for {', '.join(self.missing_yesterday)}"
        return "Fluvius has not delivered yesterday for any meter yet"

    def describe(self) -> str:
        """E.g. ``history: 4 of 5 meters complete, oldest day imported 2024-03-02``."""
        done = sum(1 for m in self.meters if m.complete)
        days = [m.oldest_day for m in self.meters if m.oldest_day is not None]
        oldest = f"oldest day imported {min(days).isoformat()}" if days else "no day imported yet"
        return f"history: {done} of {len(self.meters)} meters complete, {oldest}"


def _starts(values: Iterable[Any]) -> set[datetime]:
    return {as_datetime(value) for value in values}


class ImportProgress:
    """Reads the import's progress from Home Assistant and the stand-in's delivered days."""

    def __init__(
        self,
        client: HomeAssistantClient,
        sandbox_url: str,
        meters: Iterable[str],
    ) -> None:
        self._client = client
        self._session = client.session
        self._sandbox_url = sandbox_url.rstrip("/")
        self.meters = sorted(meters)

    # --- the stand-in: what Fluvius has delivered ----------------------------------------------

    async def _get(self, path: str, **query: str) -> Any:
        url = f"{self._sandbox_url}{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        async with self._session.get(url) as response:
            if response.status >= 400:
                raise ProvisionError(f"stand-in {path}: HTTP {response.status}")
            return await response.json(content_type=None)

    async def delivered(
        self, start: datetime, end: datetime
    ) -> dict[str, dict[str, set[datetime]]]:
        """Per meter, per statistic id (submeters' included): the row starts Fluvius has
        delivered for ``[start, end)`` by now (hours, or a day-level mandate's one block)."""
        clock = await self._get("/_sandbox/clock")
        window = {"start": _api_time(start), "end": _api_time(end), "as_of": str(clock["now"])}
        found: dict[str, dict[str, set[datetime]]] = {}
        for ean in self.meters:
            truth = await self._get("/_sandbox/truth", ean=ean, **window)
            found[ean] = {
                f"{DOMAIN}:{series['ean']}_{series['name']}".lower(): _starts(
                    series["hourly"] or series["daily"]
                )
                for series in truth["series"]
            }
        return found

    # --- Home Assistant: what is imported ------------------------------------------------------

    async def history_starts(self) -> dict[str, datetime]:
        """Per meter, where its history starts, as the integration shows it (the
        ``history_start`` attribute of the meter's "last data" sensor); plus the hours the API
        no longer reached, which the import cannot fill."""
        entities = await self._client.ws("config/entity_registry/list")
        starts: dict[str, datetime] = {}
        for entity in entities:
            unique_id = str(entity.get("unique_id", ""))
            ean, _, key = unique_id.partition("_")
            if entity.get("platform") != DOMAIN or key != "last_data" or ean not in self.meters:
                continue
            state = await self._client.state(entity["entity_id"])
            attributes = (state or {}).get("attributes", {})
            if start := attributes.get("history_start"):
                lost = float(attributes.get("hours_not_fetched") or 0)
                starts[ean] = datetime.fromisoformat(start) + timedelta(hours=lost)
        return starts

    async def oldest_days(self, ids: Mapping[str, str]) -> dict[str, date]:
        """Per meter (``ids``: meter -> its main statistic id), the oldest local day in the
        recorder."""
        now = datetime.now(UTC)
        months = await self._client.statistics_during_period(
            sorted(ids.values()), now - HISTORY_DEPTH, now, "month"
        )
        oldest: dict[str, date] = {}
        for ean, statistic_id in ids.items():
            rows = months.get(statistic_id)
            if not rows:
                continue
            first = as_datetime(rows[0]["start"])
            days = await self._client.statistics_during_period(
                [statistic_id], first, first + timedelta(days=32), "day"
            )
            day_rows = days.get(statistic_id) or rows
            oldest[ean] = as_datetime(day_rows[0]["start"]).astimezone(BRUSSELS).date()
        return oldest

    async def yesterday(self) -> dict[str, bool | None]:
        """Per meter: every hour of yesterday Fluvius has delivered is in the recorder, in every
        series the Energy dashboard shows (True), some are missing (False), or Fluvius has
        delivered nothing of yesterday yet (None)."""
        start, end = yesterday_bounds()
        delivered = await self.delivered(start, end)
        listed = {row["statistic_id"] for row in await self._client.fluvius_statistic_ids()}
        wanted = {
            ean: {i: hours for i, hours in series.items() if hours and i in listed}
            for ean, series in delivered.items()
        }
        ids = sorted({i for series in wanted.values() for i in series})
        rows = await self._client.statistics_during_period(ids, start, end) if ids else {}
        have = {i: _starts(row["start"] for row in rows.get(i, [])) for i in ids}
        found: dict[str, bool | None] = {}
        for ean in self.meters:
            if not any(delivered.get(ean, {}).values()):
                found[ean] = None
                continue
            series = wanted.get(ean, {})
            found[ean] = bool(series) and all(hours <= have[i] for i, hours in series.items())
        return found

    async def status(self, yesterday: Mapping[str, bool | None] | None = None) -> ImportStatus:
        """Every meter's progress (``yesterday``: as :meth:`yesterday` just found it)."""
        if yesterday is None:
            yesterday = await self.yesterday()
        listed = [row["statistic_id"] for row in await self._client.fluvius_statistic_ids()]
        oldest = await self.oldest_days(_main_ids(self.meters, listed))
        history = await self.history_starts()
        meters = []
        for ean in self.meters:
            begins = history.get(ean)
            reached = (
                begins is not None
                and ean in oldest
                and oldest[ean] <= (begins.astimezone(BRUSSELS) + timedelta(days=1)).date()
            )
            meters.append(
                MeterProgress(
                    ean=ean,
                    yesterday=yesterday.get(ean),
                    oldest_day=oldest.get(ean),
                    complete=reached and yesterday.get(ean) is not False,
                )
            )
        return ImportStatus(tuple(meters))

    async def wait_yesterday(self, within: float, interval: float = 1.0) -> ImportStatus:
        """Wait until every meter's delivered part of yesterday is in (only that is read while
        waiting, so as not to slow the import down); then, or on time-out, the whole status
        (``yesterday_visible`` tells which)."""
        deadline = time.monotonic() + within
        found = await self.yesterday()
        while not visible_everywhere(found) and time.monotonic() < deadline:
            await asyncio.sleep(interval)
            found = await self.yesterday()
        return await self.status(found)


def visible_everywhere(yesterday: Mapping[str, bool | None]) -> bool:
    """Every meter's delivered part of yesterday is in, and something of it is delivered."""
    values = list(yesterday.values())
    return all(v is not False for v in values) and any(values)


def _main_ids(meters: Iterable[str], listed: Iterable[str]) -> dict[str, str]:
    """Per meter, the statistic id of its main series (offtake, else injection, else gas)."""
    by_meter: dict[str, dict[str, str]] = {}
    for statistic_id in listed:
        if match := STATISTIC_RE.match(statistic_id):
            by_meter.setdefault(match["ean"], {})[match["series"]] = statistic_id
    main: dict[str, str] = {}
    for ean in meters:
        series = by_meter.get(ean, {})
        for name in MAIN_SERIES:
            if name in series:
                main[ean] = series[name]
                break
    return main


def _api_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
