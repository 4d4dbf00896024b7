"""Fault knobs: what can go wrong between a client and Fluvius, on demand and reproducibly.

A :class:`FaultRule` fires on matching requests either always, for a share of them (decided by a
random generator seeded from the sandbox seed and the rule's position, so the same request
sequence gives the same faults), or on the next N (optionally after letting some pass first).

Kinds (``--faults`` names in brackets):

* ``429`` (``rate_limit``): 429 with ``Retry-After: <retry_after>``;
* ``500`` (``server_error``), ``503`` (``unavailable``): server errors (503 with Retry-After);
* ``slow`` (``delay``, ``timeout``): the answer comes ``delay`` seconds late (real seconds);
* ``truncated``: a 2xx answer whose JSON body is cut in half;
* ``malformed``: a 2xx answer whose JSON body is syntactically broken;
* ``early_expiry`` (``token_expiry``): a token issued at the token endpoint stops working after
  ``uses`` API requests (default 1) or ``lifetime`` simulated seconds, although ``expires_in``
  says 3600;
* ``geoblock``: 403, as for a request from outside the EEA/UK;
* ``quota``: 403 from API Management's quota policy, "Out of call volume quota. Quota will be
  replenished in hh:mm:ss." (``[d.]hh:mm:ss`` from ``retry_after`` seconds);
* ``404`` (``no_mandate``): 404 "No valid mandates found", as when a mandate is gone for a
  moment (with ``ean=``: only GET Energy for that EAN; the mandates themselves stay);
* ``revoke``: the mandate(s) of ``ean`` are removed (``status=Removed``, default: they disappear
  from GET Mandate and GET Energy answers 404) or ended (``status=Finished``), once, ``at`` a
  simulated moment or ``after`` N API requests;
* ``period_end``: the data period of ``ean`` ends at ``to`` (default: the moment it fires), once,
  ``at`` a moment or ``after`` N API requests.

Spec string (CLI ``--faults``, admin endpoint): rules separated by ``;``, each
``KIND[:ARG,ARG,...]`` where an ARG is ``key=value`` or a bare number (the share). Examples::

    429:0.05,retry_after=2;500:next=3;slow:next=1,delay=30
    early_expiry:uses=2;geoblock:after=100,next=5
    revoke:ean=541440110000000001,after=50;period_end:ean=541441010000000001,to=2026-01-01T00:00:00Z

``endpoints=energy|mandate`` limits a rule to some endpoints (default: the three API endpoints;
``token`` for the token endpoint; ``early_expiry`` always acts at the token endpoint), ``ean=``
limits a response fault to GET Energy requests for that EAN.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
import random
from typing import Final

from .timeutil import format_api_datetime, parse_iso_datetime


class FaultKind(StrEnum):
    RATE_LIMIT = "429"
    SERVER_ERROR = "500"
    UNAVAILABLE = "503"
    SLOW = "slow"
    TRUNCATED = "truncated"
    MALFORMED = "malformed"
    EARLY_EXPIRY = "early_expiry"
    GEOBLOCK = "geoblock"
    QUOTA = "quota"
    NO_MANDATE = "404"
    REVOKE = "revoke"
    PERIOD_END = "period_end"


ALIASES: Final[dict[str, FaultKind]] = {
    "rate_limit": FaultKind.RATE_LIMIT,
    "ratelimit": FaultKind.RATE_LIMIT,
    "server_error": FaultKind.SERVER_ERROR,
    "error": FaultKind.SERVER_ERROR,
    "unavailable": FaultKind.UNAVAILABLE,
    "delay": FaultKind.SLOW,
    "timeout": FaultKind.SLOW,
    "token_expiry": FaultKind.EARLY_EXPIRY,
    "expire": FaultKind.EARLY_EXPIRY,
    "forbidden": FaultKind.GEOBLOCK,
    "no_mandate": FaultKind.NO_MANDATE,
    "not_found": FaultKind.NO_MANDATE,
    "data_period_end": FaultKind.PERIOD_END,
}

API_ENDPOINTS: Final = frozenset({"mandate", "energy", "mock"})
ALL_ENDPOINTS: Final = API_ENDPOINTS | {"token"}

RESPONSE_KINDS: Final = frozenset(
    {
        FaultKind.RATE_LIMIT,
        FaultKind.SERVER_ERROR,
        FaultKind.UNAVAILABLE,
        FaultKind.GEOBLOCK,
        FaultKind.QUOTA,
        FaultKind.NO_MANDATE,
    }
)
BODY_KINDS: Final = frozenset({FaultKind.TRUNCATED, FaultKind.MALFORMED})
EVENT_KINDS: Final = frozenset({FaultKind.REVOKE, FaultKind.PERIOD_END})


def quota_message(seconds: int) -> str:
    """API Management's answer when the call volume quota is used up."""
    days, rest = divmod(max(seconds, 0), 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return (
        "Out of call volume quota. Quota will be replenished in "
        f"{f'{days}.' if days else ''}{clock}."
    )


class FaultSpecError(ValueError):
    """A fault spec string or parameter that makes no sense."""


def parse_kind(text: str | FaultKind) -> FaultKind:
    name = str(text).strip().lower()
    if name in ALIASES:
        return ALIASES[name]
    try:
        return FaultKind(name)
    except ValueError:
        known = ", ".join([*(k.value for k in FaultKind), *ALIASES])
        raise FaultSpecError(f"unknown fault kind {text!r} (known: {known})") from None


@dataclass(kw_only=True, eq=False)
class FaultRule:
    """One fault knob; the counters at the end are its live state."""

    kind: FaultKind
    share: float = 0.0  # probability per matching request (0 and no `next`: always)
    next: int | None = None  # fire on the next N matching requests
    after: int = 0  # let this many matching requests pass first
    retry_after: int = 1  # 429 / 503: Retry-After seconds; quota: seconds until replenished
    delay: float = 5.0  # slow: seconds
    endpoints: frozenset[str] = API_ENDPOINTS
    ean: str | None = None  # energy requests for this EAN only; the EAN of revoke / period_end
    uses: int | None = None  # early_expiry: API requests the token survives
    lifetime: float | None = None  # early_expiry: simulated seconds the token lives
    at: datetime | None = None  # revoke / period_end: when (simulated clock)
    to: datetime | None = None  # period_end: the new dataPeriodTo (default: when it fires)
    status: str = "Removed"  # revoke: Removed or Finished
    seen: int = 0
    fired: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        self.kind = parse_kind(self.kind)
        if not 0.0 <= self.share <= 1.0:
            raise FaultSpecError(f"share must be between 0 and 1, got {self.share}")
        if self.next is not None and self.next < 0:
            raise FaultSpecError("next must be >= 0")
        if self.after < 0 or self.retry_after < 0 or self.delay < 0:
            raise FaultSpecError("after, retry_after and delay must be >= 0")
        unknown = set(self.endpoints) - ALL_ENDPOINTS
        if unknown:
            raise FaultSpecError(
                f"unknown endpoints {sorted(unknown)} (known: {sorted(ALL_ENDPOINTS)})"
            )
        if self.kind is FaultKind.EARLY_EXPIRY:
            self.endpoints = frozenset({"token"})
            if self.uses is None and self.lifetime is None:
                self.uses = 1
        if self.kind in EVENT_KINDS:
            if self.ean is None:
                raise FaultSpecError(f"{self.kind.value} needs ean=")
            if self.status not in ("Removed", "Finished"):
                raise FaultSpecError("status must be Removed or Finished")

    @property
    def done(self) -> bool:
        if self.kind in EVENT_KINDS:
            return self.fired > 0
        return self.next is not None and self.fired >= self.next

    def matches(self, endpoint: str, ean: str | None) -> bool:
        if endpoint not in self.endpoints:
            return False
        return self.kind in EVENT_KINDS or self.ean is None or self.ean == ean

    def decide(self, endpoint: str, ean: str | None, now: datetime) -> bool:
        """Count a matching request and say whether the fault fires on it."""
        if self.done or not self.matches(endpoint, ean):
            return False
        self.seen += 1
        if self.kind in EVENT_KINDS:
            due = (self.at is not None and now >= self.at) or (
                self.at is None and self.seen > self.after
            )
        elif self.seen <= self.after:
            due = False
        elif self.next is not None:
            due = self.fired < self.next
        elif self.share > 0.0:
            due = self.rng.random() < self.share
        else:
            due = True
        if due:
            self.fired += 1
        return due

    def as_dict(self) -> dict[str, object]:
        result: dict[str, object] = {"kind": self.kind.value}
        if self.share:
            result["share"] = self.share
        if self.next is not None:
            result["next"] = self.next
        if self.after:
            result["after"] = self.after
        if self.kind in (FaultKind.RATE_LIMIT, FaultKind.UNAVAILABLE, FaultKind.QUOTA):
            result["retry_after"] = self.retry_after
        if self.kind is FaultKind.SLOW:
            result["delay"] = self.delay
        if self.kind is FaultKind.EARLY_EXPIRY:
            result["uses"] = self.uses
            result["lifetime"] = self.lifetime
        if self.ean is not None:
            result["ean"] = self.ean
        if self.at is not None:
            result["at"] = format_api_datetime(self.at)
        if self.to is not None:
            result["to"] = format_api_datetime(self.to)
        if self.kind is FaultKind.REVOKE:
            result["status"] = self.status
        result["endpoints"] = sorted(self.endpoints)
        result["seen"] = self.seen
        result["fired"] = self.fired
        result["done"] = self.done
        return result


_INT_KEYS: Final = frozenset({"next", "after", "retry_after", "uses"})
_FLOAT_KEYS: Final = frozenset({"share", "delay", "lifetime"})
_TIME_KEYS: Final = frozenset({"at", "to"})
_TEXT_KEYS: Final = frozenset({"ean", "status"})


def _convert(key: str, value: object) -> object:
    """A rule parameter from text (spec strings) or JSON (admin endpoint)."""
    try:
        if key in _INT_KEYS:
            return None if value is None else int(str(value))
        if key in _FLOAT_KEYS:
            return None if value is None else float(str(value))
        if key in _TIME_KEYS:
            if value is None or isinstance(value, datetime):
                return value
            return parse_iso_datetime(str(value))
        if key in _TEXT_KEYS:
            return None if value is None else str(value)
        if key == "endpoints":
            if isinstance(value, (list, tuple, set, frozenset)):
                return frozenset(str(v) for v in value)
            return frozenset(part for part in str(value).split("|") if part)
    except ValueError as err:
        raise FaultSpecError(f"bad value for {key}: {value!r}") from err
    raise FaultSpecError(
        f"unknown fault parameter {key!r} (known: "
        f"{', '.join(sorted(_INT_KEYS | _FLOAT_KEYS | _TIME_KEYS | _TEXT_KEYS | {'endpoints'}))})"
    )


def rule_from_params(kind: str | FaultKind, params: dict[str, object]) -> FaultRule:
    converted = {key: _convert(key, value) for key, value in params.items()}
    try:
        return FaultRule(kind=parse_kind(kind), **converted)  # type: ignore[arg-type]
    except TypeError as err:  # pragma: no cover - _convert rejects unknown keys first
        raise FaultSpecError(str(err)) from err


def parse_spec(spec: str) -> list[FaultRule]:
    """Rules from a ``--faults`` string (see the module docstring)."""
    rules = []
    for raw_item in spec.split(";"):
        item = raw_item.strip()
        if not item:
            continue
        kind, _, args = item.partition(":")
        params: dict[str, object] = {}
        for raw_arg in args.split(","):
            arg = raw_arg.strip()
            if not arg:
                continue
            key, sep, value = arg.partition("=")
            if not sep:
                key, value = "share", arg
            params[key.strip()] = value.strip()
        rules.append(rule_from_params(kind, params))
    return rules


class Faults:
    """The live fault configuration of a sandbox."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rules: list[FaultRule] = []

    def _seed_rule(self, rule: FaultRule) -> FaultRule:
        rule.rng = random.Random(f"{self.seed}:{len(self.rules)}:{rule.kind.value}")
        self.rules.append(rule)
        return rule

    def add(self, rule: FaultRule | FaultKind | str, **params: object) -> FaultRule:
        """Add a rule: ``faults.add("429", next=2, retry_after=3)`` or a :class:`FaultRule`."""
        if not isinstance(rule, FaultRule):
            rule = rule_from_params(rule, params)
        elif params:
            raise TypeError("give either a FaultRule or a kind with parameters")
        return self._seed_rule(rule)

    def load(self, spec: str, *, replace: bool = True) -> list[FaultRule]:
        """Add the rules of a spec string (replacing the current ones by default)."""
        rules = parse_spec(spec)
        if replace:
            self.rules = []
        return [self._seed_rule(rule) for rule in rules]

    def clear(self) -> None:
        self.rules = []

    def remove(self, rule: FaultRule) -> None:
        self.rules.remove(rule)

    def active(self, *kinds: FaultKind) -> list[FaultRule]:
        return [rule for rule in self.rules if rule.kind in kinds and not rule.done]

    def as_dict(self) -> dict[str, object]:
        return {"seed": self.seed, "rules": [rule.as_dict() for rule in self.rules]}
