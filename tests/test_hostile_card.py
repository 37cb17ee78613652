"""Card files made by an attacker: only `EidError` escapes, in time linear in the input.

Reproducers of issue 8 are generated here: RRN certificates with an unknown key type,
unreadable key bytes or a bad version, EC signature files with non-zero padding, a policy
arc of 2^128, and identity files far larger than a card holds.
"""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from asn1crypto import x509 as asn1_x509
from hypothesis import given, settings
from hypothesis import strategies as st

from eid.errors import EidError, MalformedInput, SignatureInvalid
from eid.identity import Address, CardNumber, EnterpriseNumber, NationalNumber, parse_birth_date
from eid.pki import classify
from eid.pki.testpki import TestPKI
from eid.tokens.belpic import (
    ADDRESS_FILE,
    CERT_RN_FILE,
    DATA_FILE,
    SIGN_ADDRESS_FILE,
    SIGN_DATA_FILE,
    decode_tlv,
    encode_address,
    encode_identity,
    parse_address,
    parse_identity,
    read_card_files,
    sign_card_files,
)
from eid.tokens.belpic.labels import MAX_FILE_SIZES
from eid.tokens.belpic.tlv import MAX_FILE_SIZE

from ._pki_helpers import with_policy
from .test_identity import make_identity

PKI = TestPKI.create(
    key_kind="ec", seed=b"hostile card", now=dt.datetime(2019, 6, 1, tzinfo=dt.UTC)
)
RSA_PKI = TestPKI.create(
    key_kind="rsa", seed=b"hostile card", now=dt.datetime(2019, 6, 1, tzinfo=dt.UTC)
)
EC_PUBLIC_KEY = bytes.fromhex("06072a8648ce3d0201")  # the OID id-ecPublicKey, DER


def signed_files(pki: TestPKI = PKI) -> dict[str, bytes]:
    identity_file = encode_identity(make_identity())
    address_file = encode_address(Address("Meir 1", "2000", "Antwerpen"))
    sign_identity, sign_address = sign_card_files(identity_file, address_file, pki.rrn.key)
    return {
        DATA_FILE: identity_file,
        ADDRESS_FILE: address_file,
        SIGN_DATA_FILE: sign_identity,
        SIGN_ADDRESS_FILE: sign_address,
        CERT_RN_FILE: pki.rrn.cert_der(),
    }


def test_the_reference_files_verify() -> None:
    assert read_card_files(signed_files()).checks.identity_signature.status == "valid"


def unknown_key_type(der: bytes) -> bytes:
    assert der.count(EC_PUBLIC_KEY) == 1
    return der.replace(EC_PUBLIC_KEY, EC_PUBLIC_KEY[:-1] + b"\x09")


def unreadable_key(der: bytes) -> bytes:
    point = asn1_x509.Certificate.load(der).public_key["public_key"].contents
    assert point[:2] == b"\x00\x04"
    return der.replace(point, b"\x00\x07" + point[2:])


def bad_version(der: bytes) -> bytes:
    version = bytes.fromhex("a003020102")
    assert der.count(version) == 1
    return der.replace(version, bytes.fromhex("a003020105"))


@pytest.mark.parametrize("broken", [unknown_key_type, unreadable_key, bad_version])
def test_an_unusable_rrn_certificate_is_malformed_input(broken: object) -> None:
    files = signed_files()
    files[CERT_RN_FILE] = broken(files[CERT_RN_FILE])  # type: ignore[operator]
    with pytest.raises(MalformedInput, match=CERT_RN_FILE):
        read_card_files(files)
    with pytest.raises(MalformedInput, match=CERT_RN_FILE):
        read_card_files(files, require_signatures=False)


@pytest.mark.parametrize("label", [SIGN_DATA_FILE, SIGN_ADDRESS_FILE])
def test_ec_signature_padding_must_be_zeros(label: str) -> None:
    files = signed_files()
    if label == SIGN_DATA_FILE:  # the address signature covers this file, padding and all
        del files[ADDRESS_FILE], files[SIGN_ADDRESS_FILE]
    signature = files[label]
    end = 2 + signature[1]
    files[label] = signature[:end] + bytes(3)
    read_card_files(files)  # zeros, however many: the same signature
    files[label] = signature[:end] + b"\x00\x01\x00"
    with pytest.raises(SignatureInvalid):
        read_card_files(files)


