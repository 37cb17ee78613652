"""Tests of eid.pki.testpki: shapes, chains, determinism and negative-test helpers."""

from __future__ import annotations

import datetime as dt
import math
from typing import TypeVar

import pytest
from asn1crypto import core
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    CertificatePoliciesOID,
    ExtendedKeyUsageOID,
    NameOID,
    SignatureAlgorithmOID,
)

from eid.errors import UsageError
from eid.pki import testpki
from eid.pki._keys import Drbg, deterministic_ec_key, deterministic_rsa_key, is_probable_prime
from eid.pki.policy_arcs import (
    PRODUCTION_POLICY_ARCS,
    TEST_POLICY_ARC,
    TEST_ROOT_NAME,
    classify_policy,
    policy_oid,
)
from eid.pki.testpki import (
    DEFAULT_BASE_URL,
    QC_COMPLIANCE,
    QC_SSCD,
    QC_STATEMENTS,
    CardCredentials,
    Holder,
    Issued,
    TestPKI,
    encode_qc_statements,
)

NOW = dt.datetime(2025, 3, 1, 12, 30, 45, tzinfo=dt.UTC)
ALICE = Holder("Alice Geldigekaart Maria", "SPECIMEN", "71715100070")
BOB = Holder("Bob", "Vreemdeling", "85073003328", foreigner=True)
E = TypeVar("E", bound=x509.ExtensionType)

# A key for the negative tests, where the key does not matter (saves an RSA prime search each).
KEY = deterministic_ec_key(Drbg(b"eid tests", "negative"))


class QcStatement(core.Sequence):
    _fields = [  # noqa: RUF012
        ("statement_id", core.ObjectIdentifier),
        ("statement_info", core.Any, {"optional": True}),
    ]


class QcStatements(core.SequenceOf):
    _child_spec = QcStatement


@pytest.fixture(scope="module", params=["rsa", "ec"])
def pki(request: pytest.FixtureRequest) -> TestPKI:
    return TestPKI.create(key_kind=request.param, seed=b"eid tests", now=NOW)


@pytest.fixture(scope="module")
def card(pki: TestPKI) -> CardCredentials:
    return pki.issue_card(ALICE)


@pytest.fixture(scope="module")
def foreign_card(pki: TestPKI) -> CardCredentials:
    return pki.issue_card(BOB)


def ext(
    cert: x509.Certificate, cls: type[x509.ExtensionType]
) -> x509.Extension[x509.ExtensionType]:
    return cert.extensions.get_extension_for_class(cls)


def policies_of(cert: x509.Certificate) -> list[str]:
    value = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    return [info.policy_identifier.dotted_string for info in value]


def qc_statement_ids(cert: x509.Certificate) -> list[str]:
    raw = cert.extensions.get_extension_for_oid(QC_STATEMENTS).value
    assert isinstance(raw, x509.UnrecognizedExtension)
    parsed = QcStatements.load(raw.value)
    return [statement["statement_id"].dotted for statement in parsed]


def all_issued(pki: TestPKI, card: CardCredentials) -> list[Issued]:
    return [
        pki.root,
        pki.citizen_ca,
        pki.foreigner_ca,
        pki.rrn,
        card.authentication,
        card.signature,
    ]


# -- holder ----------------------------------------------------------------------------------


def test_holder_first_given_name() -> None:
    assert ALICE.first_given_name == "Alice"
    assert Holder("Jean-Pierre  Marc", "Dupont", "00000000097").first_given_name == "Jean-Pierre"


@pytest.mark.parametrize(
    ("given", "surname", "number"),
    [
        ("Alice", "SPECIMEN", "7171510007"),
        ("Alice", "SPECIMEN", "717151000701"),
        ("Alice", "SPECIMEN", "71.71.51-000.70"),
        ("Alice", "SPECIMEN", "7171510007a"),
        (" ", "SPECIMEN", "71715100070"),
        ("Alice", "", "71715100070"),
    ],
)
def test_holder_rejects_bad_fields(given: str, surname: str, number: str) -> None:
    with pytest.raises(UsageError):
        Holder(given, surname, number)


