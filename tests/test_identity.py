from __future__ import annotations

import json
from datetime import date

import pytest

from eid.errors import MalformedInput
from eid.identity import (
    DOCUMENT_TYPES,
    Address,
    BirthDate,
    CardNumber,
    EnterpriseNumber,
    Identity,
    NationalNumber,
    SpecialStatus,
    parse_birth_date,
)

# -- national numbers ------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["85073003328", "85.07.30-033.28", " 85 07 30 033 28 "])
def test_national_number_forms(text: str) -> None:
    number = NationalNumber.parse(text)
    assert str(number) == "85073003328"
    assert number.formatted == "85.07.30-033.28"
    assert number.birth_date == date(1985, 7, 30)
    assert number.sex == "M"
    assert not number.born_after_2000
    assert not number.is_bis


@pytest.mark.parametrize(
    ("text", "sex"), [("01020300467", "F"), ("01.02.03-005.66", "M"), ("07010100155", "M")]
)
def test_national_number_born_after_2000(text: str, sex: str) -> None:
    number = NationalNumber.parse(text)
    assert number.born_after_2000
    assert number.sex == sex
    assert number.birth_date is not None
    assert number.birth_date.year >= 2000


def test_national_number_2000_rule_gives_the_century() -> None:
    assert NationalNumber.parse("01020300467").birth_date == date(2001, 2, 3)


@pytest.mark.parametrize(
    ("text", "offset", "sex"),
    [("85273003371", 20, None), ("85473003317", 40, "M"), ("85473003416", 40, "F")],
)
def test_bis_numbers(text: str, offset: int, sex: str | None) -> None:
    number = NationalNumber.parse(text)
    assert number.is_bis
    assert number.bis_offset == offset
    assert number.sex == sex
    assert number.birth_date == date(1985, 7, 30)


@pytest.mark.parametrize("text", ["85000012313", "85200012356", "71715100070"])
def test_unknown_birth_date_is_none(text: str) -> None:
    assert NationalNumber.parse(text).birth_date is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("85073003329", "checksum"),
        ("8507300332", "length"),
        ("850730033288", "length"),
        ("85O73003328", "non-digit"),
        ("abc", "non-digit"),
        ("", "empty"),
    ],
)
def test_bad_national_numbers(text: str, problem: str) -> None:
    with pytest.raises(MalformedInput, match=problem) as caught:
        NationalNumber.parse(text)
    assert caught.value.field == "national_number"


def test_national_number_repr_is_masked() -> None:
    number = NationalNumber.parse("85073003328")
    assert repr(number) == "NationalNumber('85.07.30-***.**')"
    assert "033" not in repr(number)


# -- enterprise numbers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0203.201.340", "0203201340"),
        ("0417.497.106", "0417497106"),
        ("BE0123456749", "0123456749"),
        ("be 0123 456 749", "0123456749"),
        ("417497106", "0417497106"),
    ],
)
def test_enterprise_numbers(text: str, value: str) -> None:
    number = EnterpriseNumber.parse(text)
    assert str(number) == value
    assert number.formatted == f"{value[:4]}.{value[4:7]}.{value[7:]}"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("0203.201.341", "checksum"),
        ("2203201340", "start with 0 or 1"),
        ("02032013", "length"),
        ("0203.201.34X", "non-digit"),
    ],
)
def test_bad_enterprise_numbers(text: str, problem: str) -> None:
    with pytest.raises(MalformedInput, match=problem):
        EnterpriseNumber.parse(text)


# -- card numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["591123456753", "591-1234567-53", "591 1234567 53"])
def test_belgian_card_number(text: str) -> None:
    number = CardNumber.parse(text)
    assert number.checked
    assert str(number) == "591123456753"
    assert number.formatted == "591-1234567-53"
    assert number.masked == "591-*******-53"


def test_card_number_check_zero_is_written_97() -> None:
    assert CardNumber.parse("000000009797").checked


def test_foreigner_card_number_is_kept_unchecked() -> None:
    number = CardNumber.parse("B 0123456789")
    assert not number.checked
    assert str(number) == "B0123456789"
    assert number.formatted == "B0123456789"


@pytest.mark.parametrize(
    ("text", "problem"),
    [("591123456754", "checksum"), ("591-1234567/5é", "letters and digits"), (" ", "empty")],
)
def test_bad_card_numbers(text: str, problem: str) -> None:
    with pytest.raises(MalformedInput, match=problem):
        CardNumber.parse(text)


# -- birth dates -----------------------------------------------------------------------------

MONTHS = {
    "nl": ["JAN", "FEB", "MAAR", "APR", "MEI", "JUN", "JUL", "AUG", "SEP", "OKT", "NOV", "DEC"],
    "fr": ["JAN", "FEV", "MARS", "AVR", "MAI", "JUIN", "JUIL", "AOUT", "SEPT", "OCT", "NOV", "DEC"],
    "de": ["JAN", "FEB", "MÄR", "APR", "MAI", "JUN", "JUL", "AUG", "SEP", "OKT", "NOV", "DEZ"],
}


