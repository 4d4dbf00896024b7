"""Decoded JSON → checked values, shared by the GET Mandate and GET Energy parsers.

Each helper takes the JSON path of what it reads and raises :class:`FluviusPayloadError`
naming that path (e.g. ``data.mandates[2].dataPeriodFrom``) when the value is not what the
specification says. Timestamps: ISO 8601; an explicit offset is converted to UTC, a timestamp
without offset is read as UTC (the spec says every datetime is UTC); everything returned is
timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

from .errors import FluviusPayloadError

type Json = Any  # a decoded JSON value; checked before use


def payload_error(message: str, path: str) -> FluviusPayloadError:
    """The error of the value at ``path``."""
    return FluviusPayloadError(message, path=path)


def describe(value: object) -> str:
    """What a JSON value is, for an error message (never the value itself)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _to_utc(text: object) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime; ValueError/TypeError when it is not."""
    if type(text) is not str:
        raise TypeError("not a string")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    if moment.tzinfo is not UTC:
        return moment.astimezone(UTC)
    return moment


def parse_timestamp(value: object, path: str = "$") -> datetime:
    """A timestamp of the API (``YYYY-MM-DDTHH:MM:SSZ``) as an aware UTC datetime."""
    try:
        return _to_utc(value)
    except (TypeError, ValueError, OverflowError):
        if not isinstance(value, str):
            raise payload_error(
                f"expected a timestamp string, got {describe(value)}", path
            ) from None
        raise payload_error(f"invalid timestamp {value[:40]!r}", path) from None


def optional_timestamp(obj: Mapping[str, Json], key: str, path: str) -> datetime | None:
    """``obj[key]`` as a timestamp; ``None`` when it is absent or ``null``."""
    value = obj.get(key)
    if value is None:
        return None
    return parse_timestamp(value, f"{path}.{key}")


def required_timestamp(obj: Mapping[str, Json], key: str, path: str) -> datetime:
    """``obj[key]`` as a timestamp; an error when it is absent."""
    if key not in obj:
        raise payload_error("missing", f"{path}.{key}")
    return parse_timestamp(obj[key], f"{path}.{key}")


def optional_str(
    obj: Mapping[str, Json], key: str, path: str, *, number_ok: bool = False
) -> str | None:
    """``obj[key]`` as text; ``None`` when it is absent or ``null``.

    ``number_ok``: an integer is accepted as its text (``seqNumber`` 1 instead of ``"1"``).
    """
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    if number_ok and isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # seqNumber 1 instead of "1"
    raise payload_error(f"expected a string, got {describe(value)}", f"{path}.{key}")


def as_object(value: Json, path: str) -> dict[str, Json]:
    """``value`` when it is a JSON object; an error otherwise."""
    if not isinstance(value, dict):
        raise payload_error(f"expected an object, got {describe(value)}", path)
    return cast(dict[str, Json], value)


def data_object(payload: object) -> dict[str, Json]:
    """The ``data`` object of a response (``{"data": {...}}``)."""
    root = as_object(payload, "$")
    return as_object(root.get("data"), "data")


def list_or_one(value: Json, path: str) -> list[tuple[Json, str]]:
    """An array (or, tolerated, a single object) as (item, path) pairs; ``null`` items and a
    ``null`` array are skipped."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [(value, path)]
    if not isinstance(value, list):
        raise payload_error(f"expected an array, got {describe(value)}", path)
    return [(item, f"{path}[{index}]") for index, item in enumerate(value) if item is not None]
