"""Sandbox mock EANs: what each digit means, which combinations exist (fluvius-api.md §10.2-4).

A mock EAN is ``5414`` + meter kind + energy + direction + detail level + submeter + ``000000`` +
a three-digit data model::

    position  5: 4 digital meter, 5 AMR meter
    position  6: 0 electricity, 1 gas
    position  7: 0 offtake only, 1 offtake + injection (digital only), 2 injection only (AMR only)
    position  8: 0 access VH_dag, 1 access VH_kwartier_uur
    position  9: 0 no submeter, 1 production submeter (AMR electricity), 2 non-production submeter
    position 10-15: 000000
    position 16-18: data model 000-999 (production submeters: also the installation type)

Only the combinations of the addendum's tables A-D are allowed (:data:`ADDENDUM_ROWS`). Submeters
get their own EANs here (the sandbox spec does not say which): the main EAN with position 13 set
to 8 (production), 9 (auxiliary consumption) or 7 (non-production offtake submeter).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class InvalidEanError(ValueError):
    """Not an 18-digit EAN, or not one of the sandbox's mock EAN combinations."""


class MeterKind(StrEnum):
    DIGITAL = "digital"
    AMR = "amr"


class EnergyType(StrEnum):
    ELECTRICITY = "E"
    GAS = "G"


class MeterDirection(StrEnum):
    OFFTAKE = "offtake"
    OFFTAKE_INJECTION = "offtake_injection"
    INJECTION = "injection"


class DataServiceType(StrEnum):
    DAILY = "VH_dag"
    QUARTER_HOURLY = "VH_kwartier_uur"


class SubmeterKind(StrEnum):
    NONE = "none"
    PRODUCTION = "production"
    NON_PRODUCTION = "non_production"


class SubType(StrEnum):
    """``$type`` of a sub-headpoint."""

    PRODUCTION = "submetering-production"
    AUXILIARY = "submetering-auxiliary"
    OFFTAKE = "submetering-offtake"


@dataclass(frozen=True, slots=True)
class SubmeterInfo:
    """One AMR submeter of a mock EAN."""

    ean: str
    sub_type: SubType
    direction: str  # measurement key: production, auxiliary or offtake
    seq_number: str
    installation_type: str | None  # PV, WTR, WND, WKKA for production and auxiliary


@dataclass(frozen=True, slots=True)
class AddendumRow:
    """One row of the addendum: the day-level and quarter-hour-level ranges (inclusive)."""

    number: str
    day_from: str
    day_to: str
    quarter_from: str
    quarter_to: str
    description: str


