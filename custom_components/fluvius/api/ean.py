"""EAN codes: validation, masking for logs, and decoding of the sandbox's mock EANs.

A Belgian connection EAN (GSRN) is 18 digits starting with ``5414`` (fluvius-api.md §5); the last
digit of a live EAN is a GS1 mod-10 check digit. None of the spec's examples nor the sandbox's
mock EANs carry a valid one, so the check digit is only required for live meters
(``require_check_digit=True``).

Mock EANs (§10.2 to §10.4) encode what the sandbox serves, digit by digit (1-based positions)::

    5414 | 4 | 0 | 1 | 1 | 0 | 000000 | xxx
    pfx  | meter kind (4 digital, 5 AMR)
         |   | energy (0 electricity, 1 gas)
         |   |   | direction (0 offtake, 1 offtake+injection (digital), 2 injection (AMR))
         |   |   |   | access level (0 VH_dag, 1 VH_kwartier_uur)
         |   |   |   |   | submeter (AMR only: 0 none, 1 production (+auxiliary), 2 other)
         |   |   |   |   |   | fixed     | model 000-999

Positions 7 and 8 follow the addendum, which lists the labels in the opposite order to the slide
(A1). For production submeters the model range also selects the installation (Tables B/C).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from .models import DataServiceType, Direction, EnergyType, Granularity

EAN_LENGTH: Final = 18
BELGIAN_PREFIX: Final = "5414"


class InvalidEanError(ValueError):
    """Not a usable EAN. ``reason`` is a translation-key-like code.

    ``length`` (not 18 digits), ``digits`` (not only digits), ``prefix`` (not Belgian,
    ``5414``), ``check_digit`` (GS1 check digit wrong).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid EAN: {reason}")
        self.reason = reason


def normalize_ean(ean: str) -> str:
    """The EAN without the spaces (or other whitespace) people type into it."""
    return "".join(ean.split())


def gs1_check_digit(digits: str) -> int:
    """The GS1 mod-10 check digit of ``digits`` (the data digits, without the check digit).

    From the right, the digits are weighted 3, 1, 3, 1, ...; the check digit brings the weighted
    sum to a multiple of ten.
    """
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidEanError("digits")
    total = 0
    for position, char in enumerate(reversed(digits)):
        total += int(char) * (3 if position % 2 == 0 else 1)
    return (10 - total % 10) % 10


def has_valid_check_digit(ean: str) -> bool:
    """Whether the last digit of ``ean`` is the GS1 check digit of the others."""
    return len(ean) >= 2 and ean.isdigit() and gs1_check_digit(ean[:-1]) == int(ean[-1])


def validate_ean(ean: str, *, require_check_digit: bool) -> str:
    """The EAN, normalised (spaces removed); :class:`InvalidEanError` when it is not one."""
    value = normalize_ean(ean)
    if not (value.isascii() and value.isdigit()):
        raise InvalidEanError("digits")
    if len(value) != EAN_LENGTH:
        raise InvalidEanError("length")
    if not value.startswith(BELGIAN_PREFIX):
        raise InvalidEanError("prefix")
    if require_check_digit and not has_valid_check_digit(value):
        raise InvalidEanError("check_digit")
    return value


def mask_ean(ean: str) -> str:
    """The EAN with all but its first and last four characters hidden: ``5414**********1234``.

    For logs and diagnostics. Short or odd values are hidden entirely.
    """
    if len(ean) <= 8:
        return "*" * len(ean)
    return ean[:4] + "*" * (len(ean) - 8) + ean[-4:]


# --- Sandbox mock EANs ------------------------------------------------------------------------


class MeterKind(StrEnum):
    DIGITAL = "digital"
    AMR = "amr"


class MockDirection(StrEnum):
    """Position 7: which directions the (main) meter measures."""

    OFFTAKE = "offtake"
    OFFTAKE_AND_INJECTION = "offtake_injection"  # digital meters only
    INJECTION = "injection"  # AMR only


class SubmeterKind(StrEnum):
    """Position 9: the AMR submeter behind the main meter."""

    NONE = "none"
    PRODUCTION = "production"  # production, with auxiliary consumption for some models
    NON_PRODUCTION = "non_production"


_KINDS: Final = {"4": MeterKind.DIGITAL, "5": MeterKind.AMR}
_ENERGY: Final = {"0": EnergyType.ELECTRICITY, "1": EnergyType.GAS}
_DIRECTION: Final = {
    "0": MockDirection.OFFTAKE,
    "1": MockDirection.OFFTAKE_AND_INJECTION,
    "2": MockDirection.INJECTION,
}
_SERVICE: Final = {"0": DataServiceType.DAILY, "1": DataServiceType.QUARTER_HOURLY}
_SUBMETER: Final = {
    "0": SubmeterKind.NONE,
    "1": SubmeterKind.PRODUCTION,
    "2": SubmeterKind.NON_PRODUCTION,
}

# Tables B and C: the model number of a production submeter selects the installation
# (model range start, installation type, with auxiliary consumption?).
PRODUCTION_MODELS: Final[tuple[tuple[int, str, bool], ...]] = (
    (0, "PV", True),
    (100, "PV", False),
    (200, "WTR", True),
    (300, "WTR", False),
    (400, "WND", True),
    (500, "WND", False),
    (600, "WKKA", False),
)

