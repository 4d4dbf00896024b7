"""The backfill's liveness rules: no fault, outage or bad answer stops an import for good.

* Backoff: a failed chunk is retried after :data:`BACKFILL_RETRY` ``first``, doubling up to
  ``maximum`` (the exponent is capped, so the thousandth failure waits as long as the tenth),
  never before the server's ``Retry-After`` or quota reset. A chunk that succeeds resets it.
* Reach: ``readTime`` reaches back 3 calendar years (``api.periods.earliest_start``). A request
  never starts before the first day start (gas day start for gas) at least
  :data:`REACH_MARGIN` after that limit; what lies before is lost and recorded.
* Refusals: an answer the client refuses as invalid (:class:`FluviusPayloadError`, or a 400
  :class:`FluviusRequestError`) is retried like an outage, but after
  :data:`REFUSALS_BEFORE_SKIP` refusals of the same chunk the chunk is skipped, recorded and
  tried again on later days. Outages, 5xx, 429, quotas and auth errors are never skipped.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from .api.errors import FluviusError, FluviusPayloadError, FluviusRequestError
from .api.models import PeriodType
from .api.periods import earliest_start

BACKFILL_RETRY: Final = (timedelta(minutes=1), timedelta(hours=1))  # first, maximum
MAX_BACKOFF_EXPONENT: Final = 10  # 2**10 minutes is past the maximum already
REFUSALS_BEFORE_SKIP: Final = 3
# A request is sent a moment after its start was computed (a prefetch, the client's own
# clock): keep this much room before the API's limit.
REACH_MARGIN: Final = timedelta(hours=1)


def backoff_delay(failures: int, retry_after: float | None = None) -> timedelta:
    """The wait after the ``failures``-th consecutive failure (1 for the first)."""
    first, maximum = BACKFILL_RETRY
    exponent = min(max(failures - 1, 0), MAX_BACKOFF_EXPONENT)
    delay: timedelta = min(first * 2**exponent, maximum)
    if retry_after:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


def is_refusal(err: FluviusError) -> bool:
    """Whether the answer itself was refused (bad payload, 400), not the service unavailable."""
    return isinstance(err, (FluviusPayloadError, FluviusRequestError))


def read_time_reach(now: datetime) -> datetime:
    """The earliest instant a ``readTime`` request may start at, with :data:`REACH_MARGIN`."""
    return earliest_start(PeriodType.READ_TIME, now) + REACH_MARGIN


class Refusals:
    """How often each chunk (EAN, start) was refused in a row (kept in memory)."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, datetime], int] = {}

    def add(self, ean: str, start: datetime) -> int:
        """Count one more refusal; the count so far."""
        key = (ean, start)
        self._counts[key] = self._counts.get(key, 0) + 1
        return self._counts[key]

    def clear(self, ean: str, start: datetime) -> None:
        self._counts.pop((ean, start), None)
