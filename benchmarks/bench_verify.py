"""Verifying a signed one-page PDF: eid.sign.verify vs pyHanko's validate_pdf_signature.

Both read the file, check the signature over its byte range and the signer's chain to
the same trusted test root, revocation off. pyHanko is given one ValidationContext for
all calls (it caches like eid's default cache does). eid also writes a full ETSI report
(indication, level, signer identity, modifications). Target: eid's time at most 1.2x
pyHanko's.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from benchmarks.timing import compare
from eid.cli.demo import demo_pdf
from eid.pki import RevocationPolicy, RevocationSettings, TrustStore
from eid.pki.testpki import Holder, TestPKI
from eid.sign import SoftwareSigner, sign_pdf, verify


def run(kind: str, directory: Path) -> None:
    pki = TestPKI.create(
        key_kind="ec" if kind == "ec" else "rsa", seed=f"bench-verify-{kind}".encode()
    )
    issued = pki.issue(Holder("Bench", "Signer", "90010100123"), "signature")
    signer = SoftwareSigner(
        issued.key, issued.certificate, [pki.citizen_ca.certificate, pki.root.certificate]
    )
    signed = directory / f"signed-{kind}.pdf"
    sign_pdf(demo_pdf(directory / f"letter-{kind}.pdf"), signed, signer)

    trust = TrustStore([pki.root.certificate], [pki.citizen_ca.certificate])
    off = RevocationSettings(policy=RevocationPolicy.OFF)
    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(pki.root.cert_der())],
        other_certs=[asn1_x509.Certificate.load(pki.citizen_ca.cert_der())],
        allow_fetching=False,
        revocation_mode="soft-fail",
    )

    def eid_verify() -> None:
        report = verify(signed, trust=trust, revocation=off)
        assert report.passed, report.to_dict()

    def pyhanko_validate() -> None:
        with signed.open("rb") as handle:
            (embedded,) = PdfFileReader(handle).embedded_signatures
            status = validate_pdf_signature(embedded, context)
        assert status.bottom_line, status.pretty_print_details()

    rates = compare(
        {"pyHanko validate_pdf_signature": pyhanko_validate, "eid.sign.verify": eid_verify},
        count=30,
    )
    label = "RSA-2048" if kind == "rsa" else "EC P-384"
    print(f"verify a signed 1-page PDF (PAdES B-B, {label}; 30 x 5 rounds, best round):")
    for name, value in rates.items():
        print(f"  {name:32} {1000 / value:7.2f} ms")
    ratio = rates["pyHanko validate_pdf_signature"] / rates["eid.sign.verify"]
    print(f"  eid time / pyHanko time: {ratio:.2f}  (target <= 1.2)")


def main() -> None:
    """Run the PDF verification comparison for RSA-2048 and EC P-384."""
    with tempfile.TemporaryDirectory() as directory:
        for kind in ("rsa", "ec"):
            run(kind, Path(directory))
