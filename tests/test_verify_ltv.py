"""B-LT from the document's own validation data: verified later, with every service stopped.

A B-LT signature made with the virtual card holds the OCSP answers for the signer, the
Citizen CA and the TSA. With the loopback services stopped and revocation required, it
must pass from those alone at a later validation time (when every kept answer is long
stale, so only the proof of existence by the timestamp makes them timely), and be
INDETERMINATE/TRY_LATER once the signer's answer is taken out.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from asn1crypto import cms
from asn1crypto import ocsp as asn1_ocsp
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from eid.pki import RevocationSettings, ValidationCache
from eid.pki.services import TestServices
from eid.sign import EidSigner, Indication, Level, SubIndication, TokenSigner, verify
from eid.sign.report import ValidationReport
from eid.tokens.virtual import VirtualCard
from tests import verify_support as support
from tests.verify_support import card_signed, options, replace_entry, sign_as, trust_of

services = support.services

LT_FORMATS = ("pdf", "cades-detached", "cades-enveloping", "asice")


def _answers_for(body: bytes) -> set[int]:
    """The serial numbers an OCSP response speaks about."""
    basic = asn1_ocsp.OCSPResponse.load(body)["response_bytes"]["response"].parsed
    return {s["cert_id"]["serial_number"].native for s in basic["tbs_response_data"]["responses"]}


def _cms_without(der: bytes, serial: int) -> bytes:
    """The CMS with the OCSP answer about ``serial`` taken out of ``SignedData.crls``."""
    info = cms.ContentInfo.load(der)
    signed_data = info["content"]
    kept = [
        choice
        for choice in signed_data["crls"]
        if choice.name != "other"
        or serial not in _answers_for(choice.chosen["other_rev_info"].dump())
    ]
    assert len(kept) == len(signed_data["crls"]) - 1
    signed_data["crls"] = kept
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump())


def _pdf_without(source: Path, serial: int, target: Path) -> Path:
    """An incremental update that rewrites the DSS (and its VRI) without the answer."""
    with source.open("rb") as handle:
        writer = IncrementalPdfFileWriter(io.BytesIO(handle.read()))
    dss_ref = writer.root.raw_get("/DSS")
    dss = dss_ref.get_object()
    holders = [(dss_ref, dss, "/OCSPs")]
    vri_ref = dss.raw_get("/VRI")
    vri = vri_ref.get_object()
    for key in list(vri.keys()):
        holders.append((vri.raw_get(key), vri[key], "/OCSP"))
    removed = 0
    for reference, holder, name in holders:
        answers = holder[name]
        kept = [r for r in answers if serial not in _answers_for(r.get_object().data)]
        removed += len(answers) - len(kept)
        holder[name] = generic.ArrayObject(kept)
        if isinstance(reference, generic.IndirectObject):
            writer.mark_update(reference)
    if isinstance(vri_ref, generic.IndirectObject):
        writer.mark_update(vri_ref)
    assert removed >= 1
    with target.open("wb") as out:
        writer.write(out)
    return target


def _without_signer_answer(kind: str, signed: Path, signer: EidSigner, tmp: Path) -> Path:
    serial = signer.certificate.serial_number
    if kind == "pdf":
        return _pdf_without(signed, serial, tmp / "less.pdf")
    if kind == "asice":
        with zipfile.ZipFile(signed) as archive:
            (name,) = [n for n in archive.namelist() if n.endswith(".p7s")]
            signature = archive.read(name)
        return replace_entry(signed, name, _cms_without(signature, serial), tmp / "less.asice")
    target = tmp / f"less{signed.suffix}"
    target.write_bytes(_cms_without(signed.read_bytes(), serial))
    return target


def _offline(path: Path, detached: Path | None, services: TestServices) -> ValidationReport:
    """Verify a year and a half later, revocation required, nothing reachable, nothing cached."""
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=540)
    return verify(
        path,
        detached=detached,
        trust=trust_of(services.pki),
        at=later,
        revocation=RevocationSettings(timeout=1, clock=lambda: later),
        cache=ValidationCache(),
    )


@pytest.mark.parametrize("kind", LT_FORMATS)
def test_b_lt_verifies_from_its_own_data(
    virtual_card: VirtualCard, services: TestServices, tmp_path: Path, kind: str
) -> None:
    with virtual_card.open() as token:
        signer = TokenSigner(token)
        signed, detached, _ = sign_as(kind, signer, options(Level.B_LT, services), tmp_path)
    services.stop()

    report = _offline(signed, detached, services)
    (signature,) = report.signatures
    assert signature.indication is Indication.TOTAL_PASSED, signature.to_dict()
    assert signature.level == "B-LT"
    assert signature.revocation == {"status": "good", "source": "ocsp", "origin": "document"}
    assert [t.valid for t in signature.timestamps] == [True]

    less = _without_signer_answer(kind, signed, signer, tmp_path)
    report = _offline(less, detached, services)
    (signature,) = report.signatures
    assert signature.indication is Indication.INDETERMINATE, signature.to_dict()
    assert signature.sub_indication is SubIndication.TRY_LATER
    assert "could not be established" in " ".join(signature.reasons)


def test_b_b_has_no_data_of_its_own(
    virtual_card: VirtualCard, services: TestServices, tmp_path: Path
) -> None:
    signed, detached = card_signed(virtual_card, "cades-detached", Level.B_T, services, tmp_path)
    services.stop()
    (signature,) = _offline(signed, detached, services).signatures
    assert signature.indication is Indication.INDETERMINATE
    assert signature.sub_indication is SubIndication.TRY_LATER
