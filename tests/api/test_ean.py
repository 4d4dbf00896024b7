"""EAN validation, the GS1 check digit, masking, and mock-EAN decoding for every addendum row."""

from __future__ import annotations

import pytest

from custom_components.fluvius.api import (
    DataServiceType,
    Direction,
    EnergyType,
    Granularity,
    InvalidEanError,
    MeterKind,
    MockDirection,
    SubmeterKind,
    decode_mock_ean,
    gs1_check_digit,
    has_valid_check_digit,
    mask_ean,
    validate_ean,
)

DM, AMR = MeterKind.DIGITAL, MeterKind.AMR
E, G = EnergyType.ELECTRICITY, EnergyType.GAS
OFF, BOTH, INJ = MockDirection.OFFTAKE, MockDirection.OFFTAKE_AND_INJECTION, MockDirection.INJECTION
NONE, PROD, OTHER = SubmeterKind.NONE, SubmeterKind.PRODUCTION, SubmeterKind.NON_PRODUCTION


def test_gs1_check_digit() -> None:
    # GS1's worked example (GTIN-13 629104150021 -> 3) and a GSRN-18 one.
    assert gs1_check_digit("629104150021") == 3
    assert gs1_check_digit("54144881000011111") == 8
    assert gs1_check_digit("00000000000000000") == 0
    assert has_valid_check_digit("541448810000111118")
    assert not has_valid_check_digit("541448810000111111")
    assert not has_valid_check_digit("5")
    assert not has_valid_check_digit("54144881000011111x")
    with pytest.raises(InvalidEanError):
        gs1_check_digit("12a4")


@pytest.mark.parametrize(
    ("raw", "check", "result"),
    [
        ("541441234567891234", False, "541441234567891234"),
        (" 5414 4123 4567 8912 34 ", False, "541441234567891234"),
        ("5414\t48810000111118\n", True, "541448810000111118"),
        ("541440000000000001", False, "541440000000000001"),
    ],
)
def test_valid_eans(raw: str, check: bool, result: str) -> None:
    assert validate_ean(raw, require_check_digit=check) == result


@pytest.mark.parametrize(
    ("raw", "check", "reason"),
    [
        ("54144123456789123", False, "length"),
        ("5414412345678912345", False, "length"),
        ("", False, "digits"),
        ("54144123456789123A", False, "digits"),
        ("5414-4123-4567-8912-34", False, "digits"),
        ("\uff15\uff14\uff11\uff14" + "4" * 14, False, "digits"),  # full-width digits
        ("871441234567891234", False, "prefix"),
        ("541441234567891234", True, "check_digit"),  # the spec's example EAN
        ("541448810000111111", True, "check_digit"),
    ],
)
def test_invalid_eans(raw: str, check: bool, reason: str) -> None:
    with pytest.raises(InvalidEanError) as info:
        validate_ean(raw, require_check_digit=check)
    assert info.value.reason == reason
    assert isinstance(info.value, ValueError)
    assert reason in str(info.value)


def test_mask_ean() -> None:
    assert mask_ean("541441234567891234") == "5414**********1234"
    assert mask_ean("123456789") == "1234*6789"
    assert mask_ean("12345678") == "********"
    assert mask_ean("") == ""


# Every addendum row (fluvius-api.md §10.3): (first EAN of the day range, kind, energy, direction,
# submeter, installation, auxiliary, row). The quarter-hour range differs only in position 8.
ROWS = [
    ("541450200000000000", AMR, E, INJ, NONE, None, False, "A1"),
    ("541450000000000000", AMR, E, OFF, NONE, None, False, "A2"),
    ("541451200000000000", AMR, G, INJ, NONE, None, False, "A3"),
    ("541451000000000000", AMR, G, OFF, NONE, None, False, "A4"),
    ("541440000000000000", DM, E, OFF, NONE, None, False, "A5"),
    ("541440100000000000", DM, E, BOTH, NONE, None, False, "A6"),
    ("541441000000000000", DM, G, OFF, NONE, None, False, "A7"),
    ("541450201000000000", AMR, E, INJ, PROD, "PV", True, "B1"),
    ("541450201000000100", AMR, E, INJ, PROD, "PV", False, "B2"),
    ("541450201000000200", AMR, E, INJ, PROD, "WTR", True, "B3"),
    ("541450201000000300", AMR, E, INJ, PROD, "WTR", False, "B4"),
    ("541450201000000400", AMR, E, INJ, PROD, "WND", True, "B5"),
    ("541450201000000500", AMR, E, INJ, PROD, "WND", False, "B6"),
    ("541450201000000600", AMR, E, INJ, PROD, "WKKA", False, "B7"),
    ("541450001000000000", AMR, E, OFF, PROD, "PV", True, "C8"),
    ("541450001000000100", AMR, E, OFF, PROD, "PV", False, "C9"),
    ("541450001000000200", AMR, E, OFF, PROD, "WTR", True, "C10"),
    ("541450001000000300", AMR, E, OFF, PROD, "WTR", False, "C11"),
    ("541450001000000400", AMR, E, OFF, PROD, "WND", True, "C12"),
    ("541450001000000500", AMR, E, OFF, PROD, "WND", False, "C13"),
    ("541450001000000600", AMR, E, OFF, PROD, "WKKA", False, "C14"),
    ("541450002000000000", AMR, E, OFF, OTHER, None, False, "D15"),
    ("541451002000000000", AMR, G, OFF, OTHER, None, False, "D16"),
]
# The last EAN of each production range (Tables B/C): the installation is the same at both ends.
RANGE_ENDS = {
    **{f"B{i + 1}": end for i, end in enumerate((99, 199, 299, 399, 499, 599, 999))},
    **{f"C{i + 8}": end for i, end in enumerate((99, 199, 299, 399, 499, 599, 999))},
}


