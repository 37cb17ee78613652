"""PDFs as other software leaves them: damaged structure, odd CMS, legitimate later revisions.

Issue 11 items 4-6. Every sample is made here from a PDF signed in the test, and says how.
"""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

import pytest
from asn1crypto import cms, keys
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from hypothesis import given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore

from eid.pki.testpki import TestPKI
from eid.sign import SignatureOptions, sign_pdf
from eid.sign.pdf_bytes import find_byte_ranges
from eid.sign.report import Indication, SubIndication
from eid.sign.verify_document import verify
from tests.cli_support import eid
from tests.sign_support import asn1, make_pdf
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


# -- item 4: damaged PDFs ---------------------------------------------------------------------------


def _appended_update(data: bytes, trailer_extra: bytes) -> bytes:
    """``data`` with an unsigned incremental update: an empty xref section and a new trailer."""
    previous = int(data[data.rfind(b"startxref") + len(b"startxref") :].split()[0])
    update = (
        b"\nxref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 11 /Root 1 0 R /Prev %d %s >>\n"
        % (previous, trailer_extra)
    )
    return data + update + b"startxref\n%d\n%%%%EOF\n" % (len(data) + 1)


def _damaged(signed: bytes, how: str) -> bytes:
    """A copy of the signed PDF damaged in one way (each says what it does)."""
    if how == "xref keyword broken in the signed revision":
        return signed.replace(b"\nxref\n", b"\nxre!\n")
    if how == "startxref past the end in the signed revision":
        return signed[: signed.rfind(b"startxref")] + b"startxref\n999999\n%%EOF\n"
    if how == "update whose xref is garbage":
        garbage = b"\n1 0 obj\n<< /Type /Catalog >>\nendobj\nxref\ngarbage\n"
        return signed + garbage + b"startxref\n%d\n%%%%EOF\n" % (len(signed) + 20)
    encrypt = {
        "/Encrypt is an integer": b"/Encrypt 42",
        "/Encrypt is a string": b"/Encrypt (RC4)",
        "/Encrypt is an array": b"/Encrypt [1 0 R]",
        "/Encrypt refers to the catalog": b"/Encrypt 1 0 R",
    }[how]
    return _appended_update(signed, encrypt)


@pytest.mark.parametrize(
    ("how", "sub"),
    [
        ("xref keyword broken in the signed revision", SubIndication.HASH_FAILURE),
        ("startxref past the end in the signed revision", SubIndication.HASH_FAILURE),
        ("update whose xref is garbage", SubIndication.FORMAT_FAILURE),
        ("/Encrypt is an integer", SubIndication.FORMAT_FAILURE),
        ("/Encrypt is a string", SubIndication.FORMAT_FAILURE),
        ("/Encrypt is an array", SubIndication.FORMAT_FAILURE),
        ("/Encrypt refers to the catalog", SubIndication.FORMAT_FAILURE),
    ],
)
def test_damaged_pdf_gets_a_verdict(
    pki: TestPKI, tmp_path: Path, how: str, sub: SubIndication
) -> None:
    signed = _signed(pki, tmp_path, SigSeedSubFilter.PADES)
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(_damaged(signed.read_bytes(), how))
    report = verify(damaged, trust=trust_of(pki), revocation=OFF)
    (signature,) = report.signatures
    assert signature.indication is Indication.TOTAL_FAILED
    assert signature.sub_indication is sub, signature.reasons
    assert any("structure is damaged" in reason for reason in signature.reasons)
    assert signature.covers is not None
    assert signature.covers.byte_range is not None
    assert any("structure is damaged" in problem for problem in report.problems)


