"""Property tests of an encrypted PDF's /Encrypt dictionary, read by `eid.sign.pdf_encryption`.

The document: a PDF encrypted by pyHanko (AES-256, empty user password) and signed by
`sign_pdf` with the fuzz material's trusted key. A hostile /Encrypt, written over the signed
one or added in a later revision, gives a report, never an exception, and never passes.
"""

from __future__ import annotations

import functools
import io
import re

from hypothesis import given
from hypothesis import strategies as st
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer

from eid.sign import SoftwareSigner, sign_pdf
from fuzz import checks, material
from tests.fuzz.strategies import examples

_NAMES = st.sampled_from(
    [b"/Standard", b"/Adobe.PubSec", b"/FOPN_foweb", b"/AESV2", b"/AESV3", b"/V2", b"/None"]
) | st.from_regex(rb"\A/[A-Za-z0-9.]{0,12}\Z")
_NUMBERS = st.integers(-(1 << 33), 1 << 33).map(lambda n: str(n).encode())
_STRINGS = st.binary(max_size=72).map(lambda data: b"<" + data.hex().encode() + b">")
_VALUES = st.one_of(_NAMES, _NUMBERS, _STRINGS, st.just(b"<< /StdCF << /CFM /AESV3 >> >>"))
_KEYS = (b"/Filter", b"/SubFilter", b"/V", b"/R", b"/Length", b"/P", b"/O", b"/U", b"/OE")
_KEYS += (b"/UE", b"/Perms", b"/CF", b"/StmF", b"/StrF", b"/EncryptMetadata", b"/Recipients")
dictionaries = st.dictionaries(st.sampled_from(_KEYS), _VALUES, max_size=10).map(
    lambda entries: b"<< " + b" ".join(k + b" " + v for k, v in entries.items()) + b" >>"
)


@functools.cache
def _signed() -> bytes:
    """The encrypted, signed document (made once)."""
    directory = material.scratch_directory("eid-fuzz-encrypted-")
    plain = material.documents().directory / "in.pdf"
    encrypted = directory / "encrypted.pdf"
    with plain.open("rb") as handle:
        writer = copy_into_new_writer(PdfFileReader(handle))
    writer.encrypt("owner", "")
    with encrypted.open("wb") as out:
        writer.write(out)
    issued = material.signature()
    pki = material.pki()
    signer = SoftwareSigner(
        issued.key,  # type: ignore[arg-type]
        issued.certificate,
        [pki.citizen_ca.certificate, pki.root.certificate],
    )
    return sign_pdf(encrypted, directory / "signed.pdf", signer).output.read_bytes()


@functools.cache
def _encrypt_body(data: bytes) -> tuple[int, int]:
    """Where the signed /Encrypt dictionary's bytes lie."""
    reference = PdfFileReader(io.BytesIO(data)).trailer.raw_get("/Encrypt")
    match = re.search(rb"\n%d 0 obj\s*(<<.*?>>)\s*endobj" % reference.idnum, data, re.S)
    assert match is not None
    return match.start(1), match.end(1)


def _later_encrypt(data: bytes, encrypt: bytes) -> bytes:
    """``data`` with an update whose trailer points /Encrypt at a new object ``encrypt``."""
    previous = int(data[data.rfind(b"startxref") + len(b"startxref") :].split()[0])
    body = b"\n90 0 obj\n" + encrypt + b"\nendobj\n"
    xref = len(data) + len(body)
    ids = re.findall(rb"/ID\s*\[\s*<[0-9A-Fa-f]*>\s*<[0-9A-Fa-f]*>\s*\]", data)[-1]
    update = body + b"xref\n0 1\n0000000000 65535 f \n90 1\n%010d 00000 n \n" % (len(data) + 1)
    update += b"trailer\n<< /Size 91 /Root 1 0 R /Prev %d /Encrypt 90 0 R %s >>\n" % (
        previous,
        ids,
    )
    return data + update + b"startxref\n%d\n%%%%EOF\n" % xref


def test_the_document_passes_as_it_is() -> None:
    report = checks.verify_bytes("doc.pdf", _signed())
    assert report.passed, (report.problems, [s.to_dict() for s in report.signatures])


@examples(0.3)
@given(dictionaries, st.booleans())
def test_hostile_encryption_dictionaries_never_crash_or_pass(encrypt: bytes, later: bool) -> None:
    signed = _signed()
    if later:
        changed = _later_encrypt(signed, encrypt)
    else:
        start, end = _encrypt_body(signed)
        changed = signed[:start] + encrypt + signed[end:]
    report = checks.verify_bytes("doc.pdf", changed)
    if changed != signed:
        assert not report.passed
