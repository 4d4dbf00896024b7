"""Mock-EAN semantics: every addendum row (both ends of both ranges) and rejected combinations."""

from __future__ import annotations

import pytest

from fluvius_sandbox.eans import (
    ADDENDUM_ROWS,
    DataServiceType,
    EnergyType,
    InvalidEanError,
    MeterDirection,
    MeterKind,
    SubmeterKind,
    SubType,
    parse_mock_ean,
    sub_ean,
)

# The addendum as in fluvius-api.md §10.3, written out again independently of the module:
# (row, day from, day to, quarter from, quarter to, kind, energy, direction, submeter, type, aux)
ADDENDUM = [
    ("A1", "541450200000000000", "541450200000000999", "541450210000000000",
     "541450210000000999", "amr", "E", "injection", "none", None, False),
    ("A2", "541450000000000000", "541450000000000999", "541450010000000000",
     "541450010000000999", "amr", "E", "offtake", "none", None, False),
    ("A3", "541451200000000000", "541451200000000999", "541451210000000000",
     "541451210000000999", "amr", "G", "injection", "none", None, False),
    ("A4", "541451000000000000", "541451000000000999", "541451010000000000",
     "541451010000000999", "amr", "G", "offtake", "none", None, False),
    ("A5", "541440000000000000", "541440000000000999", "541440010000000000",
     "541440010000000999", "digital", "E", "offtake", "none", None, False),
    ("A6", "541440100000000000", "541440100000000999", "541440110000000000",
     "541440110000000999", "digital", "E", "offtake_injection", "none", None, False),
    ("A7", "541441000000000000", "541441000000000999", "541441010000000000",
     "541441010000000999", "digital", "G", "offtake", "none", None, False),
    ("B1", "541450201000000000", "541450201000000099", "541450211000000000",
     "541450211000000099", "amr", "E", "injection", "production", "PV", True),
    ("B2", "541450201000000100", "541450201000000199", "541450211000000100",
     "541450211000000199", "amr", "E", "injection", "production", "PV", False),
    ("B3", "541450201000000200", "541450201000000299", "541450211000000200",
     "541450211000000299", "amr", "E", "injection", "production", "WTR", True),
    ("B4", "541450201000000300", "541450201000000399", "541450211000000300",
     "541450211000000399", "amr", "E", "injection", "production", "WTR", False),
    ("B5", "541450201000000400", "541450201000000499", "541450211000000400",
     "541450211000000499", "amr", "E", "injection", "production", "WND", True),
    ("B6", "541450201000000500", "541450201000000599", "541450211000000500",
     "541450211000000599", "amr", "E", "injection", "production", "WND", False),
    ("B7", "541450201000000600", "541450201000000999", "541450211000000600",
     "541450211000000999", "amr", "E", "injection", "production", "WKKA", False),
    ("C8", "541450001000000000", "541450001000000099", "541450011000000000",
     "541450011000000099", "amr", "E", "offtake", "production", "PV", True),
    ("C9", "541450001000000100", "541450001000000199", "541450011000000100",
     "541450011000000199", "amr", "E", "offtake", "production", "PV", False),
    ("C10", "541450001000000200", "541450001000000299", "541450011000000200",
     "541450011000000299", "amr", "E", "offtake", "production", "WTR", True),
    ("C11", "541450001000000300", "541450001000000399", "541450011000000300",
     "541450011000000399", "amr", "E", "offtake", "production", "WTR", False),
    ("C12", "541450001000000400", "541450001000000499", "541450011000000400",
     "541450011000000499", "amr", "E", "offtake", "production", "WND", True),
    ("C13", "541450001000000500", "541450001000000599", "541450011000000500",
     "541450011000000599", "amr", "E", "offtake", "production", "WND", False),
    ("C14", "541450001000000600", "541450001000000999", "541450011000000600",
     "541450011000000999", "amr", "E", "offtake", "production", "WKKA", False),
    ("D15", "541450002000000000", "541450002000000999", "541450012000000000",
     "541450012000000999", "amr", "E", "offtake", "non_production", None, False),
    ("D16", "541451002000000000", "541451002000000999", "541451012000000000",
     "541451012000000999", "amr", "G", "offtake", "non_production", None, False),
]  # fmt: skip


def test_module_table_matches_the_addendum() -> None:
    assert [
        (r.number, r.day_from, r.day_to, r.quarter_from, r.quarter_to) for r in ADDENDUM_ROWS
    ] == [row[:5] for row in ADDENDUM]


