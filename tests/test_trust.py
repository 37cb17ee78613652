"""TrustStore, path validation, classification and non-DER certificates (real certvalidator)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import algos, core
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from eid.errors import (
    CertificateExpired,
    CertificateInvalid,
    CertificateNotYetValid,
    CertificateUntrusted,
    DisallowedPolicy,
    MalformedInput,
    WrongPurpose,
)
from eid.pki import (
    TrustStore,
    ValidatedCertificate,
    ValidationCache,
    classify,
    load_certificate,
    load_certificates,
    validate_certificate,
)
from eid.pki.policy_arcs import TEST_POLICY_ARC, policy_oid
from eid.pki.services import TestServices
from eid.pki.testpki import TestPKI
from tests._pki_helpers import ALICE, BOB, OFF, trust_of

ROOTS = Path(__file__).resolve().parent.parent / "src" / "eid" / "pki" / "roots"


@pytest.fixture(scope="module", params=["rsa", "ec"])
def services(request: pytest.FixtureRequest) -> Iterator[TestServices]:
    with TestServices(key_kind=request.param, seed=f"trust-{request.param}".encode()) as running:
        yield running


@pytest.fixture(scope="module")
def ec_pki() -> TestPKI:
    return TestPKI.create(key_kind="ec", seed=b"trust-ec-offline")


def _offline(
    pki: TestPKI, der: bytes, trust: TrustStore | None = None, **options: Any
) -> ValidatedCertificate:
    """``der`` validated at ``pki``'s time without revocation, against ``trust`` (by default
    ``pki``'s root and Citizen CA)."""
    if trust is None:
        trust = TrustStore([pki.root.cert_der()], [pki.citizen_ca.cert_der()])
    return validate_certificate(der, trust=trust, at=pki.now, revocation=OFF, **options)


@pytest.mark.parametrize("purpose", ["authentication", "signature"])
def test_valid_card_certificates(services: TestServices, purpose: str) -> None:
    card = services.pki.issue_card(ALICE)
    issued = card.authentication if purpose == "authentication" else card.signature
    result = validate_certificate(
        issued.cert_der(),
        trust=trust_of(services),
        purpose=purpose,
        revocation=OFF,  # type: ignore[arg-type]
    )
    assert [c.der for c in result.chain] == [
        issued.cert_der(),
        services.pki.citizen_ca.cert_der(),
        services.pki.root.cert_der(),
    ]
    assert result.kind.holder == "citizen"
    assert result.kind.usage == purpose
    assert result.kind.qualified is (purpose == "signature")
    assert result.identity.national_number is not None
    assert str(result.identity.national_number) == "71715100070"
    assert result.identity.given_names == "Alice Maria"
    assert result.identity.surname == "SPECIMEN"
    assert result.revocation.status == "not_checked"
    assert result.problems == ()


def test_foreigner_classified(ec_pki: TestPKI) -> None:
    card = ec_pki.issue_card(BOB)
    kind = classify(card.signature.certificate)
    assert (kind.holder, kind.usage, kind.qualified) == ("foreigner", "signature", True)
    kind = classify(card.authentication.cert_pem())
    assert (kind.holder, kind.usage, kind.qualified) == ("foreigner", "authentication", False)


def test_expired(ec_pki: TestPKI) -> None:
    old = ec_pki.issue(ALICE, "authentication", not_after=ec_pki.now - dt.timedelta(days=2))
    with pytest.raises(CertificateExpired) as caught:
        _offline(ec_pki, old.cert_der())
    assert caught.value.code == "certificate_expired"
    assert "Alice SPECIMEN" in caught.value.message


def test_not_yet_valid(ec_pki: TestPKI) -> None:
    later = ec_pki.issue(ALICE, "authentication", not_before=ec_pki.now + dt.timedelta(days=2))
    with pytest.raises(CertificateNotYetValid) as caught:
        _offline(ec_pki, later.cert_der())
    assert caught.value.code == "certificate_not_yet_valid"


def test_wrong_purpose(ec_pki: TestPKI) -> None:
    card = ec_pki.issue_card(ALICE)
    with pytest.raises(WrongPurpose) as caught:
        _offline(ec_pki, card.signature.cert_der(), purpose="authentication")
    assert caught.value.code == "wrong_purpose"
    with pytest.raises(WrongPurpose):
        _offline(ec_pki, card.authentication.cert_der(), purpose="signature")
    with pytest.raises(WrongPurpose):
        _offline(ec_pki, ec_pki.citizen_ca.cert_der(), purpose="signature")


