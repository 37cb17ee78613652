"""Encrypted PDFs (standard security handler): verified and signed as plain ones are.

The documents are encrypted by qpdf and by pyHanko with RC4-40, RC4-128, AES-128 and
AES-256, most with an empty user password (an owner password restricting permissions, as
government forms have), and signed by pyHanko's own signing code or by `eid.sign.sign_pdf`;
pyHanko's validator is the reference our verdict is compared with.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigFieldSpec, SigSeedSubFilter, append_signature_field
from pyhanko.sign.validation import validate_pdf_signature

from eid.errors import UsageError
from eid.pki.services import TestServices
from eid.pki.testpki import TestPKI
from eid.sign import Level, SignatureOptions, SoftwareSigner, sign_pdf
from eid.sign.report import Indication, SubIndication, ValidationReport
from eid.sign.verify_document import verify
from eid.tokens.virtual import VirtualCard
from tests.cli_support import eid
from tests.pdf_encryption_support import (
    CIPHERS,
    OWNER,
    poppler_verdicts,
    pyhanko_encrypt,
    pyhanko_sign,
    pyhanko_verdicts,
    qpdf_encrypt,
)
from tests.sign_support import asn1, make_pdf, validation_context
from tests.verify_support import OFF, options, software_signer, trust_of

ENCRYPTORS = {"qpdf": qpdf_encrypt, "pyhanko": pyhanko_encrypt}


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return TestPKI.create(key_kind="ec", seed=b"verify-pdf-encrypted")


@pytest.fixture(scope="module")
def signer(pki: TestPKI) -> SoftwareSigner:
    return software_signer(pki)


def _verify(pki: TestPKI, path: Path, password: str | None = None) -> ValidationReport:
    return verify(path, trust=trust_of(pki), revocation=OFF, pdf_password=password)


def _encrypted(tmp_path: Path, cipher: str, by: str = "qpdf", **how: object) -> Path:
    plain = make_pdf(tmp_path / "plain.pdf")
    return ENCRYPTORS[by](plain, tmp_path / f"{by}-{cipher}.pdf", cipher, **how)  # type: ignore[operator]


def _passed(report: ValidationReport) -> None:
    assert report.passed, (report.problems, [s.to_dict() for s in report.signatures])


# -- verified -----------------------------------------------------------------------------------


@pytest.mark.parametrize("by", sorted(ENCRYPTORS))
@pytest.mark.parametrize("cipher", CIPHERS)
def test_signed_by_pyhanko_verifies_as_pyhanko_says(
    pki: TestPKI, signer: SoftwareSigner, tmp_path: Path, by: str, cipher: str
) -> None:
    source = _encrypted(tmp_path, cipher, by)
    signed = pyhanko_sign(source, tmp_path / "signed.pdf", signer)
    report = _verify(pki, signed)
    _passed(report)
    (signature,) = report.signatures
    assert signature.modifications["level"] == "NONE"
    assert signature.covers is not None
    assert signature.covers.whole_file
    assert pyhanko_verdicts(signed, signer) == [(True, True, True)]


@pytest.mark.parametrize("cipher", CIPHERS)
def test_tampered_encrypted_bytes_are_a_hash_failure(
    pki: TestPKI, signer: SoftwareSigner, tmp_path: Path, cipher: str
) -> None:
    signed = pyhanko_sign(_encrypted(tmp_path, cipher), tmp_path / "signed.pdf", signer)
    data = bytearray(signed.read_bytes())
    index = data.index(b"stream", data.index(b"/Length")) + len(b"stream\n") + 2
    data[index] ^= 1  # a byte of the first (encrypted) stream
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(data))
    _failed(_verify(pki, tampered), SubIndication.HASH_FAILURE)
    assert pyhanko_verdicts(tampered, signer)[0][0] is False  # the reference: not intact
    assert poppler_verdicts(tampered) == ["Digest Mismatch."]


@pytest.mark.parametrize("cipher", ["rc4-128", "aes-256"])
def test_page_content_changed_after_signing_fails(
    pki: TestPKI, signer: SoftwareSigner, tmp_path: Path, cipher: str
) -> None:
    signed = pyhanko_sign(_encrypted(tmp_path, cipher), tmp_path / "signed.pdf", signer)
    writer = IncrementalPdfFileWriter(io.BytesIO(signed.read_bytes()))
    writer.encrypt("")
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    text = b"BT /F1 18 Tf 72 760 Td (I owe you a million) Tj ET"
    page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=text))
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(out.getvalue())
    assert b"a million" not in out.getvalue()  # the new content is encrypted too
    reasons = _failed(_verify(pki, changed), SubIndication.FORMAT_FAILURE)
    assert "changed after signing" in reasons


def _failed(report: ValidationReport, sub: SubIndication) -> str:
    """The reasons of ``report``'s one signature, once it failed (TOTAL_FAILED) as ``sub``."""
    assert not report.passed
    (signature,) = report.signatures
    assert (signature.indication, signature.sub_indication) == (Indication.TOTAL_FAILED, sub)
    return " ".join(signature.reasons)


