"""One mapping of client errors to translation keys, for setup, the coordinator and the config
flow; every key it gives exists in the four languages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.fluvius import _not_ready
from custom_components.fluvius.api.errors import (
    FluviusAuthError,
    FluviusConnectionError,
    FluviusError,
    FluviusForbiddenError,
    FluviusNoMandateError,
    FluviusPayloadError,
    FluviusPeriodError,
    FluviusRateLimitError,
    FluviusRequestError,
    FluviusServerError,
    FluviusSubscriptionKeyError,
)
from custom_components.fluvius.backfill import update_failed as _update_failed
from custom_components.fluvius.flow_validation import FLOW_ERROR_KEYS
from custom_components.fluvius.helpers import auth_failed, error_key

TRANSLATIONS = Path(__file__).parents[2] / "custom_components" / "fluvius" / "translations"
LANGUAGES = ("en", "nl", "fr", "de")

# Errors that reach ConfigEntryNotReady / UpdateFailed (auth errors become reauth instead).
TRANSIENT: list[tuple[FluviusError, str]] = [
    (FluviusForbiddenError("403", status=403), "forbidden"),
    (FluviusNoMandateError("no mandate", ean="541440110000000001"), "no_mandate"),
    (FluviusRateLimitError("429", retry_after=5), "rate_limited"),
    (FluviusServerError("503", status=503), "server_error"),
    (FluviusConnectionError("timeout"), "cannot_connect"),
    (FluviusPayloadError("not JSON", path="data"), "invalid_response"),
    (FluviusRequestError("bad from", status=400), "bad_request"),
    (FluviusPeriodError("before the 3-year limit"), "bad_request"),
    (FluviusError("teapot", status=418), "api_error"),
]
CREDENTIALS: list[tuple[BaseException, str]] = [
    (FluviusAuthError("invalid_client", code="invalid_client"), "invalid_auth"),
    (FluviusSubscriptionKeyError("bad key", status=401), "invalid_subscription_key"),
    (TimeoutError(), "cannot_connect"),
    (RuntimeError("boom"), "unknown"),
]


def _load(language: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((TRANSLATIONS / f"{language}.json").read_text())
    return data


@pytest.mark.parametrize(("err", "key"), TRANSIENT + CREDENTIALS)
def test_error_key(err: BaseException, key: str) -> None:
    assert error_key(err) == key


@pytest.mark.parametrize(("err", "key"), TRANSIENT)
@pytest.mark.parametrize("language", LANGUAGES)
def test_setup_and_update_share_translated_keys(err: FluviusError, key: str, language: str) -> None:
    """Setup and the coordinator give the same key, with the error text as placeholder."""
    not_ready = _not_ready(err)
    update_failed = _update_failed(err)
    assert not_ready.translation_key == update_failed.translation_key == key
    assert not_ready.translation_placeholders == {"error": err.message}
    message = _load(language)["exceptions"][key]["message"]
    assert message.format(error=err.message)


@pytest.mark.parametrize(("err", "key"), TRANSIENT + CREDENTIALS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_flow_errors_translated(err: BaseException, key: str, language: str) -> None:
    flow_key = FLOW_ERROR_KEYS.get(key, key)
    assert _load(language)["config"]["error"][flow_key]


@pytest.mark.parametrize(("err", "key"), CREDENTIALS[:2])
@pytest.mark.parametrize("language", LANGUAGES)
def test_refused_credentials_translated(err: FluviusError, key: str, language: str) -> None:
    """A poll or the backfill meets refused credentials: the same key, translated."""
    failed = auth_failed(err)
    assert failed.translation_domain == "fluvius"
    assert failed.translation_key == key
    message = _load(language)["exceptions"][key]["message"]
    assert message.format(**(failed.translation_placeholders or {}))