def test_disallowed_policy(ec_pki: TestPKI) -> None:
    card = ec_pki.issue_card(ALICE)
    refused = policy_oid(TEST_POLICY_ARC, "citizen_signature")
    with pytest.raises(DisallowedPolicy) as caught:
        _offline(ec_pki, card.signature.cert_der(), disallowed_policies=[refused])
    assert caught.value.code == "disallowed_policy"
    _offline(ec_pki, card.authentication.cert_der(), disallowed_policies=[refused.dotted_string])


def test_untrusted_root(ec_pki: TestPKI) -> None:
    other = TestPKI.create(key_kind="ec", seed=b"someone else")
    card = ec_pki.issue_card(ALICE)
    trust = TrustStore([other.root.cert_der()], [ec_pki.citizen_ca.cert_der()])
    with pytest.raises(CertificateUntrusted) as caught:
        validate_certificate(
            card.authentication.cert_der(), trust=trust, at=ec_pki.now, revocation=OFF
        )
    assert caught.value.code == "certificate_untrusted"
    with pytest.raises(CertificateUntrusted):
        validate_certificate(
            card.authentication.cert_der(), trust=TrustStore(), at=ec_pki.now, revocation=OFF
        )


def test_intermediate_as_anchor(ec_pki: TestPKI) -> None:
    card = ec_pki.issue_card(ALICE)
    trust = TrustStore([ec_pki.citizen_ca.cert_pem()])
    result = validate_certificate(
        card.authentication.cert_der(), trust=trust, at=ec_pki.now, revocation=OFF
    )
    assert [c.der for c in result.chain] == [
        card.authentication.cert_der(),
        ec_pki.citizen_ca.cert_der(),
    ]
    # ... and a foreigner's certificate does not chain to the Citizen CA.
    with pytest.raises(CertificateUntrusted):
        _offline(ec_pki, ec_pki.issue_card(BOB).authentication.cert_der(), trust)


def test_from_paths_files_and_folders(ec_pki: TestPKI, tmp_path: Path) -> None:
    (tmp_path / "root.pem").write_bytes(b"comment\n" + ec_pki.root.cert_pem())
    (tmp_path / "ca.der").write_bytes(ec_pki.citizen_ca.cert_der())
    (tmp_path / "README.txt").write_text("not a certificate")
    store = TrustStore.from_paths([tmp_path])
    assert len(store.anchors) == 2
    store = TrustStore.from_paths([tmp_path / "ca.der"])
    assert [c.der for c in store.anchors] == [ec_pki.citizen_ca.cert_der()]
    store.add(ec_pki.root.certificate, anchor=False)
    assert len(store.intermediates) == 1
    with pytest.raises(MalformedInput) as caught:
        TrustStore.from_paths([tmp_path / "README.txt"])
    assert caught.value.code == "malformed_input"


