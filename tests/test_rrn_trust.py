"""The RRN certificate behind a card's files: the national register's, or refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from eid.errors import CertificateExpired, CertificateUntrusted, MalformedInput, WrongPurpose
from eid.identity import Address
from eid.pki import TrustStore
from eid.pki.testpki import Holder, Issued, TestPKI
from eid.tokens.belpic import encode_address, encode_identity, read_card_files, sign_card_files
from eid.tokens.belpic.rrn_trust import validate_rrn_certificate

from .conftest import FIXTURES
from .test_identity import make_identity

PKI = TestPKI.create(key_kind="ec", seed=b"rrn trust", now=dt.datetime(2019, 6, 1, tzinfo=dt.UTC))
HOLDER = Holder("Jan Pieter", "Peeters", "85073003328")


def card_signed_by(issued: Issued, *, issued_on: dt.date = dt.date(2020, 1, 2)) -> object:
    identity = make_identity(validity_begin=issued_on)
    identity_file = encode_identity(identity)
    address_file = encode_address(Address("Meir 1", "2000", "Antwerpen"))
    sign_identity, sign_address = sign_card_files(identity_file, address_file, issued.key)
    return read_card_files(
        {
            "DATA_FILE": identity_file,
            "ADDRESS_FILE": address_file,
            "SIGN_DATA_FILE": sign_identity,
            "SIGN_ADDRESS_FILE": sign_address,
            "CERT_RN_FILE": issued.cert_der(),
        }
    )


def belgian_test_trust() -> TrustStore:
    return TrustStore([PKI.root.certificate], [PKI.citizen_ca.certificate])


def test_the_national_registers_certificate_is_trusted() -> None:
    validated = validate_rrn_certificate(card_signed_by(PKI.rrn), belgian_test_trust())  # type: ignore[arg-type]
    assert validated.chain[-1].fingerprint == belgian_test_trust().anchors[0].fingerprint


def test_a_citizens_own_card_key_cannot_sign_identity_files() -> None:
    """The signatures verify (the key matches the certificate), but it is no RRN certificate."""
    citizen = PKI.issue_card(HOLDER).signature
    card = card_signed_by(citizen)
    assert card.checks.identity_signature.status == "valid"  # type: ignore[attr-defined]
    with pytest.raises(CertificateUntrusted, match="not issued by a trusted root directly"):
        validate_rrn_certificate(card, belgian_test_trust())  # type: ignore[arg-type]
    # Even with the Citizen CA itself trusted as an anchor (as Web eID deployments do):
    with pytest.raises(WrongPurpose):
        validate_rrn_certificate(card, TrustStore([PKI.citizen_ca.certificate]))  # type: ignore[arg-type]


def test_a_self_made_rrn_certificate_is_not_trusted() -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "BE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "RRN"),
        ]
    )
    now = dt.datetime(2019, 1, 1, tzinfo=dt.UTC)
    forged = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650))
        .sign(key, hashes.SHA384())
    )  # fmt: skip
    card = card_signed_by(Issued(key, forged))
    with pytest.raises(CertificateUntrusted):
        validate_rrn_certificate(card, belgian_test_trust())  # type: ignore[arg-type]


def test_checked_at_the_cards_issuance() -> None:
    """An RRN certificate long expired still vouches for files signed while it was valid."""
    old = TestPKI.create(key_kind="ec", seed=b"old rrn", now=dt.datetime(2005, 6, 1, tzinfo=dt.UTC))
    trust = TrustStore([old.root.certificate])
    assert old.rrn.certificate.not_valid_after_utc < dt.datetime.now(dt.UTC)
    validate_rrn_certificate(card_signed_by(old.rrn, issued_on=dt.date(2010, 3, 1)), trust)  # type: ignore[arg-type]
    with pytest.raises(CertificateExpired):  # signed after it expired
        validate_rrn_certificate(card_signed_by(old.rrn, issued_on=dt.date(2020, 3, 1)), trust)  # type: ignore[arg-type]


def test_no_rrn_certificate_to_check() -> None:
    identity_file = encode_identity(make_identity())
    card = read_card_files({"DATA_FILE": identity_file}, require_signatures=False)
    with pytest.raises(MalformedInput):
        validate_rrn_certificate(card, belgian_test_trust())


def test_the_shared_test_vectors_rrn_certificate_when_trusted_explicitly() -> None:
    vectors = FIXTURES / "belgium" / "identity-vectors"
    names = {
        "DATA_FILE": "test-identity.tlv",
        "SIGN_DATA_FILE": "test-identity-sign.der",
        "ADDRESS_FILE": "test-address.tlv",
        "SIGN_ADDRESS_FILE": "test-address-sign.der",
        "CERT_RN_FILE": "test-rrn-cert.der",
    }
    card = read_card_files({label: (vectors / name).read_bytes() for label, name in names.items()})
    with pytest.raises(CertificateUntrusted):  # a test RRN, under no Belgian root
        validate_rrn_certificate(card, TrustStore.belgium())
    validate_rrn_certificate(card, TrustStore.from_paths([Path(vectors / "test-rrn-cert.der")]))
