"""The labels and CKA_OBJECT_IDs under which the BELPIC middleware exposes the card's data.

Whole files are data objects labelled ``DATA_FILE``, ``ADDRESS_FILE`` and so on; each field
of the identity and address files is also a data object of its own, labelled as below,
whose value is the raw bytes of the TLV field. Names as in Fedict/eid-mw (``cal.h``).
"""

from __future__ import annotations

from collections.abc import Mapping

from eid.errors import MalformedInput
from eid.tokens.belpic.tlv import MAX_FILE_SIZE, decode_tlv

DATA_FILE = "DATA_FILE"
"""The identity file (EF(ID#RN), 3F00/DF01/4031)."""
SIGN_DATA_FILE = "SIGN_DATA_FILE"
"""The RRN signature of the identity file (4032)."""
ADDRESS_FILE = "ADDRESS_FILE"
"""The address file (4033), zero-padded."""
SIGN_ADDRESS_FILE = "SIGN_ADDRESS_FILE"
"""The RRN signature of the address file and identity signature (4034)."""
PHOTO_FILE = "PHOTO_FILE"
"""The holder's photo, JPEG (4035)."""
CERT_RN_FILE = "CERT_RN_FILE"
"""The RRN certificate whose key signs the identity and address files (3F00/DF00/503C)."""
BASIC_KEY_FILE = "BASIC_KEY_FILE"
"""The public basic key of applet 1.8 cards; its SHA-384 is identity tag 0x1A."""

# No card file is larger than MAX_FILE_SIZE (32 KiB); a signature is at most an RSA-4096
# value (512 bytes).
MAX_FILE_SIZES: Mapping[str, int] = {
    DATA_FILE: MAX_FILE_SIZE,
    ADDRESS_FILE: MAX_FILE_SIZE,
    PHOTO_FILE: MAX_FILE_SIZE,
    CERT_RN_FILE: MAX_FILE_SIZE,
    BASIC_KEY_FILE: MAX_FILE_SIZE,
    SIGN_DATA_FILE: 512,
    SIGN_ADDRESS_FILE: 512,
}
"""The largest each whole file can be on a card, in bytes; larger input is refused unread."""

OBJECT_ID_IDENTITY = "id"
"""CKA_OBJECT_ID of the identity file and its fields."""
OBJECT_ID_ADDRESS = "address"
"""CKA_OBJECT_ID of the address file and its fields."""

FILE_OBJECT_IDS: Mapping[str, str] = {
    DATA_FILE: OBJECT_ID_IDENTITY,
    ADDRESS_FILE: OBJECT_ID_ADDRESS,
    PHOTO_FILE: "photo",
    CERT_RN_FILE: "rncert",
    SIGN_DATA_FILE: "sign_data_file",
    SIGN_ADDRESS_FILE: "sign_address_file",
    BASIC_KEY_FILE: "basic_key_file",
}
"""The CKA_OBJECT_ID of each whole-file data object, by label."""

IDENTITY_FIELD_LABELS: Mapping[int, str] = {
    0x01: "card_number",
    0x02: "chip_number",
    0x03: "validity_begin_date",
    0x04: "validity_end_date",
    0x05: "issuing_municipality",
    0x06: "national_number",
    0x07: "surname",
    0x08: "firstnames",
    0x09: "first_letter_of_third_given_name",
    0x0A: "nationality",
    0x0B: "location_of_birth",
    0x0C: "date_of_birth",
    0x0D: "gender",
    0x0E: "nobility",
    0x0F: "document_type",
    0x10: "special_status",
    0x11: "photo_hash",
    0x12: "duplicata",
    0x13: "special_organization",
    0x14: "member_of_family",
    0x15: "date_and_country_of_protection",
    0x16: "work_permit_mention",
    0x17: "employer_vat_1",
    0x18: "employer_vat_2",
    0x19: "regional_file_number",
    0x1A: "basic_key_hash",
    0x1B: "brexit_mention_1",
    0x1C: "brexit_mention_2",
    0x1D: "cardA_mention_1",
    0x1E: "cardA_mention_2",
}
"""The middleware's label of each identity-file field, by tag (0x00, the version, has none)."""

ADDRESS_FIELD_LABELS: Mapping[int, str] = {
    0x01: "address_street_and_number",
    0x02: "address_zip",
    0x03: "address_municipality",
}
"""The middleware's label of each address-file field, by tag."""


def field_objects(
    identity_file: bytes, address_file: bytes | None = None
) -> list[tuple[str, str, bytes]]:
    """List ``(label, object_id, raw value)`` for every labelled field of the two files.

    This is what the middleware exposes as one data object per field; tags without a
    label (the version, tags newer than this table) are left out.
    """
    sources = [(identity_file, DATA_FILE, OBJECT_ID_IDENTITY, IDENTITY_FIELD_LABELS)]
    if address_file is not None:
        sources.append((address_file, ADDRESS_FILE, OBJECT_ID_ADDRESS, ADDRESS_FIELD_LABELS))
    return [
        (labels[element.tag], object_id, element.value)
        for data, source, object_id, labels in sources
        for element in decode_tlv(data, source=source)
        if element.tag in labels
    ]


CARD_DATA = "CARD_DATA"
"""The reply to the card's GET CARD DATA command (28 bytes), object id ``carddata``."""
ATR = "ATR"
"""The card's answer to reset, object id ``carddata``."""
OBJECT_ID_CARD_DATA = "carddata"
"""CKA_OBJECT_ID of the card data, the ATR and the card-data fields."""

CARD_DATA_FIELDS: tuple[tuple[str, int, int], ...] = (
    ("carddata_serialnumber", 0, 16),
    ("carddata_comp_code", 16, 1),
    ("carddata_os_number", 17, 1),
    ("carddata_os_version", 18, 1),
    ("carddata_soft_mask_number", 19, 1),
    ("carddata_soft_mask_version", 20, 1),
    ("carddata_appl_version", 21, 1),
    ("carddata_glob_os_version", 22, 2),
    ("carddata_appl_int_version", 24, 1),
    ("carddata_pkcs1_support", 25, 1),
    ("carddata_key_exchange_version", 26, 1),
    ("carddata_appl_lifecycle", 27, 1),
)
"""``(label, offset, length)`` of each card-data field (BELPIC GET CARD DATA reply layout)."""
CARD_DATA_SIZE = 28
"""Length of the GET CARD DATA reply."""


def card_data_objects(card_data: bytes) -> list[tuple[str, str, bytes]]:
    """List ``(label, object_id, raw value)`` for every field of a card-data reply."""
    if len(card_data) < CARD_DATA_SIZE:
        raise MalformedInput(
            f"card data has {len(card_data)} bytes, not {CARD_DATA_SIZE}", source=CARD_DATA
        )
    return [
        (label, OBJECT_ID_CARD_DATA, card_data[offset : offset + length])
        for label, offset, length in CARD_DATA_FIELDS
    ]
