"""The identity and address files: TLV bytes to :class:`Identity` / :class:`Address` and back.

Text fields are UTF-8 and stripped of surrounding white space. Reading refuses a file that
lacks a mandatory field or holds a malformed one, naming the file, the tag and the offset.
Writing is canonical rather than a copy of some card: fields in tag order, dates as
``DD.MM.YYYY``, birth dates in Dutch (``01 JAN 1971``), sex ``M``/``F``, numbers in ASCII.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from eid.errors import MalformedInput
from eid.identity import (
    Address,
    BirthDate,
    CardNumber,
    Identity,
    NationalNumber,
    parse_birth_date,
)
from eid.tokens.belpic.labels import ADDRESS_FILE, DATA_FILE
from eid.tokens.belpic.tlv import decode_tlv, encode_tlv, tag_name

ADDRESS_FILE_SIZE = 117
"""Size of the address file that :func:`encode_address` writes by default: that of the
specimen card dump ``address-alice.tlv`` (a card pads the file with 0x00 to a fixed size)."""


def _text(value: bytes) -> str:
    return value.decode("utf-8").strip()


def _encode_text(value: object) -> bytes:
    return str(value).encode("utf-8")


def _number(value: bytes) -> int:
    text = _text(value)
    if not (text.isascii() and text.isdigit()):
        raise ValueError("not a number")
    return int(text)


def _encode_number(value: int) -> bytes:
    return str(int(value)).encode("ascii")


def _unsigned(value: bytes) -> int:
    return int.from_bytes(value, "big")


def _encode_unsigned(value: int) -> bytes:
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def _sex(value: bytes) -> str:
    text = _text(value).upper()
    if text not in ("M", "F", "V", "W"):
        raise ValueError(f"unknown code {text!r} (expected M, F, V or W)")
    return "M" if text == "M" else "F"


def _validity_date(value: bytes) -> date:
    return datetime.strptime(_text(value), "%d.%m.%Y").date()


def _encode_validity_date(value: date) -> bytes:
    return value.strftime("%d.%m.%Y").encode("ascii")


def _birth_date(value: bytes) -> BirthDate:
    return parse_birth_date(_text(value))


def _encode_birth_date(value: BirthDate) -> bytes:
    return value.to_card_text().encode("ascii")


def _chip_number(value: bytes) -> str:
    return value.hex().upper()


@dataclass(frozen=True)
class _Field:
    """How one tag maps to one model attribute."""

    tag: int
    name: str
    decode: Callable[[bytes], Any] = _text
    encode: Callable[[Any], bytes] = _encode_text
    required: bool = False


_IDENTITY_FIELDS: Sequence[_Field] = (
    _Field(0x00, "version", _unsigned, _encode_unsigned),
    _Field(0x01, "card_number", lambda v: CardNumber.parse(_text(v)), required=True),
    _Field(0x02, "chip_number", _chip_number, bytes.fromhex, required=True),
    _Field(0x03, "validity_begin", _validity_date, _encode_validity_date, required=True),
    _Field(0x04, "validity_end", _validity_date, _encode_validity_date, required=True),
    _Field(0x05, "issuing_municipality", required=True),
    _Field(0x06, "national_number", lambda v: NationalNumber.parse(_text(v)), required=True),
    _Field(0x07, "surname", required=True),
    _Field(0x08, "given_names", required=True),
    _Field(0x09, "third_name_initial"),
    _Field(0x0A, "nationality", required=True),
    _Field(0x0B, "birth_place", required=True),
    _Field(0x0C, "birth_date", _birth_date, _encode_birth_date, required=True),
    _Field(0x0D, "sex", _sex, required=True),
    _Field(0x0E, "nobility"),
    _Field(0x0F, "document_type", _number, _encode_number, required=True),
    _Field(0x10, "special_status", _number, _encode_number),
    _Field(0x11, "photo_hash", bytes, bytes, required=True),
    _Field(0x12, "duplicate"),
    _Field(0x13, "special_organisation"),
    _Field(0x14, "member_of_family"),
    _Field(0x15, "date_and_country_of_protection"),
    _Field(0x16, "work_permit"),
    _Field(0x17, "employer_vat_1"),
    _Field(0x18, "employer_vat_2"),
    _Field(0x19, "regional_file_number"),
    _Field(0x1A, "basic_key_hash", bytes, bytes),
)

_ADDRESS_FIELDS: Sequence[_Field] = (
    _Field(0x01, "street_and_number", required=True),
    _Field(0x02, "zip_code", required=True),
    _Field(0x03, "municipality", required=True),
)
_ADDRESS_VERSION = 0x00


def parse_identity(data: bytes, *, source: str = DATA_FILE) -> Identity:
    """Read an identity file (``DATA_FILE``); unknown tags go to ``Identity.extra``."""
    values, unknown = _decode_fields(data, _IDENTITY_FIELDS, source)
    return Identity(**values, extra=unknown)


def parse_address(data: bytes, *, source: str = ADDRESS_FILE) -> Address:
    """Read an address file (``ADDRESS_FILE``), zero padding and all.

    Its version tag (0x00) and any tag newer than 0x03 are not part of :class:`Address`.
    """
    values, _unknown = _decode_fields(data, _ADDRESS_FIELDS, source)
    return Address(**values)


def encode_identity(identity: Identity) -> bytes:
    """Write the identity file for ``identity``: its fields and ``extra`` in tag order."""
    known = {spec.tag for spec in _IDENTITY_FIELDS}
    clashes = sorted(known & set(identity.extra))
    if clashes:
        raise MalformedInput(
            "extra holds a tag the model has a field for",
            source=DATA_FILE,
            field=tag_name(clashes[0]),
        )
    return encode_tlv(
        sorted([*_encode_fields(identity, _IDENTITY_FIELDS), *identity.extra.items()])
    )


def encode_address(address: Address, *, size: int = ADDRESS_FILE_SIZE) -> bytes:
    """Write the address file for ``address``, padded with 0x00 to ``size`` bytes."""
    data = encode_tlv(_encode_fields(address, _ADDRESS_FIELDS))
    if len(data) > size:
        raise MalformedInput(
            f"the address needs {len(data)} bytes, more than the file's {size}", source=ADDRESS_FILE
        )
    return data.ljust(size, b"\x00")


def _decode_fields(
    data: bytes, fields: Sequence[_Field], source: str
) -> tuple[dict[str, Any], dict[int, bytes]]:
    by_tag = {spec.tag: spec for spec in fields}
    values: dict[str, Any] = {}
    unknown: dict[int, bytes] = {}
    seen: set[int] = set()
    for tag, value, offset in decode_tlv(data, source=source):
        if tag in seen:
            raise MalformedInput(
                "tag appears twice", source=source, field=tag_name(tag), offset=offset
            )
        seen.add(tag)
        spec = by_tag.get(tag)
        if spec is None:
            unknown[tag] = value
            continue
        try:
            values[spec.name] = spec.decode(value)
        except (ValueError, MalformedInput) as error:
            raise MalformedInput(
                f"malformed {spec.name}: {_reason(error)}",
                source=source,
                field=tag_name(tag),
                offset=offset,
            ) from None
    for spec in fields:
        if spec.required and spec.name not in values:
            raise MalformedInput(f"missing {spec.name}", source=source, field=tag_name(spec.tag))
    return values, unknown


def _encode_fields(model: object, fields: Sequence[_Field]) -> list[tuple[int, bytes]]:
    return [
        (spec.tag, spec.encode(value))
        for spec in fields
        if (value := getattr(model, spec.name)) is not None
    ]


def _reason(error: Exception) -> str:
    """Give the error's text without the field prefix a MalformedInput adds."""
    text = str(error)
    if isinstance(error, MalformedInput) and error.field:
        text = text.removeprefix(f"field {error.field}: ")
    return text
