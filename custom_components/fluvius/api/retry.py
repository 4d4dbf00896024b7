"""How the client retries: bounded exponential backoff with full jitter, and ``Retry-After``.

Shared by the token endpoint and the API calls. Sleeping goes through an injected coroutine so
tests run on a fake clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
import math


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """Bounds of the retries of one request.

    * ``max_retries``: retries after the first attempt, for 429, 5xx, timeouts and connection
      errors together (so at most ``max_retries + 1`` attempts);
    * backoff before retry ``n`` (0-based) is uniform in ``[0, min(cap, base * 2**n)]``
      ("full jitter");
    * a 429's ``Retry-After`` is honoured, capped at ``retry_after_cap`` seconds.
    """

    max_retries: int = 3
    backoff_base: float = 2.0
    backoff_cap: float = 60.0
    retry_after_cap: float = 300.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")

    def backoff(self, retry: int, random: Callable[[], float]) -> float:
        """Seconds to wait before retry number ``retry`` (0-based)."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2.0 ** min(retry, 60))
        return ceiling * min(max(random(), 0.0), 1.0)

    def rate_limit_wait(
        self, retry_after: float | None, retry: int, random: Callable[[], float]
    ) -> float:
        """Seconds to wait after a 429: ``Retry-After`` (capped) when given, else the backoff."""
        if retry_after is None:
            return self.backoff(retry, random)
        return min(retry_after, self.retry_after_cap)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """A ``Retry-After`` header in seconds: delta-seconds or an HTTP date. ``None`` if unusable."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    reference = now if now is not None else datetime.now(UTC)
    return max((moment - reference).total_seconds(), 0.0)