# The addendum (fluvius-api.md §10.3), transcribed range by range.
ADDENDUM_ROWS: Final[tuple[AddendumRow, ...]] = (
    AddendumRow(
        "A1",
        "541450200000000000",
        "541450200000000999",
        "541450210000000000",
        "541450210000000999",
        "AMR electricity injection",
    ),
    AddendumRow(
        "A2",
        "541450000000000000",
        "541450000000000999",
        "541450010000000000",
        "541450010000000999",
        "AMR electricity offtake",
    ),
    AddendumRow(
        "A3",
        "541451200000000000",
        "541451200000000999",
        "541451210000000000",
        "541451210000000999",
        "AMR gas injection",
    ),
    AddendumRow(
        "A4",
        "541451000000000000",
        "541451000000000999",
        "541451010000000000",
        "541451010000000999",
        "AMR gas offtake",
    ),
    AddendumRow(
        "A5",
        "541440000000000000",
        "541440000000000999",
        "541440010000000000",
        "541440010000000999",
        "Digital meter electricity offtake",
    ),
    AddendumRow(
        "A6",
        "541440100000000000",
        "541440100000000999",
        "541440110000000000",
        "541440110000000999",
        "Digital meter electricity offtake + injection",
    ),
    AddendumRow(
        "A7",
        "541441000000000000",
        "541441000000000999",
        "541441010000000000",
        "541441010000000999",
        "Digital meter gas offtake",
    ),
    AddendumRow(
        "B1",
        "541450201000000000",
        "541450201000000099",
        "541450211000000000",
        "541450211000000099",
        "AMR electricity injection, PV production + auxiliary",
    ),
    AddendumRow(
        "B2",
        "541450201000000100",
        "541450201000000199",
        "541450211000000100",
        "541450211000000199",
        "AMR electricity injection, PV production only",
    ),
    AddendumRow(
        "B3",
        "541450201000000200",
        "541450201000000299",
        "541450211000000200",
        "541450211000000299",
        "AMR electricity injection, WTR production + auxiliary",
    ),
    AddendumRow(
        "B4",
        "541450201000000300",
        "541450201000000399",
        "541450211000000300",
        "541450211000000399",
        "AMR electricity injection, WTR production only",
    ),
    AddendumRow(
        "B5",
        "541450201000000400",
        "541450201000000499",
        "541450211000000400",
        "541450211000000499",
        "AMR electricity injection, WND production + auxiliary",
    ),
    AddendumRow(
        "B6",
        "541450201000000500",
        "541450201000000599",
        "541450211000000500",
        "541450211000000599",
        "AMR electricity injection, WND production only",
    ),
    AddendumRow(
        "B7",
        "541450201000000600",
        "541450201000000999",
        "541450211000000600",
        "541450211000000999",
        "AMR electricity injection, WKKA production only",
    ),
    AddendumRow(
        "C8",
        "541450001000000000",
        "541450001000000099",
        "541450011000000000",
        "541450011000000099",
        "AMR electricity offtake, PV production + auxiliary",
    ),
    AddendumRow(
        "C9",
        "541450001000000100",
        "541450001000000199",
        "541450011000000100",
        "541450011000000199",
        "AMR electricity offtake, PV production only",
    ),
    AddendumRow(
        "C10",
        "541450001000000200",
        "541450001000000299",
        "541450011000000200",
        "541450011000000299",
        "AMR electricity offtake, WTR production + auxiliary",
    ),
    AddendumRow(
        "C11",
        "541450001000000300",
        "541450001000000399",
        "541450011000000300",
        "541450011000000399",
        "AMR electricity offtake, WTR production only",
    ),
    AddendumRow(
        "C12",
        "541450001000000400",
        "541450001000000499",
        "541450011000000400",
        "541450011000000499",
        "AMR electricity offtake, WND production + auxiliary",
    ),
    AddendumRow(
        "C13",
        "541450001000000500",
        "541450001000000599",
        "541450011000000500",
        "541450011000000599",
        "AMR electricity offtake, WND production only",
    ),
    AddendumRow(
        "C14",
        "541450001000000600",
        "541450001000000999",
        "541450011000000600",
        "541450011000000999",
        "AMR electricity offtake, WKKA production only",
    ),
    AddendumRow(
        "D15",
        "541450002000000000",
        "541450002000000999",
        "541450012000000000",
        "541450012000000999",
        "AMR electricity offtake, non-production submeter",
    ),
    AddendumRow(
        "D16",
        "541451002000000000",
        "541451002000000999",
        "541451012000000000",
        "541451012000000999",
        "AMR gas offtake, non-production submeter",
    ),
)

# (meter kind, energy, direction, submeter) -> addendum row number without the table letter.
_ALLOWED: Final[dict[tuple[str, str, str, str], str]] = {
    ("5", "0", "2", "0"): "A1",
    ("5", "0", "0", "0"): "A2",
    ("5", "1", "2", "0"): "A3",
    ("5", "1", "0", "0"): "A4",
    ("4", "0", "0", "0"): "A5",
    ("4", "0", "1", "0"): "A6",
    ("4", "1", "0", "0"): "A7",
    ("5", "0", "2", "1"): "B",
    ("5", "0", "0", "1"): "C",
    ("5", "0", "0", "2"): "D15",
    ("5", "1", "0", "2"): "D16",
}

# Production submeter model ranges: (first model, installation type, with auxiliary).
_PRODUCTION_MODELS: Final[tuple[tuple[int, str, bool], ...]] = (
    (0, "PV", True),
    (100, "PV", False),
    (200, "WTR", True),
    (300, "WTR", False),
    (400, "WND", True),
    (500, "WND", False),
    (600, "WKKA", False),
)

SUB_EAN_DIGIT: Final[dict[SubType, str]] = {
    SubType.PRODUCTION: "8",
    SubType.AUXILIARY: "9",
    SubType.OFFTAKE: "7",
}


def is_ean18(value: object) -> bool:
    """An EAN as the API wants it: a string of exactly 18 digits."""
    return isinstance(value, str) and len(value) == 18 and value.isascii() and value.isdigit()


def sub_ean(main_ean: str, sub_type: SubType) -> str:
    """The EAN the stand-in gives a submeter of ``main_ean``."""
    return main_ean[:12] + SUB_EAN_DIGIT[sub_type] + main_ean[13:]


