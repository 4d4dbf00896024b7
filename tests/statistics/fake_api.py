"""A deterministic stand-in for the Fluvius API at the client's level (EnergyData in, no HTTP).

It has a ground truth (``truth``), insertion times (data appears 2 h after the end of its local
day, or later for days marked late), revisions that arrive at a given moment, mandates with a
data period, and fault knobs (errors raised on the next requests). Everything the coordinator
sees goes through ``get_energy`` / ``get_mandates`` with the client's signatures.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
import zlib

from homeassistant.util import dt as dt_util

from custom_components.fluvius.api.errors import FluviusError, FluviusNoMandateError
from custom_components.fluvius.api.models import (
    DataServiceType,
    Direction,
    EnergyData,
    EnergyType,
    HeadpointType,
    Mandate,
    MandateStatus,
    PeriodType,
    PhysicalMeter,
    Register,
    Resolution,
    Sample,
    SeriesKey,
    SubHeadpoint,
    SubHeadpointType,
    Unit,
)
from custom_components.fluvius.const import TIMEZONE
from custom_components.fluvius.statistics import is_day_tariff

QH = timedelta(minutes=15)
HOUR = timedelta(hours=1)
GCF = 11.25  # kWh per m3


def local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=TIMEZONE).astimezone(UTC)


def _noise(ean: str, channel: str, ts: int) -> float:
    """A deterministic value in [0, 1)."""
    h = zlib.crc32(f"{ean}/{channel}".encode()) & 0xFFFF
    x = (ts // 900 * 2654435761 + h * 40503 + 12345) & 0xFFFFFFFF
    x ^= x >> 13
    x = (x * 1274126177) & 0xFFFFFFFF
    return (x % 10007) / 10007


@dataclass
class FakeMeter:
    """One mock EAN and what it measures."""

    ean: str
    energy: str  # "E" or "G"
    amr: bool
    directions: tuple[str, ...]  # offtake / injection on the main EAN
    quarter_hour: bool  # access VH_kwartier_uur (else VH_dag)
    subs: tuple[tuple[str, str], ...] = ()  # (sub EAN, direction production|auxiliary)
    data_period_from: datetime | None = None
    data_period_to: datetime | None = None
    expiry: datetime | None = None


def mock_meter(ean: str, **kwargs: Any) -> FakeMeter:
    """Decode a sandbox mock EAN (fluvius-api.md §10.2)."""
    amr = ean[4] == "5"
    energy = "G" if ean[5] == "1" else "E"
    direction = ean[6]
    directions = {"0": ("offtake",), "1": ("offtake", "injection"), "2": ("injection",)}[direction]
    quarter_hour = ean[7] == "1"
    subs: tuple[tuple[str, str], ...] = ()
    if ean[8] == "1":
        subs = ((ean[:12] + "8" + ean[13:], "production"), (ean[:12] + "9" + ean[13:], "auxiliary"))
    elif ean[8] == "2":
        subs = ((ean[:12] + "7" + ean[13:], "offtake"),)
    return FakeMeter(ean, energy, amr, directions, quarter_hour, subs, **kwargs)


@dataclass
class FakeFluvius:
    """The fake API: meters, clock (Home Assistant's, so the freezer drives it), knobs."""

    meters: dict[str, FakeMeter] = field(default_factory=dict)
    late_days: dict[date, timedelta] = field(default_factory=dict)  # extra insertion delay
    missing: set[tuple[str, datetime]] = field(default_factory=set)  # (ean, qh start): never
    revisions: dict[tuple[str, str, datetime], list[tuple[datetime, float]]] = field(
        default_factory=dict
    )
    nval_from: datetime | None = None  # values measured after this are EST/NVAL
    fail_next: list[FluviusError] = field(default_factory=list)
    requests: list[tuple[str, str, datetime, datetime]] = field(default_factory=list)
    no_mandate: set[str] = field(default_factory=set)

    def add(self, meter: FakeMeter) -> FakeMeter:
        self.meters[meter.ean] = meter
        return meter

    # --- the model -----------------------------------------------------------------------

    def base_value(self, ean: str, channel: str, start: datetime) -> float:
        ts = int(start.timestamp())
        local = start.astimezone(TIMEZONE)
        n = _noise(ean, channel, ts)
        if channel in ("injection", "production"):
            if not 8 <= local.hour < 18:
                return 0.0
            return round(0.9 * n, 3)
        if channel in ("inductive", "capacitive"):
            return round(0.3 * n, 3)
        if channel == "gas":
            return round((0.4 if local.month in (11, 12, 1, 2, 3) else 0.1) * n + 0.01, 3)
        return round(0.05 + 0.6 * n, 3)

    def insert_time(self, start: datetime) -> datetime:
        day = start.astimezone(TIMEZONE).date()
        return (
            local_midnight(day + timedelta(days=1))
            + HOUR * 2
            + self.late_days.get(day, timedelta(0))
        )

    def value_at(self, ean: str, channel: str, start: datetime, now: datetime) -> float | None:
        """The value Fluvius knows at ``now`` (None: not inserted yet)."""
        if (ean, start) in self.missing or self.insert_time(start) > now:
            return None
        value = self.base_value(ean, channel, start)
        for at, revised in self.revisions.get((ean, channel, start), []):
            if at <= now:
                value = revised
        return value

    def revise(self, ean: str, channel: str, start: datetime, value: float, at: datetime) -> None:
        self.revisions.setdefault((ean, channel, start), []).append((at, value))

    def _state(self, meter: FakeMeter, start: datetime) -> str:
        late = self.nval_from is not None and start >= self.nval_from
        if meter.amr:
            return "NVAL" if late else "VAL"
        return "EST" if late else "READ"

    # --- ground truth --------------------------------------------------------------------

    def _steps(self, meter: FakeMeter) -> timedelta:
        return QH if meter.energy == "E" else HOUR

    def _span(self, meter: FakeMeter, start: datetime, end: datetime) -> Iterator[datetime]:
        step = self._steps(meter)
        t = start
        while t < end:
            if meter.data_period_from is not None and t < meter.data_period_from:
                t += step
                continue
            if meter.data_period_to is not None and t >= meter.data_period_to:
                return
            yield t
            t += step

    def truth(self, ean: str, channel: str, start: datetime, end: datetime) -> float:
        """Sum of every value (quarter-hours, gas hours) known now in [start, end)."""
        meter = self.meters.get(ean) or self._main_of(ean)
        now = dt_util.utcnow()
        total = 0.0
        for t in self._span(meter, start, end):
            value = self.value_at(ean, channel, t, now)
            if value is not None:
                total += value
        return round(total, 6)

    def _main_of(self, sub_ean: str) -> FakeMeter:
        for meter in self.meters.values():
            if any(sub == sub_ean for sub, _ in meter.subs):
                return meter
        raise KeyError(sub_ean)

    # --- the API -------------------------------------------------------------------------

    async def get_mandates(self) -> Sequence[Mandate]:
        return [
            Mandate(
                status=MandateStatus.APPROVED,
                ean=meter.ean,
                energy_type=meter.energy,
                data_period_from=meter.data_period_from,
                data_period_to=meter.data_period_to,
                data_service_type=(
                    DataServiceType.QUARTER_HOURLY if meter.quarter_hour else DataServiceType.DAILY
                ),
                mandate_expiration_date=meter.expiry,
            )
            for meter in self.meters.values()
            if meter.ean not in self.no_mandate
        ]

    async def get_energy(
        self,
        ean: str,
        period_type: PeriodType,
        start: datetime,
        end: datetime,
        *,
        granularity: Any = None,
        complex_energy_types: Any = None,
    ) -> EnergyData:
        self.requests.append((str(period_type), ean, start, end))
        assert start < end, (start, end)
        assert end - start <= timedelta(days=185), (start, end)
        if self.fail_next:
            raise self.fail_next.pop(0)
        if ean in self.no_mandate or ean not in self.meters:
            raise FluviusNoMandateError("no mandate", ean=ean)
        meter = self.meters[ean]
        now = dt_util.utcnow()
        if period_type == PeriodType.READ_TIME:

            def wanted(t: datetime, channel_ean: str, channel: str) -> float | None:
                if not start <= t < end:
                    return None
                return self.value_at(channel_ean, channel, t, now)

        else:

            def wanted(t: datetime, channel_ean: str, channel: str) -> float | None:
                # Values whose (first or revised) insertion falls in [start, end).
                base_in = start <= self.insert_time(t) < end
                revs = [
                    (at, v)
                    for at, v in self.revisions.get((channel_ean, channel, t), [])
                    if start <= at < end
                ]
                if (channel_ean, t) in self.missing:
                    return None
                if revs:
                    return revs[-1][1]
                if base_in:
                    return self.value_at(channel_ean, channel, t, now)
                return None

        # Which measurement times could qualify: for insertTime, anything measured up to 185
        # days before the window (late data and revisions).
        if period_type == PeriodType.READ_TIME:
            span_start = start
        else:
            late = max(self.late_days.values(), default=timedelta(0))
            candidates = [start - timedelta(days=3) - late]
            candidates += [
                t
                for (channel_ean, _, t), revs in self.revisions.items()
                if channel_ean in (ean, *(sub for sub, _ in meter.subs))
                and any(start <= at < end for at, _ in revs)
            ]
            span_start = min(candidates)
            if meter.energy == "G" or not meter.quarter_hour:
                # Whole (gas) days, so daily values are complete.
                span_start = local_midnight(
                    (span_start.astimezone(TIMEZONE) - timedelta(days=1)).date()
                )
            else:
                span_start = span_start.replace(minute=0, second=0)
        span_end = end if period_type == PeriodType.READ_TIME else min(end, now)
        series: dict[SeriesKey, list[Sample]] = {}
        meter_id = (
            None if meter.amr else ("1SAG31050" if meter.energy == "E" else "7FLO21200") + ean[-5:]
        )

        def put(key: SeriesKey, sample: Sample) -> None:
            series.setdefault(key, []).append(sample)

        day_totals: dict[tuple[str, date], dict[str, float]] = {}
        day_state: dict[tuple[str, date], str] = {}
        for t in self._span(meter, span_start, span_end):
            state = self._state(meter, t)
            step = self._steps(meter)
            if meter.energy == "G":
                v = wanted(t, ean, "gas")
                if v is None:
                    continue
                if meter.quarter_hour:
                    if not meter.amr:
                        put(
                            SeriesKey(
                                ean,
                                Resolution.HOURLY,
                                Direction.OFFTAKE,
                                Register.TOTAL,
                                Unit.M3,
                                meter_id,
                            ),
                            Sample(t, t + step, v, state),
                        )
                    put(
                        SeriesKey(
                            ean,
                            Resolution.HOURLY,
                            Direction.OFFTAKE,
                            Register.TOTAL,
                            Unit.KWH,
                            meter_id,
                        ),
                        Sample(t, t + step, round(v * GCF, 3), state, "D"),
                    )
                else:
                    gas_day = (t.astimezone(TIMEZONE) - timedelta(hours=6)).date()
                    totals = day_totals.setdefault(("gas", gas_day), {})
                    totals["m3"] = totals.get("m3", 0.0) + v
                    totals["kwh"] = totals.get("kwh", 0.0) + round(v * GCF, 3)
                    day_state[("gas", gas_day)] = state
                continue
            channels: list[tuple[str, str, str]] = [(ean, d, d) for d in meter.directions]
            channels += [(sub, d, d) for sub, d in meter.subs]
            for channel_ean, direction, channel in channels:
                v = wanted(t, channel_ean, channel)
                if v is None:
                    continue
                if meter.quarter_hour:
                    put(
                        SeriesKey(
                            channel_ean,
                            Resolution.QUARTER_HOURLY,
                            direction,
                            Register.TOTAL,
                            Unit.KWH,
                            meter_id,
                        ),
                        Sample(t, t + step, v, state),
                    )
                    if meter.amr:
                        for register in ("inductive", "capacitive"):
                            rv = wanted(t, channel_ean, register + direction)
                            if rv is not None:
                                put(
                                    SeriesKey(
                                        channel_ean,
                                        Resolution.QUARTER_HOURLY,
                                        direction,
                                        register,
                                        Unit.KVARH,
                                        None,
                                    ),
                                    Sample(t, t + step, rv, state),
                                )
                if meter.amr or channel_ean != ean:
                    continue
                # Digital electricity: daily day/night registers.
                day = t.astimezone(TIMEZONE).date()
                register = "day" if is_day_tariff(t.replace(minute=0)) else "night"
                totals = day_totals.setdefault((direction, day), {})
                totals[register] = totals.get(register, 0.0) + v
                day_state[(direction, day)] = state
        for (direction, day), totals in day_totals.items():
            if direction == "gas":
                begin = datetime(day.year, day.month, day.day, 6, tzinfo=TIMEZONE).astimezone(UTC)
                stop = (
                    datetime(day.year, day.month, day.day, 6, tzinfo=TIMEZONE) + timedelta(days=1)
                ).astimezone(UTC)
                for unit, name in ((Unit.M3, "m3"), (Unit.KWH, "kwh")):
                    if meter.amr and unit == Unit.M3:
                        continue
                    put(
                        SeriesKey(
                            ean, Resolution.DAILY, Direction.OFFTAKE, Register.TOTAL, unit, meter_id
                        ),
                        Sample(begin, stop, round(totals[name], 3), day_state[(direction, day)]),
                    )
                continue
            begin, stop = local_midnight(day), local_midnight(day + timedelta(days=1))
            for register in ("day", "night"):
                put(
                    SeriesKey(ean, Resolution.DAILY, direction, register, Unit.KWH, meter_id),
                    Sample(
                        begin,
                        stop,
                        round(totals.get(register, 0.0), 3),
                        day_state[(direction, day)],
                    ),
                )
        for samples in series.values():
            samples.sort(key=lambda s: s.start)
        return EnergyData(
            ean=ean,
            energy_type=EnergyType(meter.energy),
            headpoint_type=(
                HeadpointType.METERING_ON_HEADPOINT
                if meter.amr
                else HeadpointType.METERING_ON_METER
            ),
            physical_meters=() if meter.amr else (PhysicalMeter("1", meter_id),),
            sub_headpoints=tuple(
                SubHeadpoint(
                    sub,
                    SubHeadpointType.PRODUCTION
                    if d == "production"
                    else SubHeadpointType.AUXILIARY,
                    "1",
                    "PV",
                )
                for sub, d in meter.subs
            ),
            series=series,
        )


def series_channel(series: str) -> tuple[str, float | None]:
    """The fake's channel of a statistic series, and the m3 -> kWh factor for gas kWh."""
    if series == "gas_m3":
        return "gas", None
    if series == "gas_kwh":
        return "gas", GCF
    if series.endswith(("_inductive", "_capacitive")):
        direction, register = series.rsplit("_", 1)
        return register + direction, None
    return series, None


def expected_rows(
    fake: FakeFluvius, ean: str, series: str, start: datetime, end: datetime
) -> dict[datetime, float]:
    """What the statistic rows' states must be: the truth per UTC hour (daily-only: per day,
    at the local day start; gas: at the gas-day start)."""
    meter = fake.meters.get(ean) or fake._main_of(ean)
    channel, factor = series_channel(series)
    now = dt_util.utcnow()
    rows: dict[datetime, float] = {}
    for t in fake._span(meter, start, end):
        value = fake.value_at(ean, channel, t, now)
        if value is None:
            continue
        if factor is not None:
            value = round(value * factor, 3)
        if meter.quarter_hour:
            bucket = t.replace(minute=0)
        elif meter.energy == "G":
            local = t.astimezone(TIMEZONE) - timedelta(hours=6)
            bucket = datetime(local.year, local.month, local.day, 6, tzinfo=TIMEZONE).astimezone(
                UTC
            )
        else:
            bucket = local_midnight(t.astimezone(TIMEZONE).date())
        rows[bucket] = rows.get(bucket, 0.0) + value
    return {k: round(v, 6) for k, v in sorted(rows.items())}
