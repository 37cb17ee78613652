"""A `ValidationReport` as one self-contained HTML page a person can read.

No scripts, no external resources; every value is escaped. Status is said in words
and with a symbol as well as in colour; the page has a language, headings and table
headers for screen readers.
"""

from __future__ import annotations

from html import escape

from eid.sign.report import Indication, SignatureReport, ValidationReport
from eid.sign.report_text import covered, signer_name

__all__ = ["report_html"]

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
th,td{text-align:left;vertical-align:top;padding:.35rem .6rem;border-bottom:1px solid #ccc}
th{width:14rem;font-weight:600}
.status{display:inline-block;padding:.2rem .6rem;border-radius:.3rem;font-weight:700}
.passed{background:#d7f5dd;color:#0b5d1e}.failed{background:#fbd9d9;color:#8a1010}
.indeterminate{background:#fff1c2;color:#6b4b00}
.visually-hidden{position:absolute;left:-9999px}
"""
_CLASS = {
    Indication.TOTAL_PASSED: ("passed", "\u2714 Valid"),
    Indication.TOTAL_FAILED: ("failed", "\u2718 Invalid"),
    Indication.INDETERMINATE: ("indeterminate", "? Cannot be confirmed"),
}


def _row(header: str, value: str) -> str:
    return f'<tr><th scope="row">{escape(header)}</th><td>{value}</td></tr>'


def _list(items: list[str]) -> str:
    if not items:
        return "-"
    return "<ul>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>"


def _signature(number: int, signature: SignatureReport) -> str:
    css, words = _CLASS[signature.indication]
    etsi = signature.indication.value + (
        f" / {signature.sub_indication.value}" if signature.sub_indication else ""
    )
    times = [
        t.kind
        + ": "
        + (t.time.isoformat() if t.time else "?")
        + (" (valid)" if t.valid else " (not valid)")
        for t in signature.timestamps
    ]
    rows = [
        _row(
            "Status",
            f'<span class="status {css}">{escape(words)}</span> <code>{escape(etsi)}</code>',
        ),
        *(
            [_row("Counter-signature of", escape(signature.counter_signature_of))]
            if signature.counter_signature_of is not None
            else []
        ),
        _row("Signed by", escape(signer_name(signature))),
        _row("Certificate", escape(signature.signer.subject if signature.signer else "-")),
        _row("Issued by", escape(signature.signer.issuer if signature.signer else "-")),
        _row(
            "Qualified",
            escape(
                ("yes (QcCompliance" + (", QcSSCD)" if signature.qc_sscd else ")"))
                if signature.qc_compliance
                else "no"
            ),
        ),
        _row("Level", escape(signature.level or "-")),
        _row("Level proven", escape(signature.proven_level or "-")),
        _row(
            "Claimed signing time",
            escape(
                signature.claimed_signing_time.isoformat()
                if signature.claimed_signing_time
                else "-"
            ),
        ),
        _row(
            "Proven signing time",
            escape(
                signature.proven_signing_time.isoformat() if signature.proven_signing_time else "-"
            ),
        ),
        _row("Timestamps", _list(times)),
        _row("Covers", escape(covered(signature))),
        _row(
            "Changes after signing",
            escape(str(signature.modifications["level"])) if signature.modifications else "-",
        ),
        _row("Reasons", _list(signature.explained())),
        _row("Warnings", _list(signature.warnings)),
    ]
    return (
        f"<section><h2>Signature {number}: {escape(signature.id)}</h2>"
        f'<table><caption class="visually-hidden">Signature {number}</caption>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def report_html(report: ValidationReport, *, lang: str = "en") -> str:
    """The report as a complete HTML document (UTF-8 text)."""
    overall = report.indication
    if overall is None:
        summary = "<p><strong>\u2718 Not a signed document.</strong></p>"
    else:
        css, words = _CLASS[overall]
        summary = (
            f'<p>Overall: <span class="status {css}">{escape(words)}</span> '
            f"({len(report.signatures)} signature{'s' if len(report.signatures) != 1 else ''})</p>"
        )
    problems = "<h2>Problems with the file</h2>" + _list(report.problems) if report.problems else ""
    if report.warnings:
        problems += "<h2>Warnings about the file</h2>" + _list(report.warnings)
    extracted = report.extracted
    if extracted is not None:
        trust = "may be trusted" if extracted.trusted else f"not trusted: {extracted.reason}"
        done = f"written to {extracted.path}, {trust}" if extracted.written else extracted.reason
        problems += f"<h2>Signed content</h2><p>{escape(done or '-')}</p>"
    body = "".join(_signature(n, s) for n, s in enumerate(report.signatures, start=1))
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(lang)}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Signature report: {escape(report.file)}</title><style>{_STYLE}</style></head>"
        f"<body><main><h1>Signature report</h1>"
        f"<table><tbody>{_row('File', escape(report.file))}{_row('Format', escape(report.format))}"
        f"{_row('Validated at', escape(report.validation_time.isoformat()))}"
        f"{_row('Revocation checking', escape(report.revocation))}</tbody></table>"
        f"{summary}{problems}{body}</main></body></html>\n"
    )