@pytest.mark.parametrize(
    ("language", "month"), [(lang, m) for lang in MONTHS for m in range(1, 13)]
)
def test_every_month_in_every_language(language: str, month: int) -> None:
    name = MONTHS[language][month - 1]
    text = f"12.{name}.1985" if language == "de" else f"12 {name} 1985"
    parsed = parse_birth_date(text)
    assert parsed == BirthDate(1985, month, 12)
    assert parsed.to_date() == date(1985, month, 12)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30 JUL 1985", BirthDate(1985, 7, 30)),
        ("30 JUIL 1985", BirthDate(1985, 7, 30)),
        ("30.JUL.1985", BirthDate(1985, 7, 30)),
        ("30 MAAR 1985", BirthDate(1985, 3, 30)),
        ("30 MÄR 1985", BirthDate(1985, 3, 30)),
        ("30.DEZ.1985", BirthDate(1985, 12, 30)),
        ("1 JAN 1971", BirthDate(1971, 1, 1)),
        ("01  JAN  1971", BirthDate(1971, 1, 1)),
        (" 29 sept 1979 ", BirthDate(1979, 9, 29)),
        ("JUL 1985", BirthDate(1985, 7)),
        ("00 JUL 1985", BirthDate(1985, 7)),
        ("1985", BirthDate(1985)),
    ],
)
def test_irregular_birth_dates(text: str, expected: BirthDate) -> None:
    assert parse_birth_date(text) == expected


def test_partial_birth_date() -> None:
    partial = parse_birth_date("1985")
    assert partial.to_date() is None
    assert str(partial) == "1985"
    assert str(BirthDate(1985, 7)) == "1985-07"
    assert str(BirthDate(1985, 7, 30)) == "1985-07-30"
    assert BirthDate(1985, 7, 3).to_card_text() == "03 JUL 1985"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "30 JULY 1985",
        "30 XYZ 1985",
        "32 JAN 1985",
        "29 FEB 1985",
        "85",
        "30-07-1985",
        "a b c d",
    ],
)
def test_garbage_birth_dates(text: str) -> None:
    with pytest.raises(MalformedInput):
        parse_birth_date(text)


def test_day_without_month_is_refused() -> None:
    with pytest.raises(MalformedInput, match="day without a month"):
        BirthDate(1985, None, 3)


# -- identity and address --------------------------------------------------------------------


def make_identity(**changes: object) -> Identity:
    values: dict[str, object] = {
        "card_number": CardNumber.parse("591-1234567-53"),
        "chip_number": "534C494E33660013930D29C77F032F16",
        "validity_begin": date(2020, 1, 2),
        "validity_end": date(2030, 1, 2),
        "issuing_municipality": "Antwerpen",
        "national_number": NationalNumber.parse("85073003328"),
        "surname": "Peeters",
        "given_names": "Jan Pieter",
        "nationality": "Belg",
        "birth_place": "Gent",
        "birth_date": BirthDate(1985, 7, 30),
        "sex": "M",
        "document_type": 1,
        "photo_hash": bytes(20),
        **changes,
    }
    return Identity(**values)  # type: ignore[arg-type]


def test_identity_repr_hides_personal_data() -> None:
    identity = make_identity(special_status=5)
    text = repr(identity)
    assert "Peeters" not in text
    assert "85073003328" not in text
    assert "85.07" not in text
    assert "591-*******-53" in text
    assert "Peeters" in str(identity)


def test_identity_to_dict_is_json_ready() -> None:
    identity = make_identity(special_status=3, extra={0x1F: b"\x01"}, employer_vat_1="0203201340")
    data = identity.to_dict()
    json.dumps(data)
    assert data["national_number"] == "85073003328"
    assert data["birth_date"] == "1985-07-30"
    assert data["validity_end"] == "2030-01-02"
    assert data["special_status_names"] == ["white_cane", "extended_minority"]
    assert data["document_type_name"] == DOCUMENT_TYPES[1]
    assert data["extra"] == {"0x1F": "01"}
    assert data["employer_vat_1"] == "0203201340"
    assert "duplicate" not in data


def test_special_status_flags() -> None:
    assert make_identity(special_status=4).special_status_flags == SpecialStatus.YELLOW_CANE
    assert SpecialStatus(8).names == ()


def test_address() -> None:
    address = Address("Meirplaats 1 bus 1", "2000", "Antwerpen")
    assert repr(address) == "Address(***)"
    assert str(address) == "Meirplaats 1 bus 1, 2000 Antwerpen"
    assert address.to_dict()["zip_code"] == "2000"
