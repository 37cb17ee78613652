"""Real signed inputs for the fuzzers and property tests, made here from a seeded test PKI.

Built once per process from a fixed seed and clock, so every process has the same keys and
certificates (signed documents differ only in their signing time): card files
signed by the test RRN key, a Web eID token, an OCSP response and a CRL of the test PKI, and
a PDF, a detached and an enveloping CMS, an ASiC-E and an ASiC-S signed at B-B with a
software key. `trust` holds only that PKI, so a forged signature can never pass by chance.
"""

from __future__ import annotations

import atexit
import base64
import datetime as dt
import functools
import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from eid.auth.webeid_format import authentication_value
from eid.cli.demo import demo_pdf
from eid.pki import (
    LoadedCertificate,
    RevocationPolicy,
    RevocationSettings,
    TrustStore,
    load_certificate,
)
from eid.pki.ocsp import build_request
from eid.pki.services import TestServices
from eid.pki.testpki import Holder, Issued, KeyKind, TestPKI
from eid.sign import SoftwareSigner, sign_asice, sign_asics, sign_cades, sign_pdf
from eid.tokens.belpic import (
    ADDRESS_FILE,
    CERT_RN_FILE,
    DATA_FILE,
    PHOTO_FILE,
    SIGN_ADDRESS_FILE,
    SIGN_DATA_FILE,
    sign_card_files,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
VECTORS = FIXTURES / "belgium" / "identity-vectors"
NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
AT = NOW + dt.timedelta(minutes=5)
"""The validation time of every check on this material."""
ORIGIN = "https://portal.example:8443"
CHALLENGE = base64.b64encode(b"fuzz-challenge-nonce-32-bytes!!!").decode()
CONTENT = b"I agree to the terms.\n" * 20
OFF = RevocationSettings(policy=RevocationPolicy.OFF)
HOLDER = Holder("Fuzz", "Tester", "90010100123")


@dataclass(frozen=True)
class Documents:
    """Signed documents written to ``directory``: each a path, ``data`` the detached content."""

    directory: Path
    pdf: Path
    p7s: Path
    data: Path
    p7m: Path
    asice: Path
    asics: Path


@functools.cache
def pki() -> TestPKI:
    """The seeded RSA test PKI every signature here chains to."""
    return TestPKI.create(key_kind="rsa", seed=b"eid-fuzz", now=NOW)


@functools.cache
def trust() -> TrustStore:
    """The test PKI's root as the only anchor, its Citizen CA as an intermediate."""
    return TrustStore([pki().root.certificate], [pki().citizen_ca.certificate])


@functools.cache
def rrn_pki(kind: KeyKind) -> TestPKI:
    """A seeded test PKI of ``kind`` for card files: RSA (applet 1.7) or EC P-384 (1.8)."""
    return pki() if kind == "rsa" else TestPKI.create(key_kind=kind, seed=b"eid-fuzz", now=NOW)


@functools.cache
def card_files(kind: KeyKind = "rsa") -> dict[str, bytes]:
    """A card's files (identity, address, photo, RRN certificate and signatures), all valid.

    The identity, address and photo are the public SPECIMEN vectors; the signatures are made
    here with the RRN key of `rrn_pki` (RSA SHA-256, or ECDSA P-384 in a zero-padded file).
    """
    identity = (VECTORS / "test-identity.tlv").read_bytes()
    address = (VECTORS / "test-address.tlv").read_bytes()
    rrn = rrn_pki(kind).rrn
    assert isinstance(rrn.key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
    identity_signature, address_signature = sign_card_files(identity, address, rrn.key)
    return {
        DATA_FILE: identity,
        ADDRESS_FILE: address,
        PHOTO_FILE: (VECTORS / "test-photo.jpg").read_bytes(),
        CERT_RN_FILE: rrn.cert_der(),
        SIGN_DATA_FILE: identity_signature,
        SIGN_ADDRESS_FILE: address_signature,
    }


@functools.cache
def _holder() -> tuple[Issued, Issued]:
    # Issued together, in one order: the test PKI derives keys and serials from the issue
    # count, so every process (fuzzer, seeds, tests) gets the same certificates.
    return pki().issue(HOLDER, "authentication"), pki().issue(HOLDER, "signature")


def authentication() -> Issued:
    """The holder's authentication key and certificate (Web eID, TLS client login)."""
    return _holder()[0]


def signature() -> Issued:
    """The holder's signature key and certificate (documents, OCSP and CRL subject)."""
    return _holder()[1]


@functools.cache
def webeid_token() -> str:
    """A Web eID 1.0 token (RS256) for ``ORIGIN`` and ``CHALLENGE``, from a software key."""
    issued = authentication()
    assert isinstance(issued.key, rsa.RSAPrivateKey)
    value = authentication_value(ORIGIN, CHALLENGE, hashes.SHA256())
    signature = issued.key.sign(value, padding.PKCS1v15(), hashes.SHA256())
    return json.dumps(
        {
            "unverifiedCertificate": base64.b64encode(issued.cert_der()).decode(),
            "algorithm": "RS256",
            "signature": base64.b64encode(signature).decode(),
            "format": "web-eid:1.0",
            "appVersion": "https://eid.invalid/fuzz/1.0",
        }
    )


@functools.cache
def revocation_subject() -> tuple[LoadedCertificate, LoadedCertificate]:
    """``(certificate, issuer)`` that the OCSP response and the CRL speak about."""
    return load_certificate(signature().cert_der()), load_certificate(pki().citizen_ca.cert_der())


@functools.cache
def _services() -> TestServices:
    return TestServices(pki(), clock=lambda: NOW)


@functools.cache
def ocsp_response() -> bytes:
    """A good OCSP response (delegated responder, no nonce) for `revocation_subject`."""
    cert, issuer = revocation_subject()
    return _services().ocsp_response(build_request(cert, issuer, None))


@functools.cache
def crl() -> bytes:
    """The Citizen CA's current CRL (DER), signed by the CA."""
    return _services().crl("citizen")


@functools.cache
def certificates() -> dict[str, bytes]:
    """Certificates of the PKI by name (DER): root, CAs, RRN, a card certificate."""
    test = pki()
    return {
        "root": test.root.cert_der(),
        "citizen-ca": test.citizen_ca.cert_der(),
        "rrn": test.rrn.cert_der(),
        "signature": signature().cert_der(),
        "rrn-fixture": (VECTORS / "test-rrn-cert.der").read_bytes(),
    }


def pem_bundle() -> bytes:
    """All of `certificates` as one PEM bundle."""
    return b"".join(
        b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) + b"-----END CERTIFICATE-----\n"
        for der in certificates().values()
    )


@functools.cache
def documents() -> Documents:
    """Every signed format, B-B, from one software signature key (in a temporary folder)."""
    directory = scratch_directory("eid-fuzz-")
    test = pki()
    issued = signature()
    assert isinstance(issued.key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
    signer = SoftwareSigner(
        issued.key, issued.certificate, [test.citizen_ca.certificate, test.root.certificate]
    )
    data = directory / "letter.txt"
    data.write_bytes(CONTENT)
    pdf = demo_pdf(directory / "in.pdf", "a fuzzed document")
    accented = directory / "r\u00e9sum\u00e9.txt"  # NFC; its NFD form must not shadow it
    accented.write_bytes(CONTENT)
    return Documents(
        directory=directory,
        pdf=sign_pdf(pdf, directory / "signed.pdf", signer).output,
        p7s=sign_cades(data, directory / "letter.txt.p7s", signer).output,
        data=data,
        p7m=sign_cades(data, directory / "letter.p7m", signer, detached=False).output,
        asice=sign_asice([data, accented], directory / "signed.asice", signer).output,
        asics=sign_asics(data, directory / "signed.asics", signer).output,
    )


def scratch_directory(prefix: str) -> Path:
    """A new temporary folder, removed when the process exits."""
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return directory


def digest(data: bytes) -> str:
    """A short name for a seed or finding: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(data).hexdigest()[:16]
