"""PAdES signatures, checked with pyHanko's validator."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature

from eid.errors import MalformedInput, UsageError
from eid.sign import EidSigner, Level, SignatureOptions, VisibleSignature, sign_pdf
from tests import sign_support as support
from tests.sign_support import (
    Tsa,
    make_pdf,
    root_of,
    validation_context,
)

signer = support.signer
tsa = support.tsa


def _statuses(path: Path, signer: EidSigner, tsa: Tsa) -> list[object]:
    context = validation_context(root_of(signer), tsa.root)
    with path.open("rb") as handle:
        reader = PdfFileReader(handle)
        return [
            validate_pdf_signature(sig, signer_validation_context=context)
            for sig in reader.embedded_regular_signatures
        ]


@pytest.mark.parametrize("level", [Level.B_B, Level.B_T])
def test_pades_validates(signer: EidSigner, tsa: Tsa, tmp_path: Path, level: Level) -> None:
    source = make_pdf(tmp_path / "in.pdf")
    before = source.read_bytes()
    options = SignatureOptions(
        level=level,
        tsa_url=tsa.url if level.timestamped else None,
        reason="Approval",
        location="Brussel",
    )
    result = sign_pdf(source, tmp_path / "out.pdf", signer, options)
    assert source.read_bytes() == before
    assert result.output.read_bytes().startswith(before)  # an incremental update
    (status,) = _statuses(result.output, signer, tsa)
    assert (status.intact, status.valid, status.trusted) == (True, True, True), (  # type: ignore[attr-defined]
        status.pretty_print_details()  # type: ignore[attr-defined]
    )
    assert (status.timestamp_validity is not None) == level.timestamped  # type: ignore[attr-defined]
    if level.timestamped:
        assert status.timestamp_validity.valid
        assert status.timestamp_validity.trusted

    tampered = bytearray(result.output.read_bytes())
    index = tampered.find(b"a test document")
    assert index >= 0
    tampered[index] = ord("A")
    (tmp_path / "tampered.pdf").write_bytes(bytes(tampered))
    (broken,) = _statuses(tmp_path / "tampered.pdf", signer, tsa)
    assert not broken.intact  # type: ignore[attr-defined]


def test_second_signature_keeps_the_first_valid(
    signer: EidSigner, tsa: Tsa, tmp_path: Path
) -> None:
    source = make_pdf(tmp_path / "in.pdf")
    once = sign_pdf(
        source, tmp_path / "once.pdf", signer, SignatureOptions(level=Level.B_T, tsa_url=tsa.url)
    )
    visible = VisibleSignature(box=(50, 700, 300, 760), page=-1)
    twice = sign_pdf(once.output, tmp_path / "twice.pdf", signer, SignatureOptions(visible=visible))
    assert (once.details["field"], twice.details["field"]) == ("Signature1", "Signature2")
    statuses = _statuses(twice.output, signer, tsa)
    assert len(statuses) == 2
    for status in statuses:
        assert status.intact
        assert status.valid
        assert status.trusted
    first = statuses[0]
    assert first.coverage.name == "ENTIRE_REVISION"  # type: ignore[attr-defined]
    assert first.modification_level.name in ("FORM_FILLING", "LTA_UPDATES")  # type: ignore[attr-defined]


def test_visible_signature_has_an_appearance(signer: EidSigner, tmp_path: Path) -> None:
    source = make_pdf(tmp_path / "in.pdf")
    visible = VisibleSignature(box=(50, 50, 300, 110))
    result = sign_pdf(source, tmp_path / "out.pdf", signer, SignatureOptions(visible=visible))
    with result.output.open("rb") as handle:
        reader = PdfFileReader(handle)
        (sig,) = reader.embedded_regular_signatures
        widget = sig.sig_field
        assert [float(x) for x in widget["/Rect"]] == [50, 50, 300, 110]
        assert "/AP" in widget


def test_not_a_pdf_is_malformed_input(signer: EidSigner, tmp_path: Path) -> None:
    source = tmp_path / "notes.txt"
    source.write_bytes(b"just text\n")
    with pytest.raises(MalformedInput):
        sign_pdf(source, tmp_path / "out.pdf", signer)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\ngarbage without xref\n")
    with pytest.raises(MalformedInput):
        sign_pdf(broken, tmp_path / "out.pdf", signer)
    assert not (tmp_path / "out.pdf").exists()


def test_output_may_not_be_the_input(signer: EidSigner, tmp_path: Path) -> None:
    source = make_pdf(tmp_path / "in.pdf")
    with pytest.raises(UsageError):
        sign_pdf(source, source, signer)
