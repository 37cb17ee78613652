from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from eid.errors import MalformedInput, SignatureInvalid, SignatureMissing
from eid.identity import Address, BirthDate, NationalNumber
from eid.tokens.belpic import (
    ADDRESS_FILE,
    ADDRESS_FILE_SIZE,
    CERT_RN_FILE,
    DATA_FILE,
    EC_SIGNATURE_FILE_SIZE,
    PHOTO_FILE,
    SIGN_ADDRESS_FILE,
    SIGN_DATA_FILE,
    decode_tlv,
    encode_address,
    encode_identity,
    encode_tlv,
    field_objects,
    parse_address,
    parse_identity,
    read_card_files,
    sign_card_files,
)
from eid.tokens.belpic.labels import FILE_OBJECT_IDS, IDENTITY_FIELD_LABELS

from .self_signed import self_signed
from .test_identity import make_identity

VECTORS = Path(__file__).resolve().parent.parent / "fixtures" / "belgium" / "identity-vectors"
IDENTITY_VECTORS = [
    "test-identity.tlv",
    "id-alice.tlv",
    "id-alice-2.tlv",
    "white-cane.tlv",
    "extended-minority.tlv",
    "yellow-cane.tlv",
]
SIGNED_FILES = {
    DATA_FILE: "test-identity.tlv",
    ADDRESS_FILE: "test-address.tlv",
    SIGN_DATA_FILE: "test-identity-sign.der",
    SIGN_ADDRESS_FILE: "test-address-sign.der",
    PHOTO_FILE: "test-photo.jpg",
    CERT_RN_FILE: "test-rrn-cert.der",
}


def vector(name: str) -> bytes:
    return (VECTORS / name).read_bytes()


@pytest.fixture
def signed_files() -> dict[str, bytes]:
    return {label: vector(name) for label, name in SIGNED_FILES.items()}


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


# -- TLV -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*IDENTITY_VECTORS, "test-address.tlv", "address-alice.tlv"])
def test_tlv_round_trip_on_vectors(name: str) -> None:
    data = vector(name)
    elements = decode_tlv(data)
    assert encode_tlv((e.tag, e.value) for e in elements) == data.rstrip(b"\x00")


@pytest.mark.parametrize("length", [0, 1, 254, 255, 256, 509, 510, 600])
def test_tlv_long_lengths(length: int) -> None:
    value = bytes(range(256)) * 3
    encoded = encode_tlv([(0x07, value[:length]), (0x08, b"x")])
    assert [(e.tag, e.value) for e in decode_tlv(encoded)] == [(0x07, value[:length]), (0x08, b"x")]


def test_tlv_length_bytes() -> None:
    assert encode_tlv([(1, bytes(255))])[:3] == b"\x01\xff\x00"
    assert encode_tlv([(1, bytes(300))])[:3] == b"\x01\xff\x2d"


def test_tlv_padding_ignored_and_offsets_kept() -> None:
    elements = decode_tlv(b"\x01\x02ab\x00\x00\x03\x01c" + bytes(10))
    assert [(e.tag, e.value, e.offset) for e in elements] == [
        (1, b"ab", 0),
        (0, b"", 4),
        (3, b"c", 6),
    ]


def test_truncated_value() -> None:
    data = vector("test-identity.tlv")[:100]
    with pytest.raises(MalformedInput) as caught:
        decode_tlv(data, source=DATA_FILE)
    error = caught.value
    assert error.source == DATA_FILE
    assert error.offset is not None
    assert error.offset < 100
    assert error.field == f"0x{data[error.offset]:02X}"


def test_truncated_length() -> None:
    with pytest.raises(MalformedInput) as caught:
        decode_tlv(b"\x01\x01a\x02\xff", source="X")
    assert (caught.value.field, caught.value.offset) == ("0x02", 5)


# -- identity and address files --------------------------------------------------------------


def test_test_identity_fields() -> None:
    identity = parse_identity(vector("test-identity.tlv"))
    assert identity.surname == "SPECIMEN"
    assert identity.given_names == "Alice Geldigekaart"
    assert identity.third_name_initial == "A"
    assert identity.national_number == NationalNumber.parse("71715100070")
    assert identity.birth_date == BirthDate(1971, 1, 1)
    assert identity.birth_place == "Hamont-Achel"
    assert identity.sex == "F"
    assert identity.nationality == "BELG"
    assert identity.issuing_municipality == "Antwerpen"
    assert identity.validity_begin == date(2010, 4, 30)
    assert identity.validity_end == date(2015, 4, 30)
    assert str(identity.card_number) == "000000128019"
    assert identity.card_number.checked
    assert identity.chip_number == "534C494E33660013930D29C77F032F16"
    assert identity.document_type == 1
    assert identity.special_status == 0
    assert len(identity.photo_hash) == 20
    assert identity.nobility == ""
    assert identity.version is None
    assert identity.extra == {}


