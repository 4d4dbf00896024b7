"""The backfill's liveness rules on their own: the capped backoff, the API's reach, what the
cursor records of lost and skipped periods (and keeps across restarts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.fluvius.api.errors import (
    FluviusConnectionError,
    FluviusPayloadError,
    FluviusPeriodError,
    FluviusRateLimitError,
    FluviusRequestError,
    FluviusServerError,
)
from custom_components.fluvius.api.models import PeriodType
from custom_components.fluvius.api.periods import check_period
from custom_components.fluvius.backfill_policy import (
    BACKFILL_RETRY,
    backoff_delay,
    is_refusal,
    read_time_reach,
)
from custom_components.fluvius.cursors import EanCursor

NOW = datetime(2026, 11, 19, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("failures", [42, 60, 1_000, 10**6])
def test_backoff_is_capped_however_many_failures(failures: int) -> None:
    assert backoff_delay(failures) == BACKFILL_RETRY[1]


def test_backoff_doubles_from_the_first_wait() -> None:
    minutes = [backoff_delay(n) / timedelta(minutes=1) for n in range(1, 9)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60]


def test_the_server_says_how_long() -> None:
    assert backoff_delay(1, 86_399) == timedelta(seconds=86_399)
    assert backoff_delay(10**6, 5) == BACKFILL_RETRY[1]


def test_only_refused_answers_are_refusals() -> None:
    assert is_refusal(FluviusPayloadError("not JSON"))
    assert is_refusal(FluviusRequestError("bad parameter", status=400))
    for err in (
        FluviusServerError("503", status=503),
        FluviusConnectionError("timed out"),
        FluviusRateLimitError("quota", status=403, retry_after=60),
    ):
        assert not is_refusal(err)


def test_the_reach_is_the_clients_own_with_a_margin() -> None:
    reach = read_time_reach(NOW)
    check_period(PeriodType.READ_TIME, reach, NOW, NOW + timedelta(minutes=59))
    with pytest.raises(FluviusPeriodError):
        check_period(PeriodType.READ_TIME, reach - timedelta(hours=2), NOW, NOW)


def _cursor(start: datetime, end: datetime) -> EanCursor:
    return EanCursor(backfill_from=start, backfill_to=end, backfilled_until=start)


def test_lost_hours_are_recorded_and_the_history_moves_on() -> None:
    start = datetime(2023, 11, 20, 23, tzinfo=UTC)
    cursor = _cursor(start, NOW)
    reach = start + timedelta(days=2)
    assert cursor.lose_before(reach)
    assert cursor.lost == [(start, reach)]
    assert cursor.lost_hours == 48
    assert cursor.backfill_from == cursor.backfilled_until == reach
    assert not cursor.lose_before(reach)  # nothing more
    assert cursor.lose_before(reach + timedelta(days=1))
    assert cursor.lost == [(start, reach + timedelta(days=1))]  # one span, merged
    restored = EanCursor.from_dict(cursor.as_dict())
    assert restored.lost == cursor.lost and restored.backfill_from == cursor.backfill_from


def test_skipped_periods_kept_until_imported_or_out_of_reach() -> None:
    start = datetime(2026, 11, 1, 23, tzinfo=UTC)
    cursor = _cursor(start, NOW)
    first = (start, start + timedelta(days=4))
    second = (start + timedelta(days=8), start + timedelta(days=12))
    cursor.skip(*second)
    cursor.skip(*first)
    cursor.skip(*first)
    assert cursor.skipped == [first, second]
    assert EanCursor.from_dict(cursor.as_dict()).skipped == [first, second]
    # The polls leave the skipped days (and what the backfill still brings) alone.
    assert cursor.backfill_brings(start + timedelta(days=9), start + timedelta(days=10))
    cursor.backfilled(NOW)
    assert cursor.backfill_brings(*first)
    assert not cursor.backfill_brings(first[1], first[1] + timedelta(days=1))
    cursor.unskip(*first)
    assert cursor.skipped == [second]
    cursor.drop_unreachable_skips(second[0] + timedelta(days=1))
    assert cursor.skipped == [(second[0] + timedelta(days=1), second[1])]
    assert cursor.lost == [(second[0], second[0] + timedelta(days=1))]
