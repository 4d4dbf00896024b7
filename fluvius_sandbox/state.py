"""The live state of a stand-in: clock, clients, tokens, mandates, data, faults and counters.

:class:`Sandbox` is what tests drive directly (``app[SANDBOX_KEY]``); the HTTP handlers in
:mod:`.app` are thin wrappers around it.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import secrets

from .clock import SimClock
from .config import (
    DEFAULT_MANDATE_VALIDITY,
    DEMO_MANDATES,
    MandateSpec,
    SandboxConfig,
    SandboxCredentials,
)
from .eans import parse_mock_ean
from .energy import EnergyRequest, EnergySelector, Granularity, Period, energy_response
from .faults import EVENT_KINDS, FaultKind, FaultRule, Faults
from .mandates import (
    MandateFields,
    MandateRecord,
    MandateStatus,
    default_period_from,
    parse_status,
    validate_mandate_fields,
)
from .model import Correction, DataModel, LateDay, Withheld
from .scenario import (
    Blank,
    Duplicate,
    DuplicateOrder,
    MissingForm,
    Scenario,
    parse_layout,
    parse_missing_form,
    parse_order,
)
from .timeutil import ensure_utc, format_api_datetime, midnight_after
from .truth import Truth, build_truth


@dataclass(slots=True)
class TokenInfo:
    client_id: str
    issued: datetime
    expires: datetime  # on the simulated clock
    uses_left: int | None = None  # early expiry after a number of API requests


@dataclass(frozen=True, slots=True)
class RequestRecord:
    at: datetime  # simulated clock
    endpoint: str
    method: str
    path: str  # with the query string
    status: int
    fault: str | None = None


@dataclass
class SandboxStats:
    """Counters: requests per endpoint, responses per endpoint and status, injected faults."""

    requests: Counter[str] = field(default_factory=Counter)
    responses: Counter[str] = field(default_factory=Counter)  # "energy 200"
    faults: Counter[str] = field(default_factory=Counter)  # per FaultKind value
    tokens_issued: int = 0
    history: deque[RequestRecord] = field(default_factory=lambda: deque(maxlen=1000))

    def reset(self) -> None:
        self.requests.clear()
        self.responses.clear()
        self.faults.clear()
        self.tokens_issued = 0
        self.history.clear()

    @property
    def faults_injected(self) -> int:
        return sum(self.faults.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "requests": dict(self.requests),
            "responses": dict(self.responses),
            "faults": dict(self.faults),
            "faultsInjected": self.faults_injected,
            "tokensIssued": self.tokens_issued,
        }


class Sandbox:
    """A Fluvius API stand-in's state, with a Python API for tests."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config = config or SandboxConfig()
        self.clock = SimClock(config.now, frozen=config.frozen)
        self.clients: dict[str, SandboxCredentials] = {}
        for credentials in config.all_credentials:
            self.clients[credentials.client_id] = credentials
        self.default_client_id = config.credentials.client_id
        self.token_lifetime = config.token_lifetime
        self.tokens: dict[str, TokenInfo] = {}
        self.mandates: list[MandateRecord] = []
        self._next_mandate_id = 1
        self.faults = Faults(config.seed)
        if isinstance(config.faults, str):
            self.faults.load(config.faults)
        else:
            for rule in config.faults:
                self.faults.add(rule)
        self.stats = SandboxStats(history=deque(maxlen=config.history_size))
        self.model = DataModel(
            config.seed,
            config.cache_size,
            late_share=config.late_share,
            estimate_share=config.estimate_share,
        )
        self.scenario = Scenario(
            config.seed,
            quarter_hours=parse_layout(config.quarter_hours),
            missing_share=config.missing_share,
            missing_form=parse_missing_form(config.missing_form),
            duplicate_share=config.duplicate_share,
        )
        self.selector = EnergySelector(self.model, self.scenario)
        for spec in (*(DEMO_MANDATES if config.demo else ()), *config.mandates):
            self.add_mandate_spec(spec)

    # --- clock ------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock.now()

    # --- credentials and tokens -------------------------------------------------------------

    @property
    def tenants(self) -> set[str]:
        return {c.tenant_id for c in self.clients.values()}

    @property
    def subscription_keys(self) -> set[str]:
        return {c.subscription_key for c in self.clients.values()}

    def issue_token(self, client_id: str) -> tuple[str, TokenInfo]:
        """A new opaque access token; early-expiry faults may shorten its real life."""
        now = self.now()
        info = TokenInfo(client_id, now, now + timedelta(seconds=self.token_lifetime))
        for rule in self.faults.active(FaultKind.EARLY_EXPIRY):
            if rule.decide("token", None, now):
                self.stats.faults[rule.kind.value] += 1
                if rule.lifetime is not None:
                    info.expires = min(info.expires, now + timedelta(seconds=rule.lifetime))
                if rule.uses is not None:
                    info.uses_left = rule.uses
                break
        token = secrets.token_urlsafe(48)
        self.tokens[token] = info
        self.stats.tokens_issued += 1
        if len(self.tokens) > 10_000:
            self._prune_tokens(now)
        return token, info

    def _prune_tokens(self, now: datetime) -> None:
        self.tokens = {k: v for k, v in self.tokens.items() if v.expires > now}

    def check_token(self, token: str) -> str | None:
        """The client id of a valid token (counting one use), else None."""
        info = self.tokens.get(token)
        if info is None or self.now() >= info.expires:
            return None
        if info.uses_left is not None:
            if info.uses_left <= 0:
                return None
            info.uses_left -= 1
        return info.client_id

    def expire_tokens(self) -> int:
        """Make every issued token invalid now (as if they all expired)."""
        count = len(self.tokens)
        self.tokens.clear()
        return count

    # --- mandates ---------------------------------------------------------------------------

    def add_mandate(
        self,
        ean: str,
        *,
        status: str = "Approved",
        client_id: str | None = None,
        data_service_type: str | None = None,
        energy_type: str | None = None,
        data_period_from: datetime | None = None,
        data_period_to: datetime | None = None,
        mandate_expiration_date: datetime | None = None,
        renewal_status: str | None = None,
        reference_number: str | None = None,
        expires_after: timedelta | None = None,
    ) -> MandateRecord:
        """Create a mandate (as POST Create Mock Mandate would); raises MandateError.

        Defaults: ``data_period_from`` 3 years back at local midnight, expiry ``expires_after``
        (3 years) ahead at local midnight, types from the mock EAN. A mandate with the same
        client, EAN, data service type and status is replaced.
        """
        fields = validate_mandate_fields(
            ean=ean,
            status=status,
            energy_type=energy_type,
            data_service_type=data_service_type,
            data_period_from=data_period_from,
            data_period_to=data_period_to,
            mandate_expiration_date=mandate_expiration_date,
            renewal_status=renewal_status,
            reference_number=reference_number,
        )
        return self.create_mandate(fields, client_id=client_id, expires_after=expires_after)

    def create_mandate(
        self,
        fields: MandateFields,
        *,
        client_id: str | None = None,
        expires_after: timedelta | None = None,
    ) -> MandateRecord:
        """Store a validated mandate (see :meth:`add_mandate` for the defaults)."""
        client = client_id or self.default_client_id
        now = self.now()
        validity = expires_after if expires_after is not None else DEFAULT_MANDATE_VALIDITY
        record = MandateRecord(
            id=self._next_mandate_id,
            client_id=client,
            status=fields.status,
            ean=fields.mock.ean,
            mock=fields.mock,
            energy_type=fields.energy_type,
            data_service_type=fields.data_service_type,
            data_period_from=ensure_utc(fields.data_period_from or default_period_from(now)),
            data_period_to=ensure_utc(fields.data_period_to) if fields.data_period_to else None,
            mandate_expiration_date=ensure_utc(
                fields.mandate_expiration_date or midnight_after(now, validity)
            ),
            renewal_status=fields.renewal_status,
            reference_number=fields.reference_number,
            created=now,
            last_updated=now,
        )
        self._next_mandate_id += 1
        self.mandates = [
            m
            for m in self.mandates
            if not (
                m.client_id == record.client_id
                and m.ean == record.ean
                and m.data_service_type == record.data_service_type
                and m.status == record.status
                and m.reference_number == record.reference_number
            )
        ]
        self.mandates.append(record)
        return record

    def add_mandate_spec(self, spec: MandateSpec) -> MandateRecord:
        return self.add_mandate(
            spec.ean,
            status=spec.status,
            client_id=spec.client_id,
            data_service_type=spec.data_service_type,
            energy_type=spec.energy_type,
            data_period_from=spec.data_period_from,
            data_period_to=spec.data_period_to,
            mandate_expiration_date=spec.mandate_expiration_date,
            renewal_status=spec.renewal_status,
            reference_number=spec.reference_number,
            expires_after=spec.expires_after,
        )

    def mandates_of(self, client_id: str) -> list[MandateRecord]:
        """The client's mandates as GET Mandate may show them (never Removed)."""
        return [m for m in self.mandates if m.client_id == client_id and m.visible]

    def _targets(self, ean: str, client_id: str | None) -> list[MandateRecord]:
        return [
            m
            for m in self.mandates
            if m.ean == ean and m.visible and (client_id is None or m.client_id == client_id)
        ]

    def revoke_mandate(
        self, ean: str, *, status: str = "Removed", client_id: str | None = None
    ) -> int:
        """End the mandates of an EAN mid-run.

        ``Removed`` (default): they disappear from GET Mandate and GET Energy answers 404.
        ``Finished``: they stay visible as Finished and their data period ends now (data
        before that stays available). Returns how many mandates changed.
        """
        status = parse_status(status, allow_removed=True)
        now = self.now()
        changed = 0
        for mandate in self._targets(ean, client_id):
            mandate.status = status
            if status == MandateStatus.FINISHED and (
                mandate.data_period_to is None or mandate.data_period_to > now
            ):
                mandate.data_period_to = now
            mandate.last_updated = now
            changed += 1
        return changed

    def set_data_period_to(
        self, ean: str, moment: datetime | None, *, client_id: str | None = None
    ) -> int:
        """Move the end of the data period (a market scenario; may be in the past, §6.7).

        None removes the end. Returns how many mandates changed.
        """
        end = ensure_utc(moment) if moment is not None else None
        now = self.now()
        changed = 0
        for mandate in self._targets(ean, client_id):
            mandate.data_period_to = end
            mandate.last_updated = now
            changed += 1
        return changed

    # --- scheduled faults -------------------------------------------------------------------

    def run_events(self, endpoint: str) -> None:
        """Fire the revoke / period_end faults that are due (called on every API request)."""
        now = self.now()
        for rule in self.faults.active(*EVENT_KINDS):
            if not rule.decide(endpoint, None, now):
                continue
            self.stats.faults[rule.kind.value] += 1
            assert rule.ean is not None
            if rule.kind is FaultKind.REVOKE:
                self.revoke_mandate(rule.ean, status=rule.status)
            else:
                self.set_data_period_to(rule.ean, rule.to or now)

    # --- data -------------------------------------------------------------------------------

    def periods_for(
        self, ean: str, client_id: str | None, reference_number: str | None = None
    ) -> dict[Granularity, list[Period]]:
        """Data periods per granularity of the usable mandates on ``ean``."""
        result: dict[Granularity, list[Period]] = {}
        for mandate in self.mandates:
            if mandate.ean != ean or not mandate.usable:
                continue
            if client_id is not None and mandate.client_id != client_id:
                continue
            if reference_number is not None and mandate.reference_number != reference_number:
                continue
            period = mandate.data_period()
            if period[1] <= period[0]:
                continue
            for granularity in mandate.granularities():
                result.setdefault(granularity, []).append(period)
        return result

    def correct(
        self,
        ean: str,
        start: datetime,
        delta: float,
        *,
        at: datetime,
        point_ean: str | None = None,
        direction: str | None = None,
        register: str | None = None,
    ) -> Correction:
        """A revision at a chosen interval: the quarter-hour (gas: hour) of mock EAN ``ean``
        starting at ``start`` is first sent as generated, as an estimate, and at ``at`` sent
        again, final, with ``delta`` added (kWh, m3 or kVArh). ``point_ean``: a submeter's EAN
        (default: the main EAN); ``direction``: offtake, injection, production, ... (default:
        the point's first); ``register``: ``inductive`` / ``capacitive`` (AMR reactive)."""
        mock = parse_mock_ean(ean)
        point = point_ean or mock.ean
        if direction is None:
            if point == mock.ean:
                direction = mock.main_directions[0]
            else:
                direction = next(s.direction for s in mock.submeters if s.ean == point)
        channel = f"{point}:{direction}" + (f":{register}" if register else "")
        edit = Correction(ensure_utc(start), channel, delta, ensure_utc(at))
        self.model.add_edit(mock, edit)
        return edit

    def delay_day(self, ean: str, moment: datetime, *, at: datetime) -> LateDay:
        """Late data at a chosen day: the (gas) day of ``ean`` containing ``moment`` is first
        inserted at ``at`` (after the day's end)."""
        edit = LateDay(ensure_utc(moment), ensure_utc(at))
        self.model.add_edit(parse_mock_ean(ean), edit)
        return edit

    def withhold(self, ean: str, start: datetime, end: datetime) -> Withheld:
        """A gap: the intervals of ``ean`` (and its submeters) starting in ``[start, end)`` are
        never sent."""
        edit = Withheld(ensure_utc(start), ensure_utc(end))
        self.model.add_edit(parse_mock_ean(ean), edit)
        return edit

    def blank(
        self,
        ean: str,
        start: datetime,
        end: datetime | None = None,
        *,
        form: MissingForm | str = MissingForm.NULL,
        point_ean: str | None = None,
        direction: str | None = None,
        register: str | None = None,
        unit: str | None = None,
        granularity: str | None = None,
    ) -> Blank:
        """Missing values at chosen intervals: the register values of ``ean`` (main EAN; its
        submeters too unless ``point_ean`` says which point) starting in ``[start, end)``
        (default: the one interval starting at ``start``) are sent as ``form`` (``null``,
        ``no_value``, ``no_register``). ``direction``, ``register`` (``total``, ``day``,
        ``night``, ``inductive``, ``capacitive``), ``unit`` (``m3``, ``kWh``) and
        ``granularity`` (``daily``, ``hourly_quarterhourly``) narrow it (default: all). The
        truth treats them as missing (:mod:`fluvius_sandbox.scenario`)."""
        mock = parse_mock_ean(ean)
        begin = ensure_utc(start)
        blank = Blank(
            ean=mock.ean,
            start=begin,
            end=ensure_utc(end) if end is not None else begin + timedelta(seconds=1),
            form=parse_missing_form(form),
            point_ean=point_ean,
            direction=direction,
            register=register,
            unit=unit,
            granularity=granularity,
        )
        self.scenario.blanks.append(blank)
        return blank

    def duplicate(
        self,
        ean: str,
        start: datetime,
        end: datetime | None = None,
        *,
        order: DuplicateOrder | str = DuplicateOrder.EST_LAST,
        granularity: str | None = None,
    ) -> Duplicate:
        """Duplicates with mixed states at chosen intervals: each final (READ / VAL) interval of
        ``ean`` starting in ``[start, end)`` (default: the one starting at ``start``) is listed
        twice, once more as an estimate with another number, after it (``est_last``) or before
        it (``est_first``). The truth keeps the final copy."""
        mock = parse_mock_ean(ean)
        begin = ensure_utc(start)
        duplicate = Duplicate(
            ean=mock.ean,
            start=begin,
            end=ensure_utc(end) if end is not None else begin + timedelta(seconds=1),
            order=parse_order(order),
            granularity=granularity,
        )
        self.scenario.duplicates.append(duplicate)
        return duplicate

    def energy_json(self, request: EnergyRequest) -> str:
        return energy_response(self.selector, request)

    def truth(
        self,
        ean: str,
        start: datetime,
        end: datetime,
        *,
        as_of: datetime | None = None,
        clip: bool = True,
        client_id: str | None = None,
    ) -> Truth:
        """Ground truth of ``ean`` (a mock EAN; its submeters included) over ``[start, end)``.

        ``as_of=None``: the *final* values (after every correction and with the definitive gas
        factor), whether or not they have been inserted yet. ``as_of=t``: what a ``readTime``
        request would return at ``t`` (inserted versions only, estimates where still pending).
        ``clip``: only what the mandates' data periods let the API return (per granularity:
        quarter-hours/hours need VH_kwartier_uur); when the EAN has no usable mandate at all,
        nothing is clipped.
        """
        mock = parse_mock_ean(ean)
        fine: list[Period] | None = None
        daily: list[Period] | None = None
        if clip:
            periods = self.periods_for(mock.ean, client_id)
            if any(m.ean == mock.ean and m.usable for m in self.mandates):
                fine = periods.get(Granularity.HOURLY_QUARTERHOURLY, [])
                daily = periods.get(Granularity.DAILY, [])
        return build_truth(
            self.selector,
            mock,
            ensure_utc(start),
            ensure_utc(end),
            as_of=None if as_of is None else ensure_utc(as_of),
            fine_periods=fine,
            daily_periods=daily,
        )

    # --- admin view -------------------------------------------------------------------------

    def describe(self) -> dict[str, object]:
        now = self.now()
        return {
            "now": format_api_datetime(now),
            "seed": self.config.seed,
            "clients": sorted(self.clients),
            "mandates": [m.as_admin(now) for m in self.mandates],
            "faults": self.faults.as_dict(),
            "scenario": self.scenario.as_dict(),
            "stats": self.stats.as_dict(),
        }


__all__ = ["FaultRule", "RequestRecord", "Sandbox", "SandboxStats", "TokenInfo"]
