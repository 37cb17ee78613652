"""Real signed inputs for the fuzzers and property tests, made here from a seeded test PKI.

Built once per process from a fixed seed and clock, so every process has the same keys and
certificates (signed documents differ only in their signing time): card files
signed by the test RRN key, a Web eID token, an OCSP response and a CRL of the test PKI, and
a PDF, a detached and an enveloping CMS, an ASiC-E and an ASiC-S signed at B-B with a
software key, and an enveloping CMS counter-signed twice (a counter-signature of the
signature and one of that counter-signature, by a second holder; `counter_signature`
makes them). `trust` holds only that PKI, so a forged signature can never pass by chance.
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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import cms, parser
from asn1crypto import x509 as asn1_x509
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
WITNESS = Holder("Fuzz", "Witness", "85073003328")
"""The counter-signer of the counter-signed document."""


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
    countersigned: Path


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
def witness() -> Issued:
    """`WITNESS`'s signature key and certificate (issued after the holder's)."""
    _holder()
    return pki().issue(WITNESS, "signature")


def counter_signature(
    countersigned: cms.SignerInfo,
    issued: Issued,
    *,
    signing_time: dt.datetime = NOW,
    digest: str = "sha256",
    message_digest: bytes | None = None,
    attributes: Sequence[cms.CMSAttribute] = (),
) -> cms.SignerInfo:
    """A CAdES counter-signature (RFC 5652 11.4) of ``countersigned`` by ``issued``'s key.

    Signed attributes: signing time, message digest (of ``countersigned``'s signature value,
    or ``message_digest``), signing-certificate-v2, then ``attributes``; RSA PKCS#1 v1.5 or
    ECDSA with ``digest``. Negative tests change what they need afterwards.
    """
    value = bytes(countersigned["signature"].native)
    certificate = asn1_x509.Certificate.load(issued.cert_der())
    signed = cms.CMSAttributes(
        [
            cms.CMSAttribute(
                {"type": "signing_time", "values": [cms.Time({"utc_time": signing_time})]}
            ),
            cms.CMSAttribute(
                {
                    "type": "message_digest",
                    "values": [message_digest or hashlib.new(digest, value).digest()],
                }
            ),
            cms.CMSAttribute(
                {
                    "type": "signing_certificate_v2",
                    "values": [
                        {
                            "certs": [
                                {
                                    "hash_algorithm": {"algorithm": "sha256"},
                                    "cert_hash": hashlib.sha256(issued.cert_der()).digest(),
                                }
                            ]
                        }
                    ],
                }
            ),
            *attributes,
        ]
    )
    chosen = getattr(hashes, digest.upper())()
    key = issued.key
    if isinstance(key, rsa.RSAPrivateKey):
        signature_value = key.sign(signed.dump(), padding.PKCS1v15(), chosen)
        algorithm = f"{digest}_rsa"
    else:
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        signature_value = key.sign(signed.dump(), ec.ECDSA(chosen))
        algorithm = f"{digest}_ecdsa"
    built = cms.SignerInfo(
        {
            "version": "v1",
            "sid": {
                "issuer_and_serial_number": {
                    "issuer": certificate.issuer,
                    "serial_number": certificate.serial_number,
                }
            },
            "digest_algorithm": {"algorithm": digest},
            "signed_attrs": signed,
            "signature_algorithm": {"algorithm": algorithm},
            "signature": signature_value,
        }
    )
    return cms.SignerInfo.load(built.dump())


def counter_signature_attribute(*values: cms.SignerInfo) -> cms.CMSAttribute:
    """The unsigned attribute id-countersignature holding ``values``."""
    built = cms.CMSAttribute({"type": "counter_signature", "values": list(values)})
    return cms.CMSAttribute.load(built.dump())


def tlv(tag: int, body: bytes) -> bytes:
    """The DER element of tag byte ``tag`` around ``body``."""
    size = len(body)
    if size < 0x80:
        return bytes([tag, size]) + body
    octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(octets)]) + octets + body


def _body(der: bytes) -> bytes:
    return bytes(parser.parse(der, strict=True)[4])


def _elements(body: bytes) -> list[bytes]:
    """The DER elements one after the other in ``body`` (a constructed value's contents)."""
    found = []
    while body:
        _, _, _, header, contents, trailer = parser.parse(body)
        size = len(header) + len(contents) + len(trailer)
        found.append(body[:size])
        body = body[size:]
    return found


def with_unsigned(
    data: bytes, attribute: cms.CMSAttribute, certificates: Sequence[bytes] = ()
) -> bytes:
    """The CMS ``data`` with ``attribute`` added to its first signer info's unsigned attributes.

    ``certificates`` (DER) are added to the SignedData. Edited as DER bytes, every other part
    kept as it is (asn1crypto encodes a tree changed in place again at every level of every
    dump, which takes minutes for a SignedData).
    """
    content_type, explicit = _elements(_body(data))
    fields = _elements(_body(_body(explicit)))
    signers = _elements(_body(fields[-1]))
    parts = _elements(_body(signers[0]))
    unsigned = _body(parts.pop()) if parts[-1][0] == 0xA1 else b""
    signers[0] = tlv(0x30, b"".join([*parts, tlv(0xA1, unsigned + attribute.dump())]))
    fields[-1] = tlv(0x31, b"".join(signers))
    if certificates:
        if fields[3][0] == 0xA0:  # version, digest algorithms, content, [0] certificates
            fields[3] = tlv(0xA0, _body(fields[3]) + b"".join(certificates))
        else:
            fields.insert(3, tlv(0xA0, b"".join(certificates)))
    signed_data = tlv(0x30, b"".join(fields))
    return tlv(0x30, content_type + tlv(0xA0, signed_data))


def countersigned(data: bytes) -> bytes:
    """The CMS ``data`` counter-signed by `witness`, and that counter-signature by the holder."""
    master = cms.ContentInfo.load(data)["content"]["signer_infos"][0]
    first = counter_signature(master, witness())
    second = counter_signature(first, signature())
    first["unsigned_attrs"] = [counter_signature_attribute(second)]
    return with_unsigned(data, counter_signature_attribute(first), [witness().cert_der()])


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
    p7m = sign_cades(data, directory / "letter.p7m", signer, detached=False).output
    twice = directory / "countersigned.p7m"
    twice.write_bytes(countersigned(p7m.read_bytes()))
    return Documents(
        directory=directory,
        pdf=sign_pdf(pdf, directory / "signed.pdf", signer).output,
        p7s=sign_cades(data, directory / "letter.txt.p7s", signer).output,
        data=data,
        p7m=p7m,
        asice=sign_asice([data, accented], directory / "signed.asice", signer).output,
        asics=sign_asics(data, directory / "signed.asics", signer).output,
        countersigned=twice,
    )


def scratch_directory(prefix: str) -> Path:
    """A new temporary folder, removed when the process exits."""
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return directory


def digest(data: bytes) -> str:
    """A short name for a seed or finding: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(data).hexdigest()[:16]