@pytest.mark.parametrize("row", ADDENDUM, ids=[row[0] for row in ADDENDUM])
def test_every_addendum_row(row: tuple) -> None:  # type: ignore[type-arg]
    number, day_from, day_to, qh_from, qh_to, kind, energy, direction, sub, inst, aux = row
    for ean, service in (
        (day_from, DataServiceType.DAILY),
        (day_to, DataServiceType.DAILY),
        (qh_from, DataServiceType.QUARTER_HOURLY),
        (qh_to, DataServiceType.QUARTER_HOURLY),
    ):
        mock = parse_mock_ean(ean)
        assert mock.addendum_row == number
        assert mock.meter_kind is MeterKind(kind)
        assert mock.energy_type is EnergyType(energy)
        assert mock.direction is MeterDirection(direction)
        assert mock.data_service_type is service
        assert mock.submeter is SubmeterKind(sub)
        assert mock.installation_type == inst
        assert mock.auxiliary is aux
        assert mock.model == int(ean[15:])
    # Just outside a range: the neighbouring row (production ranges) or nothing.
    if int(day_to[15:]) == 999:
        with pytest.raises(InvalidEanError):
            parse_mock_ean(str(int(day_to) + 1))


def test_every_valid_ean_is_in_exactly_one_row() -> None:
    """Walk all 10 x 3 x 2 x 3 x 2 digit combinations x models 0, 99, 100, 599, 600, 999."""
    accepted = 0
    for kind in "0123456789":
        for energy in "012":
            for direction in "0123":
                for detail in "012":
                    for submeter in "0123":
                        for model in ("000", "099", "100", "599", "600", "999"):
                            ean = f"5414{kind}{energy}{direction}{detail}{submeter}000000{model}"
                            rows = [
                                r[0] for r in ADDENDUM if r[1] <= ean <= r[2] or r[3] <= ean <= r[4]
                            ]
                            try:
                                mock = parse_mock_ean(ean)
                            except InvalidEanError:
                                assert rows == [], ean
                                continue
                            accepted += 1
                            assert rows == [mock.addendum_row], ean
    # 11 digit combinations (A1-A7, B, C, D15, D16) x 2 detail levels x 6 models
    assert accepted == 11 * 2 * 6


@pytest.mark.parametrize(
    ("ean", "reason"),
    [
        ("541440000000001", "18 digits"),
        ("5414400000000000011", "18 digits"),
        ("54144000000000000a", "18 digits"),
        ("541340000000000001", "5414"),
        ("541460000000000001", "digit 5"),
        ("541442000000000001", "digit 6"),
        ("541440300000000001", "digit 7"),
        ("541440020000000001", "digit 8"),
        ("541440003000000001", "digit 9"),
        ("541440000100000001", "digits 10-15"),
        ("541440200000000001", "not an allowed"),  # digital meter, injection only
        ("541450100000000001", "not an allowed"),  # AMR offtake + injection
        ("541440001000000001", "not an allowed"),  # digital meter with submeter
        ("541441100000000001", "not an allowed"),  # digital gas offtake + injection
        ("541451001000000001", "not an allowed"),  # gas with production submeter
        ("541451202000000001", "not an allowed"),  # gas injection with submeter
        ("541450202000000001", "not an allowed"),  # AMR injection, non-production submeter
    ],
)
def test_rejected(ean: str, reason: str) -> None:
    with pytest.raises(InvalidEanError, match=reason):
        parse_mock_ean(ean)


def test_not_a_string() -> None:
    with pytest.raises(InvalidEanError):
        parse_mock_ean(541440000000000001)


def test_submeters() -> None:
    both = parse_mock_ean("541450011000000001")
    assert [
        (s.sub_type, s.direction, s.seq_number, s.installation_type) for s in both.submeters
    ] == [
        (SubType.PRODUCTION, "production", "1", "PV"),
        (SubType.AUXILIARY, "auxiliary", "1", "PV"),
    ]
    assert [s.ean for s in both.submeters] == ["541450011000800001", "541450011000900001"]
    assert parse_mock_ean("541450211000000650").submeters[0].installation_type == "WKKA"
    assert len(parse_mock_ean("541450211000000650").submeters) == 1
    offtake = parse_mock_ean("541451012000000007").submeters
    assert [(s.sub_type, s.direction, s.installation_type) for s in offtake] == [
        (SubType.OFFTAKE, "offtake", None)
    ]
    assert sub_ean("541451012000000007", SubType.OFFTAKE) == "541451012000700007"
    assert parse_mock_ean("541440110000000001").submeters == ()


def test_main_directions() -> None:
    assert parse_mock_ean("541440110000000001").main_directions == ("offtake", "injection")
    assert parse_mock_ean("541450210000000001").main_directions == ("injection",)
    assert parse_mock_ean("541451010000000001").main_directions == ("offtake",)
    assert parse_mock_ean("541451210000000001").main_directions == ("injection",)
    assert "PV" in parse_mock_ean("541450011000000001").description
