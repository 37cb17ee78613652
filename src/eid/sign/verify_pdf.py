"""PDF signatures (PAdES and adbe.pkcs7.detached), verified.

pyHanko reads the document, computes the /ByteRange digest and runs its difference
analysis over what was added after each signature (modification level). The CMS is
checked by `eid.sign.verify_cms` and the signer by `eid.pki`; a counter-signature in it
is listed and judged as a signature of its own (`eid.sign.verify_counter`). On top, the attacks that
pyHanko reports only as a coverage level or a read error are named:

- the /ByteRange must be ``[0 a b c]`` with its hole exactly the ``<hex>`` of /Contents;
  a signature that covers less than its whole revision (shadow attack: signed bytes
  shown from elsewhere) is TOTAL_FAILED (FORMAT_FAILURE);
- a signature that encapsulates content (``eContent`` present) is TOTAL_FAILED
  (FORMAT_FAILURE): whatever it signed, it may not be the document;
- an incremental update after the signature that changes more than form filling,
  annotations and long-term data (pyHanko ModificationLevel OTHER, a suspicious
  modification, or more than the signature's DocMDP allows) is TOTAL_FAILED
  (FORMAT_FAILURE) with the reason. pyHanko judges rewritten objects; where it refuses,
  `eid.sign.pdf_changes` compares the signed revision with the last one by content and
  allows what EU DSS allows (a rewritten DSS, document timestamps, new signatures,
  annotations), listed in ``modifications["changes"]``, with a warning;
- a document that does not parse (a broken xref, an /Encrypt that is not a dictionary)
  still gets a verdict: its signatures are found by their /ByteRange
  (`eid.sign.pdf_bytes`), their covered bytes checked, and each is TOTAL_FAILED
  (HASH_FAILURE when the bytes changed, else FORMAT_FAILURE) naming the damage. Without
  any /ByteRange the file is not a signed document.

Document timestamps are checked like signature timestamps; a valid one over a later
revision is a proof of existence for the signatures before it.
"""

from __future__ import annotations

import datetime as dt
from typing import BinaryIO

from asn1crypto import cms
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, DiffResult, ModificationLevel
from pyhanko.sign.fields import SigSeedSubFilter, enumerate_sig_fields
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from eid.asn1 import MALFORMED_ASN1
from eid.sign.pdf_bytes import (
    byte_range_digester,
    check_byte_range,
    find_byte_ranges,
    read_hole,
)
from eid.sign.pdf_changes import later_changes
from eid.sign.pdf_encryption import encryption_changed, unlock
from eid.sign.report import (
    BASIC_CHECKS,
    Check,
    Indication,
    SignatureReport,
    SubIndication,
    TimestampReport,
    ValidationReport,
    brief,
)
from eid.sign.verify_chain import VerifyContext
from eid.sign.verify_cms import (
    check_signed_data,
    check_timestamp_token,
    claimed_time,
    proven_level,
)
from eid.sign.verify_counter import counter_signatures
from eid.sign.verify_ltv import pdf_evidence, with_evidence

__all__ = ["verify_pdf"]

_SUBFILTERS = {s.value for s in SigSeedSubFilter}
_PDF_ONLY_CHECKS = frozenset({Check.BYTE_RANGE, Check.CHANGES})
_ERRORS = (*MALFORMED_ASN1, AssertionError, OSError)


def _check_byte_range(
    embedded: EmbeddedPdfSignature, stream: BinaryIO, size: int, report: SignatureReport
) -> None:
    try:
        values = [int(x) for x in embedded.byte_range]
    except _ERRORS:
        values = []
    problems = len(report.reasons)
    usable = check_byte_range(values, embedded.pkcs7_content, stream, size, report)
    if usable and len(report.reasons) == problems:
        report.confirm(Check.BYTE_RANGE)