@pytest.mark.parametrize(
    ("name", "given_names", "birth_date", "sex", "status", "flag"),
    [
        ("white-cane.tlv", "Robert Suspendu0115", BirthDate(1971, 1, 21), "M", 1, "white_cane"),
        (
            "extended-minority.tlv",
            "Caroline Expirée2466",
            BirthDate(1979, 9, 29),
            "F",
            2,
            "extended_minority",
        ),
        ("yellow-cane.tlv", "Erwin Junior2662", BirthDate(1992, 12, 31), "M", 4, "yellow_cane"),
    ],
)
def test_special_status_vectors(
    name: str, given_names: str, birth_date: BirthDate, sex: str, status: int, flag: str
) -> None:
    identity = parse_identity(vector(name))
    assert identity.given_names == given_names
    assert identity.birth_date == birth_date
    assert identity.sex == sex
    assert identity.special_status == status
    assert identity.special_status_flags.names == (flag,)


def test_extended_minority_holds_nobility_and_accents() -> None:
    identity = parse_identity(vector("extended-minority.tlv"))
    assert identity.nobility == "Comtesse"
    assert identity.birth_place == "Hélécine"
    assert identity.to_dict()["special_status_names"] == ["extended_minority"]


def test_id_alice_2_short_birth_date() -> None:
    assert parse_identity(vector("id-alice-2.tlv")).birth_date == BirthDate(1971, 1, 1)


@pytest.mark.parametrize("name", ["test-address.tlv", "address-alice.tlv"])
def test_address_vectors(name: str) -> None:
    assert parse_address(vector(name)) == Address("Meirplaats 1 bus 1", "2000", "Antwerpen")


@pytest.mark.parametrize("name", IDENTITY_VECTORS)
def test_identity_encode_round_trip(name: str) -> None:
    identity = parse_identity(vector(name))
    encoded = encode_identity(identity)
    assert parse_identity(encoded) == identity
    assert encode_identity(parse_identity(encoded)) == encoded


def test_encode_identity_keeps_version_and_extra() -> None:
    identity = make_identity(version=1, extra={0x1B: b"brexit", 0x30: b"\x00\x01"})
    encoded = encode_identity(identity)
    tags = [e.tag for e in decode_tlv(encoded)]
    assert tags == sorted(tags)
    assert tags[0] == 0x00
    parsed = parse_identity(encoded)
    assert parsed == identity
    assert parsed.extra == {0x1B: b"brexit", 0x30: b"\x00\x01"}


def test_encode_identity_refuses_extra_clashing_with_a_field() -> None:
    with pytest.raises(MalformedInput, match="0x07"):
        encode_identity(make_identity(extra={0x07: b"x"}))


def test_unknown_tags_are_kept() -> None:
    data = vector("test-identity.tlv") + encode_tlv([(0x1F, b"01.01.2024"), (0x42, b"\xff")])
    assert parse_identity(data).extra == {0x1F: b"01.01.2024", 0x42: b"\xff"}


def test_encode_address_pads_to_size() -> None:
    address = Address("Meirplaats 1 bus 1", "2000", "Antwerpen")
    encoded = encode_address(address)
    assert len(encoded) == ADDRESS_FILE_SIZE == 117
    assert encoded == vector("address-alice.tlv")
    assert len(encode_address(address, size=121)) == 121
    with pytest.raises(MalformedInput, match="bytes"):
        encode_address(address, size=20)


def without(data: bytes, tag: int) -> bytes:
    return encode_tlv((e.tag, e.value) for e in decode_tlv(data) if e.tag != tag)


def replaced(data: bytes, tag: int, value: bytes) -> bytes:
    return encode_tlv((e.tag, value if e.tag == tag else e.value) for e in decode_tlv(data))


def test_missing_mandatory_field_names_the_tag() -> None:
    with pytest.raises(MalformedInput, match="surname") as caught:
        parse_identity(without(vector("test-identity.tlv"), 0x07))
    assert (caught.value.source, caught.value.field) == (DATA_FILE, "0x07")
    with pytest.raises(MalformedInput, match="zip_code") as caught:
        parse_address(without(vector("test-address.tlv"), 0x02))
    assert (caught.value.source, caught.value.field) == (ADDRESS_FILE, "0x02")


@pytest.mark.parametrize(
    ("tag", "value", "name"),
    [
        (0x06, b"71715100071", "national_number"),
        (0x0C, b"01 FOO 1971", "birth_date"),
        (0x03, b"2010-04-30", "validity_begin"),
        (0x0D, b"X", "sex"),
        (0x0F, b"one", "document_type"),
        (0x07, b"\xff\xfe", "surname"),
    ],
)
def test_malformed_field_names_the_tag(tag: int, value: bytes, name: str) -> None:
    data = replaced(vector("test-identity.tlv"), tag, value)
    with pytest.raises(MalformedInput, match=name) as caught:
        parse_identity(data)
    assert caught.value.field == f"0x{tag:02X}"
    assert caught.value.offset is not None


