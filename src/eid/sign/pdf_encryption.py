"""Encrypted PDFs: opened with the standard security handler, their permissions and encryption read.

Many PDFs are encrypted with an owner password only: the user password is empty, so every
reader opens them, and the permissions (/P) say what a user may change. A signature over
such a document is well defined: a signature dictionary's /Contents is not encrypted (ISO
32000-1 7.6.1) and the /ByteRange digest is over the file's bytes. `unlock` opens a
document with its user password (empty unless given; the owner password works too and lifts
the permissions) and says, when it cannot, what is needed: the password, or a recipient's
private key for the public-key security handler, which eid does not take.

`encryption_changed` compares the encryption of a signed revision with the one a reader
uses (the last revision's): a later /Encrypt or first /ID, or a last trailer without them,
makes a reader decrypt the signed objects with another key (or not at all), so what it
shows is not what was signed.
`signing_refusal` reads the permissions for adding a signature (ISO 32000-2 Table 22): a new
signature field needs bits 4 and 6, filling an existing empty one bit 6 or 9.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.crypt import (
    AuthStatus,
    PubKeySecurityHandler,
    StandardSecurityHandler,
)
from pyhanko.pdf_utils.crypt.api import PdfMacStatus
from pyhanko.pdf_utils.crypt.permissions import StandardPermissions
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

__all__ = [
    "PDF_PASSWORD_ENV",
    "Access",
    "encryption_changed",
    "environment_password",
    "signing_refusal",
    "unlock",
]

PDF_PASSWORD_ENV = "EID_PDF_PASSWORD"  # noqa: S105 (the name of a variable)
"""The environment variable the command line reads an encrypted PDF's password from."""


def environment_password() -> str | None:
    """The password in `PDF_PASSWORD_ENV` (None when unset or empty): never a command argument."""
    return os.environ.get(PDF_PASSWORD_ENV) or None


_NEW_FIELD = StandardPermissions.ALLOW_MODIFICATION_GENERIC | (
    StandardPermissions.ALLOW_ANNOTS_FORM_FILLING
)


@dataclass(frozen=True)
class Access:
    """What opening a PDF gave.

    ``problem``: why the document cannot be read (None when it can); ``warning``: a
    deviation that does not stop reading; ``permissions``: what a user may do, None when nothing restricts
    it (not encrypted, or opened with the owner password); ``cipher``: the encryption, None
    when there is none.
    """

    problem: str | None = None
    warning: str | None = None
    permissions: StandardPermissions | None = None
    cipher: str | None = None


def _cipher(handler: StandardSecurityHandler) -> str:
    crypt = handler.get_stream_filter()
    method, bits = str(crypt.method), crypt.keylen * 8
    names = {"/V2": f"RC4 {bits}-bit", "/AESV2": f"AES-{bits}", "/AESV3": f"AES-{bits}"}
    return names.get(method, f"crypt filter {method}, {bits}-bit")


