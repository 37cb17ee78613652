"""PDFs as other software leaves them: damaged structure, odd CMS, legitimate later revisions.

Issue 11 items 4-6. Every sample is made here from a PDF signed in the test, and says how.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from asn1crypto import cms
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter

from eid.pki.testpki import TestPKI
from eid.sign import SignatureOptions
from eid.sign.report import Indication, SubIndication
from eid.sign.verify_document import verify
from tests.sign_support import make_pdf
from tests.verify_support import OFF, sign_as, software_signer, trust_of


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return TestPKI.create(key_kind="ec", seed=b"verify-pdf-real")


def _signed(pki: TestPKI, tmp_path: Path, subfilter: SigSeedSubFilter) -> Path:
    """A PDF signed with ``subfilter`` by a software key of ``pki``."""
    if subfilter is SigSeedSubFilter.PADES:
        signed, _, _ = sign_as("pdf", software_signer(pki), SignatureOptions(), tmp_path)
        return signed
    buffer = io.BytesIO(make_pdf(tmp_path / "in.pdf").read_bytes())
    metadata = signers.PdfSignatureMetadata(field_name="Signature1", subfilter=subfilter)
    out = signers.sign_pdf(IncrementalPdfFileWriter(buffer), metadata, software_signer(pki))
    path = tmp_path / "adbe.pdf"
    path.write_bytes(out.getvalue())
    return path


def _contents(data: bytes) -> tuple[int, int]:
    """Where the last signature's ``<hex>`` /Contents lies: the hole of its /ByteRange."""
    start = data.rfind(b"/ByteRange")
    opening, closing = data.index(b"[", start), data.index(b"]", start)
    _, first, second, _ = (int(x) for x in data[opening + 1 : closing].split())
    return first, second


def _with_cms(data: bytes, change: cms.ContentInfo) -> bytes:
    """``data`` with the last signature's CMS replaced by ``change`` (same length, zero-padded)."""
    first, second = _contents(data)
    hexed = change.dump(force=True).hex().encode()
    assert len(hexed) <= second - first - 2
    return data[: first + 1] + hexed.ljust(second - first - 2, b"0") + data[second - 1 :]


def _cms(data: bytes) -> cms.ContentInfo:
    first, second = _contents(data)
    return cms.ContentInfo.load(bytes.fromhex(data[first + 1 : second - 1].decode("ascii")))


# -- item 5: a PDF signature that encapsulates content ---------------------------------------------


@pytest.mark.parametrize(
    "subfilter", [SigSeedSubFilter.PADES, SigSeedSubFilter.ADOBE_PKCS7_DETACHED]
)
def test_signature_with_encapsulated_content_fails(
    pki: TestPKI, tmp_path: Path, subfilter: SigSeedSubFilter
) -> None:
    """eContent added to the CMS of a signed PDF; the signed attributes and their value stay."""
    signed = _signed(pki, tmp_path, subfilter)
    assert verify(signed, trust=trust_of(pki), revocation=OFF).passed
    info = _cms(signed.read_bytes())
    info["content"]["encap_content_info"]["content"] = b"another document"
    attacked = tmp_path / "encapsulating.pdf"
    attacked.write_bytes(_with_cms(signed.read_bytes(), info))
    (signature,) = verify(attacked, trust=trust_of(pki), revocation=OFF).signatures
    assert signature.indication is Indication.TOTAL_FAILED
    assert signature.sub_indication is SubIndication.FORMAT_FAILURE
    assert any("encapsulates content" in reason for reason in signature.reasons)
