"""Certificates with explicit NULL ECDSA parameters are usable everywhere (issue 11 item 8).

Made from the test PKI with `tests.explicit_null.with_explicit_null`: the certificate's
signature AlgorithmIdentifiers get an explicit NULL and the TBS is signed again by the
issuer, as on Finnish test cards. `cryptography` refuses such a certificate; the lenient
loader keeps it, its key works, and every result records the encoding problem.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from asn1crypto import keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from eid.auth import authenticate_client_certificate, certificate_from_header
from eid.auth.webeid import validate
from eid.auth.webeid_format import authentication_value
from eid.errors import CertificateMalformed, SignatureInvalid
from eid.pki import TrustStore, load_certificate, validate_certificate
from eid.pki.testpki import Holder, Issued, TestPKI
from eid.sign.report import Indication
from eid.sign.verify_document import verify
from tests.explicit_null import with_explicit_null
from tests.sign_support import make_pdf
from tests.verify_support import OFF

HOLDER = Holder("Aino", "Virtanen", "90010100123")
ORIGIN = "https://portal.example"
CHALLENGE = "0123456789abcdef0123456789abcdef0123456789a="
NULL_NOTE = "explicit NULL parameters in an ECDSA AlgorithmIdentifier"


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return TestPKI.create(key_kind="ec", seed=b"explicit-null")


@pytest.fixture(scope="module")
def trust(pki: TestPKI) -> TrustStore:
    return TrustStore([pki.root.certificate], [pki.citizen_ca.certificate])


def _holder_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


def _null_certificate(pki: TestPKI, purpose: str, key: ec.EllipticCurvePrivateKey) -> bytes:
    issued: Issued = pki.issue(HOLDER, purpose, key=key)  # type: ignore[arg-type]
    return with_explicit_null(issued.certificate, pki.citizen_ca.key)


def test_the_sample_is_what_cards_carry(pki: TestPKI) -> None:
    key = _holder_key()
    der = _null_certificate(pki, "authentication", key)
    with pytest.raises(ValueError, match="ParseError"):
        x509.load_der_x509_certificate(der)
    parsed = asn1_x509.Certificate.load(der)
    assert parsed["signature_algorithm"]["parameters"].dump() == b"\x05\x00"
    assert parsed["tbs_certificate"]["signature"]["parameters"].dump() == b"\x05\x00"
    loaded = load_certificate(der)
    assert loaded.crypto is None
    assert any(NULL_NOTE in problem for problem in loaded.problems)
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    assert loaded.public_key.public_bytes(serialization.Encoding.DER, spki) == (
        key.public_key().public_bytes(serialization.Encoding.DER, spki)
    )


def test_path_validation_keeps_the_encoding_problem(pki: TestPKI, trust: TrustStore) -> None:
    der = _null_certificate(pki, "authentication", _holder_key())
    validated = validate_certificate(der, trust=trust, purpose="authentication", revocation=OFF)
    assert any(NULL_NOTE in problem for problem in validated.problems)
    # An issuing CA with the same encoding verifies the certificates it issued.
    null_ca = with_explicit_null(pki.citizen_ca.certificate, pki.root.key)
    store = TrustStore([pki.root.certificate], [null_ca])
    leaf = pki.issue(HOLDER, "authentication", key=_holder_key()).certificate
    validated = validate_certificate(leaf, trust=store, purpose="authentication", revocation=OFF)
    assert [c.der for c in validated.chain][1] == null_ca


def _webeid_token(der: bytes, key: ec.EllipticCurvePrivateKey, signing: bytes = b"") -> str:
    """A Web eID token as the extension makes it (format 1.1 when ``signing`` is given)."""
    value = authentication_value(ORIGIN, CHALLENGE, hashes.SHA384())
    r, s = decode_dss_signature(key.sign(value, ec.ECDSA(hashes.SHA384())))
    signature = r.to_bytes(48, "big") + s.to_bytes(48, "big")
    token: dict[str, object] = {
        "format": "web-eid:1.0",
        "unverifiedCertificate": base64.b64encode(der).decode(),
        "algorithm": "ES384",
        "signature": base64.b64encode(signature).decode(),
        "appVersion": "https://web-eid.eu/web-eid-app/releases/2.5.0",
    }
    if signing:
        algorithm = {"cryptoAlgorithm": "ECC", "hashFunction": "SHA-384", "paddingScheme": "NONE"}
        token["format"] = "web-eid:1.1"
        token["unverifiedSigningCertificates"] = [
            {
                "certificate": base64.b64encode(signing).decode(),
                "supportedSignatureAlgorithms": [algorithm],
            }
        ]
    return json.dumps(token)


def test_webeid_token_with_an_es384_key(pki: TestPKI, trust: TrustStore) -> None:
    key = _holder_key()
    der = _null_certificate(pki, "authentication", key)
    result = validate(
        _webeid_token(der, key), origin=ORIGIN, challenge=CHALLENGE, trust=trust, revocation=OFF
    )
    assert result.validated.identity.national_number is not None
    assert str(result.validated.identity.national_number) == HOLDER.national_number
    assert result.certificate is None  # cryptography cannot represent it
    assert any(NULL_NOTE in warning for warning in result.warnings)
    other = _webeid_token(der, _holder_key())
    with pytest.raises(SignatureInvalid):
        validate(other, origin=ORIGIN, challenge=CHALLENGE, trust=trust, revocation=OFF)
    # Format 1.1 compares the signing certificates' names with cryptography's: a clean refusal.
    signing = pki.issue(HOLDER, "signature", key=key).cert_der()
    with pytest.raises(CertificateMalformed, match=r"web-eid:1\.1"):
        validate(
            _webeid_token(der, key, signing),
            origin=ORIGIN,
            challenge=CHALLENGE,
            trust=trust,
            revocation=OFF,
        )


def test_tls_client_certificate(pki: TestPKI, trust: TrustStore) -> None:
    der = _null_certificate(pki, "authentication", _holder_key())
    header = base64.b64encode(der).decode()
    certificate = certificate_from_header(header)
    result = authenticate_client_certificate(certificate, trust=trust, revocation=OFF)
    assert result.to_dict()["national_number"] == HOLDER.national_number
    assert any(NULL_NOTE in warning for warning in result.warnings)


def test_pdf_signer_certificate(pki: TestPKI, trust: TrustStore, tmp_path: Path) -> None:
    """A PDF signed (pyHanko, asn1crypto keeps the bytes) with an explicit-NULL certificate."""
    key = _holder_key()
    der = _null_certificate(pki, "signature", key)
    private = keys.PrivateKeyInfo.load(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    chain = [asn1_x509.Certificate.load(pki.citizen_ca.cert_der())]
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(der),
        signing_key=private,
        cert_registry=SimpleCertificateStore.from_certs(chain),
    )
    buffer = io.BytesIO(make_pdf(tmp_path / "in.pdf").read_bytes())
    metadata = signers.PdfSignatureMetadata(field_name="Signature1", md_algorithm="sha384")
    signed = tmp_path / "signed.pdf"
    signed.write_bytes(
        signers.sign_pdf(IncrementalPdfFileWriter(buffer), metadata, signer).getvalue()
    )
    (signature,) = verify(
        signed, trust=trust, revocation=OFF, at=dt.datetime.now(dt.UTC)
    ).signatures
    assert signature.indication is Indication.TOTAL_PASSED, signature.reasons
    assert signature.signer is not None
    assert signature.signer.certificate == der
    assert any(NULL_NOTE in warning for warning in signature.warnings)
