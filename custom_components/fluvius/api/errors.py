"""Errors raised by the Fluvius API client.

Every error the client raises is a :class:`FluviusError`; no ``KeyError``, ``TypeError`` or
aiohttp exception escapes it. Messages never contain the client secret, the subscription key
or a token: only what the server said about the request and what the user can do about it.
"""

from __future__ import annotations


class FluviusError(Exception):
    """Base class of every error of the client."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class FluviusConnectionError(FluviusError):
    """The API could not be reached, or timed out, after the bounded retries."""


class FluviusAuthError(FluviusError):
    """The credentials were refused (token endpoint, or a 401 that a fresh token did not cure).

    ``code`` is the OAuth error code when the identity provider gave one (``invalid_client``,
    ``unauthorized_client``, ``invalid_scope``, ``invalid_request`` ...).
    """

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message, status=status)
        self.code = code


class FluviusForbiddenError(FluviusError):
    """403: no right to this data (contract, credentials not renewed, geoblocking)."""


class FluviusSubscriptionKeyError(FluviusForbiddenError):
    """The API gateway refused the subscription key (missing or invalid)."""


class FluviusNoMandateError(FluviusError):
    """404: no valid mandate for this EAN, period or detail level."""

    def __init__(self, message: str, *, status: int | None = 404, ean: str | None = None) -> None:
        super().__init__(message, status=status)
        self.ean = ean


class FluviusRateLimitError(FluviusError):
    """429 after the bounded retries; ``retry_after`` in seconds when the server said so."""

    def __init__(
        self, message: str, *, status: int | None = 429, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class FluviusServerError(FluviusError):
    """5xx after the bounded retries."""


class FluviusRequestError(FluviusError):
    """400: the server refused the request's parameters; the message is the server's."""


class FluviusPeriodError(FluviusRequestError):
    """The requested period cannot be asked for (before the 3-year limit, end before start).

    Raised before any request is sent.
    """


class FluviusPayloadError(FluviusError):
    """The response is not valid JSON or does not have the shape of the specification.

    ``path`` is the JSON path of the offending field, e.g.
    ``data.headpoint.physicalMeters[0].quarterHourlyEnergy[17].start``.
    """

    def __init__(self, message: str, *, path: str = "$", status: int | None = None) -> None:
        super().__init__(f"{message} at {path}", status=status)
        self.path = path
