"""Forged CMS signatures (issue 8): parameters the signature does not cover never make it pass.

Each file is made here: a signer info whose RSASSA-PSS salt length overflows, an all-zero
signature, a real signature over replaced content, an unsigned timestamp carrying the same
overflow beside an untrusted signer, and a trust anchor whose key algorithm is unknown.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import algos, cms
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from eid.errors import MalformedInput
from eid.pki import TrustStore
from eid.pki.testpki import TestPKI
from eid.sign import Indication, SignatureOptions, verify, verify_signature_value
from tests.cms_support import OVERFLOW, certificate, pss, signed_data, signer_info, timestamp_token
from tests.verify_support import OFF, sign_as, software_signer, trust_of

CONTENT = b"I owe Mallory 1,000,000 EUR.\n"


@pytest.fixture(scope="module")
def mallory() -> tuple[rsa.RSAPrivateKey, bytes]:
    """A self-signed RSA certificate nobody trusts."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key, certificate(key, "Mallory")


def _write(path: Path, info: cms.ContentInfo) -> Path:
    path.write_bytes(info.dump())
    return path


def test_all_zero_signature_with_overflowing_salt(
    mallory: tuple[rsa.RSAPrivateKey, bytes], tmp_path: Path
) -> None:
    _, cert = mallory
    signer = signer_info(cert, "data", hashlib.sha256(CONTENT).digest())
    forged = _write(tmp_path / "forged.p7m", signed_data("data", CONTENT, [cert], signer))
    report = verify(forged)  # the defaults: Belgian roots, revocation required
    assert not report.passed
    (signature,) = report.signatures
    assert signature.indication is not Indication.TOTAL_PASSED
    assert any("salt length" in r for r in signature.reasons), signature.reasons
    detached = tmp_path / "forged.p7s"
    without = signed_data("data", None, [cert], signer)
    _write(detached, without)
    (tmp_path / "forged").write_bytes(CONTENT)
    assert not verify(detached).passed


def test_real_signature_over_replaced_content(tmp_path: Path) -> None:
    pki = TestPKI.create(key_kind="rsa", seed=b"verify-forgery")
    signed, _, _ = sign_as("cades-enveloping", software_signer(pki), SignatureOptions(), tmp_path)
    assert verify(signed, trust=trust_of(pki), revocation=OFF).passed
    info = cms.ContentInfo.load(signed.read_bytes())
    signed_data = info["content"]
    signer = signed_data["signer_infos"][0]
    signed_data["encap_content_info"] = {"content_type": "data", "content": CONTENT}
    attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute(
                {"type": "message_digest", "values": [hashlib.sha256(CONTENT).digest()]}
            )
            if attr["type"].native == "message_digest"
            else attr
            for attr in signer["signed_attrs"]
        ]
    )
    signer["signed_attrs"] = attrs
    signer["signature_algorithm"] = OVERFLOW
    forged = tmp_path / "replaced.p7m"
    forged.write_bytes(info.dump(force=True))
    report = verify(forged, trust=trust_of(pki), revocation=OFF)
    assert not report.passed, report.to_dict()
    assert report.signatures[0].indication is not Indication.TOTAL_PASSED


def test_overflowing_unsigned_timestamp_does_not_make_an_untrusted_signer_trusted(
    mallory: tuple[rsa.RSAPrivateKey, bytes], tmp_path: Path
) -> None:
    key, cert = mallory
    plain = signer_info(cert, "data", hashlib.sha256(CONTENT).digest(), key=key)
    untrusted = verify(_write(tmp_path / "plain.p7m", signed_data("data", CONTENT, [cert], plain)))
    assert untrusted.signatures[0].indication is Indication.INDETERMINATE
    value = bytes(plain["signature"].native)
    token = timestamp_token(value, dt.datetime.now(dt.UTC), cert)
    stamped = signer_info(
        cert,
        "data",
        hashlib.sha256(CONTENT).digest(),
        key=key,
        unsigned=[{"type": "signature_time_stamp_token", "values": [token]}],
    )
    path = _write(tmp_path / "stamped.p7m", signed_data("data", CONTENT, [cert], stamped))
    report = verify(path)
    assert not report.passed
    (signature,) = report.signatures
    assert signature.indication is Indication.INDETERMINATE
    assert signature.chain == []
    assert not any(t.valid for t in signature.timestamps)


