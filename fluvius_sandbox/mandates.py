"""Mandates: storage, the visibility rules of GET Mandate, and validation of mock-mandate bodies.

Rules (fluvius-api.md §6): ``ean`` and ``energyType`` are shown only for Approved and Finished
mandates; ``renewalStatus`` only during the three months before expiry (``ToBeRenewed``, or
``RenewalRequested`` when that was set) and ``Expired`` once expired; ``Removed`` mandates are
never shown. Mandates belong to the client (client_id) that created them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from .eans import DataServiceType, InvalidEanError, MockEan, parse_mock_ean
from .energy import Granularity, Period
from .timeutil import (
    add_months,
    add_years,
    format_api_datetime,
    local_day,
    local_midnight,
    parse_api_datetime,
)


class MandateStatus(StrEnum):
    REQUESTED = "Requested"
    APPROVED = "Approved"
    REJECTED = "Rejected"
    FINISHED = "Finished"
    REMOVED = "Removed"  # never visible through the API


class RenewalStatus(StrEnum):
    TO_BE_RENEWED = "ToBeRenewed"
    RENEWAL_REQUESTED = "RenewalRequested"
    EXPIRED = "Expired"


USABLE: Final = frozenset({MandateStatus.APPROVED, MandateStatus.FINISHED})
RENEWAL_WINDOW_MONTHS: Final = 3


class MandateError(ValueError):
    """A mandate field with a bad value; the message names the field."""


def parse_status(value: object, *, field: str = "status", allow_removed: bool = False) -> str:
    for member in MandateStatus:
        if isinstance(value, str) and value.lower() == member.value.lower():
            if member is MandateStatus.REMOVED and not allow_removed:
                break
            return member.value
    allowed = "Requested, Approved, Rejected, Finished" + (", Removed" if allow_removed else "")
    raise MandateError(f"'{field}' must be one of {allowed}, got {value!r}")


def parse_renewal_status(value: object, *, field: str = "renewalStatus") -> str:
    """Case-insensitive: the spec writes both ``ToBeRenewed`` and ``toBeRenewed`` (A4)."""
    for member in RenewalStatus:
        if isinstance(value, str) and value.lower() == member.value.lower():
            return member.value
    raise MandateError(
        f"'{field}' must be one of ToBeRenewed, RenewalRequested, Expired, got {value!r}"
    )


def parse_data_service_type(value: object, *, field: str = "dataServiceType") -> str:
    """``VH_kwartier`` (mock body table, A2) is stored as ``VH_kwartier_uur``."""
    if value == "VH_kwartier":
        return DataServiceType.QUARTER_HOURLY.value
    if value in (DataServiceType.DAILY.value, DataServiceType.QUARTER_HOURLY.value):
        return str(value)
    raise MandateError(f"'{field}' must be one of VH_dag, VH_kwartier_uur, got {value!r}")


def parse_energy_type(value: object, *, field: str = "energyType") -> str:
    if value in ("E", "G"):
        return str(value)
    raise MandateError(f"'{field}' must be E or G, got {value!r}")


def parse_time_field(value: object, field: str) -> datetime:
    if not isinstance(value, str):
        raise MandateError(f"'{field}' must be a string formatted as YYYY-MM-DDTHH:MM:SSZ")
    try:
        return parse_api_datetime(value)
    except ValueError:
        raise MandateError(
            f"'{field}' must be formatted as YYYY-MM-DDTHH:MM:SSZ (UTC), got {value!r}"
        ) from None


@dataclass(kw_only=True, eq=False)
class MandateRecord:
    """One stored mandate (mutable: status, data period and renewal change over time)."""

    id: int
    client_id: str
    status: str
    ean: str
    mock: MockEan
    energy_type: str
    data_service_type: str
    data_period_from: datetime
    data_period_to: datetime | None
    mandate_expiration_date: datetime
    renewal_status: str | None  # as set; what is shown depends on the clock
    reference_number: str | None
    created: datetime
    last_updated: datetime

    @property
    def usable(self) -> bool:
        return self.status in USABLE

    @property
    def visible(self) -> bool:
        return self.status != MandateStatus.REMOVED

    def granularities(self) -> frozenset[Granularity]:
        """VH_kwartier_uur gives quarter-hours (hours for gas) and days; VH_dag days only."""
        if self.data_service_type == DataServiceType.QUARTER_HOURLY:
            return frozenset({Granularity.DAILY, Granularity.HOURLY_QUARTERHOURLY})
        return frozenset({Granularity.DAILY})

    def data_period(self) -> Period:
        """[dataPeriodFrom, min(dataPeriodTo, expiry)) in epoch seconds: after expiry no new
        data is released, and nothing after the data period end."""
        end = self.mandate_expiration_date
        if self.data_period_to is not None and self.data_period_to < end:
            end = self.data_period_to
        return int(self.data_period_from.timestamp()), int(end.timestamp())

    def renewal_status_at(self, now: datetime) -> str | None:
        if now >= self.mandate_expiration_date:
            return RenewalStatus.EXPIRED.value
        window_start = local_midnight(
            add_months(local_day(self.mandate_expiration_date), -RENEWAL_WINDOW_MONTHS)
        )
        if now >= window_start:
            if self.renewal_status == RenewalStatus.RENEWAL_REQUESTED:
                return self.renewal_status
            return RenewalStatus.TO_BE_RENEWED.value
        if self.renewal_status == RenewalStatus.EXPIRED:
            return self.renewal_status  # set explicitly on a mock mandate
        return None

    def as_api(self, now: datetime) -> dict[str, object]:
        """The mandate as GET Mandate shows it."""
        result: dict[str, object] = {}
        if self.reference_number is not None:
            result["referenceNumber"] = self.reference_number
        result["status"] = self.status
        if self.usable:
            result["ean"] = self.ean
            result["energyType"] = self.energy_type
        result["dataPeriodFrom"] = format_api_datetime(self.data_period_from)
        if self.data_period_to is not None:
            result["dataPeriodTo"] = format_api_datetime(self.data_period_to)
        result["dataServiceType"] = self.data_service_type
        result["mandateExpirationDate"] = format_api_datetime(self.mandate_expiration_date)
        renewal = self.renewal_status_at(now)
        if renewal is not None:
            result["renewalStatus"] = renewal
        return result

    def as_admin(self, now: datetime) -> dict[str, object]:
        """Everything, for the admin endpoint."""
        return {
            "id": self.id,
            "clientId": self.client_id,
            "status": self.status,
            "ean": self.ean,
            "energyType": self.energy_type,
            "dataServiceType": self.data_service_type,
            "dataPeriodFrom": format_api_datetime(self.data_period_from),
            "dataPeriodTo": (
                format_api_datetime(self.data_period_to) if self.data_period_to else None
            ),
            "mandateExpirationDate": format_api_datetime(self.mandate_expiration_date),
            "renewalStatus": self.renewal_status_at(now),
            "referenceNumber": self.reference_number,
            "lastUpdated": format_api_datetime(self.last_updated),
            "addendumRow": self.mock.addendum_row,
            "description": self.mock.description,
            "subEans": [sub.ean for sub in self.mock.submeters],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class MandateFields:
    """A validated mock-mandate body (times may still be None: defaults depend on now)."""

    status: str
    mock: MockEan
    energy_type: str
    data_service_type: str
    data_period_from: datetime | None = None
    data_period_to: datetime | None = None
    mandate_expiration_date: datetime | None = None
    renewal_status: str | None = None
    reference_number: str | None = None


def validate_mandate_fields(
    *,
    ean: object,
    status: object,
    energy_type: object = None,
    data_service_type: object = None,
    data_period_from: object = None,
    data_period_to: object = None,
    mandate_expiration_date: object = None,
    renewal_status: object = None,
    reference_number: object = None,
) -> MandateFields:
    """Check a mandate against the spec (§10.1) and the mock-EAN rules; derive omitted fields.

    Times may be given as ``datetime`` (Python API) or API strings (HTTP body).
    """
    if status is None:
        raise MandateError("'status' is required")
    status_value = parse_status(status)
    if ean is None:
        raise MandateError("'ean' is required")
    try:
        mock = parse_mock_ean(ean)
    except InvalidEanError as err:
        raise MandateError(str(err)) from None
    derived_energy = mock.energy_type.value
    if energy_type is not None:
        energy = parse_energy_type(energy_type)
        if energy != derived_energy:
            raise MandateError(
                f"'energyType' {energy} does not match ean {mock.ean} (digit 6 means "
                f"{derived_energy})"
            )
    derived_service = mock.data_service_type.value
    if data_service_type is not None:
        service = parse_data_service_type(data_service_type)
        if service != derived_service:
            raise MandateError(
                f"'dataServiceType' {data_service_type} does not match ean {mock.ean} (digit 8 "
                f"means {derived_service})"
            )

    def time_value(value: object, name: str) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise MandateError(f"'{name}' must be timezone-aware")
            return value
        return parse_time_field(value, name)

    period_from = time_value(data_period_from, "dataPeriodFrom")
    period_to = time_value(data_period_to, "dataPeriodTo")
    expiry = time_value(mandate_expiration_date, "mandateExpirationDate")
    if period_from is not None and period_to is not None and period_to <= period_from:
        raise MandateError("'dataPeriodTo' must be later than 'dataPeriodFrom'")
    if period_from is not None and expiry is not None and expiry <= period_from:
        raise MandateError("'mandateExpirationDate' must be later than 'dataPeriodFrom'")
    renewal = None if renewal_status is None else parse_renewal_status(renewal_status)
    if reference_number is not None and not isinstance(reference_number, str):
        raise MandateError("'referenceNumber' must be a string")
    return MandateFields(
        status=status_value,
        mock=mock,
        energy_type=derived_energy,
        data_service_type=derived_service,
        data_period_from=period_from,
        data_period_to=period_to,
        mandate_expiration_date=expiry,
        renewal_status=renewal,
        reference_number=reference_number,
    )


BODY_FIELDS: Final[Mapping[str, str]] = {
    "ean": "ean",
    "status": "status",
    "energyType": "energy_type",
    "dataServiceType": "data_service_type",
    "dataPeriodFrom": "data_period_from",
    "dataPeriodTo": "data_period_to",
    "mandateExpirationDate": "mandate_expiration_date",
    "renewalStatus": "renewal_status",
    "referenceNumber": "reference_number",
}


def validate_body(body: object) -> MandateFields:
    """A POST Create Mock Mandate body (JSON object with the spec's field names)."""
    if not isinstance(body, dict):
        raise MandateError("The request body must be a JSON object")
    kwargs = {python: body.get(api) for api, python in BODY_FIELDS.items()}
    return validate_mandate_fields(**kwargs)


def default_period_from(now: datetime) -> datetime:
    """Three years back, at local midnight."""
    return local_midnight(add_years(local_day(now), -3))
