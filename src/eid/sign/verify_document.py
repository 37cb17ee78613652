"""`verify`: every signature of a PDF, a CMS file (.p7s/.p7m) or an ASiC container, judged.

The format is found from the content, not from the name: a CMS SignedData (DER or BER)
first, so that an enveloping ``.p7m`` around a PDF is a CMS file, then a ZIP, then
``%PDF-`` within the first KiB. A CMS object followed by trailing bytes, or BER-encoded, is
verified (the first object) with a warning. Each signature gets an ETSI EN 319 102-1 indication in the
`ValidationReport` (`eid.sign.report`). A malformed or hostile file gives a report that
says what is wrong (``problems``, or a signature with FORMAT_FAILURE); only bad usage
(a file that cannot be read, bad arguments) raises.

Every CAdES counter-signature (`eid.sign.verify_counter`) gets a report of its own, after
the signature it counter-signs. Trust, chains and revocation are `eid.pki`'s
(`validate_certificate`), for the signer and for the timestamp authorities, with the given
`TrustStore` and `RevocationSettings`; the signature values are checked by
`eid.sign.verify_crypto.verify_signature_value`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import zipfile
from collections.abc import Callable
from pathlib import Path

from asn1crypto import cms, parser

from eid.errors import MalformedInput, UsageError
from eid.hashing import hash_bytes, hasher
from eid.pki import CryptoPolicy, RevocationSettings, TrustStore, ValidationCache
from eid.sign.atomic import check_distinct, open_input
from eid.sign.extract import ContentWriter, bytes_writer, extract_content
from eid.sign.report import (
    Covers,
    Indication,
    SignatureReport,
    SubIndication,
    ValidationReport,
    brief,
)
from eid.sign.times import as_utc
from eid.sign.verify_asic import verify_asic
from eid.sign.verify_chain import VerifyContext
from eid.sign.verify_cms import check_signed_data
from eid.sign.verify_counter import counter_signatures
from eid.sign.verify_pdf import verify_pdf

__all__ = ["MAX_CMS_SIZE", "is_signed_data", "verify"]

MAX_CMS_SIZE = 1 << 30
"""The largest CMS file (.p7s/.p7m) read into memory (bytes)."""

_HEADER_WINDOW = 1024
_MESSAGE_LIMIT = 400
_SIGNED_DATA = bytes.fromhex("06092a864886f70d010702")  # OID 1.2.840.113549.1.7.2


def verify(
    path: Path | str,
    *,
    detached: Path | str | None = None,
    trust: TrustStore | None = None,
    at: dt.datetime | None = None,
    revocation: RevocationSettings | None = None,
    cache: ValidationCache | None = None,
    crypto: CryptoPolicy | None = None,
    extract: Path | str | None = None,
    pdf_password: str | None = None,
) -> ValidationReport:
    """Verify every signature in the file at ``path``; return the report (never raises on content).

    ``detached``: the signed data of a detached CMS signature (``.p7s``; default: the file
    of the same name without ``.p7s``, when it exists). ``trust`` defaults to the bundled
    Belgian roots; ``at`` (timezone-aware) to now; ``revocation`` to OCSP-then-CRL,
    required; ``crypto`` (the algorithms accepted, by date) to `CryptoPolicy()`.
    ``extract``: after verification, write the signed content of an enveloping
    CMS or an ASiC-S there (atomically, whatever the verdict); ``report.extracted`` says
    whether it was written and may be trusted. ``pdf_password``: the user (or owner)
    password of an encrypted PDF (default: the empty user password most have). Raises
    `UsageError` for a file that cannot be read or written, or bad arguments.
    """
    if at is not None and (not isinstance(at, dt.datetime) or at.utcoffset() is None):
        raise UsageError("at must be a timezone-aware datetime")
    settings = revocation if revocation is not None else RevocationSettings()
    moment = as_utc(at or settings.now())
    if moment is None:
        raise UsageError(f"at {at} has no UTC time within years 1 to 9999")
    context = VerifyContext(
        trust=trust if trust is not None else TrustStore.belgium(),
        moment=moment,
        revocation=settings,
        cache=cache,
        crypto=crypto if crypto is not None else CryptoPolicy(),
    )
    source = Path(path)
    report = ValidationReport(
        file=str(source),
        format="unknown",
        validation_time=context.moment,
        revocation=settings.policy.value,
    )
    target = Path(extract) if extract is not None else None
    if target is not None:
        check_distinct(target, source, *([Path(detached)] if detached is not None else []))
    write: ContentWriter | None = None
    with open_input(source) as handle, contextlib.ExitStack() as stack:
        head = handle.read(_HEADER_WINDOW)
        handle.seek(0)
        try:
            if is_signed_data(head):
                write = _verify_cms(
                    handle.read(MAX_CMS_SIZE + 1), source, detached, report, context
                )
            elif head.startswith(b"PK\x03\x04"):
                archive = stack.enter_context(zipfile.ZipFile(handle))
                write = verify_asic(archive, report, context)
            elif b"%PDF-" in head:
                verify_pdf(handle, report, context, pdf_password)
            elif head[:1] == b"\x30":
                write = _verify_cms(
                    handle.read(MAX_CMS_SIZE + 1), source, detached, report, context
                )
            else:
                report.problems.append(
                    "not a signed document: neither a PDF, an ASiC container nor a CMS signature"
                )
        except (MalformedInput, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as error:
            report.problems.append(brief(error, _MESSAGE_LIMIT))
        except UsageError:
            raise
        except Exception as error:  # hostile input must give a report, whatever the parser raises
            report.problems.append(f"malformed file ({type(error).__name__}: {brief(error)})")
            for signature in report.signatures:
                signature.could_not_judge(error)
        if target is not None:
            report.extracted = extract_content(write, target, report)
    return report


def is_signed_data(head: bytes) -> bool:
    """Whether ``head`` starts a CMS ContentInfo of type SignedData (DER or BER)."""
    if len(head) < 2 or head[0] != 0x30:
        return False
    first = head[1]
    start = 2 + (first & 0x7F if first > 0x80 else 0)
    return head[start : start + len(_SIGNED_DATA)] == _SIGNED_DATA


def _file_digester(path: Path) -> Callable[[str], bytes]:
    cache: dict[str, bytes] = {}

    def digest_of(name: str) -> bytes:
        if name not in cache:
            context = hasher(name)
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    context.update(chunk)
            cache[name] = context.finalize()
        return cache[name]

    return digest_of


def _verify_cms(
    data: bytes,
    source: Path,
    detached: Path | str | None,
    report: ValidationReport,
    context: VerifyContext,
) -> ContentWriter | None:
    """Verify a CMS file; a writer of its content when it holds it (enveloping)."""
    if len(data) > MAX_CMS_SIZE:
        raise MalformedInput(f"larger than {MAX_CMS_SIZE} bytes", source=str(source))
    try:
        _, _, _, header, body, trailer = parser.parse(data)
        end = len(header) + len(body) + len(trailer)
        info = cms.ContentInfo.load(data[:end] if end < len(data) else data)
        if info["content_type"].native != "signed_data":
            raise MalformedInput("a CMS file, but not SignedData", source=str(source))
        signed_data = info["content"]
        signers = list(signed_data["signer_infos"])
        content = signed_data["encap_content_info"]["content"]
        value = content.native
        embedded = value if isinstance(value, bytes) or value is None else content.dump()
    except (ValueError, TypeError, KeyError) as error:
        raise MalformedInput(f"not a CMS signature ({brief(error)})", source=str(source)) from error
    report.format = "cades"
    if end < len(data):
        report.warnings.append(
            f"{len(data) - end} bytes after the CMS object were ignored (only the first is verified)"
        )
    if header[1:2] == b"\x80" or trailer:
        report.warnings.append("the CMS object is BER-encoded (indefinite lengths), not DER")
    if not signers:
        raise MalformedInput("a CMS SignedData without any signer", source=str(source))
    digest_of: Callable[[str], bytes] | None
    covers: Covers
    if embedded is not None:
        covers = Covers("content", whole_file=True, size=len(embedded))
        digest_of = lambda name: hash_bytes(name, embedded)  # noqa: E731
        if detached is not None:
            report.warnings.append(
                "the signature holds its content; the detached data was not used"
            )
    else:
        target = Path(detached) if detached is not None else _beside(source)
        if target is not None and not target.is_file():
            raise UsageError(f"cannot read the detached data {target}")
        digest_of = _file_digester(target) if target is not None else None
        covers = Covers(
            "files",
            files=(str(target),) if target is not None else (),
            whole_file=target is not None,
            size=target.stat().st_size if target is not None else None,
        )
    for number, signer in enumerate(signers, start=1):
        signature = SignatureReport(id=f"signer {number}", covers=covers)
        report.signatures.append(signature)
        try:
            check_signed_data(signature, signed_data, signer, digest_of, context, cades=True)
        except (ValueError, TypeError, KeyError, IndexError, MalformedInput) as error:
            signature.fail(
                Indication.TOTAL_FAILED,
                SubIndication.FORMAT_FAILURE,
                f"malformed signer info ({brief(error)})",
            )
        except Exception as error:  # whatever stopped the checks, the signature is not valid
            signature.could_not_judge(error)
        report.signatures.extend(counter_signatures(signature, signed_data, signer, context))
    return bytes_writer(embedded) if embedded is not None else None


def _beside(source: Path) -> Path | None:
    """The data file a detached ``x.p7s`` is usually next to: ``x``."""
    if source.suffix.lower() in (".p7s", ".sig"):
        candidate = source.with_suffix("")
        if candidate.is_file():
            return candidate
    return None