@dataclass(frozen=True, slots=True)
class MockEan:
    """A decoded sandbox mock EAN."""

    ean: str
    meter_kind: MeterKind
    energy_type: EnergyType
    direction: MeterDirection
    data_service_type: DataServiceType
    submeter: SubmeterKind
    model: int
    addendum_row: str
    installation_type: str | None = None  # production submeters only
    auxiliary: bool = False  # production submeter with auxiliary consumption

    @property
    def is_amr(self) -> bool:
        return self.meter_kind is MeterKind.AMR

    @property
    def is_gas(self) -> bool:
        return self.energy_type is EnergyType.GAS

    @property
    def quarter_hourly(self) -> bool:
        """Access VH_kwartier_uur: quarter-hours (electricity) or hours (gas), and days."""
        return self.data_service_type is DataServiceType.QUARTER_HOURLY

    @property
    def main_directions(self) -> tuple[str, ...]:
        """Measurement keys on the main EAN."""
        if self.direction is MeterDirection.OFFTAKE_INJECTION:
            return ("offtake", "injection")
        return ("injection",) if self.direction is MeterDirection.INJECTION else ("offtake",)

    @property
    def submeters(self) -> tuple[SubmeterInfo, ...]:
        if self.submeter is SubmeterKind.PRODUCTION:
            subs = [
                SubmeterInfo(
                    sub_ean(self.ean, SubType.PRODUCTION),
                    SubType.PRODUCTION,
                    "production",
                    "1",
                    self.installation_type,
                )
            ]
            if self.auxiliary:
                subs.append(
                    SubmeterInfo(
                        sub_ean(self.ean, SubType.AUXILIARY),
                        SubType.AUXILIARY,
                        "auxiliary",
                        "1",
                        self.installation_type,
                    )
                )
            return tuple(subs)
        if self.submeter is SubmeterKind.NON_PRODUCTION:
            return (
                SubmeterInfo(
                    sub_ean(self.ean, SubType.OFFTAKE), SubType.OFFTAKE, "offtake", "1", None
                ),
            )
        return ()

    @property
    def description(self) -> str:
        for row in ADDENDUM_ROWS:
            if row.number == self.addendum_row:
                return row.description
        return self.addendum_row  # pragma: no cover


def parse_mock_ean(ean: object) -> MockEan:
    """Decode a mock EAN; :class:`InvalidEanError` says what is wrong with it."""
    if not isinstance(ean, str):
        raise InvalidEanError("ean must be a string of 18 digits")
    if not is_ean18(ean):
        raise InvalidEanError(f"ean '{ean}' must be exactly 18 digits")
    if not ean.startswith("5414"):
        raise InvalidEanError(f"ean '{ean}' must start with 5414")
    kind, energy, direction, detail, submeter = ean[4], ean[5], ean[6], ean[7], ean[8]
    if kind not in "45":
        raise InvalidEanError(
            f"ean '{ean}': digit 5 (meter type) must be 4 (digital) or 5 (AMR), not {kind}"
        )
    if energy not in "01":
        raise InvalidEanError(
            f"ean '{ean}': digit 6 (energy type) must be 0 (electricity) or 1 (gas), not {energy}"
        )
    if direction not in "012":
        raise InvalidEanError(
            f"ean '{ean}': digit 7 (direction) must be 0, 1 or 2, not {direction}"
        )
    if detail not in "01":
        raise InvalidEanError(
            f"ean '{ean}': digit 8 (detail level) must be 0 (VH_dag) or 1 (VH_kwartier_uur), "
            f"not {detail}"
        )
    if submeter not in "012":
        raise InvalidEanError(f"ean '{ean}': digit 9 (submeter) must be 0, 1 or 2, not {submeter}")
    if ean[9:15] != "000000":
        raise InvalidEanError(f"ean '{ean}': digits 10-15 must be 000000")
    row = _ALLOWED.get((kind, energy, direction, submeter))
    if row is None:
        raise InvalidEanError(
            f"ean '{ean}' is not an allowed sandbox combination (meter type {kind}, energy "
            f"{energy}, direction {direction}, submeter {submeter}); see the addendum"
        )
    model = int(ean[15:])
    installation_type: str | None = None
    auxiliary = False
    if submeter == "1":
        position = max(i for i, (first, _, _) in enumerate(_PRODUCTION_MODELS) if model >= first)
        _, installation_type, auxiliary = _PRODUCTION_MODELS[position]
        row = f"{row}{position + 1 if row == 'B' else position + 8}"
    return MockEan(
        ean=ean,
        meter_kind=MeterKind.DIGITAL if kind == "4" else MeterKind.AMR,
        energy_type=EnergyType.ELECTRICITY if energy == "0" else EnergyType.GAS,
        direction={
            "0": MeterDirection.OFFTAKE,
            "1": MeterDirection.OFFTAKE_INJECTION,
            "2": MeterDirection.INJECTION,
        }[direction],
        data_service_type=DataServiceType.DAILY
        if detail == "0"
        else DataServiceType.QUARTER_HOURLY,
        submeter={
            "0": SubmeterKind.NONE,
            "1": SubmeterKind.PRODUCTION,
            "2": SubmeterKind.NON_PRODUCTION,
        }[submeter],
        model=model,
        addendum_row=row,
        installation_type=installation_type,
        auxiliary=auxiliary,
    )