def test_repeated_tag_is_refused() -> None:
    data = vector("test-identity.tlv") + encode_tlv([(0x07, b"OTHER")])
    with pytest.raises(MalformedInput, match="twice"):
        parse_identity(data)


# -- labels ----------------------------------------------------------------------------------


def test_field_objects() -> None:
    objects = field_objects(vector("test-identity.tlv"), vector("test-address.tlv"))
    by_label = {label: (object_id, value) for label, object_id, value in objects}
    assert by_label["surname"] == ("id", b"SPECIMEN")
    assert by_label["first_letter_of_third_given_name"] == ("id", b"A")
    assert by_label["date_of_birth"] == ("id", b"01 JAN 1971")
    assert by_label["address_zip"] == ("address", b"2000")
    assert by_label["address_street_and_number"] == ("address", b"Meirplaats 1 bus 1")
    assert len(objects) == 17 + 3
    assert IDENTITY_FIELD_LABELS[0x1A] == "basic_key_hash"
    assert FILE_OBJECT_IDS[CERT_RN_FILE] == "rncert"


# -- RRN signatures on the signed test vector ------------------------------------------------


def test_signed_vector_verifies(signed_files: dict[str, bytes]) -> None:
    card = read_card_files(signed_files, require_signatures=True)
    assert card.identity.surname == "SPECIMEN"
    assert card.address == Address("Meirplaats 1 bus 1", "2000", "Antwerpen")
    assert card.photo == signed_files[PHOTO_FILE]
    assert card.rrn_certificate is not None
    checks = card.checks
    assert (checks.identity_signature.status, checks.identity_signature.algorithm) == (
        "valid",
        "sha1",
    )
    assert (checks.address_signature.status, checks.address_signature.algorithm) == (
        "valid",
        "sha1",
    )
    assert (checks.photo_hash.status, checks.photo_hash.algorithm) == ("valid", "sha1")
    assert checks.describe() == [
        "identity file: RRN signature valid (sha1)",
        "address file: RRN signature valid (sha1)",
        "photo: hash in the identity file valid (sha1)",
    ]


def test_card_data_to_dict_and_repr(signed_files: dict[str, bytes]) -> None:
    card = read_card_files(signed_files)
    data = card.to_dict()
    json.dumps(data)
    assert data["photo"] == {
        "size": len(signed_files[PHOTO_FILE]),
        "sha256": hashlib.sha256(signed_files[PHOTO_FILE]).hexdigest(),
    }
    assert data["checks"]["address_signature"] == {"status": "valid", "algorithm": "sha1"}
    assert "SPECIMEN" not in repr(card)
    assert "71715100070" not in repr(card)


@pytest.mark.parametrize(
    "label", [DATA_FILE, ADDRESS_FILE, SIGN_DATA_FILE, SIGN_ADDRESS_FILE, PHOTO_FILE]
)
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_tampered_byte_is_caught(signed_files: dict[str, bytes], label: str, where: str) -> None:
    data = signed_files[label]
    if label == ADDRESS_FILE:
        data = data.rstrip(b"\x00")
    index = {"start": 0, "middle": len(data) // 2, "end": len(data) - 1}[where]
    signed_files[label] = flip(signed_files[label], index)
    with pytest.raises(SignatureInvalid, match=label):
        read_card_files(signed_files)


def test_bytes_changed_in_a_signed_file_never_give_a_parse_error(
    signed_files: dict[str, bytes],
) -> None:
    for index in range(len(signed_files[DATA_FILE])):
        files = {**signed_files, DATA_FILE: flip(signed_files[DATA_FILE], index)}
        with pytest.raises(SignatureInvalid):
            read_card_files(files)


def test_address_padding_is_not_signed(signed_files: dict[str, bytes]) -> None:
    signed_files[ADDRESS_FILE] = signed_files[ADDRESS_FILE].rstrip(b"\x00") + bytes(40)
    assert read_card_files(signed_files).checks.address_signature.status == "valid"


# -- require_signatures ----------------------------------------------------------------------


@pytest.mark.parametrize("label", [CERT_RN_FILE, SIGN_DATA_FILE, SIGN_ADDRESS_FILE])
def test_require_signatures(signed_files: dict[str, bytes], label: str) -> None:
    del signed_files[label]
    with pytest.raises(SignatureMissing, match=label) as caught:
        read_card_files(signed_files)
    assert caught.value.missing == (label,)
    assert caught.value.exit_code == 1
    card = read_card_files(signed_files, require_signatures=False)
    statuses = {c.status for c in (card.checks.identity_signature, card.checks.address_signature)}
    assert statuses <= {"valid", "absent", "unverified"}
    assert "valid" not in statuses or label == SIGN_ADDRESS_FILE


def test_unsigned_files_read_without_checks() -> None:
    files = {DATA_FILE: vector("id-alice.tlv"), ADDRESS_FILE: vector("address-alice.tlv")}
    with pytest.raises(SignatureMissing) as caught:
        read_card_files(files)
    assert caught.value.missing == (CERT_RN_FILE, SIGN_DATA_FILE, SIGN_ADDRESS_FILE)
    card = read_card_files(files, require_signatures=False)
    assert card.checks.identity_signature.status == "absent"
    assert card.checks.address_signature.status == "absent"
    assert card.checks.photo_hash.status == "absent"
    assert card.rrn_certificate is None
    assert card.photo is None


def test_signature_without_certificate_is_unverified(signed_files: dict[str, bytes]) -> None:
    del signed_files[CERT_RN_FILE]
    card = read_card_files(signed_files, require_signatures=False)
    assert card.checks.identity_signature.status == "unverified"
    assert card.checks.photo_hash.status == "valid"


def test_data_file_is_mandatory(signed_files: dict[str, bytes]) -> None:
    del signed_files[DATA_FILE]
    with pytest.raises(MalformedInput, match=DATA_FILE):
        read_card_files(signed_files)


def test_bad_certificate(signed_files: dict[str, bytes]) -> None:
    signed_files[CERT_RN_FILE] = b"not a certificate"
    with pytest.raises(MalformedInput, match=CERT_RN_FILE):
        read_card_files(signed_files)


# -- signing test cards ----------------------------------------------------------------------


@pytest.fixture(scope="module", params=["rsa", "ec"])
def rrn_key(request: pytest.FixtureRequest) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    if request.param == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP384R1())


