"""ASiC-E and ASiC-S containers (ETSI EN 319 162-1) with CAdES signatures, verified.

Nothing is extracted: entries are hashed as streams from the ZIP. Entry names are
checked first: a name that climbs out of the container (``..``, an absolute path, a
backslash, a drive letter) or that appears twice makes every signature TOTAL_FAILED
(FORMAT_FAILURE), as a tool that unpacks the container could write outside its folder
or show another file than the one signed. Manifests with a DOCTYPE are refused (no
entity expansion). XAdES signatures (``signatures*.xml``) are reported INDETERMINATE.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import zipfile
from collections.abc import Callable
from xml.etree import ElementTree

from asn1crypto import cms

from eid.errors import MalformedInput
from eid.sign.asice import ASIC_NS, DIGEST_METHODS
from eid.sign.container import ASIC_E, ASIC_S, META_INF, data_entries, read_mimetype
from eid.sign.report import (
    BASIC_CHECKS,
    Check,
    Covers,
    Indication,
    SignatureReport,
    SubIndication,
    ValidationReport,
)
from eid.sign.verify_chain import VerifyContext
from eid.sign.verify_cms import DIGESTS, check_signed_data

__all__ = ["MAX_META_ENTRY", "unsafe_name", "verify_asic"]

MAX_META_ENTRY = 16 << 20
"""The largest manifest or signature entry read (bytes)."""

_ASICS_CHECKS = BASIC_CHECKS
_ASICE_CHECKS = BASIC_CHECKS | {Check.SIGNED_FILES}
_DSIG = "{http://www.w3.org/2000/09/xmldsig#}"
_METHODS = {uri: name for name, uri in DIGEST_METHODS.items()}
_METHODS["http://www.w3.org/2001/04/xmldsig-more#sha224"] = "sha224"
_CADES = re.compile(r"META-INF/[^/]*signature[^/]*\.p7s", re.IGNORECASE)
_XADES = re.compile(r"META-INF/[^/]*signatures[^/]*\.xml", re.IGNORECASE)
_MANIFEST = re.compile(r"META-INF/ASiCManifest[^/]*\.xml", re.IGNORECASE)


def unsafe_name(name: str) -> bool:
    """Whether a ZIP entry name could point outside the folder it is unpacked into."""
    parts = name.replace("\\", "/").split("/")
    return (
        "\\" in name
        or "\x00" in name
        or name.startswith("/")
        or re.match(r"^[A-Za-z]:", name) is not None
        or any(part == ".." for part in parts)
    )


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    with archive.open(info) as entry:
        data = entry.read(MAX_META_ENTRY + 1)
    if len(data) > MAX_META_ENTRY:
        raise MalformedInput(f"entry is larger than {MAX_META_ENTRY} bytes", source=info.filename)
    return data


def _digester(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[str], bytes]:
    cache: dict[str, bytes] = {}

    def digest_of(name: str) -> bytes:
        if name not in cache:
            hasher = hashlib.new(name)
            with archive.open(info) as entry:
                while chunk := entry.read(1 << 20):
                    hasher.update(chunk)
            cache[name] = hasher.digest()
        return cache[name]

    return digest_of


def _manifest(data: bytes) -> tuple[str | None, list[tuple[str, str, bytes]]]:
    """(SigReference URI, [(URI, digest name, digest value)]) of an ASiCManifest."""
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        raise MalformedInput("the manifest has a DOCTYPE (refused)")
    try:
        root = ElementTree.fromstring(data)  # noqa: S314  (DOCTYPE refused above: no entities)
    except ElementTree.ParseError as error:
        raise MalformedInput(f"the manifest is not XML ({error})") from error
    if root.tag != f"{{{ASIC_NS}}}ASiCManifest":
        raise MalformedInput("not an ASiCManifest")
    reference = root.find(f"{{{ASIC_NS}}}SigReference")
    references: list[tuple[str, str, bytes]] = []
    for item in root.findall(f"{{{ASIC_NS}}}DataObjectReference"):
        method = item.find(f"{_DSIG}DigestMethod")
        algorithm = _METHODS.get(method.get("Algorithm", "") if method is not None else "")
        try:
            value = base64.b64decode(item.findtext(f"{_DSIG}DigestValue") or "", validate=True)
        except (binascii.Error, ValueError) as error:
            raise MalformedInput("a DigestValue is not base64") from error
        if algorithm is None:
            raise MalformedInput("a DataObjectReference has an unknown DigestMethod")
        references.append((item.get("URI", ""), algorithm, value))
    return (reference.get("URI") if reference is not None else None), references


def _signed_data(data: bytes) -> tuple[cms.SignedData, cms.SignerInfo]:
    info = cms.ContentInfo.load(data)
    if info["content_type"].native != "signed_data":
        raise MalformedInput("not a CMS SignedData")
    signed_data = info["content"]
    signers = signed_data["signer_infos"]
    if len(signers) != 1:
        raise MalformedInput(f"{len(signers)} signer infos in one ASiC signature (expected one)")
    return signed_data, signers[0]


def verify_asic(archive: zipfile.ZipFile, result: ValidationReport, context: VerifyContext) -> None:
    """Verify every signature of an opened container into ``result``."""
    names = [info.filename for info in archive.infolist()]
    unsafe = sorted({n for n in names if unsafe_name(n)})
    twice = sorted({n for n in names if names.count(n) > 1})
    if unsafe:
        result.problems.append(
            f"entries with unsafe names (path traversal): {', '.join(map(repr, unsafe))}"
        )
    if twice:
        result.problems.append(f"entries that appear twice: {', '.join(map(repr, twice))}")
    mimetype = read_mimetype(archive, result.file)
    if mimetype not in (ASIC_E, ASIC_S):
        raise MalformedInput(f"not an ASiC container (mimetype {mimetype!r})", source=result.file)
    result.format = "asic-e" if mimetype == ASIC_E else "asic-s"
    by_name = {info.filename: info for info in archive.infolist()}
    data = [i for i in data_entries(archive) if not unsafe_name(i.filename)]
    for info in archive.infolist():
        if _XADES.fullmatch(info.filename):
            report = SignatureReport(id=info.filename)
            report.fail(
                Indication.INDETERMINATE,
                SubIndication.FORMAT_FAILURE,
                "XAdES signatures are not verified by eid (CAdES only)",
            )
            result.signatures.append(report)
        if not _CADES.fullmatch(info.filename):
            continue
        report = SignatureReport(
            id=info.filename,
            required=_ASICS_CHECKS if result.format == "asic-s" else _ASICE_CHECKS,
        )
        result.signatures.append(report)
        for problem in result.problems:
            report.fail(Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE, problem)
        try:
            if result.format == "asic-s":
                _asics(archive, info, data, report, context)
            else:
                _asice(archive, info, by_name, data, report, context)
        except Exception as error:  # zlib, zipfile and asn1crypto raise many kinds of error
            report.fail(
                Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE, f"unreadable: {error}"
            )
    if not result.signatures:
        result.problems.append("the container holds no signature")


def _asics(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    data: list[zipfile.ZipInfo],
    report: SignatureReport,
    context: VerifyContext,
) -> None:
    signed_data, signer = _signed_data(_read(archive, info))
    if len(data) != 1:
        report.fail(
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            f"an ASiC-S container holds exactly one data file, this one {len(data)}",
        )
        return
    report.covers = Covers(
        "files", files=(data[0].filename,), whole_file=True, size=data[0].file_size
    )
    check_signed_data(report, signed_data, signer, _digester(archive, data[0]), context)


def _asice(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    by_name: dict[str, zipfile.ZipInfo],
    data: list[zipfile.ZipInfo],
    report: SignatureReport,
    context: VerifyContext,
) -> None:
    signed_data, signer = _signed_data(_read(archive, info))
    manifest: zipfile.ZipInfo | None = None
    references: list[tuple[str, str, bytes]] = []
    for candidate in by_name.values():
        if _MANIFEST.fullmatch(candidate.filename):
            target, listed = _manifest(_read(archive, candidate))
            if target == info.filename:
                manifest, references = candidate, listed
                break
    if manifest is None:
        report.fail(
            Indication.INDETERMINATE,
            SubIndication.SIGNED_DATA_NOT_FOUND,
            "no ASiCManifest names this signature",
        )
        return
    covered = tuple(uri for uri, _, _ in references)
    report.covers = Covers(
        "files",
        files=covered,
        whole_file=all(i.filename in covered for i in data),
        size=sum(by_name[u].file_size for u in covered if u in by_name),
    )
    uncovered = [i.filename for i in data if i.filename not in covered]
    if uncovered:
        report.warnings.append(f"files not covered by this signature: {', '.join(uncovered)}")
    intact = 0
    for uri, algorithm, value in references:
        entry = by_name.get(uri)
        if entry is None or unsafe_name(uri) or uri.startswith(META_INF):
            report.fail(
                Indication.INDETERMINATE,
                SubIndication.SIGNED_DATA_NOT_FOUND,
                f"the signed file {uri!r} is not in the container",
            )
        elif algorithm not in DIGESTS:
            report.fail(
                Indication.INDETERMINATE,
                SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
                f"{uri}: digest {algorithm} refused",
            )
        elif _digester(archive, entry)(algorithm) != value:
            report.fail(
                Indication.TOTAL_FAILED,
                SubIndication.HASH_FAILURE,
                f"{uri} changed after signing (its digest differs from the manifest's)",
            )
        else:
            intact += 1
    if references and intact == len(references):
        report.confirm(Check.SIGNED_FILES)
    elif not references:
        report.fail(
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            "the manifest names no signed file",
        )
    check_signed_data(report, signed_data, signer, _digester(archive, manifest), context)