def _append_update(data: bytes, objects: dict[int, bytes], trailer: bytes) -> bytes:
    """``data`` with an incremental update: ``objects`` by number and a trailer with ``trailer``."""
    previous = int(data[data.rfind(b"startxref") + len(b"startxref") :].split()[0])
    update = bytearray(b"\n")
    offsets = {}
    for number, body in objects.items():
        offsets[number] = len(data) + len(update)
        update += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(data) + len(update)
    update += b"xref\n0 1\n0000000000 65535 f \n"
    for number, offset in offsets.items():
        update += b"%d 1\n%010d 00000 n \n" % (number, offset)
    size = max([*objects, 50]) + 1
    update += b"trailer\n<< /Size %d /Root 1 0 R /Prev %d %s >>\n" % (size, previous, trailer)
    return data + bytes(update) + b"startxref\n%d\n%%%%EOF\n" % xref


def _encrypt_entry(path: Path) -> tuple[bytes, bytes]:
    """The /Encrypt dictionary of ``path`` as raw bytes, and its trailer's /ID array."""
    with path.open("rb") as handle:
        reader = PdfFileReader(handle)
        encrypt = reader.encrypt_dict
        assert encrypt is not None
        out = io.BytesIO()
        encrypt.write_to_stream(out)
        ids = io.BytesIO()
        reader.trailer["/ID"].write_to_stream(ids)
        return out.getvalue(), ids.getvalue()


@pytest.mark.parametrize("cipher", ["rc4-40", "aes-256"])
def test_encryption_added_after_signing_fails(
    pki: TestPKI, signer: SoftwareSigner, tmp_path: Path, cipher: str
) -> None:
    """A later /Encrypt makes readers decrypt the signed plain objects into something else
    (RC4: noise, read on; AES: padding errors, a damaged structure)."""
    plain = make_pdf(tmp_path / "plain.pdf")
    signed = sign_pdf(plain, tmp_path / "signed.pdf", signer).output
    donor = qpdf_encrypt(plain, tmp_path / "donor.pdf", cipher)
    encrypt, ids = _encrypt_entry(donor)
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(
        _append_update(signed.read_bytes(), {50: encrypt}, b"/Encrypt 50 0 R /ID " + ids)
    )
    reasons = _failed(_verify(pki, changed), SubIndication.FORMAT_FAILURE)
    expected = "encrypted after signing" if cipher == "rc4-40" else "structure is damaged"
    assert expected in reasons