# -- card certificates -------------------------------------------------------------------------


@pytest.mark.parametrize("purpose", ["authentication", "signature"])
def test_card_subject_layout(card: CardCredentials, purpose: str) -> None:
    cert = getattr(card, purpose).certificate
    suffix = "Authentication" if purpose == "authentication" else "Signature"
    rdns = [(rdn.oid, rdn.value) for rdn in cert.subject]
    assert rdns == [
        (NameOID.COUNTRY_NAME, "BE"),
        (NameOID.COMMON_NAME, f"Alice SPECIMEN ({suffix})"),
        (NameOID.SURNAME, "SPECIMEN"),
        (NameOID.GIVEN_NAME, "Alice Geldigekaart Maria"),
        (NameOID.SERIAL_NUMBER, "71715100070"),
    ]
    assert all(len(rdn) == 1 for rdn in cert.subject.rdns)
    assert cert.version is x509.Version.v3


def test_authentication_extensions(pki: TestPKI, card: CardCredentials) -> None:
    cert = card.authentication.certificate
    key_usage = ext(cert, x509.KeyUsage)
    assert key_usage.critical
    assert key_usage.value.digital_signature
    assert not key_usage.value.content_commitment
    assert not key_usage.value.key_cert_sign
    with pytest.raises(x509.ExtensionNotFound):
        ext(cert, x509.ExtendedKeyUsage)
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_oid(QC_STATEMENTS)
    assert policies_of(cert) == [f"{TEST_POLICY_ARC.dotted_string}.2.2"]
    assert cert.issuer == pki.citizen_ca.certificate.subject


def test_signature_extensions(pki: TestPKI, card: CardCredentials) -> None:
    cert = card.signature.certificate
    key_usage = ext(cert, x509.KeyUsage)
    assert key_usage.critical
    assert key_usage.value.content_commitment
    assert not key_usage.value.digital_signature
    with pytest.raises(x509.ExtensionNotFound):
        ext(cert, x509.ExtendedKeyUsage)
    assert qc_statement_ids(cert) == [QC_COMPLIANCE.dotted_string, QC_SSCD.dotted_string]
    assert not cert.extensions.get_extension_for_oid(QC_STATEMENTS).critical
    assert policies_of(cert) == [f"{TEST_POLICY_ARC.dotted_string}.2.1"]
    assert cert.issuer == pki.citizen_ca.certificate.subject


def test_policy_qualifier_is_cps(card: CardCredentials) -> None:
    value = ext(card.signature.certificate, x509.CertificatePolicies).value
    assert value[0].policy_qualifiers == [f"{DEFAULT_BASE_URL}/repository"]


def test_foreigner_card(pki: TestPKI, foreign_card: CardCredentials) -> None:
    auth, sig = foreign_card.authentication.certificate, foreign_card.signature.certificate
    assert auth.issuer == pki.foreigner_ca.certificate.subject
    assert policies_of(auth) == [f"{TEST_POLICY_ARC.dotted_string}.7.2"]
    assert policies_of(sig) == [f"{TEST_POLICY_ARC.dotted_string}.7.1"]
    assert auth.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        "Bob Vreemdeling (Authentication)"
    )
    auth.verify_directly_issued_by(pki.foreigner_ca.certificate)
    sig.verify_directly_issued_by(pki.foreigner_ca.certificate)
    assert pki.ca_for(BOB) is pki.foreigner_ca
    assert pki.ca_for(ALICE) is pki.citizen_ca


