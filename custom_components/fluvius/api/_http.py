"""Small helpers shared by ``auth`` and ``client``: JSON decoding, error texts, redaction."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any, Final

try:
    import orjson
except ImportError:  # pragma: no cover - Home Assistant ships orjson; stand-alone use may not
    import json

    def json_loads(raw: bytes) -> Any:
        """Decode JSON (ValueError when it is not)."""
        return json.loads(raw)

else:

    def json_loads(raw: bytes) -> Any:
        """Decode JSON (ValueError when it is not)."""
        return orjson.loads(raw)


MAX_MESSAGE: Final = 300
REDACTED: Final = "**REDACTED**"


class Redactor:
    """Replaces secrets (client secret, subscription key, tokens) in any text by a marker.

    Every message that leaves the client (exception texts, log lines) goes through it, so even
    a server that echoes a secret back cannot make it leak. Tokens are transient: the last few
    are remembered (an old one may still be echoed in an error), not every token ever issued.
    """

    __slots__ = ("_secrets", "_transient")

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._transient: deque[str] = deque(maxlen=4)
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        if len(secret) >= 4:  # shorter values would blank out unrelated text
            self._secrets.add(secret)

    def add_transient(self, secret: str) -> None:
        if len(secret) >= 4 and secret not in self._transient:
            self._transient.append(secret)

    def __call__(self, text: str) -> str:
        for secret in sorted((*self._secrets, *self._transient), key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text


def _text_of(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _problem_errors(errors: object) -> str | None:
    """ASP.NET validation problem details: ``{"errors": {"from": ["..."]}}``."""
    if not isinstance(errors, dict):
        return None
    parts: list[str] = []
    for field, messages in errors.items():
        if isinstance(messages, list):
            texts = [m for m in messages if isinstance(m, str)]
        else:
            texts = [messages] if isinstance(messages, str) else []
        if texts:
            parts.append(f"{field}: {' '.join(texts)}")
    return "; ".join(parts) or None


def message_from_body(body: bytes, *, default: str) -> str:
    """The server's explanation in an error response, leniently, at most 300 characters.

    Looked for in ``message``, ``error.message``, ``error_description``, ``detail``,
    ``title`` (with a problem-details ``errors`` object appended), ``error`` (a bare code),
    else the body's text; ``default`` when the body says nothing.
    """
    text: str | None = None
    try:
        document = json_loads(body) if body else None
    except ValueError:
        document = None
    if isinstance(document, dict):
        error = document.get("error")
        nested = error.get("message") if isinstance(error, dict) else None
        for candidate in (
            document.get("message"),
            nested,
            document.get("error_description"),
            document.get("detail"),
            document.get("title"),
            error,
            document.get("Message"),
        ):
            text = _text_of(candidate)
            if text is not None:
                break
        extra = _problem_errors(document.get("errors"))
        if extra:
            text = f"{text}: {extra}" if text else extra
    elif isinstance(document, str):
        text = _text_of(document)
    if text is None:
        text = _text_of(body.decode("utf-8", "replace")) if body else None
    if text is None:
        return default
    text = " ".join(text.split())
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1] + "…"
    return text


def oauth_error_code(body: bytes) -> str | None:
    """The ``error`` code of an OAuth 2.0 error response (``invalid_client``, ...)."""
    try:
        document = json_loads(body) if body else None
    except ValueError:
        return None
    if isinstance(document, dict):
        code = document.get("error")
        if isinstance(code, str) and code:
            return code[:100]
    return None