def test_malformed_input(ec_pki: TestPKI) -> None:
    trust = TrustStore([ec_pki.root.cert_der()])
    for garbage in (
        b"",
        b"\x30\x03\x02\x01\x01",
        b"not a certificate",
        ec_pki.root.cert_der()[:-10],
    ):
        with pytest.raises(MalformedInput) as caught:
            validate_certificate(garbage, trust=trust, revocation=OFF)
        assert caught.value.code == "malformed_input"
    with pytest.raises(MalformedInput):
        load_certificate(ec_pki.root.cert_der() + b"\x01\x02")
    with pytest.raises(MalformedInput):
        load_certificate(ec_pki.root.cert_der() + b"\x00")
    padded = load_certificates(ec_pki.root.cert_der() + b"\x00" * 4)
    assert padded[0].der == ec_pki.root.cert_der()
    assert padded[0].problems == ("4 bytes of zero padding after the certificate ignored",)
    with pytest.raises(MalformedInput):
        load_certificate(b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n")


def _reencode_with_null_params(pki: TestPKI, der: bytes) -> bytes:
    """Re-sign a certificate with an explicit NULL in its ECDSA AlgorithmIdentifiers."""
    cert = asn1_x509.Certificate.load(der)
    algorithm = algos.SignedDigestAlgorithm(
        {"algorithm": "sha384_ecdsa", "parameters": core.Null()}
    )
    tbs = cert["tbs_certificate"].copy()
    tbs["signature"] = algorithm
    key = pki.citizen_ca.key
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    signature = key.sign(tbs.dump(force=True), ec.ECDSA(hashes.SHA384()))
    return bytes(
        asn1_x509.Certificate(
            {"tbs_certificate": tbs, "signature_algorithm": algorithm, "signature_value": signature}
        ).dump(force=True)
    )


def test_non_der_certificate_is_handled(ec_pki: TestPKI) -> None:
    card = ec_pki.issue_card(ALICE)
    odd = _reencode_with_null_params(ec_pki, card.authentication.cert_der())
    loaded = load_certificate(odd)
    assert loaded.crypto is None
    assert any("explicit NULL" in p for p in loaded.problems)
    trust = TrustStore([ec_pki.root.cert_der()], [ec_pki.citizen_ca.cert_der()])
    result = validate_certificate(
        odd, trust=trust, purpose="authentication", at=ec_pki.now, revocation=OFF
    )
    assert any("not DER" in p for p in result.problems)
    assert str(result.national_number) == "71715100070"
    # A tampered byte in the re-encoded certificate still fails its signature.
    tampered = bytearray(odd)
    index = tampered.find(b"SPECIMEN")
    tampered[index] ^= 0x01
    with pytest.raises(CertificateUntrusted):
        validate_certificate(bytes(tampered), trust=trust, at=ec_pki.now, revocation=OFF)


def test_belgian_roots_load_and_classify() -> None:
    store = TrustStore.belgium()
    assert len(store.anchors) == 7
    assert len(store.intermediates) == 5
    assert (ROOTS / "ORIGINS.md").is_file()
    subjects = {c.subject for c in store.anchors}
    assert any("Belgium Root CA6" in s for s in subjects)
    for cert in store.intermediates:
        assert classify(cert).usage == "ca"


def test_citizen_ca_202002_chains_to_root_ca6() -> None:
    store = TrustStore.belgium()
    ca = next(c for c in store.intermediates if "202002" in c.subject)
    result = validate_certificate(
        ca,
        trust=store,
        at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        revocation=OFF,
        cache=ValidationCache(),
    )
    assert "Belgium Root CA6" in result.anchor.subject
    assert result.kind.holder == "citizen"


def test_citizen_ca_201402_under_root_ca2() -> None:
    store = TrustStore.belgium()
    ca = next(c for c in store.intermediates if "201402" in c.subject)
    assert any("zero padding" in p for p in ca.problems)
    at = dt.datetime(2016, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(CertificateInvalid) as caught:  # signed with SHA-1 by Root CA2
        validate_certificate(ca, trust=store, at=at, revocation=OFF, cache=ValidationCache())
    # The date-based crypto policy names the rule: SHA-1 retired long before 2016.
    assert caught.value.code == "algorithm_not_accepted"
    assert "sha1: not accepted after 2012-08-01" in caught.value.message
    result = validate_certificate(
        ca, trust=store, at=at, revocation=OFF, allow_sha1=True, cache=ValidationCache()
    )
    assert "Belgium Root CA2" in result.anchor.subject
    assert result.kind.policies == ("2.16.56.9.1.1.2",)
    assert result.kind.holder == "citizen"
    assert any("zero padding" in p for p in result.problems)


def test_a_signature_with_unused_bits_is_refused() -> None:
    """Same TBS and signature bytes, another encoding (and fingerprint): refused, not accepted silently."""
    from eid.errors import MalformedInput
    from eid.pki import load_certificate
    from eid.pki.testpki import TestPKI

    der = bytearray(TestPKI.create(key_kind="rsa", seed=b"unused bits").root.cert_der())
    # The signature BIT STRING is the last element: 03 82 01 01 00 <256 bytes>.
    marker = len(der) - 256 - 1
    assert der[marker - 4 : marker + 1] == bytes.fromhex("0382010100")
    der[marker] = 0x01
    with pytest.raises(MalformedInput, match="unused bits"):
        load_certificate(bytes(der))