def test_card_urls(card: CardCredentials) -> None:
    for issued in (card.authentication, card.signature):
        cert = issued.certificate
        points = ext(cert, x509.CRLDistributionPoints).value
        assert [name.value for name in points[0].full_name or []] == [
            "http://127.0.0.1:8080/crl/citizen.crl"
        ]
        access = {
            (desc.access_method, desc.access_location.value)
            for desc in ext(cert, x509.AuthorityInformationAccess).value
        }
        assert access == {
            (AuthorityInformationAccessOID.CA_ISSUERS, "http://127.0.0.1:8080/ca/citizen.crt"),
            (AuthorityInformationAccessOID.OCSP, "http://127.0.0.1:8080/ocsp"),
        }


def test_validity_defaults(pki: TestPKI, card: CardCredentials) -> None:
    start = dt.datetime(2025, 2, 28, 12, 30, 45, tzinfo=dt.UTC)
    assert pki.now == NOW
    assert pki.root.certificate.not_valid_before_utc == start
    assert pki.root.certificate.not_valid_after_utc == start.replace(year=2045)
    for ca in (pki.citizen_ca, pki.foreigner_ca, pki.rrn):
        assert ca.certificate.not_valid_before_utc == start
        assert ca.certificate.not_valid_after_utc == start.replace(year=2037)
    for issued in (card.authentication, card.signature):
        assert issued.certificate.not_valid_before_utc == start
        assert issued.certificate.not_valid_after_utc == start.replace(year=2035)


def test_now_is_truncated_and_defaults_to_utc() -> None:
    pki = TestPKI.create(key_kind="ec", now=dt.datetime(2024, 2, 29, 10, 0, 0, 999_999, dt.UTC))
    assert pki.now == dt.datetime(2024, 2, 29, 10, 0, tzinfo=dt.UTC)
    # 20 years after 28 Feb 2024 -> 28 Feb 2044; a card from 29 Feb survives the leap day.
    card = pki.issue(ALICE, "authentication", not_before=dt.datetime(2024, 2, 29, tzinfo=dt.UTC))
    assert card.certificate.not_valid_after_utc == dt.datetime(2034, 2, 28, tzinfo=dt.UTC)
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    fresh = TestPKI.create(key_kind="ec")
    assert fresh.now.microsecond == 0
    assert before <= fresh.now <= dt.datetime.now(dt.UTC)
    assert fresh.now.tzinfo is not None


# -- the CAs and the RRN certificate -------------------------------------------------------------


def _assert_ca(cert: x509.Certificate, *, path_length: int) -> x509.Extension[x509.ExtensionType]:
    """Assert the critical CA constraint of ``path_length`` and the critical CA key usage."""
    constraints = ext(cert, x509.BasicConstraints)
    assert constraints.critical
    assert constraints.value.ca
    assert constraints.value.path_length == path_length
    usage = ext(cert, x509.KeyUsage)
    assert usage.critical
    assert usage.value.key_cert_sign
    assert usage.value.crl_sign
    return usage


def test_root_shape(pki: TestPKI) -> None:
    cert = pki.root.certificate
    assert cert.subject == cert.issuer
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == TEST_ROOT_NAME
    assert cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "BE"
    usage = _assert_ca(cert, path_length=1)
    assert not usage.value.digital_signature
    ski = ext(cert, x509.SubjectKeyIdentifier).value.digest
    assert ext(cert, x509.AuthorityKeyIdentifier).value.key_identifier == ski
    with pytest.raises(x509.ExtensionNotFound):
        ext(cert, x509.CertificatePolicies)
    cert.verify_directly_issued_by(cert)