def test_a_long_der_length_in_an_ec_signature_file_is_refused() -> None:
    files = signed_files()
    files[SIGN_DATA_FILE] = b"\x30\x81" + files[SIGN_DATA_FILE][1:]
    with pytest.raises(SignatureInvalid):
        read_card_files(files)


def test_a_policy_arc_of_2_to_the_128_is_no_belgian_policy() -> None:
    huge = "2.25." + str(2**128)
    kind = classify(with_policy(PKI.rrn.cert_der(), huge))
    assert kind.policies == (huge,)
    assert not kind.belgian_policy


@pytest.mark.parametrize("label", sorted(MAX_FILE_SIZES))
def test_files_larger_than_a_card_holds_are_refused_unread(label: str) -> None:
    files = signed_files()
    files[label] = b"\x01\x00" * (MAX_FILE_SIZES[label] // 2 + 1)
    with pytest.raises(MalformedInput, match="more than the") as caught:
        read_card_files(files)
    assert caught.value.source == label


def test_a_4_mb_identity_file_is_refused_at_once() -> None:
    """It took 71 s before: decoding rescanned the rest of the file for every field."""
    huge = b"\x01\x00" * (2 * 1024 * 1024)
    for parse in (decode_tlv, parse_identity, parse_address):
        with pytest.raises(MalformedInput, match="more than the"):
            parse(huge)


def test_the_largest_file_decodes() -> None:
    """Field after field of the smallest kind, up to the largest file: every one is found."""
    data = b"\x01\x00" * (MAX_FILE_SIZE // 2)
    assert len(decode_tlv(data)) == MAX_FILE_SIZE // 2


# -- properties ------------------------------------------------------------------------------

REFERENCE = signed_files()
RSA_REFERENCE = signed_files(RSA_PKI)


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with a few bytes changed, inserted, deleted or cut off."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["set", "insert", "delete", "truncate"]))
        index = draw(st.integers(0, max(len(out) - 1, 0)))
        if action == "set" and out:
            out[index] = draw(st.integers(0, 255))
        elif action == "insert":
            out[index:index] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete" and out:
            del out[index]
        elif action == "truncate":
            del out[index:]
    return bytes(out)


@settings(max_examples=400, deadline=1000)
@given(st.binary(max_size=600) | mutated(REFERENCE[DATA_FILE]))
def test_only_eid_errors_escape_from_tlv_and_identity_files(data: bytes) -> None:
    for parse in (decode_tlv, parse_identity, parse_address):
        with contextlib.suppress(EidError):
            parse(data)


@settings(max_examples=200, deadline=1000)
@given(
    label=st.sampled_from(sorted(REFERENCE)),
    kind=st.sampled_from(["ec", "rsa"]),
    required=st.booleans(),
    data=st.data(),
)
def test_only_eid_errors_escape_from_card_files(
    label: str, kind: str, required: bool, data: st.DataObject
) -> None:
    reference = REFERENCE if kind == "ec" else RSA_REFERENCE
    files = dict(reference)
    files[label] = data.draw(mutated(reference[label]) | st.binary(max_size=300))
    with contextlib.suppress(EidError):
        read_card_files(files, require_signatures=required)


@settings(max_examples=400, deadline=1000)
@given(
    st.text(max_size=30)
    | st.from_regex(r"[0-9 .-]{9,16}", fullmatch=True)
    | st.from_regex(r"[0-9]{1,2} ?[A-Z.]{0,5} ?[0-9]{0,4}", fullmatch=True)
)
def test_only_eid_errors_escape_from_identity_values(text: str) -> None:
    for parse in (
        NationalNumber.parse,
        CardNumber.parse,
        EnterpriseNumber.parse,
        parse_birth_date,
    ):
        with contextlib.suppress(EidError):
            parse(text)