@pytest.mark.parametrize("quarter_hour", [False, True], ids=["dag", "kwartier"])
@pytest.mark.parametrize(
    ("first", "kind", "energy", "direction", "submeter", "installation", "aux", "row"),
    ROWS,
    ids=[row[-1] for row in ROWS],
)
def test_every_addendum_row(
    first: str,
    kind: MeterKind,
    energy: EnergyType,
    direction: MockDirection,
    submeter: SubmeterKind,
    installation: str | None,
    aux: bool,
    row: str,
    quarter_hour: bool,
) -> None:
    base = first[:7] + ("1" if quarter_hour else "0") + first[8:]
    last_model = RANGE_ENDS.get(row, 999)
    for model in (int(first[15:]), last_model):
        ean = base[:15] + f"{model:03d}"
        decoded = decode_mock_ean(ean)
        assert decoded is not None, ean
        assert decoded.ean == ean
        assert decoded.meter_kind is kind
        assert decoded.amr is (kind is AMR)
        assert decoded.energy_type is energy
        assert decoded.direction is direction
        assert decoded.submeter is submeter
        assert decoded.installation_type == installation
        assert decoded.auxiliary is aux
        assert decoded.model == model
        assert decoded.addendum_row == row
        assert decoded.allowed
        if quarter_hour:
            assert decoded.data_service_type is DataServiceType.QUARTER_HOURLY
            assert decoded.granularity is Granularity.HOURLY_QUARTERHOURLY
        else:
            assert decoded.data_service_type is DataServiceType.DAILY
            assert decoded.granularity is Granularity.DAILY


def test_spec_examples_decode() -> None:
    worked = decode_mock_ean("541440110000000000")  # §10.2 worked example
    assert worked is not None
    assert (worked.meter_kind, worked.direction, worked.addendum_row) == (DM, BOTH, "A6")
    assert worked.data_service_type is DataServiceType.QUARTER_HOURLY
    assert worked.directions == (Direction.OFFTAKE, Direction.INJECTION)
    body = decode_mock_ean("5414 4000 0000 0000 01")  # the mock mandate body's EAN
    assert body is not None
    assert (body.energy_type, body.data_service_type, body.model) == (E, DataServiceType.DAILY, 1)
    assert body.directions == (Direction.OFFTAKE,)
    injection = decode_mock_ean("541450210000000123")
    assert injection is not None
    assert injection.directions == (Direction.INJECTION,)


@pytest.mark.parametrize(
    "ean",
    [
        "541440200000000000",  # digital meter, injection only (AMR only)
        "541450100000000000",  # AMR, offtake + injection (digital only)
        "541441100000000000",  # digital gas, offtake + injection
        "541440001000000000",  # digital meter with a production submeter ("Enkel AMR!")
        "541440002000000000",  # digital meter with another submeter
        "541451001000000000",  # AMR gas with a production submeter
        "541451201000000000",  # AMR gas injection with a production submeter
        "541450202000000000",  # AMR electricity injection with a non-production submeter
        "541451202000000000",  # AMR gas injection with a non-production submeter
    ],
)
def test_combinations_the_addendum_does_not_list(ean: str) -> None:
    decoded = decode_mock_ean(ean)
    assert decoded is not None
    assert not decoded.allowed
    assert decoded.addendum_row is None


@pytest.mark.parametrize(
    "ean",
    [
        "541441234567891234",  # the spec's example EAN: digits 10-15 are not 000000
        "541448810000111111",  # a real-looking EAN
        "541460000000000000",  # meter kind 6
        "541442000000000000",  # energy type 2
        "541440300000000000",  # direction 3
        "541440020000000000",  # access level 2
        "541440003000000000",  # submeter 3
        "871440000000000000",  # not Belgian
        "54144000000000000",  # 17 digits
        "54144000000000000x",
    ],
)
def test_not_mock_eans(ean: str) -> None:
    assert decode_mock_ean(ean) is None
