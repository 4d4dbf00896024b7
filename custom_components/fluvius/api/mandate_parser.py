"""Payload → models: GET Mandate and POST Create Mock Mandate responses (fluvius-api.md §6.2).

Unknown fields are ignored; unknown enumeration values are kept as text (``renewalStatus``
case-insensitively, A4). Any other deviation raises :class:`FluviusPayloadError` naming the
JSON path, e.g. ``data.mandates[2].dataPeriodFrom``.
"""

from __future__ import annotations

from ._json import (
    Json,
    as_object,
    data_object,
    describe,
    optional_str,
    optional_timestamp,
    payload_error,
)
from .models import (
    EnergyType,
    Mandate,
    MandateStatus,
    parse_data_service_type,
    parse_open,
    parse_renewal_status,
)


def _mandate(obj: Json, path: str) -> Mandate:
    item = as_object(obj, path)
    status = item.get("status")
    if not isinstance(status, str):
        raise payload_error(
            f"expected the mandate status, got {describe(status)}", f"{path}.status"
        )
    energy_type = optional_str(item, "energyType", path)
    service = optional_str(item, "dataServiceType", path)
    renewal = optional_str(item, "renewalStatus", path)
    return Mandate(
        status=parse_open(MandateStatus, status),
        reference_number=optional_str(item, "referenceNumber", path),
        ean=optional_str(item, "ean", path),
        energy_type=None if energy_type is None else parse_open(EnergyType, energy_type),
        data_period_from=optional_timestamp(item, "dataPeriodFrom", path),
        data_period_to=optional_timestamp(item, "dataPeriodTo", path),
        data_service_type=None if service is None else parse_data_service_type(service),
        mandate_expiration_date=optional_timestamp(item, "mandateExpirationDate", path),
        renewal_status=None if renewal is None else parse_renewal_status(renewal),
    )


def parse_mandates(payload: object) -> list[Mandate]:
    """A GET Mandate response (``{"data": {"mandates": [...]}}``) as mandates.

    An absent or ``null`` ``mandates`` array means no mandates. Unknown fields are ignored,
    unknown enumeration values are kept as text (``renewalStatus`` case-insensitively, A4).
    """
    data = data_object(payload)
    mandates = data.get("mandates")
    if mandates is None:
        return []
    if not isinstance(mandates, list):
        raise payload_error(f"expected an array, got {describe(mandates)}", "data.mandates")
    return [
        _mandate(item, f"data.mandates[{index}]")
        for index, item in enumerate(mandates)
        if item is not None
    ]


def parse_mock_mandate(payload: object) -> Mandate:
    """A POST Create Mock Mandate response (undocumented, A22).

    Accepted: ``{"data": {<mandate>}}``, ``{"data": {"mandate": {...}}}``,
    ``{"data": {"mandates": [{...}, ...]}}`` (the first one) and a bare ``{<mandate>}``.
    """
    root = as_object(payload, "$")
    data = root.get("data")
    if data is None and "status" in root:
        return _mandate(root, "$")
    data = as_object(data, "data")
    if "mandate" in data:
        return _mandate(data["mandate"], "data.mandate")
    if "mandates" in data:
        mandates = data["mandates"]
        if not isinstance(mandates, list) or not mandates:
            raise payload_error("expected a non-empty array", "data.mandates")
        return _mandate(mandates[0], "data.mandates[0]")
    return _mandate(data, "data")


__all__ = ["parse_mandates", "parse_mock_mandate"]