def test_damaged_pdf_through_the_command(pki: TestPKI, tmp_path: Path) -> None:
    """Exit 1 with the reason for a damaged signed PDF; exit 2 for a damaged unsigned one."""
    signed = _signed(pki, tmp_path, SigSeedSubFilter.PADES)
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(_damaged(signed.read_bytes(), "/Encrypt is an integer"))
    run = eid("verify", str(damaged), "--json", "--revocation", "off", home=tmp_path)
    assert run.returncode == 1, run.stderr
    (signature,) = json.loads(run.stdout)["signatures"]
    assert signature["sub_indication"] == "FORMAT_FAILURE"
    unsigned = tmp_path / "unsigned.pdf"
    unsigned.write_bytes(
        _damaged(make_pdf(tmp_path / "plain.pdf").read_bytes(), "update whose xref is garbage")
    )
    run = eid("verify", str(unsigned), "--json", "--revocation", "off", home=tmp_path)
    assert run.returncode == 2, run.stdout
    assert "not a readable PDF" in json.loads(run.stdout)["problems"][0]


def test_signature_no_field_refers_to(pki: TestPKI, tmp_path: Path) -> None:
    """An update that drops the form hides the signature from a reader: found, and failed."""
    signed = _signed(pki, tmp_path, SigSeedSubFilter.PADES)
    hidden = tmp_path / "hidden.pdf"
    hidden.write_bytes(_update(signed.read_bytes(), "form removed"))
    report = verify(hidden, trust=trust_of(pki), revocation=OFF)
    (signature,) = report.signatures
    assert signature.sub_indication is SubIndication.FORMAT_FAILURE
    assert any("no signature field" in reason for reason in signature.reasons)


def test_damaged_pdf_with_a_document_timestamp(pki: TestPKI, tmp_path: Path) -> None:
    """A document timestamp found by its /ByteRange is kept as a timestamp, not a signature."""
    signed = _signed(pki, tmp_path, SigSeedSubFilter.PADES)
    stamped = tmp_path / "stamped.pdf"
    buffer = io.BytesIO(signed.read_bytes())
    tsa = pki.tsa()
    key = keys.PrivateKeyInfo.load(
        tsa.key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    )
    stamper = DummyTimeStamper(tsa_cert=asn1(tsa.certificate), tsa_key=key)
    out = signers.PdfTimeStamper(stamper).timestamp_pdf(IncrementalPdfFileWriter(buffer), "sha256")
    stamped.write_bytes(_damaged(out.getvalue(), "/Encrypt is an integer"))
    (signature,) = verify(stamped, trust=trust_of(pki), revocation=OFF).signatures
    assert signature.sub_indication is SubIndication.FORMAT_FAILURE, signature.reasons
    assert [t.kind for t in signature.timestamps] == ["document"]


@given(
    before=st.binary(max_size=3000),
    between=st.binary(max_size=3000),
    values=st.lists(st.integers(0, 10**12), min_size=4, max_size=4),
    spaces=st.sampled_from([b" ", b"\n", b"  ", b"\r\n"]),
)
@settings(max_examples=200, deadline=None)
def test_find_byte_ranges_finds_each_one_across_chunks(
    before: bytes, between: bytes, values: list[int], spaces: bytes
) -> None:
    """Every well-formed /ByteRange is found once at its offset, wherever the chunks split."""
    text = b"/ByteRange" + spaces + b"[" + spaces.join(b"%d" % v for v in values) + b"]"
    clean = lambda data: data.replace(b"/ByteRange", b"/ByteRangX")  # noqa: E731
    data = clean(before) + text + clean(between) + text
    found = find_byte_ranges(io.BytesIO(data))
    offsets = [len(clean(before)), len(clean(before)) + len(text) + len(clean(between))]
    assert found == [(offset, tuple(values)) for offset in offsets]


# -- item 6: later revisions that rewrite validation data are allowed; content changes are not --------


def _with_dss(pki: TestPKI, tmp_path: Path) -> bytes:
    """A PDF with a DSS holding a VRI entry (of an earlier signature), then signed."""
    buffer = io.BytesIO(make_pdf(tmp_path / "plain.pdf").read_bytes())
    certificate = asn1(pki.citizen_ca.certificate)
    DocumentSecurityStore.add_dss(buffer, b"an earlier signature", certs=[certificate])
    unsigned = tmp_path / "with-dss.pdf"
    unsigned.write_bytes(buffer.getvalue())
    signed = sign_pdf(unsigned, tmp_path / "signed.pdf", software_signer(pki)).output
    return signed.read_bytes()


