"""CMS files as other implementations write them (issue 11): sniffing, BER, trailing bytes.

The samples are made here from documents signed in the test: an enveloping ``.p7m``
around a PDF (sign_cades with ``detached=False`` over a PDF), a detached ``.p7s`` with
bytes appended, and a ``.p7m`` re-encoded with an indefinite outer length. One public
sample: EU DSS ``BER_reordered_prova.txt.p7m`` (``fixtures/interop/cades/``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from eid.pki.testpki import TestPKI
from eid.sign import Indication, SignatureOptions, sign_cades, verify
from eid.sign.report import Check
from eid.sign.verify_document import is_signed_data
from tests.sign_support import make_pdf
from tests.verify_support import OFF, sign_as, software_signer, trust_of

FIXTURES = Path(__file__).parent.parent / "fixtures/interop"


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return TestPKI.create(key_kind="ec", seed=b"verify-cms-files")


def test_an_enveloping_p7m_around_a_pdf_is_cms(pki: TestPKI, tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "contract.pdf")
    p7m = sign_cades(pdf, tmp_path / "contract.pdf.p7m", software_signer(pki), detached=False)
    data = p7m.output.read_bytes()
    assert b"%PDF-" in data[:1024]  # what used to make it "not a readable PDF"
    report = verify(p7m.output, trust=trust_of(pki), revocation=OFF)
    assert report.format == "cades"
    assert report.passed, report.to_dict()
    assert report.signatures[0].covers is not None
    assert report.signatures[0].covers.size == pdf.stat().st_size


def test_a_pdf_is_still_a_pdf(pki: TestPKI, tmp_path: Path) -> None:
    signed, _, _ = sign_as("pdf", software_signer(pki), SignatureOptions(), tmp_path)
    assert not is_signed_data(signed.read_bytes()[:1024])
    assert verify(signed, trust=trust_of(pki), revocation=OFF).format == "pdf"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (bytes.fromhex("3082 1234 0609 2a864886f70d010702"), True),
        (bytes.fromhex("3080 0609 2a864886f70d010702"), True),
        (bytes.fromhex("3081 ff 0609 2a864886f70d010702"), True),
        (bytes.fromhex("3082 1234 0609 2a864886f70d010701"), False),  # id-data
        (b"%PDF-1.7\n", False),
        (b"\x30", False),
        (b"", False),
    ],
)
def test_signed_data_sniffing(head: bytes, expected: bool) -> None:
    assert is_signed_data(head) is expected


def test_trailing_bytes_after_a_detached_signature(pki: TestPKI, tmp_path: Path) -> None:
    signed, detached, _ = sign_as(
        "cades-detached", software_signer(pki), SignatureOptions(), tmp_path
    )
    signed.write_bytes(signed.read_bytes() + b"\r\n\x00\x00garbage")
    report = verify(signed, detached=detached, trust=trust_of(pki), revocation=OFF)
    assert report.passed, report.to_dict()
    assert any("11 bytes after the CMS object" in w for w in report.warnings), report.warnings


def test_trailing_bytes_do_not_hide_a_tampered_content(pki: TestPKI, tmp_path: Path) -> None:
    signed, detached, tamper = sign_as(
        "cades-detached", software_signer(pki), SignatureOptions(), tmp_path
    )
    signed.write_bytes(signed.read_bytes() + b"trailing")
    tamper()
    report = verify(signed, detached=detached, trust=trust_of(pki), revocation=OFF)
    assert report.signatures[0].indication is Indication.TOTAL_FAILED


def _indefinite(der: bytes) -> bytes:
    """The outer SEQUENCE of ``der`` re-encoded with an indefinite length (BER)."""
    assert der[0] == 0x30
    first = der[1]
    start = 2 + (first & 0x7F if first > 0x80 else 0)
    return b"\x30\x80" + der[start:] + b"\x00\x00"


def test_ber_indefinite_length(pki: TestPKI, tmp_path: Path) -> None:
    signed, _, tamper = sign_as(
        "cades-enveloping", software_signer(pki), SignatureOptions(), tmp_path
    )
    ber = tmp_path / "ber.p7m"
    ber.write_bytes(_indefinite(signed.read_bytes()))
    report = verify(ber, trust=trust_of(pki), revocation=OFF)
    assert report.passed, report.to_dict()
    assert any("BER" in w for w in report.warnings)
    tampered = tmp_path / "ber-tampered.p7m"
    tampered.write_bytes(_indefinite(tamper().read_bytes()))
    assert verify(tampered, trust=trust_of(pki), revocation=OFF).signatures[0].indication is (
        Indication.TOTAL_FAILED
    )


def test_dss_ber_reordered_sample() -> None:
    """EU DSS ``BER_reordered_prova.txt.p7m``: BER, attributes stored out of DER order.

    Origin (shared corpus README): DSS : ``dss-cades/src/test/resources/validation/dss-667/
    BER_reordered_prova.txt.p7m`` at d9473b8efea72fd5754623fa92bb9311f2b005c5 (LGPL-2.1).
    Expected by ``CAdESDigestComputationBERTest``: intact; the signature is over the DER
    encoding of the signed attributes (RFC 5652). The signer's CA is not trusted here.
    """
    report = verify(FIXTURES / "cades/BER_reordered_prova.txt.p7m", revocation=OFF)
    (signature,) = report.signatures
    assert report.format == "cades"
    # Intact; its 1024-bit RSA key is judged now (no timestamp), long after its date.
    assert signature.missing == [Check.SIGNER_CERTIFICATE, Check.ALGORITHMS]
    assert "rsa >= 1024 bits: not accepted after 2019-10-01" in " ".join(signature.reasons)
    assert signature.indication is Indication.INDETERMINATE
    assert any("BER" in w for w in report.warnings)
    assert any("DER order" in w for w in signature.warnings)