def _check_changes(
    embedded: EmbeddedPdfSignature, report: SignatureReport, signed_after: bool = False
) -> None:
    """Judge the revisions after ``embedded``; ``signed_after``: a later one adds a signature."""
    try:
        embedded.compute_integrity_info(diff_policy=DEFAULT_DIFF_POLICY)  # type: ignore[no-untyped-call]
        diff = embedded.diff_result
        refusal = None if isinstance(diff, DiffResult) or diff is None else str(diff)
    except _ERRORS as error:
        if embedded.coverage is None:
            report.fail(
                Indication.TOTAL_FAILED,
                SubIndication.FORMAT_FAILURE,
                f"the changes after signing could not be analysed ({error})",
            )
            return
        diff, refusal = None, f"{type(error).__name__}: {error}"
    coverage = embedded.coverage
    docmdp = embedded.docmdp_level
    level = diff.modification_level if isinstance(diff, DiffResult) else ModificationLevel.OTHER
    reason, changes = refusal, ()
    if level is ModificationLevel.OTHER and coverage is not None:
        # pyHanko judges objects; a refused update may still leave the document as it was.
        later = later_changes(embedded.reader, embedded.signed_revision)
        changes = later.changes
        if later.level is not None:
            level = later.level
            report.warnings.append(
                f"pyHanko's object analysis refused the update after signing ({refusal}); "
                "compared by content, only allowed changes were found"
            )
        else:
            reason = later.problem + (f" (pyHanko: {refusal})" if refusal else "")
    if signed_after and level.value < ModificationLevel.FORM_FILLING.value:
        # A later signature fills a signature field, whatever pyHanko graded: in an encrypted
        # PDF it takes the new objects for orphans and grades them LTA_UPDATES.
        level = ModificationLevel.FORM_FILLING
    report.modifications = {
        "level": level.name,
        "coverage": coverage.name if coverage is not None else None,
        "docmdp": docmdp.name if docmdp is not None else None,
        "reason": reason,
        "changes": list(changes),
    }
    encryption = encryption_changed(embedded.reader, embedded.signed_revision)
    if encryption is not None:
        report.fail(
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            f"{encryption}, so what a PDF reader shows is not what was signed",
        )
    elif coverage is None or coverage.name not in ("ENTIRE_FILE", "ENTIRE_REVISION"):
        report.fail(
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            "the signature does not cover its whole revision of the document "
            f"(coverage {coverage.name if coverage else 'unknown'}): what is shown may not be what was signed",
        )
    elif level is ModificationLevel.OTHER or (docmdp is not None and level.value > docmdp.value):
        report.fail(
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            "the document was changed after signing beyond what the signature allows"
            + (f": {reason}" if reason else f" (modification level {level.name})"),
        )
    else:
        report.confirm(Check.CHANGES)
        if level is not ModificationLevel.NONE:
            report.warnings.append(
                f"changed after signing: {level.name.lower().replace('_', ' ')}"
                + (f" ({'; '.join(changes)})" if changes else "")
            )


def _signature(
    embedded: EmbeddedPdfSignature,
    stream: BinaryIO,
    size: int,
    report: SignatureReport,
    context: VerifyContext,
    document_timestamps: list[tuple[int, TimestampReport]],
    dss_revisions: list[int],
    signature_revisions: list[int],
) -> None:
    _check_byte_range(embedded, stream, size, report)
    signed_after = any(r > embedded.signed_revision for r in signature_revisions)
    _check_changes(embedded, report, signed_after)
    later = [t for revision, t in document_timestamps if revision > embedded.signed_revision]
    report.timestamps.extend(later)
    proven = [t.time for t in later if t.valid and t.time is not None]
    if proven:
        report.proven_signing_time = min(proven)
    try:
        written = embedded.self_reported_timestamp
    except (*_ERRORS, OverflowError, PdfReadError) as error:
        written = None
        report.warnings.append(f"the claimed signing time (/M) is unreadable ({brief(error)})")
    report.claimed_signing_time = claimed_time(report, written)
    signed_data = embedded.signed_data
    if signed_data["encap_content_info"]["content"].native is not None:
        report.fail(
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            "the signature encapsulates content of its own (eContent): a PDF signature must be "
            "detached, over the document's /ByteRange, so it may not be over this document",
        )
    check_signed_data(
        report,
        signed_data,
        embedded.signer_info,
        embedded.compute_digest,
        context,
        later=min(proven) if proven else None,
    )
    # Structure: B-T, a signature timestamp or a document timestamp after the signature;
    # B-LT, then validation data (a DSS) added after it; B-LTA, then a document timestamp
    # over that. A DSS updated once more afterwards (for the timestamp) changes neither.
    if report.level == "B-B" and later:
        report.level = "B-T"
    first_dss = next((r for r in dss_revisions if r > embedded.signed_revision), None)
    archives = [t for r, t in document_timestamps if first_dss is not None and r >= first_dss]
    if report.level == "B-T" and first_dss is not None:
        report.level = "B-LTA" if archives else "B-LT"
    report.proven_level = proven_level(report, archived=any(t.valid for t in archives))


