"""A `ValidationReport` as plain text lines for a terminal (no colour codes; the CLI adds them)."""

from __future__ import annotations

from eid.sign.report import SignatureReport, ValidationReport

__all__ = ["covered", "report_lines", "signer_name"]


def signer_name(signature: SignatureReport) -> str:
    """The signer as a person reads it: names, else the common name, with the national number."""
    signer = signature.signer
    if signer is None:
        return "unknown signer"
    name = " ".join(p for p in (signer.given_names, signer.surname) if p) or (
        signer.common_name or signer.subject
    )
    return f"{name} ({signer.national_number})" if signer.national_number else name


def covered(signature: SignatureReport) -> str:
    """What the signature covers, as a person reads it ("-" when unknown)."""
    covers = signature.covers
    if covers is None:
        return "-"
    if covers.kind == "signature":
        return f"the signature value of {signature.counter_signature_of}"
    if covers.kind == "content":
        return f"the content it holds ({covers.size} bytes)"
    what = ", ".join(covers.files) if covers.files else f"bytes {list(covers.byte_range or ())}"
    return what + (" (whole file)" if covers.whole_file else "")


def _time(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else "-"


def report_lines(report: ValidationReport) -> list[str]:
    """The report as lines of text: one block per signature, problems first."""
    lines = [f"{report.file}: {report.format}, validated at {report.validation_time.isoformat()}"]
    lines += [f"  problem: {p}" for p in report.problems]
    lines += [f"  warning: {w}" for w in report.warnings]
    extracted = report.extracted
    if extracted is not None:
        if not extracted.written:
            lines.append(f"  content not written to {extracted.path}: {extracted.reason}")
        elif extracted.trusted:
            lines.append(f"  signed content written to {extracted.path} (valid signature)")
        else:
            lines.append(
                f"  signed content written to {extracted.path}, NOT TRUSTED: {extracted.reason}"
            )
    if not report.signatures:
        lines.append("  no signature")
    for signature in report.signatures:
        status = signature.indication.value
        if signature.sub_indication is not None:
            status += f" / {signature.sub_indication.value}"
        lines.append(f"- {signature.id}: {status}")
        if signature.counter_signature_of is not None:
            lines.append(f"    counter-signature of: {signature.counter_signature_of}")
        lines.append(f"    signer: {signer_name(signature)}")
        qualified = "qualified (QcCompliance" + (", QcSSCD)" if signature.qc_sscd else ")")
        lines.append(
            f"    level: {signature.level or '-'} (proven: {signature.proven_level or '-'})"
            + (f", {qualified}" if signature.qc_compliance else "")
        )
        lines.append(f"    claimed signing time: {_time(signature.claimed_signing_time)}")
        lines.append(f"    proven signing time: {_time(signature.proven_signing_time)}")
        if signature.covers is not None:
            lines.append(f"    covers: {covered(signature)}")
        if signature.modifications is not None:
            lines.append(f"    changes after signing: {signature.modifications['level']}")
        lines += [f"    reason: {r}" for r in signature.explained()]
        lines += [f"    warning: {w}" for w in signature.warnings]
    return lines