def _update(data: bytes, *changes: str) -> bytes:
    """An incremental update of ``data`` making each of ``changes`` (named as in the tests)."""
    buffer = io.BytesIO(data)
    writer = IncrementalPdfFileWriter(buffer)
    root = writer.root
    for change in changes:
        if change in ("VRI replaced", "VRI removed"):
            dss = root["/DSS"]
            vri = dss["/VRI"]
            (key,) = list(vri.keys())
            replaced = generic.DictionaryObject()
            if change == "VRI replaced":
                cert = writer.add_object(generic.StreamObject(stream_data=b"\x30\x00"))
                replaced[generic.NameObject(key)] = generic.DictionaryObject(
                    {generic.NameObject("/Cert"): generic.ArrayObject([cert])}
                )
            dss[generic.NameObject("/VRI")] = writer.add_object(replaced)
            writer.update_container(dss)
        elif change == "page text replaced":
            page = root["/Pages"]["/Kids"][0].get_object()
            page["/Contents"] = writer.add_object(
                generic.StreamObject(stream_data=b"BT /F1 12 Tf 72 720 Td (I refuse) Tj ET")
            )
            writer.update_container(page)
        elif change in ("resources copied", "resources changed"):
            page = root["/Pages"]["/Kids"][0].get_object()
            resources = generic.DictionaryObject(page["/Resources"])
            if change == "resources changed":
                resources[generic.NameObject("/ProcSet")] = generic.ArrayObject(
                    [generic.NameObject("/PDF")]
                )
            page["/Resources"] = writer.add_object(resources)
            writer.update_container(page)
        elif change == "text field added":
            page_ref = root["/Pages"].raw_get("/Kids")[0]
            page = page_ref.get_object()
            field = writer.add_object(
                generic.DictionaryObject(
                    {
                        generic.NameObject("/FT"): generic.NameObject("/Tx"),
                        generic.NameObject("/T"): generic.TextStringObject("amount"),
                        generic.NameObject("/V"): generic.TextStringObject("1 000 000 EUR"),
                        generic.NameObject("/Subtype"): generic.NameObject("/Widget"),
                        generic.NameObject("/Rect"): generic.ArrayObject(
                            [generic.NumberObject(n) for n in (72, 600, 300, 620)]
                        ),
                        generic.NameObject("/P"): page_ref,
                    }
                )
            )
            annotations = page.get("/Annots", generic.ArrayObject())
            page[generic.NameObject("/Annots")] = generic.ArrayObject([*annotations, field])
            writer.update_container(page)
            form = root["/AcroForm"]
            form["/Fields"].append(field)
            writer.update_container(form)
        elif change == "signed widget repainted":
            widget = root["/AcroForm"]["/Fields"][0]
            appearance = writer.add_object(
                generic.StreamObject(
                    {
                        generic.NameObject("/Type"): generic.NameObject("/XObject"),
                        generic.NameObject("/Subtype"): generic.NameObject("/Form"),
                        generic.NameObject("/BBox"): generic.ArrayObject(
                            [generic.NumberObject(n) for n in (0, 0, 500, 500)]
                        ),
                    },
                    stream_data=b"1 1 1 rg 0 0 500 500 re f",
                )
            )
            widget[generic.NameObject("/Rect")] = generic.ArrayObject(
                [generic.NumberObject(n) for n in (0, 0, 500, 500)]
            )
            widget[generic.NameObject("/AP")] = generic.DictionaryObject(
                {generic.NameObject("/N"): appearance}
            )
            writer.update_container(widget)
        elif change == "form removed":
            del root["/AcroForm"]
            writer.update_root()
        else:
            assert change == "page added", change
            writer.insert_page(
                generic.DictionaryObject(
                    {
                        generic.NameObject("/Type"): generic.NameObject("/Page"),
                        generic.NameObject("/MediaBox"): generic.ArrayObject(
                            [generic.NumberObject(n) for n in (0, 0, 595, 842)]
                        ),
                    }
                )
            )
    writer.write_in_place()
    return buffer.getvalue()