def rrn_certificate(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    certificate = self_signed(key, "test RRN", not_before=datetime.now(UTC), days=1)
    return certificate.public_bytes(serialization.Encoding.DER)


def made_card(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> dict[str, bytes]:
    photo = b"\xff\xd8 a photo \xff\xd9"
    hash_name = "sha256" if isinstance(key, rsa.RSAPrivateKey) else "sha384"
    identity = make_identity(photo_hash=hashlib.new(hash_name, photo).digest())
    identity_file = encode_identity(identity)
    address_file = encode_address(Address("Kerkstraat 1", "9000", "Gent"))
    sign_data, sign_address = sign_card_files(identity_file, address_file, key)
    return {
        DATA_FILE: identity_file,
        ADDRESS_FILE: address_file,
        SIGN_DATA_FILE: sign_data,
        SIGN_ADDRESS_FILE: sign_address,
        PHOTO_FILE: photo,
        CERT_RN_FILE: rrn_certificate(key),
    }


def test_signed_test_card_verifies(rrn_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> None:
    files = made_card(rrn_key)
    card = read_card_files(files, require_signatures=True)
    expected = "sha256" if isinstance(rrn_key, rsa.RSAPrivateKey) else "sha384"
    assert card.checks.identity_signature.algorithm == expected
    assert card.checks.address_signature.algorithm == expected
    assert card.checks.photo_hash.algorithm == expected
    assert card.identity == make_identity(photo_hash=card.identity.photo_hash)
    assert card.address == Address("Kerkstraat 1", "9000", "Gent")
    if isinstance(rrn_key, ec.EllipticCurvePrivateKey):
        signature = files[SIGN_DATA_FILE]
        assert len(signature) == EC_SIGNATURE_FILE_SIZE
        assert signature[0] == 0x30
        assert not any(signature[2 + signature[1] :])


@pytest.mark.parametrize(
    "label", [DATA_FILE, ADDRESS_FILE, SIGN_DATA_FILE, SIGN_ADDRESS_FILE, PHOTO_FILE]
)
def test_signed_test_card_tampered(
    rrn_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, label: str
) -> None:
    files = made_card(rrn_key)
    files[label] = flip(files[label], 10)
    with pytest.raises(SignatureInvalid, match=label):
        read_card_files(files)


def test_sign_card_files_refuses_other_curves() -> None:
    with pytest.raises(TypeError):
        sign_card_files(b"", b"", ec.generate_private_key(ec.SECP256R1()))


def test_card_data_objects_layout_and_short_input() -> None:
    from eid.errors import MalformedInput
    from eid.tokens.belpic.labels import card_data_objects

    reply = bytes(range(28))
    fields = {label: value for label, _, value in card_data_objects(reply)}
    assert fields["carddata_serialnumber"] == bytes(range(16))
    assert fields["carddata_glob_os_version"] == bytes([22, 23])
    assert fields["carddata_appl_lifecycle"] == bytes([27])
    with pytest.raises(MalformedInput, match="CARD_DATA"):
        card_data_objects(reply[:27])
