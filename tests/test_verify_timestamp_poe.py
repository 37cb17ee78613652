"""A timestamp's algorithms judged at the later timestamp that proves it (EN 319 102-1 POE).

A test PKI made in 2011. A signature with a 1024-bit RSA key, timestamped in 2011 by a TSA
whose token is made with an algorithm the EU DSS policy retires later (a 1024-bit RSA key,
until 2019-10-01; SHA-1, until 2012-08-01), is covered by an archive (CAdES) or document
(PAdES) timestamp from a 2048-bit TSA. Validated in mid-2020, after the 1024-bit key's
retirement: the first timestamp's algorithms, and the signature's own, are judged at the
later timestamp's time. Without the later timestamp, or with one made after the
algorithm's retirement, they are judged then (or now) and refused.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from pathlib import Path

import pytest
from asn1crypto import cms, keys
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from eid.pki import RevocationPolicy, RevocationSettings
from eid.pki.testpki import Issued, TestPKI
from eid.sign import Indication, SubIndication, verify
from eid.sign.archive import add_archive_timestamp
from eid.sign.report import SignatureReport
from tests.sign_support import make_pdf
from tests.verify_support import HOLDER, key_info, other_tsa, trust_of

UTC = dt.UTC
ERA = dt.datetime(2011, 1, 1, tzinfo=UTC)
SIGNED = dt.datetime(2011, 6, 1, tzinfo=UTC)
BEFORE_SHA1_END = dt.datetime(2012, 3, 1, tzinfo=UTC)  # SHA-1: until 2012-08-01
ARCHIVED = dt.datetime(2015, 6, 1, tzinfo=UTC)  # RSA-1024: until 2019-10-01
TOO_LATE = dt.datetime(2019, 12, 1, tzinfo=UTC)
VALIDATED = dt.datetime(2020, 6, 1, tzinfo=UTC)  # every certificate still valid
OFF = RevocationSettings(policy=RevocationPolicy.OFF)
CONTENT = b"signed in 2011\n"
RSA_1024 = "rsa >= 1024 bits: not accepted after 2019-10-01"


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    """A PKI of 2011 (certificates of 10 years, CAs of 12, root of 20)."""
    return TestPKI.create(key_kind="rsa", seed=b"timestamp poe", now=ERA)


def _with_sha1(certificate: asn1_x509.Certificate, key: rsa.RSAPrivateKey) -> asn1_x509.Certificate:
    """``certificate`` signed again with sha1WithRSAEncryption (`cryptography` makes none)."""
    tbs = certificate["tbs_certificate"]
    tbs["signature"] = {"algorithm": "sha1_rsa"}
    value = key.sign(tbs.dump(force=True), padding.PKCS1v15(), hashes.SHA1())
    return asn1_x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": {"algorithm": "sha1_rsa"},
            "signature_value": value,
        }
    )


def _old_tsa(
    pki: TestPKI, *, bits: int = 1024, sha1_certificate: bool = False
) -> tuple[asn1_x509.Certificate, keys.PrivateKeyInfo]:
    """A TSA of 2011 under the test root with a ``bits`` RSA key (its certificate signed
    with SHA-1 when ``sha1_certificate``)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    loaded, info = other_tsa(
        pki, "Old Test TSA", key, ERA - dt.timedelta(days=1), ERA + dt.timedelta(days=3650)
    )
    if sha1_certificate:
        assert isinstance(pki.root.key, rsa.RSAPrivateKey)
        loaded = _with_sha1(loaded, pki.root.key)
    return loaded, info


def _stamper(
    tsa: tuple[asn1_x509.Certificate, keys.PrivateKeyInfo] | Issued,
    at: dt.datetime,
    digest: str | None = None,
) -> DummyTimeStamper:
    if isinstance(tsa, Issued):
        assert isinstance(tsa.key, rsa.RSAPrivateKey)
        tsa = (asn1_x509.Certificate.load(tsa.cert_der()), key_info(tsa.key))
    return DummyTimeStamper(tsa_cert=tsa[0], tsa_key=tsa[1], fixed_dt=at, override_md=digest)


