"""The holder's identity and address as the eID card records them."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from eid.identity.birth_date import BirthDate
from eid.identity.national_number import NationalNumber, Sex
from eid.identity.numbers import CardNumber

DOCUMENT_TYPES: Mapping[int, str] = {
    1: "Belgian identity card",
    6: "Kids-ID (child under 12)",
    7: "Bootstrap card",
    8: "Habilitation card",
    11: "Foreigner card A (temporary residence)",
    12: "Foreigner card B (register of foreigners)",
    13: "Foreigner card C (identity card for foreigners)",
    14: "Foreigner card D (EU long-term resident)",
    15: "Foreigner card E (EU citizen, registration certificate)",
    16: "Foreigner card E+ (EU citizen, permanent residence)",
    17: "Foreigner card F (family member of an EU citizen)",
    18: "Foreigner card F+ (family member of an EU citizen, permanent residence)",
    19: "Foreigner card H (European blue card)",
}
"""Readable names of the document type codes (identity file tag 0x0F) known to this library."""


class SpecialStatus(enum.IntFlag):
    """The special status flags of identity file tag 0x10 (other bits are kept, unnamed)."""

    NONE = 0
    WHITE_CANE = 1
    EXTENDED_MINORITY = 2
    YELLOW_CANE = 4

    @property
    def names(self) -> tuple[str, ...]:
        """The lower-case names of the known flags that are set."""
        return tuple(
            str(flag.name).lower() for flag in SpecialStatus if flag.value and flag in self
        )


@dataclass(frozen=True, repr=False)
class Address:
    """The holder's main residence (the card's address file).

    ``repr()`` hides the address; ``str()`` and :meth:`to_dict` give it.
    """

    street_and_number: str
    zip_code: str
    municipality: str

    def to_dict(self) -> dict[str, str]:
        """Return the address as JSON-ready data."""
        return {
            "street_and_number": self.street_and_number,
            "zip_code": self.zip_code,
            "municipality": self.municipality,
        }

    def __str__(self) -> str:
        """Give one line: ``Meirplaats 1 bus 1, 2000 Antwerpen``."""
        return f"{self.street_and_number}, {self.zip_code} {self.municipality}"

    def __repr__(self) -> str:
        """Hide the address: show only the type."""
        return "Address(***)"


@dataclass(frozen=True, repr=False)
class Identity:
    """The holder's identity (the card's identity file), one typed field per known tag.

    Optional fields hold None when the card has no such tag; tags this model does not know
    are kept in ``extra`` (tag -> raw value). ``repr()`` shows only the card number, masked;
    ``str()`` and :meth:`to_dict` give the values.
    """

    card_number: CardNumber
    chip_number: str
    validity_begin: date
    validity_end: date
    issuing_municipality: str
    national_number: NationalNumber
    surname: str
    given_names: str
    nationality: str
    birth_place: str
    birth_date: BirthDate
    sex: Sex
    document_type: int
    photo_hash: bytes
    third_name_initial: str = ""
    nobility: str = ""
    special_status: int = 0
    version: int | None = None
    duplicate: str | None = None
    special_organisation: str | None = None
    member_of_family: str | None = None
    date_and_country_of_protection: str | None = None
    work_permit: str | None = None
    employer_vat_1: str | None = None
    employer_vat_2: str | None = None
    regional_file_number: str | None = None
    basic_key_hash: bytes | None = None
    extra: Mapping[int, bytes] = field(default_factory=dict)

    @property
    def special_status_flags(self) -> SpecialStatus:
        """:attr:`special_status` as flags (white cane, extended minority, yellow cane)."""
        return SpecialStatus(self.special_status)

    @property
    def document_type_name(self) -> str | None:
        """The readable name of :attr:`document_type`, when known."""
        return DOCUMENT_TYPES.get(self.document_type)

    def to_dict(self) -> dict[str, object]:
        """Return JSON-ready data: dates ISO 8601, numbers as strings, bytes as hex."""
        optional = {
            "version": self.version,
            "duplicate": self.duplicate,
            "special_organisation": self.special_organisation,
            "member_of_family": self.member_of_family,
            "date_and_country_of_protection": self.date_and_country_of_protection,
            "work_permit": self.work_permit,
            "employer_vat_1": self.employer_vat_1,
            "employer_vat_2": self.employer_vat_2,
            "regional_file_number": self.regional_file_number,
            "basic_key_hash": self.basic_key_hash.hex() if self.basic_key_hash else None,
        }
        return {
            "card_number": str(self.card_number),
            "chip_number": self.chip_number,
            "validity_begin": self.validity_begin.isoformat(),
            "validity_end": self.validity_end.isoformat(),
            "issuing_municipality": self.issuing_municipality,
            "national_number": str(self.national_number),
            "surname": self.surname,
            "given_names": self.given_names,
            "third_name_initial": self.third_name_initial,
            "nationality": self.nationality,
            "birth_place": self.birth_place,
            "birth_date": str(self.birth_date),
            "sex": self.sex,
            "nobility": self.nobility,
            "document_type": self.document_type,
            "document_type_name": self.document_type_name,
            "special_status": self.special_status,
            "special_status_names": list(self.special_status_flags.names),
            "photo_hash": self.photo_hash.hex(),
            **{key: value for key, value in optional.items() if value is not None},
            "extra": {f"0x{tag:02X}": value.hex() for tag, value in sorted(self.extra.items())},
        }

    def __str__(self) -> str:
        """Give the holder in one line: names, national number and card number."""
        names = " ".join(filter(None, (self.given_names, self.third_name_initial, self.surname)))
        return f"{names} ({self.national_number.formatted}), card {self.card_number.formatted}"

    def __repr__(self) -> str:
        """Show only the document type and the masked card number."""
        card = self.card_number.masked
        return f"Identity(document_type={self.document_type}, card_number='{card}')"
