"""Per-EAN progress kept across restarts (a Home Assistant Store, one per config entry).

The backfill imports newest first: a meter's pending history is a list of spans, and each chunk
is taken from the end of the newest one. A chunk leaves the pending spans only after its rows
are committed to the recorder, so a restart resumes exactly where the last committed chunk
ended, in the same order: nothing is skipped, and re-importing a chunk that was written but
whose cursor was not saved changes nothing (imports are idempotent).
The Store also keeps the compact per-day offtake maxima the monthly peak is recomputed from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .capacity import DayPeak
from .const import DOMAIN
from .data_quality import DayCounts

STORAGE_VERSION: Final = 1


def storage_key(entry_id: str) -> str:
    return f"{DOMAIN}.{entry_id}.cursors"


def _dt(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value)).astimezone(UTC)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def _spans(raw: Any) -> list[tuple[datetime, datetime]]:
    spans: list[tuple[datetime, datetime]] = []
    for start, end in raw or []:
        first, last = _dt(start), _dt(end)
        if first is not None and last is not None:
            spans.append((first, last))
    return spans


def _remove_span(
    spans: list[tuple[datetime, datetime]], start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """``spans`` without ``[start, end)``."""
    kept: list[tuple[datetime, datetime]] = []
    for first, last in spans:
        if first < start:
            kept.append((first, min(last, start)))
        if last > end:
            kept.append((max(first, end), last))
    return [(first, last) for first, last in kept if first < last]


def _add_span(
    spans: list[tuple[datetime, datetime]], start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """``spans`` with ``[start, end)`` added, sorted, touching spans merged."""
    merged: list[tuple[datetime, datetime]] = []
    for first, last in sorted([*spans, (start, end)]):
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _pending(raw: dict[str, Any]) -> list[tuple[datetime, datetime]]:
    """The pending spans, also from a Store written when the backfill ran oldest first (it
    kept how far it had come, and the later history already imported before a deepening)."""
    if "pending" in raw:
        return _spans(raw["pending"])
    until, end = _dt(raw.get("backfilled_until")), _dt(raw.get("backfill_to"))
    if until is None or end is None:
        return []
    skip_from, skip_to = _dt(raw.get("skip_from")), _dt(raw.get("skip_to"))
    spans = [(until, skip_from), (skip_to, end)] if skip_from and skip_to else [(until, end)]
    return [(first, last) for first, last in spans if first < last]


@dataclass(slots=True)
class SubMeter:
    """A submeter EAN seen in a main EAN's data."""

    type: str | None = None  # submetering-production, submetering-auxiliary, ...
    installation_type: str | None = None  # PV, WND, WTR, WKK(A), ...
    seq_number: str | None = None


