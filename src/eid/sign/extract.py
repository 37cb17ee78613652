"""The signed content of an enveloping CMS or an ASiC-S container, written out after verification.

`extract_content` writes what the signature covers to a file, atomically (`eid.sign.atomic`),
whatever the verdict, and says in the `Extraction` whether it may be trusted: only when the
whole report passed. A container with unsafe or colliding entry names is never extracted.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from eid.sign.atomic import atomic_output
from eid.sign.enveloping import CHUNK
from eid.sign.report import Extraction, ValidationReport, brief

__all__ = ["ContentWriter", "bytes_writer", "entry_writer", "extract_content"]

ContentWriter = Callable[[BinaryIO], None]
"""Writes the signed content to an open binary file."""


def bytes_writer(content: bytes) -> ContentWriter:
    """A writer of ``content`` (the encapsulated content of a CMS file)."""

    def write(target: BinaryIO) -> None:
        target.write(content)

    return write


def entry_writer(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> ContentWriter:
    """A writer that streams one entry of ``archive``."""

    def write(target: BinaryIO) -> None:
        with archive.open(info) as entry:
            while chunk := entry.read(CHUNK):
                target.write(chunk)

    return write


def extract_content(
    write: ContentWriter | None, target: Path, report: ValidationReport
) -> Extraction:
    """Write the signed content to ``target`` with ``write``; what was done, and may it be trusted."""
    if write is None:
        reason = (
            f"not extracted: {brief(report.problems[0])}"
            if report.problems
            else "nothing to extract: only an enveloping CMS (.p7m) or an ASiC-S container "
            "holds the signed content"
        )
        return Extraction(str(target), written=False, trusted=False, reason=reason)
    with atomic_output(target) as handle:
        write(handle)
    if report.passed:
        return Extraction(str(target), written=True, trusted=True, reason=None)
    return Extraction(
        str(target),
        written=True,
        trusted=False,
        reason="the signature is not valid: do not rely on this content as signed",
    )