def _signer(pki: TestPKI) -> signers.SimpleSigner:
    """A 1024-bit RSA signature key of 2011, certified by the Citizen CA."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    issued = pki.issue(HOLDER, "signature", key=key)
    return signers.SimpleSigner(
        asn1_x509.Certificate.load(issued.cert_der()),
        key_info(key),
        SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
            [asn1_x509.Certificate.load(pki.citizen_ca.cert_der())]
        ),
    )


def _crl(pki: TestPKI) -> asn1_crl.CertificateList:
    """An empty CRL of the Citizen CA from 2011: the validation data of B-LT."""
    ca = pki.citizen_ca
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.subject)
        .last_update(SIGNED)
        .next_update(SIGNED + dt.timedelta(days=7))
        .sign(ca.key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return asn1_crl.CertificateList.load(crl.public_bytes(serialization.Encoding.DER))


def _cades(
    pki: TestPKI,
    tmp: Path,
    signature_stamper: DummyTimeStamper | None,
    *archive_stampers: DummyTimeStamper,
) -> tuple[Path, Path]:
    """A detached CAdES of ``CONTENT`` (B-T with a signature timestamp, B-LT with a CRL,
    B-LTA with archive timestamps from ``archive_stampers`` in that order)."""
    data = tmp / "old.txt"
    data.write_bytes(CONTENT)
    signed = asyncio.run(
        _signer(pki).async_sign_general_data(
            CONTENT,
            "sha256",
            detached=True,
            signed_attr_settings=PdfCMSSignedAttributes(signing_time=SIGNED),
        )
    )
    signed_data = signed["content"]
    signer_info = signed_data["signer_infos"][0]
    if signature_stamper is not None:
        value = bytes(signer_info["signature"].native)
        token = asyncio.run(
            signature_stamper.async_timestamp(hashlib.sha256(value).digest(), "sha256")
        )
        signer_info["unsigned_attrs"] = [{"type": "signature_time_stamp_token", "values": [token]}]
    signed_data["crls"] = [cms.RevocationInfoChoice("crl", _crl(pki))]
    for stamper in archive_stampers:
        asyncio.run(
            add_archive_timestamp(signed_data, hashlib.sha256(CONTENT).digest(), "sha256", stamper)
        )
    out = tmp / "old.txt.p7s"
    out.write_bytes(signed.dump(force=True))
    return out, data


def _verify(path: Path, detached: Path | None, pki: TestPKI) -> SignatureReport:
    report = verify(path, detached=detached, trust=trust_of(pki), at=VALIDATED, revocation=OFF)
    (signature,) = report.signatures
    return signature


def _reasons(signature: SignatureReport, kind: str) -> str:
    return " ".join(r for t in signature.timestamps if t.kind == kind for r in t.reasons)


def test_a_1024_bit_timestamp_proven_by_a_later_archive_timestamp(
    pki: TestPKI, tmp_path: Path
) -> None:
    signed, data = _cades(
        pki, tmp_path, _stamper(_old_tsa(pki), SIGNED), _stamper(pki.tsa(), ARCHIVED)
    )
    signature = _verify(signed, data, pki)
    assert signature.indication is Indication.TOTAL_PASSED, signature.to_dict()
    assert (signature.level, signature.proven_level) == ("B-LTA", "B-LTA")
    assert [(t.kind, t.valid) for t in signature.timestamps] == [
        ("signature", True),
        ("archive", True),
    ]
    assert signature.proven_signing_time == SIGNED
    assert RSA_1024 in signature.algorithm_rules


def test_without_a_later_timestamp_the_1024_bit_timestamp_counts_as_of_now(
    pki: TestPKI, tmp_path: Path
) -> None:
    signed, data = _cades(pki, tmp_path, _stamper(_old_tsa(pki), SIGNED))
    signature = _verify(signed, data, pki)
    assert [(t.kind, t.valid) for t in signature.timestamps] == [("signature", False)]
    assert RSA_1024 in _reasons(signature, "signature")
    assert VALIDATED.isoformat() in _reasons(signature, "signature")
    # Nothing proves the signature's own 1024-bit key before its retirement either.
    assert signature.indication is Indication.INDETERMINATE, signature.to_dict()
    assert signature.sub_indication is SubIndication.CRYPTO_CONSTRAINTS_FAILURE_NO_POE
    assert signature.proven_level == "B-B"


def test_a_later_timestamp_after_the_retirement_proves_nothing_for_it(
    pki: TestPKI, tmp_path: Path
) -> None:
    signed, data = _cades(
        pki, tmp_path, _stamper(_old_tsa(pki), SIGNED), _stamper(pki.tsa(), TOO_LATE)
    )
    signature = _verify(signed, data, pki)
    assert [(t.kind, t.valid) for t in signature.timestamps] == [
        ("signature", False),
        ("archive", True),
    ]
    assert RSA_1024 in _reasons(signature, "signature")
    assert TOO_LATE.isoformat() in _reasons(signature, "signature")
    assert signature.indication is Indication.INDETERMINATE, signature.to_dict()
    assert signature.sub_indication is SubIndication.CRYPTO_CONSTRAINTS_FAILURE_NO_POE
    assert signature.proven_level != "B-LTA"


def test_a_chain_of_archive_timestamps_carries_the_proof(pki: TestPKI, tmp_path: Path) -> None:
    """The first archive timestamp (1024 bits too) is proven by a second one of 2015."""
    signed, data = _cades(
        pki,
        tmp_path,
        _stamper(_old_tsa(pki), SIGNED),
        _stamper(_old_tsa(pki), BEFORE_SHA1_END),
        _stamper(pki.tsa(), ARCHIVED),
    )
    signature = _verify(signed, data, pki)
    assert signature.indication is Indication.TOTAL_PASSED, signature.to_dict()
    assert [(t.kind, t.valid) for t in signature.timestamps] == [
        ("signature", True),
        ("archive", True),
        ("archive", True),
    ]


@pytest.mark.parametrize(("archived", "valid"), [(BEFORE_SHA1_END, True), (ARCHIVED, False)])
def test_a_sha1_timestamp_needs_a_later_timestamp_before_2012_08(
    pki: TestPKI, tmp_path: Path, archived: dt.datetime, valid: bool
) -> None:
    """A 2048-bit TSA signing its token with SHA-1 (accepted until 2012-08-01)."""
    signed, data = _cades(
        pki,
        tmp_path,
        _stamper(_old_tsa(pki, bits=2048), SIGNED, "sha1"),
        _stamper(pki.tsa(), archived),
    )
    signature = _verify(signed, data, pki)
    (first, _) = signature.timestamps
    assert first.valid is valid, first.to_dict()
    if not valid:
        assert "sha1: not accepted after 2012-08-01" in " ".join(first.reasons)


@pytest.mark.parametrize(("archived", "valid"), [(BEFORE_SHA1_END, True), (None, False)])
def test_a_tsa_certified_with_sha1_is_judged_at_the_later_timestamp(
    pki: TestPKI, tmp_path: Path, archived: dt.datetime | None, valid: bool
) -> None:
    """The TSA's certificate itself signed with SHA-1: its path is judged at the later POE."""
    tsa = _old_tsa(pki, bits=2048, sha1_certificate=True)
    later = [] if archived is None else [_stamper(pki.tsa(), archived)]
    signed, data = _cades(pki, tmp_path, _stamper(tsa, SIGNED), *later)
    signature = _verify(signed, data, pki)
    first = signature.timestamps[0]
    assert first.valid is valid, first.to_dict()
    if not valid:
        assert "sha1" in " ".join(first.reasons)


