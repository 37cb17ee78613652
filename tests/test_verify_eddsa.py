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
from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed448, ed25519
from hypothesis import given, settings
from hypothesis import strategies as st

from eid.errors import MalformedInput
from eid.hashing import hash_bytes
from eid.pki import CryptoPolicy, TrustStore, load_certificate
from eid.pki.testpki import TestPKI
from eid.sign import Indication, SignatureOptions, SubIndication, verify, verify_signature_value
from eid.sign.report import Check, SignatureReport
from eid.sign.verify_algorithms import judge_algorithms
from eid.sign.verify_crypto import digest_name
from tests.self_signed import self_signed
from tests.verify_support import OFF, sign_as, software_signer

EdKey = ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey
KINDS: dict[str, tuple[Callable[[], EdKey], str]] = {
    "ed25519": (ed25519.Ed25519PrivateKey.generate, "sha512"),
    "ed448": (ed448.Ed448PrivateKey.generate, "shake256"),
}
CONTENT = b"An EdDSA-signed letter.\n" * 20


def _certificate(key: EdKey) -> bytes:
    return self_signed(key, "EdDSA signer", days=366).public_bytes(serialization.Encoding.DER)


def _cms(
    kind: str,
    data_digest: Callable[[str], bytes],
    *,
    digest: str | None = None,
    attrs: bool = True,
    identifier: dict[str, Any] | algos.DigestAlgorithm | None = None,
) -> tuple[bytes, bytes]:
    """(detached CMS, signer certificate) for an EdDSA key of ``kind``.

    ``identifier``: the digest algorithm identifier to write (default: ``digest``'s).
    """
    generate, required = KINDS[kind]
    digest = digest or required
    identifier = identifier or {"algorithm": digest}
    key = generate()
    cert_der = _certificate(key)
    cert = asn1_x509.Certificate.load(cert_der)
    signed_attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            cms.CMSAttribute(
                {
                    "type": "signing_time",
                    "values": [cms.Time({"utc_time": dt.datetime.now(dt.UTC)})],
                }
            ),
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
        "digest_algorithm": identifier,
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
                "digest_algorithms": [identifier],
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


SHAKE256_LEN = "2.16.840.1.101.3.4.2.18"  # id-shake256-len, its parameter the length in bits
SHAKE_512 = core.Integer(512).dump()


def _shake_len(parameters: bytes | None) -> dict[str, Any]:
    """An id-shake256-len identifier with ``parameters`` (DER; None: absent)."""
    if parameters is None:
        return {"algorithm": SHAKE256_LEN}
    return {"algorithm": SHAKE256_LEN, "parameters": core.Any.load(parameters)}


def test_ed448_with_id_shake256_len(tmp_path: Path) -> None:
    """RFC 8419 2.3: Ed448's digest as id-shake256-len with the output length 512."""
    data = tmp_path / "letter.txt"
    data.write_bytes(CONTENT)
    der, cert = _cms(
        "ed448", lambda name: hash_bytes(name, CONTENT), identifier=_shake_len(SHAKE_512)
    )
    signed_data = cms.ContentInfo.load(der)["content"]
    assert signed_data["signer_infos"][0]["digest_algorithm"]["algorithm"].dotted == SHAKE256_LEN
    signed = tmp_path / "letter.p7s"
    signed.write_bytes(der)
    signature = _check(signed, cert, data)
    assert signature.indication is Indication.TOTAL_PASSED, signature.reasons
    assert {Check.CONTENT_DIGEST, Check.SIGNATURE_VALUE, Check.ALGORITHMS} <= signature.confirmed
    assert signature.digest_algorithm == "shake256"
    assert "shake256: no end date" in signature.algorithm_rules
    data.write_bytes(CONTENT.replace(b"letter", b"lettre"))
    signature = _check(signed, cert, data)
    assert signature.indication is Indication.TOTAL_FAILED
    assert signature.sub_indication is SubIndication.HASH_FAILURE


@pytest.mark.parametrize(
    ("parameters", "said"),
    [
        (core.Integer(256).dump(), "with a 256-bit output"),
        (core.Integer(1024).dump(), "with a 1024-bit output"),
        (None, "without its output length"),
        (core.Null().dump(), "whose output length is not a DER INTEGER"),
        (
            b"\x02\x03\x00\x02\x00",
            "whose output length is not a DER INTEGER",
        ),  # 512, not minimally encoded
        (core.OctetString(b"\x02\x00").dump(), "whose output length is not a DER INTEGER"),
    ],
)
def test_id_shake256_len_of_another_length_is_refused(
    parameters: bytes | None, said: str, tmp_path: Path
) -> None:
    """The content's digest is SHAKE256/512 and verifies: only the parameter is wrong."""
    data = tmp_path / "letter.txt"
    data.write_bytes(CONTENT)
    der, cert = _cms(
        "ed448", lambda name: hash_bytes(name, CONTENT), identifier=_shake_len(parameters)
    )
    signed = tmp_path / "letter.p7s"
    signed.write_bytes(der)
    signature = _check(signed, cert, data)
    assert signature.indication is Indication.TOTAL_FAILED
    assert signature.sub_indication is SubIndication.FORMAT_FAILURE
    assert f"id-shake256-len {said}" in " ".join(signature.reasons)
    assert "512-bit output" in " ".join(signature.reasons)
    assert Check.SIGNATURE_VALUE not in signature.confirmed


