"""The simulated clock that decides what "now" is for the stand-in.

By default it follows real time. Tests freeze it at a moment and move it by hand; the CLI's
``--now`` starts it at a given moment and lets it run on from there. Nothing the API returns is
ever after :meth:`SimClock.now`: values appear when their insert time has passed on this clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import time

from .timeutil import ensure_utc, format_api_datetime


class SimClock:
    """A settable clock: frozen (moves only when told) or running (follows real time)."""

    def __init__(self, start: datetime | None = None, *, frozen: bool | None = None) -> None:
        self._frozen = (start is not None) if frozen is None else frozen
        self._anchor = ensure_utc(start) if start is not None else datetime.now(UTC)
        self._anchor_monotonic = time.monotonic()

    @property
    def frozen(self) -> bool:
        return self._frozen

    def now(self) -> datetime:
        if self._frozen:
            return self._anchor
        elapsed = time.monotonic() - self._anchor_monotonic
        return self._anchor + timedelta(seconds=elapsed)

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (it keeps running from there unless frozen)."""
        self._anchor = ensure_utc(moment)
        self._anchor_monotonic = time.monotonic()

    def advance(self, delta: timedelta) -> datetime:
        """Move forward (or back, with a negative delta); returns the new now."""
        self.set(self.now() + delta)
        return self.now()

    def freeze(self) -> None:
        self.set(self.now())
        self._frozen = True

    def run(self) -> None:
        self.set(self.now())
        self._frozen = False

    def as_dict(self) -> dict[str, object]:
        return {"now": format_api_datetime(self.now()), "frozen": self._frozen}