def _document_timestamp(
    embedded: EmbeddedPdfSignature,
    stream: BinaryIO,
    size: int,
    context: VerifyContext,
    poe: dt.datetime | None = None,
) -> TimestampReport:
    """One document timestamp; ``poe``: the time a later valid one proves (past validation)."""
    scratch = SignatureReport(id=embedded.fq_name, required=_PDF_ONLY_CHECKS)
    _check_byte_range(embedded, stream, size, scratch)
    _check_changes(embedded, scratch)
    token = cms.ContentInfo({"content_type": "signed_data", "content": embedded.signed_data})
    stamp = check_timestamp_token(token, embedded.compute_digest, context, kind="document", poe=poe)
    if scratch.passed:
        return stamp
    failed = Indication.TOTAL_FAILED in (scratch.indication, stamp.indication)
    return TimestampReport(
        "document",
        stamp.time,
        stamp.tsa,
        Indication.TOTAL_FAILED if failed else Indication.INDETERMINATE,
        (*scratch.explained(), *stamp.reasons),
    )


def _dss_revisions(reader: PdfFileReader) -> list[int]:
    """The revisions that wrote the DSS dictionary, oldest first (empty: no DSS)."""
    try:
        reference = reader.root.raw_get("/DSS")
    except KeyError:
        return []
    xrefs = reader.xrefs
    if not isinstance(reference, generic.IndirectObject):
        # A direct DSS changes with the catalog: credit the last revision.
        return [xrefs.total_revisions - 1]
    written = reference.reference
    return [
        r for r in range(xrefs.total_revisions) if written in xrefs.explicit_refs_in_revision(r)
    ]


def _count_locked(stream: BinaryIO, result: ValidationReport) -> None:
    """Say how many signatures a PDF that cannot be read holds (by their /ByteRange)."""
    held = len(find_byte_ranges(stream))
    if held:
        result.problems.append(
            f"it holds {held} signature{'s' if held > 1 else ''} (found by /ByteRange), "
            "not verified: the document they sign cannot be read"
        )


def verify_pdf(
    stream: BinaryIO,
    result: ValidationReport,
    context: VerifyContext,
    password: str | None = None,
) -> None:
    """Verify every signature field of the PDF in ``stream`` into ``result``.

    An encrypted PDF is opened with ``password``, by default the empty user password
    (`eid.sign.pdf_encryption`); one that stays locked gets a problem naming what is needed.
    """
    result.format = "pdf"
    size = stream.seek(0, 2)
    stream.seek(0)
    try:
        reader = PdfFileReader(stream, strict=False)
        access = unlock(reader, password)
        if access.problem is not None:
            result.problems.append(access.problem)
            _count_locked(stream, result)
            return
        if access.warning is not None:
            result.warnings.append(access.warning)
        fields = list(enumerate_sig_fields(reader, filled_status=True))
    except Exception as error:  # pyHanko raises many kinds of error on a broken PDF
        damage = f"{type(error).__name__}: {error}"
        if not _verify_damaged(stream, size, damage, result, context):
            result.problems.append(f"not a readable PDF ({damage})")
        return
    if not fields:
        damage = "no signature field of the form refers to it"
        if not _verify_damaged(stream, size, damage, result, context):
            result.problems.append("the PDF holds no signature")
        return
    context = with_evidence(context, pdf_evidence(reader))
    signatures: list[tuple[EmbeddedPdfSignature, SignatureReport]] = []
    stamps: list[tuple[int, TimestampReport]] = []
    documents: list[tuple[EmbeddedPdfSignature, str]] = []
    for name, value, field_ref in fields:
        report = SignatureReport(id=str(name), required=BASIC_CHECKS | _PDF_ONLY_CHECKS)
        try:
            subfilter = value.get_object().get("/SubFilter")
            if subfilter not in _SUBFILTERS:
                raise ValueError(f"unknown /SubFilter {subfilter}")
            embedded = EmbeddedPdfSignature(reader, field_ref, name)
            kind = embedded.sig_object_type
        except Exception as error:  # a broken field must not hide the others
            report.fail(
                Indication.TOTAL_FAILED,
                SubIndication.FORMAT_FAILURE,
                f"unreadable signature ({error})",
            )
            result.signatures.append(report)
            continue
        if kind == "/DocTimeStamp":
            documents.append((embedded, str(name)))
        else:
            signatures.append((embedded, report))
    # Latest first: each document timestamp is judged at the time of the next valid one.
    poe: dt.datetime | None = None
    for embedded, name in sorted(documents, key=lambda pair: -pair[0].signed_revision):
        try:
            stamp = _document_timestamp(embedded, stream, size, context, poe)
        except Exception as error:
            result.problems.append(f"document timestamp {name} is unreadable ({error})")
            continue
        stamps.insert(0, (embedded.signed_revision, stamp))
        if stamp.valid and stamp.time is not None:
            poe = stamp.time
    dss = _dss_revisions(reader)
    revisions = [embedded.signed_revision for embedded, _ in signatures]
    for embedded, report in sorted(signatures, key=lambda pair: pair[0].signed_revision):
        counters: list[SignatureReport] = []
        try:
            _signature(embedded, stream, size, report, context, stamps, dss, revisions)
            counters = counter_signatures(
                report, embedded.signed_data, embedded.signer_info, context
            )
        except Exception as error:  # a hostile structure gives a finding, not a crash
            report.fail(
                Indication.TOTAL_FAILED,
                SubIndication.FORMAT_FAILURE,
                f"malformed signature ({type(error).__name__}: {brief(error)})",
            )
        result.signatures.append(report)
        result.signatures.extend(counters)
    if not result.signatures:
        result.problems.append("the PDF holds no signature")


