"""`eid verify FILE`: every signature of a PDF, CMS file or ASiC container, with ETSI indications.

Exit 0 when every signature is TOTAL_PASSED, 1 when one is not, 2 when the file is not a
signed document at all (or bad usage, or ``--extract`` on a file that holds no content).
``--report OUT.html`` writes a page for a person; ``--extract OUT`` the signed content of
an enveloping ``.p7m`` or an ASiC-S, whatever the verdict, saying whether to trust it.
An encrypted PDF's password comes from ``EID_PDF_PASSWORD`` (never an argument).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from eid.cli.output import Output, json_option
from eid.cli.trust import (
    parse_time,
    revocation_options,
    revocation_settings,
    trust_option,
    trust_store,
)
from eid.errors import UsageError
from eid.sign.pdf_encryption import environment_password
from eid.sign.report import Indication, ValidationReport
from eid.sign.report_html import report_html
from eid.sign.report_text import report_lines
from eid.sign.verify_document import verify as verify_file

__all__ = ["verify"]

_COLOURS = {
    Indication.TOTAL_PASSED: "green",
    Indication.TOTAL_FAILED: "red",
    Indication.INDETERMINATE: "yellow",
}


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--detached",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The signed data of a detached signature (.p7s).",
)
@trust_option
@click.option("--at", "at_time", metavar="ISO-TIME", help="Validate at this time instead of now.")
@revocation_options
@json_option
@click.option(
    "--extract",
    "extract_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="OUT",
    help="Write the signed content of a .p7m or ASiC-S to OUT after verification "
    "(whatever the verdict; the report says whether it may be trusted).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="OUT.html",
    help="Also write an HTML report for a person.",
)
def verify(
    file: Path,
    detached: Path | None,
    trust: tuple[str, ...],
    at_time: str | None,
    revocation: str,
    no_revocation: bool,
    as_json: bool,
    extract_path: Path | None,
    report_path: Path | None,
) -> None:
    """Verify every signature in FILE (PDF, .p7s/.p7m, ASiC-E/ASiC-S).

    An encrypted PDF is opened with the password in $EID_PDF_PASSWORD, else the empty
    user password.
    """
    out = Output(as_json)
    with out.errors_to_exit_codes():
        result = verify_file(
            file,
            detached=detached,
            trust=trust_store(trust),
            at=parse_time(at_time),
            revocation=revocation_settings(revocation, no_revocation),
            extract=extract_path,
            pdf_password=environment_password(),
        )
        if report_path is not None:
            try:
                report_path.write_text(report_html(result), encoding="utf-8")
            except OSError as error:
                raise UsageError(f"cannot write {report_path}: {error.strerror}") from error
        out.emit(result.to_dict(), lambda: _print(out, result))
    code = 0 if result.passed else 1 if result.signed else 2
    if result.extracted is not None and not result.extracted.written and code == 0:
        code = 2  # the content asked for could not be written
    sys.exit(code)


def _print(out: Output, result: ValidationReport) -> None:
    for line in report_lines(result):
        out.data_line(line, _colour(line))


def _colour(line: str) -> str:
    """The colour of a signature's line ``- ID: INDICATION[ / SUB]``, from its indication only.

    The indication is what follows the last ``": "``: an ID from the document (a PDF
    field named TOTAL_PASSED) cannot colour a failed signature green.
    """
    if not line.startswith("- "):
        return ""
    indication = line.rpartition(": ")[2].split(" / ")[0]
    return next((c for i, c in _COLOURS.items() if i.value == indication), "")