def test_the_signature_s_own_algorithms_at_the_archive_timestamp(
    pki: TestPKI, tmp_path: Path
) -> None:
    """No signature timestamp: the archive timestamp of 2015 is the signature's only POE."""
    signed, data = _cades(pki, tmp_path, None, _stamper(pki.tsa(), ARCHIVED))
    signature = _verify(signed, data, pki)
    assert signature.indication is Indication.TOTAL_PASSED, signature.to_dict()
    assert signature.proven_signing_time is None
    assert RSA_1024 in signature.algorithm_rules
    # Archived after the 1024-bit key's retirement: refused.
    signed, data = _cades(pki, tmp_path, None, _stamper(pki.tsa(), TOO_LATE))
    signature = _verify(signed, data, pki)
    assert signature.sub_indication is SubIndication.CRYPTO_CONSTRAINTS_FAILURE_NO_POE
    assert TOO_LATE.isoformat() in " ".join(signature.reasons)


def _pades(pki: TestPKI, tmp: Path, *stampers: DummyTimeStamper) -> Path:
    """A PDF signed with the 1024-bit key, then document timestamps from ``stampers``."""
    path = make_pdf(tmp / "plain.pdf")
    signed = tmp / "signed.pdf"
    with path.open("rb") as handle, signed.open("wb") as out:
        signers.PdfSigner(
            signers.PdfSignatureMetadata(field_name="Signature", md_algorithm="sha256"),
            signer=_signer(pki),
        ).sign_pdf(IncrementalPdfFileWriter(handle), output=out)
    for number, stamper in enumerate(stampers):
        stamped = tmp / f"stamped-{number}.pdf"
        with signed.open("rb") as handle, stamped.open("wb") as out:
            PdfTimeStamper(stamper, field_name=f"Timestamp{number}").timestamp_pdf(
                IncrementalPdfFileWriter(handle), "sha256", output=out
            )
        signed = stamped
    return signed


def test_pades_document_timestamps_prove_each_other(pki: TestPKI, tmp_path: Path) -> None:
    old = _stamper(_old_tsa(pki), SIGNED)
    signature = _verify(_pades(pki, tmp_path, old, _stamper(pki.tsa(), ARCHIVED)), None, pki)
    assert signature.indication is Indication.TOTAL_PASSED, signature.to_dict()
    assert [(t.kind, t.valid) for t in signature.timestamps] == [
        ("document", True),
        ("document", True),
    ]
    assert signature.proven_signing_time == SIGNED

    signature = _verify(_pades(pki, tmp_path, old), None, pki)
    assert [(t.kind, t.valid) for t in signature.timestamps] == [("document", False)]
    assert RSA_1024 in _reasons(signature, "document")
    assert signature.sub_indication is SubIndication.CRYPTO_CONSTRAINTS_FAILURE_NO_POE

    signature = _verify(_pades(pki, tmp_path, old, _stamper(pki.tsa(), TOO_LATE)), None, pki)
    assert [(t.kind, t.valid) for t in signature.timestamps] == [
        ("document", False),
        ("document", True),
    ]
    assert signature.sub_indication is SubIndication.CRYPTO_CONSTRAINTS_FAILURE_NO_POE