@pytest.mark.parametrize(
    ("attribute", "name"), [("citizen_ca", "citizen"), ("foreigner_ca", "foreigner")]
)
def test_issuing_ca_shape(pki: TestPKI, attribute: str, name: str) -> None:
    issued: Issued = getattr(pki, attribute)
    cert = issued.certificate
    assert cert.issuer == pki.root.certificate.subject
    expected_cn = "Citizen Test CA" if name == "citizen" else "Foreigner Test CA"
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == expected_cn
    assert cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value.startswith("2025")
    _assert_ca(cert, path_length=0)
    assert policies_of(cert) == [CertificatePoliciesOID.ANY_POLICY.dotted_string]
    assert list(ext(cert, x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH,
        ExtendedKeyUsageOID.EMAIL_PROTECTION,
    ]
    assert ext(cert, x509.AuthorityKeyIdentifier).value.key_identifier == pki.root.key_id()
    points = ext(cert, x509.CRLDistributionPoints).value
    assert points[0].full_name is not None
    assert points[0].full_name[0].value == "http://127.0.0.1:8080/crl/root.crl"
    cert.verify_directly_issued_by(pki.root.certificate)
    assert pki.authorities[name] is issued  # type: ignore[index]
    assert pki.authorities["root"] is pki.root


def test_rrn_shape(pki: TestPKI) -> None:
    cert = pki.rrn.certificate
    assert [(rdn.oid, rdn.value) for rdn in cert.subject] == [
        (NameOID.COUNTRY_NAME, "BE"),
        (NameOID.ORGANIZATION_NAME, "RRN"),
        (NameOID.COMMON_NAME, "RRN"),
    ]
    usage = ext(cert, x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature
    assert usage.value.content_commitment
    assert not usage.value.key_cert_sign
    assert policies_of(cert) == [f"{TEST_POLICY_ARC.dotted_string}.4"]
    assert not ext(cert, x509.BasicConstraints).value.ca
    cert.verify_directly_issued_by(pki.root.certificate)


def test_chains_verify(pki: TestPKI, card: CardCredentials) -> None:
    for issued in (card.authentication, card.signature):
        issued.certificate.verify_directly_issued_by(pki.citizen_ca.certificate)
        with pytest.raises(ValueError, match="does not match"):
            issued.certificate.verify_directly_issued_by(pki.foreigner_ca.certificate)
    pki.citizen_ca.certificate.verify_directly_issued_by(pki.root.certificate)
    pki.rrn.certificate.verify_directly_issued_by(pki.root.certificate)


# -- keys ----------------------------------------------------------------------------------------


def test_key_types_and_algorithms(pki: TestPKI, card: CardCredentials) -> None:
    for issued in all_issued(pki, card):
        cert = issued.certificate
        assert cert.public_key() == issued.key.public_key()
        if pki.key_kind == "rsa":
            assert isinstance(issued.key, rsa.RSAPrivateKey)
            assert issued.key.key_size == 2048
            assert issued.key.public_key().public_numbers().e == 65537
            assert cert.signature_algorithm_oid == SignatureAlgorithmOID.RSA_WITH_SHA256
        else:
            assert isinstance(issued.key, ec.EllipticCurvePrivateKey)
            assert isinstance(issued.key.curve, ec.SECP384R1)
            assert cert.signature_algorithm_oid == SignatureAlgorithmOID.ECDSA_WITH_SHA384


def test_keys_are_valid_and_sign(pki: TestPKI, card: CardCredentials) -> None:
    if pki.key_kind == "ec":
        key = card.signature.key
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        signature = key.sign(b"data", ec.ECDSA(hashes.SHA384()))
        key.public_key().verify(signature, b"data", ec.ECDSA(hashes.SHA384()))
        return
    for issued in all_issued(pki, card):
        assert isinstance(issued.key, rsa.RSAPrivateKey)
        numbers = issued.key.private_numbers()
        p, q, n, e = numbers.p, numbers.q, numbers.public_numbers.n, numbers.public_numbers.e
        assert p * q == n
        assert n.bit_length() == 2048
        assert p.bit_length() == q.bit_length() == 1024
        assert abs(p - q) > 2 ** (1024 - 100)
        assert math.gcd(e, (p - 1) * (q - 1)) == 1
        assert (e * numbers.d) % math.lcm(p - 1, q - 1) == 1
        assert numbers.dmp1 == numbers.d % (p - 1)
        assert numbers.dmq1 == numbers.d % (q - 1)
        assert (numbers.iqmp * q) % p == 1
        signature = issued.key.sign(b"data", padding.PKCS1v15(), hashes.SHA256())
        issued.key.public_key().verify(signature, b"data", padding.PKCS1v15(), hashes.SHA256())
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        signature = issued.key.sign(b"data", pss, hashes.SHA256())
        issued.key.public_key().verify(signature, b"data", pss, hashes.SHA256())


def test_key_id_equals_ski_and_aki(pki: TestPKI, card: CardCredentials) -> None:
    for issued in all_issued(pki, card):
        assert issued.key_id() == ext(issued.certificate, x509.SubjectKeyIdentifier).value.digest
        assert len(issued.key_id()) == 20
    for issued in (card.authentication, card.signature):
        aki = ext(issued.certificate, x509.AuthorityKeyIdentifier).value
        assert aki.key_identifier == pki.citizen_ca.key_id()


def test_export_helpers(card: CardCredentials) -> None:
    issued = card.signature
    assert issued.cert_pem().startswith(b"-----BEGIN CERTIFICATE-----")
    assert x509.load_der_x509_certificate(issued.cert_der()) == issued.certificate
    assert x509.load_pem_x509_certificate(issued.cert_pem()) == issued.certificate
    pem = issued.key_pem()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    loaded = serialization.load_pem_private_key(pem, password=None)
    assert loaded.public_key() == issued.key.public_key()


def test_mixed_key_kinds() -> None:
    pki = TestPKI.create(key_kind="rsa", seed=b"eid tests", now=NOW)
    card = pki.issue_card(ALICE, key_kind="ec")
    key = card.signature.key
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert (
        card.signature.certificate.signature_algorithm_oid == SignatureAlgorithmOID.RSA_WITH_SHA256
    )
    card.signature.certificate.verify_directly_issued_by(pki.citizen_ca.certificate)


# -- determinism -----------------------------------------------------------------------------------


def snapshot(pki: TestPKI, card: CardCredentials) -> list[bytes]:
    return [
        part for issued in all_issued(pki, card) for part in (issued.cert_der(), issued.key_pem())
    ]


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_same_seed_same_bytes(kind: str) -> None:
    first = TestPKI.create(key_kind=kind, seed=b"same", now=NOW)  # type: ignore[arg-type]
    first_card = first.issue_card(ALICE)
    testpki._seeded_rsa_key.cache_clear()  # the second PKI must search its primes again
    second = TestPKI.create(key_kind=kind, seed=b"same", now=NOW)  # type: ignore[arg-type]
    assert snapshot(first, first_card) == snapshot(second, second.issue_card(ALICE))


def test_call_sequence_decides() -> None:
    first = TestPKI.create(key_kind="ec", seed=b"same", now=NOW)
    second = TestPKI.create(key_kind="ec", seed=b"same", now=NOW)
    # a second card of the same holder differs from the first, the same way in both PKIs
    cards_first = [first.issue_card(ALICE), first.issue_card(ALICE)]
    cards_second = [second.issue_card(ALICE), second.issue_card(ALICE)]
    assert [c.signature.cert_der() for c in cards_first] == [
        c.signature.cert_der() for c in cards_second
    ]
    assert cards_first[0].signature.key_pem() != cards_first[1].signature.key_pem()
    assert (
        cards_first[0].signature.certificate.serial_number
        != cards_first[1].signature.certificate.serial_number
    )


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_different_seed_or_now_differs(kind: str) -> None:
    base = TestPKI.create(key_kind=kind, seed=b"eid tests", now=NOW)  # type: ignore[arg-type]
    other_seed = TestPKI.create(key_kind=kind, seed=b"two", now=NOW)  # type: ignore[arg-type]
    later = TestPKI.create(key_kind=kind, seed=b"eid tests", now=NOW + dt.timedelta(seconds=1))  # type: ignore[arg-type]
    assert base.root.key_pem() != other_seed.root.key_pem()
    assert base.root.certificate.serial_number != other_seed.root.certificate.serial_number
    assert base.root.cert_der() != later.root.cert_der()
    assert base.root.key_pem() == later.root.key_pem()


def test_unseeded_pkis_differ() -> None:
    first = TestPKI.create(key_kind="ec", now=NOW)
    second = TestPKI.create(key_kind="ec", now=NOW)
    assert first.root.key_pem() != second.root.key_pem()
    assert first.root.certificate.serial_number != second.root.certificate.serial_number


def test_serials_unique_and_positive(pki: TestPKI, card: CardCredentials) -> None:
    serials = [issued.certificate.serial_number for issued in all_issued(pki, card)]
    assert len(set(serials)) == len(serials)
    assert all(0 < serial < 2**159 for serial in serials)


# -- negative-test helpers -------------------------------------------------------------------------


def test_expired_certificate(pki: TestPKI) -> None:
    end = NOW - dt.timedelta(days=30)
    issued = pki.issue(ALICE, "authentication", not_after=end, key=KEY)
    assert issued.certificate.not_valid_after_utc == end
    assert issued.certificate.not_valid_after_utc < NOW
    assert issued.certificate.not_valid_before_utc == end.replace(year=end.year - 10)
    issued.certificate.verify_directly_issued_by(pki.citizen_ca.certificate)


def test_not_yet_valid_certificate(pki: TestPKI) -> None:
    start = NOW + dt.timedelta(days=10)
    issued = pki.issue(ALICE, "signature", not_before=start, key=KEY)
    assert issued.certificate.not_valid_before_utc == start
    assert issued.certificate.not_valid_before_utc > NOW
    assert issued.certificate.not_valid_after_utc == start.replace(year=2035)


def test_wrong_purpose_authentication_with_non_repudiation(pki: TestPKI) -> None:
    usage = x509.KeyUsage(
        digital_signature=False,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    issued = pki.issue(ALICE, "authentication", key_usage=usage, key=KEY)
    value = ext(issued.certificate, x509.KeyUsage).value
    assert value.content_commitment
    assert not value.digital_signature
    assert "(Authentication)" in issued.certificate.subject.rfc4514_string()


def test_signature_without_qc(pki: TestPKI) -> None:
    issued = pki.issue(ALICE, "signature", qualified=False, key=KEY)
    with pytest.raises(x509.ExtensionNotFound):
        issued.certificate.extensions.get_extension_for_oid(QC_STATEMENTS)
    assert ext(issued.certificate, x509.KeyUsage).value.content_commitment


def test_qualified_authentication(pki: TestPKI) -> None:
    issued = pki.issue(ALICE, "authentication", qualified=True, key=KEY)
    assert QC_COMPLIANCE.dotted_string in qc_statement_ids(issued.certificate)


def test_unusual_policies_and_eku(pki: TestPKI) -> None:
    odd = x509.ObjectIdentifier("1.2.3.4.5")
    issued = pki.issue(
        ALICE,
        "authentication",
        policies=[odd, PRODUCTION_POLICY_ARCS["Belgium Root CA4"]],
        extended_key_usage=[ExtendedKeyUsageOID.CLIENT_AUTH],
        key=KEY,
    )
    assert policies_of(issued.certificate) == ["1.2.3.4.5", "2.16.56.12.1.1"]
    assert list(ext(issued.certificate, x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH
    ]
    bare = pki.issue(ALICE, "authentication", policies=[], key=KEY)
    with pytest.raises(x509.ExtensionNotFound):
        ext(bare.certificate, x509.CertificatePolicies)


def test_other_issuer_and_given_key(pki: TestPKI) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    issued = pki.issue(ALICE, "signature", issuer=pki.root, key=key)
    assert issued.key is key
    assert issued.certificate.issuer == pki.root.certificate.subject
    issued.certificate.verify_directly_issued_by(pki.root.certificate)
    assert ext(issued.certificate, x509.AuthorityKeyIdentifier).value.key_identifier == (
        pki.root.key_id()
    )
    points = ext(issued.certificate, x509.CRLDistributionPoints).value
    assert points[0].full_name is not None
    assert points[0].full_name[0].value.endswith("/crl/root.crl")
    # a foreigner on the citizen CA: the policy still follows the holder
    crossed = pki.issue(BOB, "authentication", issuer=pki.citizen_ca, key=KEY)
    assert policies_of(crossed.certificate) == [f"{TEST_POLICY_ARC.dotted_string}.7.2"]
    # an issuer outside the PKI gets URLs named after its key id
    leaf_issuer = pki.issue(ALICE, "authentication", key=KEY)
    odd = pki.issue(ALICE, "authentication", issuer=leaf_issuer, key=KEY)
    points = ext(odd.certificate, x509.CRLDistributionPoints).value
    assert points[0].full_name is not None
    assert points[0].full_name[0].value.endswith(f"/crl/{leaf_issuer.key_id().hex()[:16]}.crl")


# -- arguments ----------------------------------------------------------------------------------


def test_custom_base_url() -> None:
    pki = TestPKI.create(key_kind="ec", seed=b"u", now=NOW, base_url="http://localhost:9999/pki/")
    assert pki.base_url == "http://localhost:9999/pki"
    assert pki.ocsp_url == "http://localhost:9999/pki/ocsp"
    assert pki.crl_url("citizen") == "http://localhost:9999/pki/crl/citizen.crl"
    assert pki.ca_cert_url("root") == "http://localhost:9999/pki/ca/root.crt"
    cert = pki.issue_card(ALICE).authentication.certificate
    access = [d.access_location.value for d in ext(cert, x509.AuthorityInformationAccess).value]
    assert access == ["http://localhost:9999/pki/ca/citizen.crt", "http://localhost:9999/pki/ocsp"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"key_kind": "dsa"},
        {"seed": "text"},
        {"seed": b""},
        {"now": dt.datetime(2025, 1, 1)},
        {"now": "2025-01-01"},
        {"base_url": "ftp://127.0.0.1"},
        {"base_url": "http://127.0.0.1:8080?x=1"},
        {"base_url": "127.0.0.1:8080"},
    ],
)
def test_create_rejects_bad_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(UsageError):
        TestPKI.create(**kwargs)  # type: ignore[arg-type]


def test_issue_rejects_bad_arguments(pki: TestPKI) -> None:
    with pytest.raises(UsageError):
        pki.issue(ALICE, "encryption")  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        pki.issue(ALICE, "signature", key_kind="dsa")  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        pki.issue(ALICE, "signature", not_before=NOW, not_after=NOW)
    with pytest.raises(UsageError):
        pki.issue(ALICE, "signature", not_after=dt.datetime(2030, 1, 1))
    with pytest.raises(UsageError):
        pki.issue(ALICE, "signature", key=b"not a key")  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        pki.issue_card(ALICE, key_kind="rsa4096")  # type: ignore[arg-type]


# -- QCStatements, policy arcs and the key helpers -----------------------------------------------


def test_qc_statements_encoding() -> None:
    der = encode_qc_statements([QC_COMPLIANCE, QC_SSCD])
    assert der == bytes.fromhex("30143008060604008e4601013008060604008e460104")
    parsed = QcStatements.load(der)
    assert [s["statement_id"].dotted for s in parsed] == ["0.4.0.1862.1.1", "0.4.0.1862.1.4"]
    assert encode_qc_statements([]) == b"\x30\x00"


def test_policy_arcs() -> None:
    assert {name: arc.dotted_string for name, arc in PRODUCTION_POLICY_ARCS.items()} == {
        "Belgium Root CA": "2.16.56.1.1.1",
        "Belgium Root CA2": "2.16.56.9.1.1",
        "Belgium Root CA3": "2.16.56.10.1.1",
        "Belgium Root CA4": "2.16.56.12.1.1",
    }
    ca4 = PRODUCTION_POLICY_ARCS["Belgium Root CA4"]
    assert policy_oid(ca4, "citizen_signature").dotted_string == "2.16.56.12.1.1.2.1"
    assert classify_policy(x509.ObjectIdentifier("2.16.56.9.1.1.7.2")) == (
        "Belgium Root CA2",
        "foreigner_authentication",
    )
    assert classify_policy(x509.ObjectIdentifier("2.16.56.1.1.1.4")) == ("Belgium Root CA", "rrn")
    assert classify_policy(policy_oid(TEST_POLICY_ARC, "citizen_authentication")) == (
        TEST_ROOT_NAME,
        "citizen_authentication",
    )
    assert classify_policy(x509.ObjectIdentifier("2.16.56.12.1.1.9")) is None
    assert classify_policy(policy_oid(TEST_POLICY_ARC, "rrn"), PRODUCTION_POLICY_ARCS) is None
    assert not TEST_POLICY_ARC.dotted_string.startswith("2.16.56.")


def test_issued_policies_classify(pki: TestPKI, card: CardCredentials) -> None:
    found = {
        classify_policy(x509.ObjectIdentifier(oid))
        for issued in (card.authentication, card.signature, pki.rrn)
        for oid in policies_of(issued.certificate)
    }
    assert found == {
        (TEST_ROOT_NAME, "citizen_authentication"),
        (TEST_ROOT_NAME, "citizen_signature"),
        (TEST_ROOT_NAME, "rrn"),
    }


def test_drbg_streams() -> None:
    a, b = Drbg(b"seed", "label"), Drbg(b"seed", "label")
    assert a.read(5) + a.read(40) == b.read(45)
    assert Drbg(b"seed", "other").read(32) != Drbg(b"seed", "label").read(32)
    drbg = Drbg(b"seed", "range")
    values = [drbg.randbelow(10) for _ in range(500)]
    assert set(values) == set(range(10))
    assert all(drbg.randbits(13) < 2**13 for _ in range(100))
    with pytest.raises(ValueError, match="positive"):
        drbg.randbelow(0)


def test_is_probable_prime() -> None:
    drbg = Drbg(b"mr", "test")
    primes = [2, 3, 5, 65537, 2**61 - 1, 2**127 - 1, 2**521 - 1]
    composites = [0, 1, 4, 561, 1105, 41041, 3215031751, (2**61 - 1) * (2**89 - 1), 2**128 + 1]
    assert all(is_probable_prime(p, drbg) for p in primes)
    assert not any(is_probable_prime(c, drbg) for c in composites)


def test_deterministic_key_helpers() -> None:
    key = deterministic_rsa_key(Drbg(b"k", "rsa"), 1024)
    assert key.key_size == 1024
    assert key.private_numbers() == deterministic_rsa_key(Drbg(b"k", "rsa"), 1024).private_numbers()
    with pytest.raises(ValueError, match="RSA key size"):
        deterministic_rsa_key(Drbg(b"k", "rsa"), 1023)
    p256 = deterministic_ec_key(Drbg(b"k", "ec"), ec.SECP256R1())
    assert isinstance(p256.curve, ec.SECP256R1)
    assert deterministic_ec_key(Drbg(b"k", "ec")).curve.name == "secp384r1"
    with pytest.raises(ValueError, match="curve"):
        deterministic_ec_key(Drbg(b"k", "ec"), ec.SECP256K1())


def test_testpki_is_not_collected_by_pytest() -> None:
    assert TestPKI.__test__ is False