# The addendum (§10.3): allowed (meter kind, energy, direction, submeter) -> table row.
# Table A rows 1-7; Table B rows 1-7 (AMR electricity injection with production submeter) and
# Table C rows 8-14 (AMR electricity offtake with production submeter) depend on the model
# range; Table D rows 15-16.
_E, _G = EnergyType.ELECTRICITY, EnergyType.GAS
_ALLOWED: Final[dict[tuple[MeterKind, EnergyType, MockDirection, SubmeterKind], str]] = {
    (MeterKind.AMR, _E, MockDirection.INJECTION, SubmeterKind.NONE): "A1",
    (MeterKind.AMR, _E, MockDirection.OFFTAKE, SubmeterKind.NONE): "A2",
    (MeterKind.AMR, _G, MockDirection.INJECTION, SubmeterKind.NONE): "A3",
    (MeterKind.AMR, _G, MockDirection.OFFTAKE, SubmeterKind.NONE): "A4",
    (MeterKind.DIGITAL, _E, MockDirection.OFFTAKE, SubmeterKind.NONE): "A5",
    (MeterKind.DIGITAL, _E, MockDirection.OFFTAKE_AND_INJECTION, SubmeterKind.NONE): "A6",
    (MeterKind.DIGITAL, _G, MockDirection.OFFTAKE, SubmeterKind.NONE): "A7",
    (MeterKind.AMR, _E, MockDirection.INJECTION, SubmeterKind.PRODUCTION): "B",
    (MeterKind.AMR, _E, MockDirection.OFFTAKE, SubmeterKind.PRODUCTION): "C",
    (MeterKind.AMR, _E, MockDirection.OFFTAKE, SubmeterKind.NON_PRODUCTION): "D15",
    (MeterKind.AMR, _G, MockDirection.OFFTAKE, SubmeterKind.NON_PRODUCTION): "D16",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class MockEan:
    """What a sandbox mock EAN stands for (fluvius-api.md §10.2-§10.4)."""

    ean: str
    meter_kind: MeterKind
    energy_type: EnergyType
    direction: MockDirection
    data_service_type: DataServiceType
    submeter: SubmeterKind
    model: int  # 0-999, one of the 1,000 generated meters of the combination
    installation_type: str | None = None  # production submeters: PV, WTR, WND, WKKA
    auxiliary: bool = False  # production submeter with auxiliary consumption
    addendum_row: str | None = None  # e.g. "A5", "B3", "C10", "D16"; None when not allowed

    @property
    def allowed(self) -> bool:
        """Whether the addendum lists this combination (the sandbox refuses the others)."""
        return self.addendum_row is not None

    @property
    def amr(self) -> bool:
        return self.meter_kind is MeterKind.AMR

    @property
    def granularity(self) -> Granularity:
        """The GET Energy ``granularity`` the access level gives."""
        if self.data_service_type is DataServiceType.DAILY:
            return Granularity.DAILY
        return Granularity.HOURLY_QUARTERHOURLY

    @property
    def directions(self) -> tuple[Direction, ...]:
        """The directions the main EAN's data holds."""
        if self.direction is MockDirection.OFFTAKE:
            return (Direction.OFFTAKE,)
        if self.direction is MockDirection.INJECTION:
            return (Direction.INJECTION,)
        return (Direction.OFFTAKE, Direction.INJECTION)


def decode_mock_ean(ean: str) -> MockEan | None:
    """Decode a sandbox mock EAN; ``None`` when ``ean`` does not follow the mock layout.

    An EAN that follows the layout but whose combination the addendum does not list (a digital
    meter with a submeter, an AMR meter measuring offtake and injection, ...) decodes with
    ``allowed`` false.
    """
    value = normalize_ean(ean)
    if len(value) != EAN_LENGTH or not (value.isascii() and value.isdigit()):
        return None
    if not value.startswith(BELGIAN_PREFIX) or value[9:15] != "000000":
        return None
    kind = _KINDS.get(value[4])
    energy = _ENERGY.get(value[5])
    direction = _DIRECTION.get(value[6])
    service = _SERVICE.get(value[7])
    submeter = _SUBMETER.get(value[8])
    if kind is None or energy is None or direction is None or service is None or submeter is None:
        return None
    model = int(value[15:])
    installation: str | None = None
    auxiliary = False
    row = _ALLOWED.get((kind, energy, direction, submeter))
    if submeter is SubmeterKind.PRODUCTION:
        index = next(i for i in reversed(range(7)) if model >= PRODUCTION_MODELS[i][0])
        _, installation, auxiliary = PRODUCTION_MODELS[index]
        if row == "B":
            row = f"B{index + 1}"
        elif row == "C":
            row = f"C{index + 8}"
    return MockEan(
        ean=value,
        meter_kind=kind,
        energy_type=energy,
        direction=direction,
        data_service_type=service,
        submeter=submeter,
        model=model,
        installation_type=installation,
        auxiliary=auxiliary,
        addendum_row=row,
    )