@dataclass(slots=True)
class EanCursor:
    """Progress and what we learnt of one main EAN."""

    backfill_from: datetime | None = None  # start of the backfill window
    backfill_to: datetime | None = None  # end of the backfill window, fixed when it started
    # What the backfill has still to import, [start, end) each, sorted; taken newest first.
    # A deeper history asked for later (options) adds a span before ``backfill_from``.
    pending: list[tuple[datetime, datetime]] = field(default_factory=list)
    last_insert_poll: datetime | None = None  # `to` of the last successful insertTime poll
    last_data: datetime | None = None  # end of the newest value received
    data_period_to: datetime | None = None  # as last seen in GET Mandate
    meter_id: str | None = None
    headpoint_type: str | None = None
    energy_type: str | None = None
    sub_meters: dict[str, SubMeter] = field(default_factory=dict)
    series: dict[str, list[str]] = field(default_factory=dict)  # EAN -> series names seen
    peak_days: dict[date, DayPeak] = field(default_factory=dict)
    peaks_written: dict[date, tuple[float, bool]] = field(default_factory=dict)
    rows_written: int = 0
    missing_values: int = 0  # null or absent values received (GET Energy), a data-quality count
    # Per local (gas) day of the last ~40: values, estimated, missing, expected (data_quality.py).
    quality_days: dict[date, DayCounts] = field(default_factory=dict)
    # Statistic id -> recent hours written from fewer slices than the hour holds.
    partial_hours: dict[str, list[datetime]] = field(default_factory=dict)
    # Cost statistic id -> the hours with energy but no price from the price sensor, as
    # [first, last) ranges of hours since the epoch (dynamic_costs.py).
    unpriced_hours: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    # When the mandate was first seen ended (Finished, or expired), and whether the meter was
    # being imported then (else it was chosen for its history only). Cleared once it runs again.
    ended_seen: datetime | None = None
    ended_followed: bool = False
    # Gas: per gas month (its first day), the gas days whose kWh still carry the provisional
    # conversion factor; and the months re-read once after the definitive factor's delay.
    gas_provisional: dict[date, set[date]] = field(default_factory=dict)
    gas_reread: set[date] = field(default_factory=set)
    # What the API could no longer reach when the backfill got there (3-year limit), and the
    # chunks skipped after repeated refusals (tried again on later days); [start, end) each.
    lost: list[tuple[datetime, datetime]] = field(default_factory=list)
    skipped: list[tuple[datetime, datetime]] = field(default_factory=list)

    @property
    def backfill_done(self) -> bool:
        return self.backfill_to is not None and not self.pending

    def start_window(self, start: datetime, end: datetime) -> None:
        """The history to import the first time the meter is seen: ``[start, end)``."""
        self.backfill_from = start
        self.backfill_to = end
        self.pending = [(start, end)] if start < end else []

    @property
    def newest_pending(self) -> tuple[datetime, datetime] | None:
        """The span the next chunk comes from (its end): the newest one still pending."""
        return self.pending[-1] if self.pending else None

    @property
    def imported_from(self) -> datetime | None:
        """Everything from here to the window's end is imported (diagnostics)."""
        if self.backfill_to is None:
            return None
        return self.pending[-1][1] if self.pending else self.backfill_from

    def backfilled(self, start: datetime, end: datetime) -> None:
        """``[start, end)`` is imported (its rows are committed)."""
        self.pending = _remove_span(self.pending, start, end)

    def forget_window(self) -> None:
        """Import the history again from scratch: the next backfill fixes a new window up to
        then (the rows already stored are rewritten where they differ, else left alone)."""
        self.backfill_from = self.backfill_to = None
        self.pending = []

    def deepen(self, start: datetime) -> bool:
        """Ask for history from ``start`` on, before the window imported so far (if earlier).

        What was imported stays; only ``[start, backfill_from)`` is fetched, after what is
        still pending of the later history (newest first)."""
        if self.backfill_from is None or self.backfill_to is None:
            return False
        if start >= self.backfill_from:
            return False
        self.pending = _add_span(self.pending, start, self.backfill_from)
        self.backfill_from = start
        return True

    def lose_before(self, reach: datetime) -> bool:
        """The API no longer reaches before ``reach``: what the backfill had not imported
        before it is recorded as lost, and the history starts at ``reach`` if nothing before
        it was imported."""
        unreachable = [(first, min(last, reach)) for first, last in self.pending if first < reach]
        if not unreachable:
            return False
        for first, last in unreachable:
            self.lost = _add_span(self.lost, first, last)
            if self.backfill_from is not None and self.backfill_from >= first:
                self.backfill_from = last
        self.pending = _remove_span(self.pending, unreachable[0][0], reach)
        return True

    def end_at(self, end: datetime) -> None:
        """The data period now ends at ``end``: the backfill imports nothing after it."""
        if self.backfill_to is not None and self.backfill_to > end:
            self.backfill_to = max(end, self.backfill_from or end)
        self.pending = [(first, min(last, end)) for first, last in self.pending if first < end]

    def drop_unreachable_skips(self, reach: datetime) -> None:
        """Skipped periods (or their parts) the API no longer reaches are lost."""
        kept: list[tuple[datetime, datetime]] = []
        for start, end in self.skipped:
            if start < reach:
                self.lost = _add_span(self.lost, start, min(end, reach))
            if max(start, reach) < end:
                kept.append((max(start, reach), end))
        self.skipped = kept

    def skip(self, start: datetime, end: datetime) -> None:
        """Record a skipped chunk (kept as it was asked for: it is retried whole)."""
        if (start, end) not in self.skipped:
            self.skipped = sorted([*self.skipped, (start, end)])

    def unskip(self, start: datetime, end: datetime) -> None:
        self.skipped = [span for span in self.skipped if span != (start, end)]

    @property
    def lost_hours(self) -> float:
        return sum((end - start) / timedelta(hours=1) for start, end in self.lost)

    def backfill_brings(self, start: datetime, end: datetime) -> bool:
        """Whether ``[start, end)`` lies inside what the backfill (or the retry of a skipped
        chunk) will still import: a poll need not fetch it now."""
        return any(first <= start and end <= last for first, last in [*self.pending, *self.skipped])

    @property
    def sub_eans(self) -> list[str]:
        return sorted(self.sub_meters)

    def note_series(self, ean: str, names: set[str]) -> None:
        known = set(self.series.get(ean, []))
        if not names <= known:
            self.series[ean] = sorted(known | names)

    def as_dict(self) -> dict[str, Any]:
        return {
            "backfill_from": _iso(self.backfill_from),
            "backfill_to": _iso(self.backfill_to),
            "pending": [[_iso(start), _iso(end)] for start, end in self.pending],
            "last_insert_poll": _iso(self.last_insert_poll),
            "last_data": _iso(self.last_data),
            "data_period_to": _iso(self.data_period_to),
            "meter_id": self.meter_id,
            "headpoint_type": self.headpoint_type,
            "energy_type": self.energy_type,
            "sub_meters": {
                ean: [sub.type, sub.installation_type, sub.seq_number]
                for ean, sub in self.sub_meters.items()
            },
            "series": self.series,
            "peak_days": {day.isoformat(): peak.as_list() for day, peak in self.peak_days.items()},
            "peaks_written": {
                month.isoformat(): [kw, final] for month, (kw, final) in self.peaks_written.items()
            },
            "rows_written": self.rows_written,
            "missing_values": self.missing_values,
            "quality_days": {
                day.isoformat(): list(counts) for day, counts in sorted(self.quality_days.items())
            },
            "partial_hours": {
                stat_id: [int(hour.timestamp()) for hour in hours]
                for stat_id, hours in self.partial_hours.items()
            },
            "unpriced_hours": {
                stat_id: [[first, last] for first, last in ranges]
                for stat_id, ranges in self.unpriced_hours.items()
            },
            "ended_seen": _iso(self.ended_seen),
            "ended_followed": self.ended_followed,
            "gas_provisional": {
                month.isoformat(): sorted(day.day for day in days)
                for month, days in sorted(self.gas_provisional.items())
            },
            "gas_reread": sorted(month.isoformat() for month in self.gas_reread),
            "lost": [[_iso(start), _iso(end)] for start, end in self.lost],
            "skipped": [[_iso(start), _iso(end)] for start, end in self.skipped],
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> EanCursor:
        return cls(
            backfill_from=_dt(raw.get("backfill_from")),
            backfill_to=_dt(raw.get("backfill_to")),
            pending=_pending(raw),
            last_insert_poll=_dt(raw.get("last_insert_poll")),
            last_data=_dt(raw.get("last_data")),
            data_period_to=_dt(raw.get("data_period_to")),
            meter_id=raw.get("meter_id"),
            headpoint_type=raw.get("headpoint_type"),
            energy_type=raw.get("energy_type"),
            sub_meters={
                ean: SubMeter(*values) for ean, values in (raw.get("sub_meters") or {}).items()
            },
            series={ean: list(names) for ean, names in (raw.get("series") or {}).items()},
            peak_days={
                date.fromisoformat(day): DayPeak.from_list(values)
                for day, values in (raw.get("peak_days") or {}).items()
            },
            peaks_written={
                date.fromisoformat(month): (float(values[0]), bool(values[1]))
                for month, values in (raw.get("peaks_written") or {}).items()
            },
            rows_written=int(raw.get("rows_written") or 0),
            missing_values=int(raw.get("missing_values") or 0),
            quality_days={
                date.fromisoformat(day): DayCounts(*(int(count) for count in counts))
                for day, counts in (raw.get("quality_days") or {}).items()
            },
            partial_hours={
                stat_id: [datetime.fromtimestamp(int(hour), UTC) for hour in hours]
                for stat_id, hours in (raw.get("partial_hours") or {}).items()
            },
            unpriced_hours={
                stat_id: [(int(first), int(last)) for first, last in ranges]
                for stat_id, ranges in (raw.get("unpriced_hours") or {}).items()
            },
            ended_seen=_dt(raw.get("ended_seen")),
            ended_followed=bool(raw.get("ended_followed")),
            gas_provisional={
                (month := date.fromisoformat(text)): {month.replace(day=int(d)) for d in days}
                for text, days in (raw.get("gas_provisional") or {}).items()
            },
            gas_reread={date.fromisoformat(text) for text in raw.get("gas_reread") or []},
            lost=_spans(raw.get("lost")),
            skipped=_spans(raw.get("skipped")),
        )


@dataclass(slots=True)
class Cursors:
    """Everything the Store holds for one config entry."""

    eans: dict[str, EanCursor] = field(default_factory=dict)
    last_mandate_sync: datetime | None = None

    def get(self, ean: str) -> EanCursor:
        return self.eans.setdefault(ean, EanCursor())


class CursorStore:
    """Load and save the :class:`Cursors` of one config entry."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, storage_key(entry_id), private=True
        )

    async def async_load(self) -> Cursors:
        raw = await self._store.async_load() or {}
        return Cursors(
            eans={ean: EanCursor.from_dict(v) for ean, v in (raw.get("eans") or {}).items()},
            last_mandate_sync=_dt(raw.get("last_mandate_sync")),
        )

    async def async_save(self, cursors: Cursors) -> None:
        await self._store.async_save(
            {
                "eans": {ean: cursor.as_dict() for ean, cursor in cursors.eans.items()},
                "last_mandate_sync": _iso(cursors.last_mandate_sync),
            }
        )

    async def async_remove(self) -> None:
        await self._store.async_remove()


async def async_remove_cursor_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete an entry's Store (``async_remove_entry``, after clearing the statistics)."""
    await CursorStore(hass, entry_id).async_remove()
