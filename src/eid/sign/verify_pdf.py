"""PDF signatures (PAdES and adbe.pkcs7.detached), verified.

pyHanko reads the document, computes the /ByteRange digest and runs its difference
analysis over what was added after each signature (modification level). The CMS is
checked by `eid.sign.verify_cms` and the signer by `eid.pki`. On top, the attacks that
pyHanko reports only as a coverage level or a read error are named:

- the /ByteRange must be ``[0 a b c]`` with its hole exactly the ``<hex>`` of /Contents;
  a signature that covers less than its whole revision (shadow attack: signed bytes
  shown from elsewhere) is TOTAL_FAILED (FORMAT_FAILURE);
- an incremental update after the signature that changes more than form filling,
  annotations and long-term data (pyHanko ModificationLevel OTHER, a suspicious
  modification, or more than the signature's DocMDP allows) is TOTAL_FAILED
  (FORMAT_FAILURE) with pyHanko's reason.

Document timestamps are checked like signature timestamps; a valid one over a later
revision is a proof of existence for the signatures before it.
"""

from __future__ import annotations

from typing import BinaryIO

from asn1crypto import cms
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, DiffResult, ModificationLevel
from pyhanko.sign.fields import SigSeedSubFilter, enumerate_sig_fields
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from eid.sign.report import (
    BASIC_CHECKS,
    Check,
    Covers,
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

__all__ = ["verify_pdf"]

_SUBFILTERS = {s.value for s in SigSeedSubFilter}
_PDF_ONLY_CHECKS = frozenset({Check.BYTE_RANGE, Check.CHANGES})
_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, AssertionError, OSError)


def _check_byte_range(
    embedded: EmbeddedPdfSignature, stream: BinaryIO, size: int, report: SignatureReport
) -> None:
    try:
        byte_range = [int(x) for x in embedded.byte_range]
    except _ERRORS:
        byte_range = []
    if len(byte_range) != 4 or byte_range[0] != 0 or min(byte_range) < 0:
        report.fail(
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            f"the /ByteRange {byte_range} is not of the form [0 a b c]",
        )
        return
    _, first, start, second = byte_range
    whole = start + second == size
    report.covers = Covers(
        "bytes", byte_range=tuple(byte_range), whole_file=whole, size=first + second
    )
    if start < first or start + second > size:
        report.fail(
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            f"the /ByteRange {byte_range} runs outside the file ({size} bytes)",
        )
        return
    stream.seek(first)
    hole = stream.read(start - first)
    try:
        inside = (
            bytes.fromhex(hole[1:-1].decode("ascii")) if hole[:1] + hole[-1:] == b"<>" else None
        )
    except ValueError:
        inside = None
    if inside is None or inside != embedded.pkcs7_content:
        report.fail(
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            "the gap in the /ByteRange is not exactly the signature's /Contents: "
            "bytes outside the signature are unsigned",
        )
    else:
        report.confirm(Check.BYTE_RANGE)


def _check_changes(embedded: EmbeddedPdfSignature, report: SignatureReport) -> None:
    try:
        embedded.compute_integrity_info(diff_policy=DEFAULT_DIFF_POLICY)  # type: ignore[no-untyped-call]
    except _ERRORS as error:
        report.fail(
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            f"the changes after signing could not be analysed ({error})",
        )
        return
    coverage = embedded.coverage
    diff = embedded.diff_result
    docmdp = embedded.docmdp_level
    level = diff.modification_level if isinstance(diff, DiffResult) else ModificationLevel.OTHER
    reason = None if isinstance(diff, DiffResult) or diff is None else str(diff)
    report.modifications = {
        "level": level.name,
        "coverage": coverage.name if coverage is not None else None,
        "docmdp": docmdp.name if docmdp is not None else None,
        "reason": reason,
    }
    if coverage is None or coverage.name not in ("ENTIRE_FILE", "ENTIRE_REVISION"):
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
            report.warnings.append(f"changed after signing: {level.name.lower().replace('_', ' ')}")


def _signature(
    embedded: EmbeddedPdfSignature,
    stream: BinaryIO,
    size: int,
    report: SignatureReport,
    context: VerifyContext,
    document_timestamps: list[tuple[int, TimestampReport]],
    dss_revisions: list[int],
) -> None:
    _check_byte_range(embedded, stream, size, report)
    _check_changes(embedded, report)
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
    check_signed_data(report, signed_data, embedded.signer_info, embedded.compute_digest, context)
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
    embedded: EmbeddedPdfSignature, stream: BinaryIO, size: int, context: VerifyContext
) -> TimestampReport:
    scratch = SignatureReport(id=embedded.fq_name, required=_PDF_ONLY_CHECKS)
    _check_byte_range(embedded, stream, size, scratch)
    _check_changes(embedded, scratch)
    token = cms.ContentInfo({"content_type": "signed_data", "content": embedded.signed_data})
    stamp = check_timestamp_token(token, embedded.compute_digest, context, kind="document")
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


def verify_pdf(stream: BinaryIO, result: ValidationReport, context: VerifyContext) -> None:
    """Verify every signature field of the PDF in ``stream`` into ``result``."""
    result.format = "pdf"
    size = stream.seek(0, 2)
    stream.seek(0)
    try:
        reader = PdfFileReader(stream, strict=False)
        if reader.encrypted:
            result.problems.append("the PDF is encrypted: decrypt it to verify its signatures")
            return
        fields = list(enumerate_sig_fields(reader, filled_status=True))
    except Exception as error:  # pyHanko raises many kinds of error on a broken PDF
        result.problems.append(f"not a readable PDF ({type(error).__name__}: {error})")
        return
    signatures: list[tuple[EmbeddedPdfSignature, SignatureReport]] = []
    stamps: list[tuple[int, TimestampReport]] = []
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
            try:
                stamps.append(
                    (embedded.signed_revision, _document_timestamp(embedded, stream, size, context))
                )
            except Exception as error:
                result.problems.append(f"document timestamp {name} is unreadable ({error})")
        else:
            signatures.append((embedded, report))
    dss = _dss_revisions(reader)
    for embedded, report in sorted(signatures, key=lambda pair: pair[0].signed_revision):
        try:
            _signature(embedded, stream, size, report, context, stamps, dss)
        except Exception as error:  # a hostile structure gives a finding, not a crash
            report.fail(
                Indication.TOTAL_FAILED,
                SubIndication.FORMAT_FAILURE,
                f"malformed signature ({type(error).__name__}: {brief(error)})",
            )
        result.signatures.append(report)
    if not result.signatures:
        result.problems.append("the PDF holds no signature")