def test_trust_anchor_with_an_unknown_key_algorithm() -> None:
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    anchor = asn1_x509.Certificate.load(certificate(ca_key, "Odd Root", ca=True))
    anchor["tbs_certificate"]["subject_public_key_info"]["algorithm"] = {"algorithm": "1.2.3.4.5"}
    # The trust store refuses such an anchor where it enters (eid.pki.check_public_key), naming
    # it, so no verification ever reaches path building with it (where it used to pass).
    with pytest.raises(MalformedInput, match=r"Odd Root.*public key cannot be used"):
        TrustStore([anchor.dump(force=True)])


# -- RSASSA-PSS parameters against the key --------------------------------------------------------

_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_SPKI = _KEY.public_key().public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
)
_DATA = b"parameters are input"
_LARGEST_SALT = 256 - 32 - 2  # emLen - hLen - 2 for a 2048-bit key and SHA-256


def _algorithm(**parameters: Any) -> algos.SignedDigestAlgorithm:
    return algos.SignedDigestAlgorithm(pss(**parameters))


def _pss_signature(salt: int) -> bytes:
    scheme = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=salt)
    return _KEY.sign(_DATA, scheme, hashes.SHA256())


def test_pss_salt_bounds() -> None:
    largest = _pss_signature(_LARGEST_SALT)
    assert verify_signature_value(_SPKI, _algorithm(salt=_LARGEST_SALT), largest, _DATA)
    assert verify_signature_value(_SPKI, _algorithm(salt=0), _pss_signature(0), _DATA)
    for salt in (_LARGEST_SALT + 1, -1, 2**31, 2**64):
        with pytest.raises(MalformedInput, match="salt length"):
            verify_signature_value(_SPKI, _algorithm(salt=salt), largest, _DATA)


@pytest.mark.parametrize(
    ("parameters", "match"),
    [
        ({"salt": 32, "trailer": 2}, "trailer"),
        ({"salt": 32, "mgf": "1.2.3.4"}, "MGF1"),
        ({"salt": 32, "mgf_hash": "md5"}, "MGF1 hash"),
        ({"salt": 32, "mgf_hash": "sha1"}, "MGF1 hash"),
    ],
)
def test_pss_unknown_mgf_hash_or_trailer(parameters: dict[str, Any], match: str) -> None:
    with pytest.raises(MalformedInput, match=match):
        verify_signature_value(_SPKI, _algorithm(**parameters), _pss_signature(32), _DATA)


@settings(max_examples=200, deadline=None)
@given(
    salt=st.one_of(st.integers(-(2**70), 2**70), st.sampled_from([0, 32, _LARGEST_SALT])),
    trailer=st.one_of(st.just(1), st.integers(-(2**40), 2**40)),
    signature=st.one_of(
        st.binary(max_size=300),
        st.binary(min_size=256, max_size=256),
        st.just(_pss_signature(32)),
    ),
)
def test_pss_parameters_never_escape_as_other_errors(
    salt: int, trailer: int, signature: bytes
) -> None:
    algorithm = _algorithm(salt=salt, trailer=trailer)
    try:
        result = verify_signature_value(_SPKI, algorithm, signature, _DATA)
    except MalformedInput:
        return
    assert result is False or (salt == 32 and trailer == 1)


def test_an_unknown_algorithm_is_quoted_briefly() -> None:
    huge = "1.2." + ".".join(["123456789"] * 5000)
    with pytest.raises(MalformedInput, match="is not accepted") as raised:
        verify_signature_value(_SPKI, huge, b"", _DATA)
    assert len(raised.value.message) < 200
