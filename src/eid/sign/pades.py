"""PAdES: PDF signatures through pyHanko, B-B to B-LTA, optionally visible.

The signature is an incremental update, so signatures already in the document
stay valid. The input is read, never written; the output is a temporary file
opened read-write, which pyHanko fills in place (a large PDF never sits in
memory) and which is renamed to the output only when signing succeeded.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter, enumerate_sig_fields
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner
from pyhanko.stamp.text import TextStampStyle

from eid.errors import MalformedInput, UsageError
from eid.sign.atomic import atomic_output, check_distinct, open_input
from eid.sign.options import Level, SignatureOptions, SignedFile
from eid.sign.pdf_encryption import signing_refusal, unlock
from eid.sign.signers import EidSigner
from eid.sign.timestamping import run_signing, timestamper_for

__all__ = ["sign_pdf"]

_HEADER_WINDOW = 1024  # PDF readers accept the %PDF- header anywhere in the first KiB


def _check_pdf(handle: BinaryIO, source: Path) -> None:
    head = handle.read(_HEADER_WINDOW)
    handle.seek(0)
    if b"%PDF-" not in head:
        raise MalformedInput("not a PDF file (no %PDF- header)", source=str(source), offset=0)


def _free_field_name(writer: IncrementalPdfFileWriter) -> tuple[str, set[str]]:
    """A name no signature field has yet, and the names of the empty signature fields."""
    taken, empty = set(), set()
    for name, value, _ in enumerate_sig_fields(writer.prev):
        taken.add(name)
        if not value:  # pyHanko's test for a filled field
            empty.add(name)
    number = len(taken) + 1
    while f"Signature{number}" in taken:
        number += 1
    return f"Signature{number}", empty


def sign_pdf(
    input: Path | str,
    output: Path | str,
    signer: EidSigner,
    options: SignatureOptions | None = None,
    *,
    password: str | None = None,
) -> SignedFile:
    """Sign a PDF as PAdES at ``options.level``; a PDF already signed keeps its signatures.

    B-B: a CAdES-style CMS signature (``ETSI.CAdES.detached``), no timestamp.
    B-T: plus a signature timestamp from ``options.tsa_url``.
    B-LT: plus a DSS holding the certificates, CRLs and OCSP responses of the
    signer and the TSA, gathered through ``options.validation_context``.
    B-LTA: plus a document timestamp over it all.
    An encrypted PDF (standard security handler) is opened with ``password``, by default
    the empty user password most have, and signed in the same encryption when its
    permissions allow a signature (the owner password lifts them).
    Raises `MalformedInput` for an input that is not a readable PDF, `UsageError` for one
    that stays locked or whose permissions forbid signing.
    """
    options = options or SignatureOptions()
    source, target = Path(input), Path(output)
    check_distinct(target, source)
    digest = options.digest or signer.default_digest()
    handle = open_input(source)
    with handle:
        _check_pdf(handle, source)
        try:
            writer = IncrementalPdfFileWriter(handle, strict=False)
            access = unlock(writer.prev, password)
            if access.problem is not None:
                raise UsageError(f"{source}: cannot sign: {access.problem}")
            free, empty = _free_field_name(writer)
        except (PdfError, ValueError, KeyError) as error:
            raise MalformedInput(f"not a readable PDF ({error})", source=str(source)) from error
        field_name = options.field_name or free
        refusal = signing_refusal(access, new_field=field_name not in empty)
        if refusal is not None:
            raise UsageError(f"{source} is encrypted ({access.cipher}) and {refusal}")
        metadata = PdfSignatureMetadata(
            field_name=field_name,
            md_algorithm=digest,
            reason=options.reason,
            location=options.location,
            contact_info=options.contact,
            name=signer.name,
            subfilter=SigSeedSubFilter.PADES,
            embed_validation_info=options.level.long_term,
            use_pades_lta=options.level is Level.B_LTA,
            validation_context=options.validation_context,
        )
        field_spec = None
        stamp_style = None
        if options.visible is not None:
            visible = options.visible
            page = visible.page
            if page < 0:
                page += int(writer.prev.root["/Pages"]["/Count"])
            field_spec = SigFieldSpec(sig_field_name=field_name, on_page=page, box=visible.box)
            stamp_style = TextStampStyle(stamp_text=visible.text)
        pdf_signer = PdfSigner(
            metadata,
            signer,
            timestamper=timestamper_for(options),
            stamp_style=stamp_style,
            new_field_spec=field_spec,
        )
        with atomic_output(target) as out:
            run_signing(pdf_signer.async_sign_pdf(writer, output=out), options.tsa_url)
            size = out.seek(0, 2)
    return SignedFile(
        output=target,
        format="pades",
        level=options.level,
        digest=digest,
        signer=signer.name,
        size=size,
        details={"field": field_name, "visible": options.visible is not None},
    )
