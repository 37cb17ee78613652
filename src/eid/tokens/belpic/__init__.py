"""The Belgian eID (BELPIC) card profile: labels, TLV files, RRN signatures, card data.

Pure code on bytes: it works on files read from a card, a token or a directory, and never
imports ``pkcs11``.
"""

from eid.tokens.belpic.card import CardChecks, CardData, Check, CheckStatus, read_card_files
from eid.tokens.belpic.files import (
    ADDRESS_FILE_SIZE,
    encode_address,
    encode_identity,
    parse_address,
    parse_identity,
)
from eid.tokens.belpic.labels import (
    ADDRESS_FILE,
    BASIC_KEY_FILE,
    CERT_RN_FILE,
    DATA_FILE,
    PHOTO_FILE,
    SIGN_ADDRESS_FILE,
    SIGN_DATA_FILE,
    field_objects,
)
from eid.tokens.belpic.rrn import (
    EC_SIGNATURE_FILE_SIZE,
    load_rrn_certificate,
    sign_card_files,
    verify_address_signature,
    verify_identity_signature,
    verify_photo_hash,
)
from eid.tokens.belpic.tlv import TlvElement, decode_tlv, encode_tlv

__all__ = [
    "ADDRESS_FILE",
    "ADDRESS_FILE_SIZE",
    "BASIC_KEY_FILE",
    "CERT_RN_FILE",
    "DATA_FILE",
    "EC_SIGNATURE_FILE_SIZE",
    "PHOTO_FILE",
    "SIGN_ADDRESS_FILE",
    "SIGN_DATA_FILE",
    "CardChecks",
    "CardData",
    "Check",
    "CheckStatus",
    "TlvElement",
    "decode_tlv",
    "encode_address",
    "encode_identity",
    "encode_tlv",
    "field_objects",
    "load_rrn_certificate",
    "parse_address",
    "parse_identity",
    "read_card_files",
    "sign_card_files",
    "verify_address_signature",
    "verify_identity_signature",
    "verify_photo_hash",
]