def unlock(reader: PdfFileReader, password: str | None = None) -> Access:
    """Open ``reader`` for reading with ``password`` (default: the empty user password).

    A broken /Encrypt entry (not a dictionary) raises pyHanko's error, as any damage does;
    a document that stays locked gives an `Access` with the ``problem`` naming what is
    needed. An ISO 32004 integrity code (PDF MAC) that does not match is a ``warning``, as
    EU DSS, which does not read it, would not fail the document for it: it is made with
    the file key, which the empty user password gives anyone.
    """
    if reader.encrypt_dict is None:
        return Access()
    try:
        handler = reader.security_handler
    except PdfError as error:
        return Access(
            problem=f"the PDF is encrypted with a security handler eid does not read ({error})",
        )
    if isinstance(handler, PubKeySecurityHandler):
        return Access(
            problem="the PDF is encrypted for named recipients (public-key security handler): "
            "it opens only with a recipient's private key, which eid does not take; "
            "have a recipient decrypt it",
        )
    if not isinstance(handler, StandardSecurityHandler):
        return Access(
            problem="the PDF is encrypted with a security handler eid does not read "
            f"({type(handler).__name__})",
        )
    cipher = _cipher(handler)
    result = reader.decrypt(password or "")
    if result.mac_status is PdfMacStatus.FAILED:
        return Access(
            warning="the PDF's integrity code (ISO 32004 MAC) does not match "
            f"({result.mac_failure_reason}): a later update was written by software that "
            "does not keep it; the signatures and the changes after them are judged on their own",
            permissions=handler.perms,
            cipher=cipher,
        )
    if result.status is AuthStatus.FAILED:
        if password:
            problem = (
                f"the password given ({PDF_PASSWORD_ENV}) is neither the user nor the owner "
                f"password of this encrypted PDF ({cipher})"
            )
        else:
            problem = (
                f"the PDF is encrypted ({cipher}) with a user password: give it in "
                f"{PDF_PASSWORD_ENV} to read the document"
            )
        return Access(problem=problem, cipher=cipher)
    owner = result.status is AuthStatus.OWNER
    return Access(permissions=None if owner else handler.perms, cipher=cipher)


def signing_refusal(access: Access, *, new_field: bool) -> str | None:
    """Why the permissions of an encrypted PDF forbid signing it (None when they allow it)."""
    allowed = access.permissions
    if allowed is None:
        return None
    if new_field and _NEW_FIELD not in allowed:
        return (
            "its permissions (/P) do not allow adding a signature field (that needs "
            "modifying the document and filling in forms); sign an empty signature field "
            f"of the document, or give the owner password in {PDF_PASSWORD_ENV}"
        )
    fill = StandardPermissions.ALLOW_FORM_FILLING | StandardPermissions.ALLOW_ANNOTS_FORM_FILLING
    if not new_field and not allowed & fill:
        return (
            "its permissions (/P) do not allow filling in form fields, signature fields "
            f"included; give the owner password in {PDF_PASSWORD_ENV}"
        )
    return None


def _encryption(reader: PdfFileReader, revision: int) -> tuple[object, object]:
    trailer = reader.trailer.flatten(revision)
    try:
        entry = trailer.raw_get("/Encrypt")
    except KeyError:
        return None, None
    if isinstance(entry, generic.IndirectObject):
        entry = reader.get_object(entry.reference, revision=revision, never_decrypt=True)  # type: ignore[no-untyped-call]
    ids = trailer.get("/ID")
    first_id = ids[0] if isinstance(ids, generic.ArrayObject) and ids else None
    return entry, first_id


def _left_out(reader: PdfFileReader) -> list[str]:
    """The encryption entries an encrypted document's last trailer does not hold itself.

    pyHanko takes them from earlier trailers; qpdf and poppler read the last one alone, and
    take the document for unencrypted (or make its key without the /ID).
    """
    own = reader.trailer._trailer_revisions[0]  # pyHanko has no public view of it
    return [key for key in ("/Encrypt", "/ID") if key not in own]


def encryption_changed(reader: PdfFileReader, revision: int) -> str | None:
    """Why the encryption of ``revision`` is not the one a reader uses now (None when it is)."""
    signed = _encryption(reader, revision)
    last = _encryption(reader, reader.xrefs.total_revisions - 1)
    if signed[0] is None:
        return None if last[0] is None else "the document was encrypted after signing"
    # A reader decrypts every revision with the last /Encrypt and /ID: the signed objects too.
    if signed[0] != last[0]:
        return "the document's encryption dictionary (/Encrypt) changed after signing"
    if signed[1] != last[1]:
        return (
            "the document's first /ID, which its encryption key is made from, changed after signing"
        )
    left_out = _left_out(reader)
    if left_out:
        return (
            f"the last trailer leaves out {' and '.join(left_out)}: readers that read it alone "
            "(qpdf, poppler) no longer decrypt the document as it was signed"
        )
    return None