@pytest.mark.parametrize(
    ("oid", "said"),
    [
        ("2.16.840.1.101.3.4.2.3", "unreadable digest algorithm"),  # SHA-512: NULL or none
        ("2.16.840.1.101.3.4.2.10", "the digest algorithm has parameters"),  # SHA3-512
    ],
)
def test_a_fixed_digest_with_parameters_is_refused(oid: str, said: str, tmp_path: Path) -> None:
    """A fixed digest with a parameter other than NULL: a second encoding of the signer info."""
    data = tmp_path / "letter.txt"
    data.write_bytes(CONTENT)
    body = core.ObjectIdentifier(oid).dump() + SHAKE_512
    identifier = algos.DigestAlgorithm.load(b"\x30" + bytes([len(body)]) + body)
    der, cert = _cms("ed25519", lambda name: hash_bytes(name, CONTENT), identifier=identifier)
    signed = tmp_path / "letter.p7s"
    signed.write_bytes(der)
    signature = _check(signed, cert, data)
    assert signature.indication is Indication.TOTAL_FAILED
    assert signature.sub_indication is SubIndication.FORMAT_FAILURE
    assert said in " ".join(signature.reasons)


def test_the_algorithms_of_an_unusable_digest_identifier_are_refused() -> None:
    """`judge_algorithms` on its own: a digest identifier that names no digest fails it."""
    der, cert = _cms(
        "ed448",
        lambda name: hash_bytes(name, CONTENT),
        identifier=_shake_len(core.Integer(256).dump()),
    )
    signer = cms.ContentInfo.load(der)["content"]["signer_infos"][0]
    report = SignatureReport(id="signer", required=frozenset({Check.ALGORITHMS}))
    judge_algorithms(
        report, signer, load_certificate(cert), CryptoPolicy(), dt.datetime.now(dt.UTC)
    )
    assert report.sub_indication is SubIndication.CRYPTO_CONSTRAINTS_FAILURE
    assert "with a 256-bit output" in " ".join(report.reasons)
    assert Check.ALGORITHMS not in report.confirmed


@settings(max_examples=300, deadline=None)
@given(
    oid=st.sampled_from([SHAKE256_LEN, "2.16.840.1.101.3.4.2.12", "2.16.840.1.101.3.4.2.3"]),
    parameters=st.one_of(
        st.binary(max_size=12),
        st.integers(-(2**70), 2**70).map(lambda n: core.Integer(n).dump()),
        st.just(SHAKE_512),
        st.just(core.Null().dump()),
    ),
)
def test_digest_identifiers_name_a_digest_or_are_refused(oid: str, parameters: bytes) -> None:
    """Any parameters: the name of a digest only for absent/NULL, or exactly INTEGER 512."""
    oid_der = core.ObjectIdentifier(oid).dump()
    body = oid_der + parameters
    raw = b"\x30" + bytes([len(body)]) + body
    try:
        identifier = algos.DigestAlgorithm.load(raw)
    except ValueError:  # not even a SEQUENCE: the signer info around it does not parse
        return
    try:
        name = digest_name(identifier)
    except MalformedInput:
        return
    if oid == SHAKE256_LEN:
        assert (name, parameters) == ("shake256", SHAKE_512)
    else:
        assert parameters in (b"", core.Null().dump())
        assert name in ("shake256", "sha512")


def test_eddsa_without_signed_attributes_is_not_checked_from_a_digest(tmp_path: Path) -> None:
    data = tmp_path / "letter.txt"
    data.write_bytes(CONTENT)
    der, cert = _cms("ed25519", lambda name: hash_bytes(name, CONTENT), attrs=False)
    signed = tmp_path / "letter.p7s"
    signed.write_bytes(der)
    signature = _check(signed, cert, data)
    assert signature.indication is not Indication.TOTAL_PASSED
    assert Check.SIGNATURE_VALUE not in signature.confirmed


@pytest.mark.parametrize(
    ("kind", "shake256_len"), [("ed25519", False), ("ed448", False), ("ed448", True)]
)
def test_pdf_eddsa(kind: str, shake256_len: bool, tmp_path: Path) -> None:
    pki = TestPKI.create(key_kind="rsa", seed=b"eddsa-pdf")
    signed, _, tamper = sign_as("pdf", software_signer(pki), SignatureOptions(), tmp_path)
    pdf = signed.read_bytes()
    found = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert found is not None
    a, first, start, second = (int(v) for v in found.groups())
    covered = pdf[a : a + first] + pdf[start : start + second]
    identifier = _shake_len(SHAKE_512) if shake256_len else None
    der, cert = _cms(kind, lambda name: hash_bytes(name, covered), identifier=identifier)
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
