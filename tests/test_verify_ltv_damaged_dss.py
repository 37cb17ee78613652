"""A damaged document security store gives the validation data it still holds, never a crash.

A PDF's DSS is outside input: a VRI entry pointing at a missing object, a certificate
array that is not an array, or a catalogue whose /DSS is not a dictionary must each leave
out only the damaged part.
"""

from __future__ import annotations

import io
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PdfFileWriter

from eid.sign.verify_ltv import pdf_evidence

RRN_CERTIFICATE = (
    Path(__file__).parent.parent / "fixtures" / "belgium" / "identity-vectors" / "test-rrn-cert.der"
)


def _certificate() -> bytes:
    return RRN_CERTIFICATE.read_bytes()


def _reader(
    dss: generic.PdfObject | None, writer: PdfFileWriter, damage: bytes = b""
) -> PdfFileReader:
    """The PDF ``writer`` makes with ``dss``; ``damage`` (if given) made unreadable in it."""
    if dss is not None:
        writer.root[generic.NameObject("/DSS")] = writer.add_object(dss)
    out = io.BytesIO()
    writer.write(out)
    data = out.getvalue()
    if damage:
        assert data.count(damage) == 1
        data = data.replace(damage, b"<" * len(damage))
    return PdfFileReader(io.BytesIO(data), strict=False)


def _dss(writer: PdfFileWriter, **entries: generic.PdfObject) -> generic.DictionaryObject:
    certs = writer.add_object(generic.StreamObject(stream_data=_certificate()))
    values = {"/Certs": generic.ArrayObject([certs]), **{f"/{k}": v for k, v in entries.items()}}
    return generic.DictionaryObject({generic.NameObject(k): v for k, v in values.items()})


def test_an_unreadable_vri_entry_leaves_the_dss_certificates() -> None:
    writer = PdfFileWriter()
    entry = writer.add_object(
        generic.DictionaryObject({generic.NameObject("/Damaged"): generic.NumberObject(424242)})
    )
    dss = _dss(writer, VRI=generic.DictionaryObject({generic.NameObject("/AB"): entry}))
    evidence = pdf_evidence(_reader(dss, writer, damage=b"424242"))
    assert len(evidence.certificates) == 1
    assert not evidence.ocsp_responses


def test_a_vri_entry_to_a_missing_object_leaves_the_dss_certificates() -> None:
    writer = PdfFileWriter()
    missing = generic.IndirectObject(999, 0, writer)
    dss = _dss(writer, VRI=generic.DictionaryObject({generic.NameObject("/AB"): missing}))
    evidence = pdf_evidence(_reader(dss, writer))
    assert len(evidence.certificates) == 1
    assert not evidence.ocsp_responses


def test_a_damaged_array_leaves_out_only_itself() -> None:
    writer = PdfFileWriter()
    dss = _dss(
        writer,
        OCSPs=generic.IndirectObject(998, 0, writer),
        CRLs=generic.NameObject("/NotAnArray"),
    )
    evidence = pdf_evidence(_reader(dss, writer))
    assert len(evidence.certificates) == 1
    assert not evidence.ocsp_responses
    assert not evidence.crls


def test_a_dss_that_is_not_a_dictionary_gives_nothing() -> None:
    writer = PdfFileWriter()
    evidence = pdf_evidence(_reader(generic.ArrayObject([generic.NumberObject(1)]), writer))
    assert not evidence.certificates
    assert not evidence.ocsp_responses
    assert not evidence.crls


def test_no_dss_gives_nothing() -> None:
    evidence = pdf_evidence(_reader(None, PdfFileWriter()))
    assert not evidence.certificates
