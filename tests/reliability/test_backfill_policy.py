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
from custom_components.fluvius.timeutil import chunk_start

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
    cursor = EanCursor()
    cursor.start_window(start, end)
    return cursor


def test_lost_hours_are_recorded_and_the_history_moves_on() -> None:
    start = datetime(2023, 11, 20, 23, tzinfo=UTC)
    cursor = _cursor(start, NOW)
    reach = start + timedelta(days=2)
    assert cursor.lose_before(reach)
    assert cursor.lost == [(start, reach)]
    assert cursor.lost_hours == 48
    assert cursor.backfill_from == reach and cursor.pending == [(reach, NOW)]
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
    cursor.backfilled(start, NOW)
    assert cursor.backfill_brings(*first)
    assert not cursor.backfill_brings(first[1], first[1] + timedelta(days=1))
    cursor.unskip(*first)
    assert cursor.skipped == [second]
    cursor.drop_unreachable_skips(second[0] + timedelta(days=1))
    assert cursor.skipped == [(second[0] + timedelta(days=1), second[1])]
    assert cursor.lost == [(second[0], second[0] + timedelta(days=1))]


def test_chunks_leave_the_pending_history_newest_first_and_a_deeper_one_comes_last() -> None:
    start = datetime(2026, 9, 30, 22, tzinfo=UTC)
    cursor = _cursor(start, NOW)
    middle = datetime(2026, 10, 31, 23, tzinfo=UTC)
    cursor.backfilled(middle, NOW)
    assert cursor.newest_pending == (start, middle)
    assert cursor.imported_from == middle and not cursor.backfill_done
    assert cursor.backfill_brings(start, middle)
    assert not cursor.backfill_brings(middle, NOW)
    # A deeper history asked for now comes after what is pending of the later one.
    deeper = start - timedelta(days=30)
    assert cursor.deepen(deeper)
    assert cursor.pending == [(deeper, middle)]  # one span: it touches the pending one
    assert cursor.backfill_from == deeper
    assert not cursor.deepen(deeper + timedelta(days=1))
    cursor.backfilled(start, middle)
    assert cursor.newest_pending == (deeper, start)
    cursor.backfilled(deeper, start)
    assert cursor.backfill_done and cursor.imported_from == deeper
    assert EanCursor.from_dict(cursor.as_dict()).pending == []


def test_a_store_written_oldest_first_resumes_what_was_left() -> None:
    """A Store saved before the backfill ran newest first kept how far it had come
    (``backfilled_until``) and, during a deepening, the stretch already imported after it."""
    start = datetime(2026, 9, 30, 22, tzinfo=UTC)
    until = datetime(2026, 10, 10, 22, tzinfo=UTC)
    raw = EanCursor().as_dict() | {
        "backfill_from": start.isoformat(),
        "backfill_to": NOW.isoformat(),
        "backfilled_until": until.isoformat(),
    }
    raw.pop("pending")
    assert EanCursor.from_dict(raw).pending == [(until, NOW)]
    skip_from = datetime(2026, 10, 20, 22, tzinfo=UTC)
    skip_to = datetime(2026, 11, 1, 23, tzinfo=UTC)
    raw |= {"skip_from": skip_from.isoformat(), "skip_to": skip_to.isoformat()}
    assert EanCursor.from_dict(raw).pending == [(until, skip_from), (skip_to, NOW)]
    raw["backfilled_until"] = NOW.isoformat()
    raw.pop("skip_from")
    assert EanCursor.from_dict(raw).backfill_done


def test_a_chunk_ends_where_the_newer_history_starts() -> None:
    end = datetime(2026, 11, 19, 9, tzinfo=UTC)  # mid-day: the first chunk covers that day
    first = chunk_start(end, datetime(2023, 1, 1, tzinfo=UTC), 0, 31)
    assert first == datetime(2026, 10, 19, 22, tzinfo=UTC)  # local midnight, 31 days back
    assert chunk_start(first, first - timedelta(days=3), 0, 31) == first - timedelta(days=3)
    # 185 days across the spring DST change stay within the API's 185 days.
    spring = datetime(2026, 5, 31, 22, tzinfo=UTC)
    assert spring - chunk_start(spring, datetime(2020, 1, 1, tzinfo=UTC), 0, 185) <= timedelta(
        days=185
    )
    gas = chunk_start(datetime(2026, 11, 19, 5, tzinfo=UTC), datetime(2020, 1, 1, tzinfo=UTC), 6, 2)
    assert gas == datetime(2026, 11, 17, 5, tzinfo=UTC)  # 06:00 local: 2 gas days back
