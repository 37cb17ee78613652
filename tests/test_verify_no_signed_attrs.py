"""CMS signer infos without signed attributes (RFC 5652 5.4): the value signs the content digest.

Made here with asn1crypto and cryptography: an eid signature (CAdES detached, PDF) whose
signer info is replaced by one without signed attributes, signed again by the same key
over the content digest. Intact but not AdES: INDETERMINATE / SIG_CONSTRAINTS_FAILURE, as
the EU DSS default policy gives; any change to the content is TOTAL_FAILED.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from asn1crypto import cms
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from eid.pki.testpki import TestPKI
from eid.sign import (
    Indication,
    SignatureOptions,
    SoftwareSigner,
    SubIndication,
    verify,
    verify_signature_value,
)
from eid.sign.report import Check
from tests.verify_support import HOLDER, OFF, flip, sign_as, trust_of

PKI = TestPKI.create(key_kind="rsa", seed=b"no-signed-attrs")
ISSUED = PKI.issue(HOLDER, "signature")
KEY = ISSUED.key
assert isinstance(KEY, rsa.RSAPrivateKey)
SIGNER = SoftwareSigner(KEY, ISSUED.certificate, [PKI.citizen_ca.certificate, PKI.root.certificate])


def _without_attributes(
    signed: bytes, digest: bytes, *, content_type: str = "data", algorithm: str = "sha256_rsa"
) -> bytes:
    """``signed`` (a CMS) with its signer info re-signed over ``digest``, no signed attributes."""
    info = cms.ContentInfo.load(signed, strict=False)
    signer = info["content"]["signer_infos"][0]
    fields: dict[str, Any] = {
        "version": signer["version"].native,
        "sid": signer["sid"],
        "digest_algorithm": {"algorithm": "sha256"},
        "signature_algorithm": {"algorithm": algorithm},
        "signature": KEY.sign(digest, padding.PKCS1v15(), Prehashed(hashes.SHA256())),
    }
    info["content"]["signer_infos"] = [cms.SignerInfo(fields)]
    if content_type != "data":
        info["content"]["encap_content_info"]["content_type"] = content_type
    return info.dump(force=True)


def _only(path: Path, detached: Path | None = None) -> Any:
    report = verify(path, detached=detached, trust=trust_of(PKI), revocation=OFF)
    (signature,) = report.signatures
    return report, signature


def test_cades_detached_without_signed_attributes_is_intact(tmp_path: Path) -> None:
    signed, data, _ = sign_as("cades-detached", SIGNER, SignatureOptions(), tmp_path)
    assert data is not None
    digest = hashlib.sha256(data.read_bytes()).digest()
    signed.write_bytes(_without_attributes(signed.read_bytes(), digest))
    report, signature = _only(signed, data)
    assert not report.passed
    assert signature.indication is Indication.INDETERMINATE
    assert signature.sub_indication is SubIndication.SIG_CONSTRAINTS_FAILURE, signature.reasons
    assert {Check.CONTENT_DIGEST, Check.SIGNATURE_VALUE} <= signature.confirmed
    assert "no signing-certificate attribute (not an AdES signature)" in signature.warnings
    flip(data, b"agree", data)
    report, signature = _only(signed, data)
    assert signature.indication is Indication.TOTAL_FAILED
    assert signature.sub_indication is SubIndication.SIG_CRYPTO_FAILURE


def test_pdf_without_signed_attributes_is_intact(tmp_path: Path) -> None:
    signed, _, tamper = sign_as("pdf", SIGNER, SignatureOptions(), tmp_path)
    pdf = signed.read_bytes()
    found = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert found is not None
    a, first, start, second = (int(v) for v in found.groups())
    digest = hashlib.sha256(pdf[a : a + first] + pdf[start : start + second]).digest()
    hole = pdf[a + first + 1 : start - 1]
    new = _without_attributes(bytes.fromhex(hole.decode()), digest).hex()
    assert len(new) <= len(hole)
    signed.write_bytes(
        pdf[: a + first + 1] + new.encode().ljust(len(hole), b"0") + pdf[start - 1 :]
    )
    _, signature = _only(signed)
    assert signature.indication is Indication.INDETERMINATE
    assert signature.sub_indication is SubIndication.SIG_CONSTRAINTS_FAILURE, signature.reasons
    assert {Check.CONTENT_DIGEST, Check.SIGNATURE_VALUE} <= signature.confirmed
    _, signature = _only(tamper())
    assert signature.indication is Indication.TOTAL_FAILED


def test_without_signed_attributes_the_content_must_be_data(tmp_path: Path) -> None:
    signed, data, _ = sign_as("cades-detached", SIGNER, SignatureOptions(), tmp_path)
    assert data is not None
    digest = hashlib.sha256(data.read_bytes()).digest()
    signed.write_bytes(_without_attributes(signed.read_bytes(), digest, content_type="tst_info"))
    _, signature = _only(signed, data)
    assert signature.indication is Indication.TOTAL_FAILED
    assert signature.sub_indication is SubIndication.FORMAT_FAILURE


def test_the_signature_algorithm_digest_must_be_the_signers(tmp_path: Path) -> None:
    signed, data, _ = sign_as("cades-detached", SIGNER, SignatureOptions(), tmp_path)
    assert data is not None
    digest = hashlib.sha256(data.read_bytes()).digest()
    signed.write_bytes(_without_attributes(signed.read_bytes(), digest, algorithm="sha512_rsa"))
    _, signature = _only(signed, data)
    assert signature.indication is not Indication.TOTAL_PASSED
    assert signature.sub_indication is SubIndication.CRYPTO_CONSTRAINTS_FAILURE
    assert Check.SIGNATURE_VALUE not in signature.confirmed


def test_prehashed_value_of_the_wrong_length_does_not_verify() -> None:
    digest = hashlib.sha256(b"x").digest()
    value = KEY.sign(digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
    spki = KEY.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    sha256_rsa = "1.2.840.113549.1.1.11"
    for data, expected in ((digest, True), (digest[:-1], False), (bytes(32), False)):
        assert (
            verify_signature_value(
                spki, sha256_rsa, value, data, digest_algorithm="sha256", prehashed=True
            )
            is expected
        )