def test_encryption_replaced_after_signing_fails(
    pki: TestPKI, signer: SoftwareSigner, tmp_path: Path
) -> None:
    """Another /Encrypt and /ID (same cipher, an empty user password, another key) in a
    later revision: readers decrypt the signed objects into noise."""
    signed = pyhanko_sign(_encrypted(tmp_path, "rc4-40"), tmp_path / "signed.pdf", signer)
    other = qpdf_encrypt(tmp_path / "plain.pdf", tmp_path / "other.pdf", "rc4-40", owner="x")
    encrypt, ids = _encrypt_entry(other)
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(
        _append_update(signed.read_bytes(), {50: encrypt}, b"/Encrypt 50 0 R /ID " + ids)
    )
    reasons = _failed(_verify(pki, changed), SubIndication.FORMAT_FAILURE)
    assert "encryption dictionary (/Encrypt) changed after signing" in reasons


@pytest.mark.parametrize("left_out", [b"/Encrypt", b"/ID"])
def test_a_last_trailer_without_the_encryption_fails(
    pki: TestPKI, signer: SoftwareSigner, tmp_path: Path, left_out: bytes
) -> None:
    """pyHanko takes /Encrypt and /ID from earlier trailers; qpdf and poppler read the last
    one alone, and would show the signed objects undecrypted (or decrypted with another key)."""
    signed = pyhanko_sign(_encrypted(tmp_path, "rc4-40"), tmp_path / "signed.pdf", signer)
    with signed.open("rb") as handle:
        reference = PdfFileReader(handle).trailer.raw_get("/Encrypt")
    _, ids = _encrypt_entry(signed)
    entries = {b"/Encrypt": b"/Encrypt %d 0 R" % reference.idnum, b"/ID": b"/ID " + ids}
    del entries[left_out]
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(_append_update(signed.read_bytes(), {}, b" ".join(entries.values())))
    if left_out == b"/Encrypt":
        shown = subprocess.run(
            ["qpdf", "--show-encryption", str(changed)], capture_output=True, text=True
        )
        assert "File is not encrypted" in shown.stdout
    (signature,) = _verify(pki, changed).signatures
    assert (signature.indication, signature.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.FORMAT_FAILURE,
    )
    assert f"the last trailer leaves out {left_out.decode()}" in " ".join(signature.reasons)


def test_document_id_changed_after_signing_fails(
    pki: TestPKI, signer: SoftwareSigner, tmp_path: Path
) -> None:
    signed = pyhanko_sign(_encrypted(tmp_path, "aes-256"), tmp_path / "signed.pdf", signer)
    with signed.open("rb") as handle:
        reference = PdfFileReader(handle).trailer.raw_get("/Encrypt")
    assert isinstance(reference, generic.IndirectObject)
    trailer = b"/Encrypt %d 0 R /ID [<%s> <%s>]" % (reference.idnum, b"ab" * 16, b"cd" * 16)
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(_append_update(signed.read_bytes(), {}, trailer))
    reasons = _failed(_verify(pki, changed), SubIndication.FORMAT_FAILURE)
    assert "/ID" in reasons


# -- locked ------------------------------------------------------------------------------------


def test_user_password_is_needed_and_taken(
    pki: TestPKI, signer: SoftwareSigner, tmp_path: Path, eid_home: Path
) -> None:
    source = _encrypted(tmp_path, "aes-256", user="open sesame")
    signed = pyhanko_sign(source, tmp_path / "signed.pdf", signer, password="open sesame")
    locked = _verify(pki, signed)
    assert not locked.passed
    assert not locked.signed
    assert "EID_PDF_PASSWORD" in locked.problems[0]
    assert "holds 1 signature" in locked.problems[1]
    wrong = _verify(pki, signed, "guess")
    assert not wrong.passed
    assert "neither the user nor the owner" in wrong.problems[0]
    _passed(_verify(pki, signed, "open sesame"))
    _passed(_verify(pki, signed, OWNER))

    trust = tmp_path / "root.pem"
    trust.write_bytes(pki.root.certificate.public_bytes(Encoding.PEM))
    args = ("verify", str(signed), "--json", "--no-revocation", "--trust", str(trust))
    refused = eid(*args, home=eid_home)
    assert refused.returncode == 2, refused.stderr
    assert "EID_PDF_PASSWORD" in json.loads(refused.stdout)["problems"][0]
    opened = eid(*args, home=eid_home, env={"EID_PDF_PASSWORD": "open sesame"})
    assert opened.returncode == 0, opened.stdout + opened.stderr
    assert "open sesame" not in opened.stdout + opened.stderr


