"""Encrypted PDFs for the tests, made by qpdf and by pyHanko, and signed by pyHanko itself;
the verdicts of pyHanko's validator and of poppler's ``pdfsig`` on them."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

from pyhanko.pdf_utils.crypt import StandardSecurityHandler, StandardSecuritySettingsRevision
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.validation import validate_pdf_signature

from eid.sign import EidSigner
from tests.sign_support import root_of, validation_context

CIPHERS = ("rc4-40", "rc4-128", "aes-128", "aes-256")
"""RC4 with 40 and 128-bit keys (R2, R3), AES-128 (R4) and PDF 2.0's AES-256 (R6)."""

OWNER = "owner secret"

_QPDF = {
    "rc4-40": ["40"],
    "rc4-128": ["128", "--use-aes=n"],
    "aes-128": ["128", "--use-aes=y"],
    "aes-256": ["256"],
}
_LEGACY = {
    "rc4-40": (StandardSecuritySettingsRevision.RC4_BASIC, 5, False),
    "rc4-128": (StandardSecuritySettingsRevision.RC4_EXTENDED, 16, False),
    "aes-128": (StandardSecuritySettingsRevision.RC4_OR_AES128, 16, True),
}


def qpdf_encrypt(
    source: Path,
    target: Path,
    cipher: str,
    *,
    user: str = "",
    owner: str = OWNER,
    restrict: tuple[str, ...] = (),
) -> Path:
    """``source`` encrypted by qpdf with ``cipher`` (owner password: `OWNER` by default)."""
    subprocess.run(
        [
            "qpdf",
            "--allow-weak-crypto",
            "--encrypt",
            user,
            owner,
            *_QPDF[cipher],
            *restrict,
            "--",
            str(source),
            str(target),
        ],
        check=True,
        capture_output=True,
    )
    return target


def pyhanko_encrypt(source: Path, target: Path, cipher: str, *, user: str = "") -> Path:
    """``source`` encrypted by pyHanko (AES-256 with its ISO 32004 MAC, as pyHanko does)."""
    with source.open("rb") as handle:
        writer = copy_into_new_writer(PdfFileReader(handle))
        if cipher == "aes-256":
            writer.encrypt(OWNER, user)
        else:
            revision, length, aes = _LEGACY[cipher]
            handler = StandardSecurityHandler.build_from_pw_legacy(
                revision, writer.document_id[0], OWNER, user, keylen_bytes=length, use_aes128=aes
            )
            writer._assign_security_handler(handler)  # pyHanko's own tests make legacy files so
        with target.open("wb") as out:
            writer.write(out)
    return target


def pyhanko_sign(
    source: Path, target: Path, signer: EidSigner, password: str = "", field: str = "Signature1"
) -> Path:
    """``source`` signed (PAdES B-B) by pyHanko's own signing code, opened with ``password``."""
    writer = IncrementalPdfFileWriter(io.BytesIO(source.read_bytes()))
    if writer.prev.encrypted:
        writer.encrypt(password)
    metadata = signers.PdfSignatureMetadata(field_name=field, subfilter=SigSeedSubFilter.PADES)
    target.write_bytes(signers.sign_pdf(writer, metadata, signer).getvalue())
    return target


def poppler_verdicts(path: Path) -> list[str]:
    """poppler's ``pdfsig`` (with NSS): its "Signature Validation" line for each signature."""
    shown = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
    return [
        line.split(":", 1)[1].strip()
        for line in shown.stdout.splitlines()
        if line.strip().startswith("- Signature Validation:")
    ]


def pyhanko_verdicts(path: Path, signer: EidSigner, password: str = "") -> list[tuple[bool, ...]]:
    """(intact, valid, trusted) of every signature by pyHanko's validator, the reference."""
    context = validation_context(root_of(signer))
    with path.open("rb") as handle:
        reader = PdfFileReader(handle)
        reader.decrypt(password)
        return [
            (status.intact, status.valid, status.trusted)
            for status in (
                validate_pdf_signature(sig, signer_validation_context=context)
                for sig in reader.embedded_regular_signatures
            )
        ]