@pytest.mark.parametrize("change", ["VRI replaced", "VRI removed"])
def test_dss_rewritten_later_is_an_allowed_update(
    pki: TestPKI, tmp_path: Path, change: str
) -> None:
    path = tmp_path / "rewritten.pdf"
    path.write_bytes(_update(_with_dss(pki, tmp_path), change))
    (signature,) = verify(path, trust=trust_of(pki), revocation=OFF).signatures
    assert signature.indication is Indication.TOTAL_PASSED, signature.reasons
    assert signature.modifications is not None
    assert signature.modifications["level"] == "LTA_UPDATES"
    count = "replaced: 1, removed: 0" if change == "VRI replaced" else "replaced: 0, removed: 1"
    assert f"VRI entries of the DSS {count}" in signature.modifications["changes"]
    assert any("refused the update" in warning for warning in signature.warnings)


def test_resources_rewritten_as_an_identical_copy_is_no_change(
    pki: TestPKI, tmp_path: Path
) -> None:
    path = tmp_path / "copied.pdf"
    path.write_bytes(_update(_with_dss(pki, tmp_path), "resources copied"))
    (signature,) = verify(path, trust=trust_of(pki), revocation=OFF).signatures
    assert signature.indication is Indication.TOTAL_PASSED, signature.reasons
    assert signature.modifications is not None
    # pyHanko stamps the XMP ModDate on every write: an update in a later second than the
    # signature also rewrote the metadata, which is allowed (and nothing a reader shows).
    changes = signature.modifications["changes"]
    assert changes in ([], ["the XMP metadata changed"])
    assert signature.modifications["level"] == ("LTA_UPDATES" if changes else "NONE")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        (("VRI removed", "page text replaced"), "the content of page 1 changed"),
        (("VRI replaced", "page added"), "pages were added or removed (1 before, 2 now)"),
        (("resources changed",), "the content of page 1 changed"),
        (("VRI removed", "text field added"), "a form field was added on page 1"),
        (("signed widget repainted",), "a form field changed on page 1"),
    ],
)
def test_content_changes_still_fail(
    pki: TestPKI, tmp_path: Path, changes: tuple[str, ...], reason: str
) -> None:
    path = tmp_path / "changed.pdf"
    path.write_bytes(_update(_with_dss(pki, tmp_path), *changes))
    (signature,) = verify(path, trust=trust_of(pki), revocation=OFF).signatures
    assert signature.indication is Indication.TOTAL_FAILED
    assert signature.sub_indication is SubIndication.FORMAT_FAILURE
    assert any(reason in r for r in signature.reasons), signature.reasons


_ALLOWED = ("VRI replaced", "VRI removed", "resources copied")
_REFUSED = (
    "page text replaced",
    "resources changed",
    "page added",
    "text field added",
    "signed widget repainted",
)


@pytest.fixture(scope="module")
def dss_base(pki: TestPKI, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return _with_dss(pki, tmp_path_factory.mktemp("dss-base"))


@given(
    vri=st.sampled_from([None, *_ALLOWED[:2]]),
    others=st.lists(st.sampled_from([_ALLOWED[2], *_REFUSED]), unique=True, max_size=3),
)
@settings(max_examples=25, deadline=None)
def test_later_revisions_allowed_exactly_when_every_change_is(
    pki: TestPKI, dss_base: bytes, vri: str | None, others: list[str]
) -> None:
    """Any sequence of later revisions passes iff none of them changes what is shown."""
    data = dss_base
    for change in [c for c in (vri, *others) if c is not None]:
        data = _update(data, change)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "updated.pdf"
        path.write_bytes(data)
        (signature,) = verify(path, trust=trust_of(pki), revocation=OFF).signatures
    refused = any(change in _REFUSED for change in others)
    assert signature.passed is not refused, (vri, others, signature.reasons)
    if refused:
        assert signature.sub_indication is SubIndication.FORMAT_FAILURE