def test_public_key_encryption_names_what_is_needed(pki: TestPKI, tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Recipient")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .add_extension(
            x509.KeyUsage(False, False, True, False, False, False, False, False, False), True
        )
        .not_valid_before(pki.root.certificate.not_valid_before_utc)
        .not_valid_after(pki.root.certificate.not_valid_after_utc)
        .sign(key, hashes.SHA256())
    )
    with make_pdf(tmp_path / "plain.pdf").open("rb") as handle:
        writer = copy_into_new_writer(PdfFileReader(handle))
    writer.encrypt_pubkey([asn1(certificate)])
    target = tmp_path / "recipients.pdf"
    with target.open("wb") as out:
        writer.write(out)
    report = _verify(pki, target)
    assert not report.passed
    assert not report.signed
    assert "recipient's private key" in report.problems[0]
    signer = software_signer(pki)
    with pytest.raises(UsageError, match="recipient's private key"):
        sign_pdf(target, tmp_path / "signed.pdf", signer)


# -- signed by eid -------------------------------------------------------------------------------


def _qpdf_reads(path: Path, password: str = "") -> str:
    """qpdf's view of ``path``: its structure checked, its encryption shown."""
    checked = subprocess.run(
        ["qpdf", "--check", f"--password={password}", str(path)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    shown = subprocess.run(
        ["qpdf", "--show-encryption", f"--password={password}", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return "\n".join(
        line for line in shown.stdout.splitlines() if "method" in line or "R =" in line
    )


@pytest.mark.parametrize("by", sorted(ENCRYPTORS))
@pytest.mark.parametrize("cipher", CIPHERS)
def test_eid_signs_encrypted_pdfs_in_their_encryption(
    pki: TestPKI, signer: SoftwareSigner, tmp_path: Path, by: str, cipher: str
) -> None:
    source = _encrypted(tmp_path, cipher, by)
    once = sign_pdf(source, tmp_path / "once.pdf", signer).output
    twice = sign_pdf(once, tmp_path / "twice.pdf", signer).output
    assert twice.read_bytes().startswith(once.read_bytes())
    assert _qpdf_reads(twice) == _qpdf_reads(source)  # still encrypted, in the same way
    report = _verify(pki, twice)
    _passed(report)
    assert report.warnings == []  # pyHanko's AES-256 MAC (ISO 32004) kept by our updates
    first, second = report.signatures
    assert first.modifications["level"] == "FORM_FILLING"  # the second signature
    assert second.modifications["level"] == "NONE"
    assert pyhanko_verdicts(twice, signer) == [(True, True, True)] * 2
    assert poppler_verdicts(twice) == ["Signature is Valid."] * 2  # a third implementation


@pytest.fixture(scope="module")
def services() -> Iterator[TestServices]:
    with TestServices() as running:
        yield running


def test_eid_signs_an_encrypted_pdf_at_b_lta(services: TestServices, tmp_path: Path) -> None:
    source = _encrypted(tmp_path, "aes-256")
    signed = sign_pdf(
        source,
        tmp_path / "lta.pdf",
        software_signer(services.pki),
        options(Level.B_LTA, services),
    ).output
    report = verify(signed, trust=trust_of(services.pki))
    _passed(report)
    (signature,) = report.signatures
    assert signature.level == "B-LTA"
    assert signature.modifications["level"] == "LTA_UPDATES"


def _with_empty_field(tmp_path: Path) -> Path:
    plain = make_pdf(tmp_path / "plain.pdf")
    writer = IncrementalPdfFileWriter(io.BytesIO(plain.read_bytes()))
    append_signature_field(writer, SigFieldSpec("Approval", on_page=0, box=(50, 50, 250, 100)))
    out = io.BytesIO()
    writer.write(out)
    target = tmp_path / "form.pdf"
    target.write_bytes(out.getvalue())
    return target


@pytest.mark.parametrize(
    ("modify", "new_field", "existing_field"),
    [
        ("none", False, False),
        ("form", False, True),  # Acrobat: "filling in forms and signing existing fields"
        ("annotate", False, True),
        ("all", True, True),
    ],
)
def test_permissions_decide_what_may_be_signed(
    pki: TestPKI,
    signer: SoftwareSigner,
    tmp_path: Path,
    modify: str,
    new_field: bool,
    existing_field: bool,
) -> None:
    source = qpdf_encrypt(
        _with_empty_field(tmp_path),
        tmp_path / "restricted.pdf",
        "aes-256",
        restrict=(f"--modify={modify}",),
    )
    cases = {
        "new": (SignatureOptions(), new_field),
        "existing": (SignatureOptions(field_name="Approval"), existing_field),
    }
    for label, (opts, allowed) in cases.items():
        target = tmp_path / f"{label}.pdf"
        if allowed:
            _passed(_verify(pki, sign_pdf(source, target, signer, opts).output))
        else:
            with pytest.raises(UsageError, match="permissions"):
                sign_pdf(source, target, signer, opts)
            assert not target.exists()
        # the owner password lifts the restrictions
        owner = sign_pdf(source, tmp_path / f"{label}-owner.pdf", signer, opts, password=OWNER)
        _passed(_verify(pki, owner.output))


@pytest.mark.parametrize("cipher", [None, "rc4-128", "aes-256"])
def test_a_signature_after_a_no_changes_certification_fails(
    pki: TestPKI,
    signer: SoftwareSigner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cipher: str | None,
) -> None:
    """DocMDP P=1 forbids any change, a new signature included (pyHanko, in an encrypted PDF,
    grades that change LTA_UPDATES, which P=1 allows: the verdict must not follow it)."""
    plain = make_pdf(tmp_path / "plain.pdf")
    source = plain if cipher is None else _encrypted(tmp_path, cipher)
    writer = IncrementalPdfFileWriter(io.BytesIO(source.read_bytes()))
    if cipher is not None:
        writer.encrypt("")
    certify = signers.PdfSignatureMetadata(
        field_name="Author",
        subfilter=SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
    )
    certified = tmp_path / "certified.pdf"
    certified.write_bytes(signers.sign_pdf(writer, certify, signer).getvalue())
    _passed(_verify(pki, certified))
    # pyHanko's signer refuses to sign after a P=1 certification: a forger's would not
    monkeypatch.setattr(signers.PdfSigner, "_enforce_certification_constraints", lambda *_: None)
    approved = pyhanko_sign(certified, tmp_path / "approved.pdf", signer)
    report = _verify(pki, approved)
    author = next(s for s in report.signatures if s.id == "Author")
    assert (author.indication, author.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.FORMAT_FAILURE,
    )
    assert author.modifications["level"] == "FORM_FILLING"


@pytest.mark.parametrize("change", ["resources copied", "resources changed"])
@pytest.mark.parametrize("cipher", ["rc4-128", "aes-256"])
def test_updates_pyhanko_refuses_are_compared_by_content(
    pki: TestPKI, signer: SoftwareSigner, tmp_path: Path, cipher: str, change: str
) -> None:
    """The content comparison (`eid.sign.pdf_changes`) reads a certified encrypted PDF, whose
    catalog leads to the signature's /Contents, stored unencrypted."""
    writer = IncrementalPdfFileWriter(io.BytesIO(_encrypted(tmp_path, cipher).read_bytes()))
    writer.encrypt("")
    certify = signers.PdfSignatureMetadata(
        field_name="Author",
        subfilter=SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=MDPPerm.FILL_FORMS,
    )
    update = IncrementalPdfFileWriter(signers.sign_pdf(writer, certify, signer))
    update.encrypt("")
    page = update.root["/Pages"]["/Kids"][0].get_object()
    resources = generic.DictionaryObject(page["/Resources"])
    if change == "resources changed":
        resources[generic.NameObject("/ProcSet")] = generic.ArrayObject(
            [generic.NameObject("/PDF")]
        )
    page["/Resources"] = update.add_object(resources)
    update.update_container(page)
    out = io.BytesIO()
    update.write(out)
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(out.getvalue())
    (signature,) = _verify(pki, changed).signatures
    reasons = " ".join(signature.reasons)
    if change == "resources copied":
        assert signature.indication is Indication.TOTAL_PASSED, reasons
        assert any("compared by content" in warning for warning in signature.warnings)
    else:
        assert signature.indication is Indication.TOTAL_FAILED
        assert "the content of page 1 changed" in reasons


def test_a_pdf_mac_not_kept_by_a_later_update_is_a_warning(
    pki: TestPKI, signer: SoftwareSigner, tmp_path: Path
) -> None:
    """pyHanko's AES-256 carries an ISO 32004 MAC; an update by software that does not keep it
    (here: an empty one) changes nothing signed. EU DSS does not read the MAC: a warning."""
    source = _encrypted(tmp_path, "aes-256", "pyhanko")
    signed = pyhanko_sign(source, tmp_path / "signed.pdf", signer)
    report = _verify(pki, signed)
    _passed(report)
    assert report.warnings == []  # the MAC matches
    with signed.open("rb") as handle:
        reference = PdfFileReader(handle).trailer.raw_get("/Encrypt")
    ids = re.findall(rb"/ID\s*\[[^\]]*\]", signed.read_bytes())[-1]
    updated = tmp_path / "updated.pdf"
    updated.write_bytes(
        _append_update(signed.read_bytes(), {}, b"/Encrypt %d 0 R %s" % (reference.idnum, ids))
    )
    report = _verify(pki, updated)
    _passed(report)
    assert any("ISO 32004 MAC" in warning for warning in report.warnings)


def test_an_unknown_security_handler_is_named(pki: TestPKI, tmp_path: Path) -> None:
    data = make_pdf(tmp_path / "plain.pdf").read_bytes()
    encrypt = b"<< /Filter /FOPN_foweb /V 1 /Length 40 >>"
    locked = tmp_path / "drm.pdf"
    locked.write_bytes(_append_update(data, {50: encrypt}, b"/Encrypt 50 0 R /ID [<00> <00>]"))
    report = _verify(pki, locked)
    assert not report.passed
    assert report.problems == [
        "the PDF is encrypted with a security handler eid does not read "
        "(There is no security handler named /FOPN_foweb, and the encryption dictionary "
        "does not contain a generic /SubFilter entry.)"
    ]


def test_eid_sign_takes_the_owner_password_from_the_environment(
    home: Path, virtual_card: VirtualCard, tmp_path: Path
) -> None:
    """A PDF whose permissions forbid any change: refused (exit 2) with what is missing;
    signed with the owner password from EID_PDF_PASSWORD, which never shows."""
    restricted = qpdf_encrypt(
        make_pdf(tmp_path / "plain.pdf"),
        tmp_path / "form.pdf",
        "aes-128",
        restrict=("--modify=none",),
    )
    target = tmp_path / "form.signed.pdf"
    refused = eid("sign", str(restricted), "--json", home=home)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "permissions (/P)" in refused.stdout + refused.stderr
    assert not target.exists()
    signed = eid("sign", str(restricted), "--json", home=home, env={"EID_PDF_PASSWORD": OWNER})
    assert signed.returncode == 0, signed.stdout + signed.stderr
    assert OWNER not in signed.stdout + signed.stderr
    assert _qpdf_reads(target) == _qpdf_reads(restricted)
    with target.open("rb") as handle:
        reader = PdfFileReader(handle)
        reader.decrypt("")
        (signature,) = reader.embedded_regular_signatures
        context = validation_context(virtual_card.pki().root.certificate)
        status = validate_pdf_signature(signature, signer_validation_context=context)
        assert (status.intact, status.valid, status.trusted) == (True, True, True)
