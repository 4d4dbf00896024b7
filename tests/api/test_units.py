"""Small pieces: endpoints, periods, Retry-After, backoff, error texts, redaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.fluvius.api import (
    LIVE_BASE_URL,
    SANDBOX_BASE_URL,
    Endpoints,
    Environment,
    FluviusPayloadError,
    FluviusPeriodError,
    PeriodType,
    RetryPolicy,
    check_period,
    format_datetime,
    parse_energy,
    parse_retry_after,
    parse_timestamp,
    split_period,
)
from custom_components.fluvius.api._http import Redactor, message_from_body, oauth_error_code
from custom_components.fluvius.api.auth import _safe_url, _seconds, _utcnow as auth_now
from custom_components.fluvius.api.client import _utcnow as client_now
from custom_components.fluvius.api.periods import months_back, years_back

BRUSSELS = ZoneInfo("Europe/Brussels")


def test_endpoints() -> None:
    live = Endpoints.for_environment(Environment.LIVE)
    assert live.base_url == LIVE_BASE_URL
    assert live.token_url_for("t-1") == "https://login.microsoftonline.com/t-1/oauth2/v2.0/token"
    sandbox = Endpoints.for_environment("sandbox", base_url="https://example.test/v1/")
    assert sandbox.base_url == "https://example.test/v1"
    assert Endpoints.for_environment("sandbox").mandate_url == SANDBOX_BASE_URL + "/Mandate"
    assert sandbox.energy_url == "https://example.test/v1/Mandate/energy"
    assert sandbox.mock_mandate_url == "https://example.test/v1/Mandate/mock"
    with pytest.raises(ValueError, match="custom"):
        Endpoints.for_environment("custom", base_url="https://example.test")


# --- periods -----------------------------------------------------------------------------------


def test_format_datetime() -> None:
    assert format_datetime(datetime(2024, 9, 19, tzinfo=BRUSSELS)) == "2024-09-18T22:00:00Z"
    assert format_datetime(datetime(2024, 9, 18, 22, 0, 0, 999999, tzinfo=UTC)) == (
        "2024-09-18T22:00:00Z"
    )
    tz = timezone(timedelta(hours=-5))
    assert format_datetime(datetime(2024, 9, 18, 17, tzinfo=tz)) == "2024-09-18T22:00:00Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        format_datetime(datetime(2024, 9, 18))


@pytest.mark.parametrize(
    ("moment", "years", "expected"),
    [
        (datetime(2025, 6, 1, 10, tzinfo=UTC), 3, datetime(2022, 6, 1, 10, tzinfo=UTC)),
        (datetime(2024, 2, 29, tzinfo=UTC), 3, datetime(2021, 2, 28, tzinfo=UTC)),
        (datetime(2024, 2, 29, tzinfo=UTC), 4, datetime(2020, 2, 29, tzinfo=UTC)),
    ],
)
def test_years_back(moment: datetime, years: int, expected: datetime) -> None:
    assert years_back(moment, years) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2025, 6, 1, 10, tzinfo=UTC), datetime(2024, 12, 1, 10, tzinfo=UTC)),
        (datetime(2025, 8, 31, tzinfo=UTC), datetime(2025, 2, 28, tzinfo=UTC)),
        (datetime(2024, 8, 31, tzinfo=UTC), datetime(2024, 2, 29, tzinfo=UTC)),
        (datetime(2025, 1, 15, tzinfo=UTC), datetime(2024, 7, 15, tzinfo=UTC)),
        (datetime(2025, 12, 31, tzinfo=UTC), datetime(2025, 6, 30, tzinfo=UTC)),
    ],
)
def test_months_back(moment: datetime, expected: datetime) -> None:
    assert months_back(moment, 6) == expected


def test_check_period() -> None:
    now = datetime(2025, 6, 1, 10, tzinfo=UTC)
    start = datetime(2025, 5, 1, 0, 0, 0, 500, tzinfo=UTC)
    assert check_period(PeriodType.READ_TIME, start, now, now) == (
        start.replace(microsecond=0),
        now,
    )
    with pytest.raises(FluviusPeriodError, match="6 months"):
        check_period("insertTime", datetime(2024, 1, 1, tzinfo=UTC), now, now)
    with pytest.raises(FluviusPeriodError, match="3 years"):
        check_period("readTime", datetime(2021, 1, 1, tzinfo=UTC), now, now)


def test_split_period_edges() -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    assert split_period(start, start + timedelta(days=3), max_span=timedelta(days=1)) == [
        (start + timedelta(days=i), start + timedelta(days=i + 1)) for i in range(3)
    ]
    # a non-UTC start is handled in real hours, not wall-clock days
    local = datetime(2024, 10, 26, tzinfo=BRUSSELS)
    chunks = split_period(local, local + timedelta(days=3), max_span=timedelta(days=1))
    assert all(b - a <= timedelta(days=1) for a, b in chunks)
    assert chunks[0][0] == local
    assert chunks[-1][1] == (local + timedelta(days=3)).astimezone(UTC)
    with pytest.raises(ValueError, match="positive"):
        split_period(start, start + timedelta(days=1), max_span=timedelta(0))


def test_split_period_gas_day_across_october() -> None:
    start = datetime(2024, 10, 20, 6, tzinfo=BRUSSELS)
    chunks = split_period(start, start + timedelta(days=10), max_span=timedelta(days=7))
    borders = [b.astimezone(BRUSSELS) for _, b in chunks]
    assert [(b.day, b.hour) for b in borders] == [(26, 6), (30, 6)]
    assert all(b - a <= timedelta(days=7) for a, b in chunks)


# --- retries -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("  ", None),
        ("120", 120.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("inf", None),
        ("nan", None),
        ("Sun, 01 Jun 2025 10:02:00 GMT", 120.0),
        ("Sun, 01 Jun 2025 10:02:00 -0000", 120.0),
        ("Sun, 01 Jun 2025 12:02:00 +0200", 120.0),
        ("tomorrow", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    now = datetime(2025, 6, 1, 10, tzinfo=UTC)
    assert parse_retry_after(value, now) == expected


def test_parse_retry_after_uses_the_wall_clock() -> None:
    assert parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT") == 0.0


def test_retry_policy() -> None:
    policy = RetryPolicy()
    assert [policy.backoff(n, lambda: 1.0) for n in range(7)] == [2, 4, 8, 16, 32, 60, 60]
    assert policy.backoff(500, lambda: 1.0) == 60
    assert policy.backoff(0, lambda: 7.0) == 2  # a bad random source stays within bounds
    assert policy.backoff(0, lambda: -1.0) == 0
    assert policy.rate_limit_wait(1000.0, 0, lambda: 0.5) == 300
    assert policy.rate_limit_wait(None, 1, lambda: 0.5) == 2
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)


# --- error texts, redaction --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'"just a JSON string"', "just a JSON string"),
        (b'{"Message": "An error has occurred."}', "An error has occurred."),
        (b'{"message": "  "}', '{"message": " "}'),
        (b"  \n ", "fallback"),
        (b'{"message": "multi\\nline   text"}', "multi line text"),
        (b"\xff\xfe bad bytes", "\ufffd\ufffd bad bytes"),
    ],
)
def test_message_from_body(body: bytes, expected: str) -> None:
    assert message_from_body(body, default="fallback") == expected


def test_oauth_error_code() -> None:
    assert oauth_error_code(b'{"error": "invalid_client"}') == "invalid_client"
    assert oauth_error_code(b'{"error": {"code": "x"}}') is None
    assert oauth_error_code(b"not json") is None
    assert oauth_error_code(b"") is None


def test_redactor() -> None:
    redact = Redactor(["secret-value", "abc"])  # too short values are not redacted
    assert redact("a secret-value and abc") == "a **REDACTED** and abc"
    for n in range(6):
        redact.add_transient(f"token-{n}")
    redact.add_transient("token-5")
    assert redact("token-0 token-1 token-2 token-5") == (
        "token-0 token-1 **REDACTED** **REDACTED**"
    )


def test_expires_in_values() -> None:
    assert _seconds(True) == 3600
    assert _seconds(1800) == 1800
    assert _seconds("1800") == 1800
    assert _seconds(-1) == 3600
    assert _seconds(float("inf")) == 3600
    assert _seconds([1]) == 3600


def test_safe_url() -> None:
    assert (
        _safe_url("https://user:pw@login.example/t/token?x=1#f") == "https://login.example/t/token"
    )
    assert _safe_url("http://[::1") == "<token endpoint>"


def test_default_clocks_are_utc() -> None:
    for now in (auth_now(), client_now()):
        assert now.tzinfo is UTC
        assert abs(now - datetime.now(UTC)) < timedelta(minutes=1)


# --- parser corners ---------------------------------------------------------------------------


def test_describe_other_types() -> None:
    with pytest.raises(FluviusPayloadError, match="got tuple"):
        parse_timestamp((1, 2), "x")


def _payload(intervals: Any) -> dict[str, Any]:
    return {
        "data": {
            "headpoint": {
                "$type": "metering-on-headpoint",
                "ean": "541450010000000001",
                "quarterHourlyEnergy": intervals,
            }
        }
    }


def test_error_after_skipped_nulls_in_the_same_interval() -> None:
    leaf = {"value": 1.0, "unit": "kWh", "validationState": "VAL"}
    interval = {
        "start": "2024-09-18T22:00:00Z",
        "end": "2024-09-18T22:15:00Z",
        "measurements": [
            None,
            {
                "note": 5,
                "offtake": None,
                "injection": {"comment": "x", "total": None, "day": leaf, "night": {"value": 1.0}},
            },
        ],
    }
    with pytest.raises(FluviusPayloadError) as info:
        parse_energy(_payload([interval]))
    assert info.value.path == (
        "data.headpoint.quarterHourlyEnergy[0].measurements[1].injection.night.unit"
    )


class _List(list[Any]):
    """Not what a JSON decoder produces."""


def test_non_json_containers_are_refused() -> None:
    interval = {
        "start": "2024-09-18T22:00:00Z",
        "end": "2024-09-18T22:15:00Z",
        "measurements": _List(),
    }
    with pytest.raises(FluviusPayloadError) as info:
        parse_energy(_payload([interval]))
    assert info.value.path == "data.headpoint.quarterHourlyEnergy[0]"
    assert "malformed interval" in str(info.value)


def test_the_careful_walk_accepts_what_is_valid() -> None:
    from custom_components.fluvius.api._intervals import check_interval

    interval = {"start": "2024-09-18T22:00:00Z", "end": "2024-09-18T22:15:00Z"}
    check_interval(interval, "x")  # no measurements: nothing to complain about
