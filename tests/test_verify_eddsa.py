"""EdDSA signatures (RFC 8419): Ed25519 with SHA-512 and Ed448 with SHAKE256 (512 bits).

Keys and certificates are made here; each signature is a CAdES detached file or a PDF
signature (an eid-signed PDF whose CMS is replaced by the EdDSA one over the same byte
range). Tampered content, a wrong signature, the wrong RFC 8419 digest and an EdDSA
signer info without signed attributes must all fail.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed448, ed25519
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from eid.errors import MalformedInput
from eid.hashing import hash_bytes
from eid.pki import TrustStore
from eid.pki.testpki import TestPKI
from eid.sign import Indication, SignatureOptions, SubIndication, verify, verify_signature_value
from eid.sign.report import Check
from tests.verify_support import OFF, sign_as, software_signer

EdKey = ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey
KINDS: dict[str, tuple[Callable[[], EdKey], str]] = {
    "ed25519": (ed25519.Ed25519PrivateKey.generate, "sha512"),
    "ed448": (ed448.Ed448PrivateKey.generate, "shake256"),
}
CONTENT = b"An EdDSA-signed letter.\n" * 20


def _certificate(key: EdKey) -> bytes:
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "EdDSA signer")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, None)
        .public_bytes(serialization.Encoding.DER)
    )


def _cms(
    kind: str, data_digest: Callable[[str], bytes], *, digest: str | None = None, attrs: bool = True
) -> tuple[bytes, bytes]:
    """(detached CMS, signer certificate) for an EdDSA key of ``kind``."""
    generate, required = KINDS[kind]
    digest = digest or required
    key = generate()
    cert_der = _certificate(key)
    cert = asn1_x509.Certificate.load(cert_der)
    signed_attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            cms.CMSAttribute({"type": "message_digest", "values": [data_digest(digest)]}),
            cms.CMSAttribute(
                {
                    "type": "signing_certificate_v2",
                    "values": [{"certs": [{"cert_hash": hash_bytes("sha256", cert_der)}]}],
                }
            ),
        ]
    )
    info: dict[str, Any] = {
        "version": "v1",
        "sid": {
            "issuer_and_serial_number": {"issuer": cert.issuer, "serial_number": cert.serial_number}
        },
        "digest_algorithm": {"algorithm": digest},
        "signature_algorithm": {"algorithm": kind},
    }
    if attrs:
        info["signed_attrs"] = signed_attrs
        info["signature"] = key.sign(signed_attrs.dump())
    else:
        info["signature"] = key.sign(data_digest(digest))
    signed = cms.ContentInfo(
        {
            "content_type": "signed_data",
            "content": {
                "version": "v1",
                "digest_algorithms": [{"algorithm": digest}],
                "encap_content_info": {"content_type": "data"},
                "certificates": [cert],
                "signer_infos": [info],
            },
        }
    )
    return signed.dump(), cert_der


def _check(path: Path, cert: bytes, detached: Path | None = None) -> Any:
    report = verify(path, detached=detached, trust=TrustStore([cert]), revocation=OFF)
    (signature,) = report.signatures
    return signature


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_cades_detached_eddsa(kind: str, tmp_path: Path) -> None:
    data = tmp_path / "letter.txt"
    data.write_bytes(CONTENT)
    der, cert = _cms(kind, lambda name: hash_bytes(name, CONTENT))
    signed = tmp_path / "letter.p7s"
    signed.write_bytes(der)
    signature = _check(signed, cert, data)
    assert signature.indication is Indication.TOTAL_PASSED, signature.reasons
    assert {Check.CONTENT_DIGEST, Check.SIGNATURE_VALUE, Check.ALGORITHMS} <= signature.confirmed
    assert signature.digest_algorithm == KINDS[kind][1]
    assert any(rule.startswith(kind) for rule in signature.algorithm_rules)
    data.write_bytes(CONTENT.replace(b"letter", b"lettre"))
    signature = _check(signed, cert, data)
    assert signature.indication is Indication.TOTAL_FAILED
    assert signature.sub_indication is SubIndication.HASH_FAILURE
    data.write_bytes(CONTENT)
    info = cms.ContentInfo.load(der)
    value = bytearray(info["content"]["signer_infos"][0]["signature"].native)
    value[5] ^= 1
    info["content"]["signer_infos"][0]["signature"] = bytes(value)
    signed.write_bytes(info.dump(force=True))
    signature = _check(signed, cert, data)
    assert signature.indication is Indication.TOTAL_FAILED
    assert signature.sub_indication is SubIndication.SIG_CRYPTO_FAILURE


@pytest.mark.parametrize(("kind", "digest"), [("ed25519", "sha256"), ("ed448", "sha512")])
def test_the_rfc_8419_digest_is_required(kind: str, digest: str, tmp_path: Path) -> None:
    data = tmp_path / "letter.txt"
    data.write_bytes(CONTENT)
    der, cert = _cms(kind, lambda name: hash_bytes(name, CONTENT), digest=digest)
    signed = tmp_path / "letter.p7s"
    signed.write_bytes(der)
    signature = _check(signed, cert, data)
    assert signature.sub_indication is SubIndication.CRYPTO_CONSTRAINTS_FAILURE
    assert Check.SIGNATURE_VALUE not in signature.confirmed


def test_eddsa_without_signed_attributes_is_not_checked_from_a_digest(tmp_path: Path) -> None:
    data = tmp_path / "letter.txt"
    data.write_bytes(CONTENT)
    der, cert = _cms("ed25519", lambda name: hash_bytes(name, CONTENT), attrs=False)
    signed = tmp_path / "letter.p7s"
    signed.write_bytes(der)
    signature = _check(signed, cert, data)
    assert signature.indication is not Indication.TOTAL_PASSED
    assert Check.SIGNATURE_VALUE not in signature.confirmed


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_pdf_eddsa(kind: str, tmp_path: Path) -> None:
    pki = TestPKI.create(key_kind="rsa", seed=b"eddsa-pdf")
    signed, _, tamper = sign_as("pdf", software_signer(pki), SignatureOptions(), tmp_path)
    pdf = signed.read_bytes()
    found = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert found is not None
    a, first, start, second = (int(v) for v in found.groups())
    covered = pdf[a : a + first] + pdf[start : start + second]
    der, cert = _cms(kind, lambda name: hash_bytes(name, covered))
    hole = start - 1 - (a + first + 1)
    assert 2 * len(der) <= hole
    signed.write_bytes(
        pdf[: a + first + 1] + der.hex().encode().ljust(hole, b"0") + pdf[start - 1 :]
    )
    signature = _check(signed, cert)
    assert {Check.CONTENT_DIGEST, Check.SIGNATURE_VALUE, Check.ALGORITHMS} <= signature.confirmed
    assert signature.indication is Indication.TOTAL_PASSED, signature.reasons
    signature = _check(tamper(), cert)
    assert signature.indication is Indication.TOTAL_FAILED


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_signature_value_primitive(kind: str) -> None:
    key = KINDS[kind][0]()
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    value = key.sign(b"data")
    oid = {"ed25519": "1.3.101.112", "ed448": "1.3.101.113"}[kind]
    assert verify_signature_value(spki, oid, value, b"data")
    assert not verify_signature_value(spki, oid, value, b"dat4")
    other = {"ed25519": "1.3.101.113", "ed448": "1.3.101.112"}[kind]
    with pytest.raises(MalformedInput, match="another key"):
        verify_signature_value(spki, other, value, b"data")


_ED25519 = ed25519.Ed25519PrivateKey.generate()
_ED25519_SPKI = _ED25519.public_key().public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
)


@settings(max_examples=200, deadline=None)
@given(
    value=st.binary(max_size=130),
    data=st.binary(max_size=64),
    digest=st.sampled_from([None, "sha512", "sha256", "shake256"]),
)
def test_arbitrary_eddsa_values_never_verify_or_escape(
    value: bytes, data: bytes, digest: str | None
) -> None:
    try:
        ok = verify_signature_value(
            _ED25519_SPKI, "1.3.101.112", value, data, digest_algorithm=digest
        )
    except MalformedInput:
        assert digest not in (None, "sha512")
        return
    assert ok is (value == _ED25519.sign(data))