def _verify_damaged(
    stream: BinaryIO, size: int, damage: str, result: ValidationReport, context: VerifyContext
) -> bool:
    """A PDF that does not parse: its signatures found by /ByteRange, checked, and failed.

    The covered bytes are checked as for any signature (a change gives HASH_FAILURE), but
    a reader's view of the document cannot be tied to them, so every signature ends
    TOTAL_FAILED. Returns False, reporting nothing, when there is no /ByteRange at all
    (not a signed document).
    """
    found = find_byte_ranges(stream)
    if not found:
        return False
    reason = (
        f"the PDF's structure is damaged ({damage}): the signature was found by its "
        "/ByteRange alone, and what a PDF reader shows cannot be tied to the signed bytes"
    )
    result.problems.append(f"the PDF's structure is damaged ({damage})")
    stamps: list[tuple[int, TimestampReport]] = []
    signatures: list[tuple[int, SignatureReport]] = []
    for offset, values in found:
        report = SignatureReport(id=f"/ByteRange at byte {offset}")
        end = values[2] + values[3]
        try:
            stamp = _damaged_signature(list(values), stream, size, report, context)
        except Exception as error:  # a hostile structure gives a finding, not a crash
            stamp = None
            report.fail(
                Indication.TOTAL_FAILED,
                SubIndication.FORMAT_FAILURE,
                f"malformed signature ({type(error).__name__}: {error})",
            )
        if stamp is not None:
            stamps.append((end, stamp))
            continue
        report.fail(Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE, reason)
        signatures.append((end, report))
    for end, report in signatures:
        report.timestamps.extend(stamp for covered, stamp in stamps if covered > end)
        result.signatures.append(report)
    if not result.signatures:
        result.problems.append("the PDF holds no signature")
    return True


def _damaged_signature(
    values: list[int],
    stream: BinaryIO,
    size: int,
    report: SignatureReport,
    context: VerifyContext,
) -> TimestampReport | None:
    """Check one signature found by its /ByteRange; a document timestamp is returned instead."""
    contents = read_hole(stream, values[1], values[2]) if len(values) == 4 else None
    if not check_byte_range(values, contents, stream, size, report) or contents is None:
        return None
    token = cms.ContentInfo.load(contents)
    signed_data = token["content"]
    digest_of = byte_range_digester(stream, values)
    if signed_data["encap_content_info"]["content_type"].native == "tst_info":
        return check_timestamp_token(token, digest_of, context, kind="document")
    (signer,) = signed_data["signer_infos"]
    check_signed_data(report, signed_data, signer, digest_of, context)
    return None
