"""Past signature validation (EN 319 102-1): a later archive timestamp proves the earlier ones.

A B-LTA CAdES signature made with the virtual card is renewed by a second
archive-time-stamp-v3 from a TSA certified until long after the first TSA's certificate
expires. Verified after that expiry, with every loopback service stopped, the signature
timestamp and the first archive timestamp are judged at the renewal's time and the
signature passes at B-LTA; the same file without the renewal, or with a renewal over other
data, does not.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from pathlib import Path

from asn1crypto import cms
from asn1crypto import crl as asn1_crl
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from eid.pki import RevocationPolicy, RevocationSettings, TrustStore, ValidationCache
from eid.pki.services import TestServices
from eid.pki.testpki import TestPKI
from eid.sign import Indication, Level, verify
from eid.sign.archive import ARCHIVE_TIME_STAMP_V3 as ATS_V3
from eid.sign.archive import add_archive_timestamp
from eid.sign.report import SignatureReport
from eid.sign.verify_chain import VerifyContext
from eid.sign.verify_cms import check_archive_timestamps
from eid.tokens.virtual import VirtualCard
from tests import verify_support as support
from tests.verify_support import card_signed, other_tsa, trust_of

services = support.services


def _renewed_tsa(pki: TestPKI) -> DummyTimeStamper:
    """A second TSA under the test root, certified for 15 years (the first: 10)."""
    now = dt.datetime.now(dt.UTC)
    certificate, key = other_tsa(
        pki,
        "Renewed Test TSA",
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        now - dt.timedelta(days=1),
        now + dt.timedelta(days=15 * 365),
    )
    return DummyTimeStamper(tsa_cert=certificate, tsa_key=key)


def _renew(signed: Path, content: bytes, stamper: DummyTimeStamper, target: Path) -> Path:
    """``signed`` with one more archive timestamp, over ``content`` as the signed data."""
    info = cms.ContentInfo.load(signed.read_bytes())
    signed_data = info["content"]
    digest = signed_data["signer_infos"][0]["digest_algorithm"]["algorithm"].native
    asyncio.run(
        add_archive_timestamp(signed_data, hashlib.new(digest, content).digest(), digest, stamper)
    )
    target.write_bytes(info.dump(force=True))
    return target


def _after_expiry(path: Path, detached: Path | None, pki: TestPKI) -> SignatureReport:
    """Verify a day after the first TSA's certificate expired, nothing reachable or cached.

    Revocation is PREFER: the renewed TSA names no revocation service (the signer's and
    the first TSA's answers come from the document).
    """
    later = pki.tsa().certificate.not_valid_after_utc + dt.timedelta(days=1)
    report = verify(
        path,
        detached=detached,
        trust=trust_of(pki),
        at=later,
        revocation=RevocationSettings(
            policy=RevocationPolicy.PREFER, timeout=1, clock=lambda: later
        ),
        cache=ValidationCache(),
    )
    (signature,) = report.signatures
    return signature


def _assert_proven_b_lta(signature: SignatureReport, kinds: list[str]) -> None:
    """Assert ``signature`` passed at a proven B-LTA with valid timestamps of ``kinds``."""
    assert signature.indication is Indication.TOTAL_PASSED, signature.to_dict()
    assert (signature.level, signature.proven_level) == ("B-LTA", "B-LTA")
    assert [(t.kind, t.valid) for t in signature.timestamps] == [(kind, True) for kind in kinds]


def test_renewed_archive_timestamp_proves_the_expired_tsa(
    virtual_card: VirtualCard, services: TestServices, tmp_path: Path
) -> None:
    signed, detached = card_signed(virtual_card, "cades-detached", Level.B_LTA, services, tmp_path)
    assert detached is not None
    content = detached.read_bytes()
    renewed = _renew(signed, content, _renewed_tsa(services.pki), tmp_path / "renewed.p7s")
    other = _renew(signed, content + b"x", _renewed_tsa(services.pki), tmp_path / "other.p7s")
    services.stop()

    signature = _after_expiry(renewed, detached, services.pki)
    _assert_proven_b_lta(signature, ["signature", "archive", "archive"])
    assert signature.revocation["origin"] == "document"

    # Only the first archive timestamp: its TSA expired too, nothing later proves anything.
    signature = _after_expiry(signed, detached, services.pki)
    assert signature.indication is Indication.INDETERMINATE, signature.to_dict()
    assert signature.proven_level == "B-B"
    assert not any(t.valid for t in signature.timestamps)

    # A renewal over other data: the archive proof fails, and with it the signature.
    signature = _after_expiry(other, detached, services.pki)
    assert signature.indication is not Indication.TOTAL_PASSED, signature.to_dict()
    assert signature.proven_level != "B-LTA"
    assert "message imprint mismatch" in " ".join(signature.reasons)


def test_archive_index_must_match_the_signature(
    virtual_card: VirtualCard, services: TestServices, tmp_path: Path
) -> None:
    """Validation data the archive timestamp lists, removed afterwards: the level fails."""
    signed, detached = card_signed(virtual_card, "cades-detached", Level.B_LTA, services, tmp_path)
    services.stop()
    info = cms.ContentInfo.load(signed.read_bytes())
    signed_data = info["content"]
    signed_data["crls"] = list(signed_data["crls"])[1:]
    stripped = tmp_path / "stripped.p7s"
    stripped.write_bytes(info.dump(force=True))
    assert detached is not None
    report = verify(
        stripped,
        detached=detached,
        trust=trust_of(services.pki),
        revocation=support.OFF,
        cache=ValidationCache(),
    )
    (signature,) = report.signatures
    assert signature.indication is Indication.INDETERMINATE, signature.to_dict()
    assert signature.proven_level != "B-LTA"
    assert "listed by the archive index are missing" in " ".join(signature.reasons)


def _renew_pdf(signed: Path, stamper: DummyTimeStamper, target: Path) -> Path:
    """``signed`` with one more document timestamp, from ``stamper``."""
    with signed.open("rb") as handle, target.open("wb") as out:
        PdfTimeStamper(stamper).timestamp_pdf(
            IncrementalPdfFileWriter(handle), "sha256", output=out
        )
    return target


def test_renewed_document_timestamp_proves_the_expired_tsa(
    virtual_card: VirtualCard, services: TestServices, tmp_path: Path
) -> None:
    signed, _ = card_signed(virtual_card, "pdf", Level.B_LTA, services, tmp_path)
    renewed = _renew_pdf(signed, _renewed_tsa(services.pki), tmp_path / "renewed.pdf")
    services.stop()

    signature = _after_expiry(renewed, None, services.pki)
    _assert_proven_b_lta(signature, ["document", "document", "signature"])

    signature = _after_expiry(signed, None, services.pki)
    assert signature.indication is Indication.INDETERMINATE, signature.to_dict()
    assert signature.proven_level == "B-B"


def test_tsa_revoked_before_the_renewal_is_not_proven(
    virtual_card: VirtualCard, services: TestServices, tmp_path: Path
) -> None:
    """The first TSA revoked (a CRL in the file says so) before the renewal: no proof."""
    signed, detached = card_signed(virtual_card, "cades-detached", Level.B_LTA, services, tmp_path)
    assert detached is not None
    services.revoke(services.pki.tsa())
    info = cms.ContentInfo.load(signed.read_bytes())
    signed_data = info["content"]
    crl = asn1_crl.CertificateList.load(services.crl("root"))
    signed_data["crls"] = [*signed_data["crls"], cms.RevocationInfoChoice("crl", crl)]
    with_crl = tmp_path / "with-crl.p7s"
    with_crl.write_bytes(info.dump(force=True))
    renewed = _renew(
        with_crl, detached.read_bytes(), _renewed_tsa(services.pki), tmp_path / "renewed.p7s"
    )
    services.stop()

    signature = _after_expiry(renewed, detached, services.pki)
    assert signature.indication is Indication.INDETERMINATE, signature.to_dict()
    assert signature.proven_level == "B-B"
    stamps = {t.kind: t for t in signature.timestamps}
    assert not stamps["signature"].valid
    assert "revoked" in " ".join(stamps["signature"].reasons)


_CORPUS_LTA = Path(__file__).parent.parent / "fixtures/interop/cades/counterSignedLTA.p7s"


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_a_damaged_archive_timestamp_is_a_finding(data: st.DataObject) -> None:
    """Any bytes of an archive token (and its index) changed: reported, never raised."""
    der = _CORPUS_LTA.read_bytes()
    signed_data = cms.ContentInfo.load(der)["content"]
    (attribute,) = [
        a for a in signed_data["signer_infos"][0]["unsigned_attrs"] if a["type"].dotted == ATS_V3
    ]
    token = attribute["values"][0].dump()
    start = der.index(token)
    offset = data.draw(st.integers(0, len(token) - 1))
    patch = data.draw(st.binary(min_size=1, max_size=min(16, len(token) - offset)))
    damaged = der[: start + offset] + patch + der[start + offset + len(patch) :]
    assume(damaged != der)
    try:  # the damage may break the signature around the token: not this test's matter
        signed_data = cms.ContentInfo.load(damaged)["content"]
        signer = signed_data["signer_infos"][0]
        for attribute in signer["unsigned_attrs"]:
            [value.dump() for value in attribute["values"]]
    except ValueError:
        assume(False)
    context = VerifyContext(
        TrustStore([], []), dt.datetime.now(dt.UTC), RevocationSettings(RevocationPolicy.OFF)
    )
    stamps = check_archive_timestamps(
        signed_data,
        signer,
        lambda name: hashlib.new(name, b"").digest(),
        context,
    )
    assert stamps
    assert all(s.kind == "archive" and not s.valid for s in stamps)
