"""ASiC-E and ASiC-S containers (ETSI EN 319 162-1) with CAdES signatures, verified.

Entries are hashed as streams from the ZIP; only the one data file of a sound ASiC-S is
ever written out, on request (`eid.sign.extract`). Entry names are
checked first (`eid.sign.entry_names`): a name that climbs out of the container (``..``,
an absolute path, a backslash, a drive letter) or that collides with another on a file
system (case, Unicode form, trailing dots and spaces, ``./``, a directory entry) makes
every signature TOTAL_FAILED (FORMAT_FAILURE), as a tool that unpacks the container could
write outside its folder or show another file than the one signed.

Packaging deviations that do not touch what was signed (a ``mimetype`` entry missing, not
first, compressed, or with white space) are warnings, as EU DSS reports them: the verdict
comes from the signatures and the manifests. Without a usable ``mimetype`` the type is
found from the structure (an ASiCManifest: ASiC-E; one data file: ASiC-S). A manifest URI
names an entry as written or percent-encoded (EU DSS decodes it too); an ASiC-E without any
ASiCManifest fails its CAdES signatures (FORMAT_FAILURE, DSS's ManifestFilePresent). Container
metadata (mimetype, manifests, signatures) is read with a bound on its inflated size, and
messages quote names and values briefly. Manifests with a DOCTYPE are refused (no entity
expansion). Every SignerInfo of a signature entry is a signature of its own (``<entry>
signer <n>`` when there are several): EU DSS adds a parallel signature to an ASiC-S inside
its one ``signature.p7s``. XAdES signatures (``signatures*.xml``) are reported INDETERMINATE. Each
counter-signature in a CAdES signature gets a report of its own after that signature's
(`eid.sign.verify_counter`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import zipfile
from collections.abc import Callable, Container, Sequence
from urllib.parse import unquote
from xml.etree import ElementTree

from asn1crypto import cms

from eid.errors import MalformedInput
from eid.sign.asice import ASIC_NS, DIGEST_METHODS
from eid.sign.container import ASIC_E, ASIC_S, MAX_MIMETYPE, data_entries, read_entry
from eid.sign.entry_names import colliding_names, unsafe_name, unsafe_names
from eid.sign.extract import ContentWriter, entry_writer
from eid.sign.report import (
    BASIC_CHECKS,
    Check,
    Covers,
    Indication,
    SignatureReport,
    SubIndication,
    TimestampReport,
    ValidationReport,
    brief,
)
from eid.sign.verify_chain import VerifyContext
from eid.sign.verify_cms import (
    DIGESTS,
    check_signed_data,
    check_timestamp_token,
    weigh_timestamps,
)
from eid.sign.verify_counter import counter_signatures

__all__ = ["MAX_META_ENTRY", "name_problems", "verify_asic"]

MAX_META_ENTRY = 16 << 20
"""The largest manifest or signature entry read (bytes)."""

_ASICS_CHECKS = BASIC_CHECKS
_ASICE_CHECKS = BASIC_CHECKS | {Check.SIGNED_FILES}
_DSIG = "{http://www.w3.org/2000/09/xmldsig#}"
_METHODS = {uri: name for name, uri in DIGEST_METHODS.items()}
_METHODS["http://www.w3.org/2001/04/xmldsig-more#sha224"] = "sha224"
_CADES = re.compile(r"META-INF/[^/]*signature[^/]*\.p7s", re.IGNORECASE)
_XADES = re.compile(r"META-INF/[^/]*signatures[^/]*\.xml", re.IGNORECASE)
_MANIFEST = re.compile(r"META-INF/ASiC(Archive)?Manifest[^/]*\.xml", re.IGNORECASE)
_SIGNATURE_MANIFEST = re.compile(r"META-INF/ASiCManifest[^/]*\.xml", re.IGNORECASE)
_TIMESTAMP = re.compile(r"META-INF/[^/]*timestamp[^/]*\.tst", re.IGNORECASE)
_LISTED = 5


def _listing(names: Sequence[str]) -> str:
    shown = ", ".join(repr(brief(name, 80)) for name in names[:_LISTED])
    more = len(names) - _LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def name_problems(names: Sequence[str]) -> list[str]:
    """What is wrong with a container's entry names: escaping names, colliding names."""
    problems: list[str] = []
    unsafe = unsafe_names(names)
    if unsafe:
        problems.append(f"entries with unsafe names (path traversal): {_listing(unsafe)}")
    clashes = colliding_names(names)
    if clashes:
        groups = "; ".join(_listing(group) for group in clashes[:_LISTED])
        problems.append(
            "entries whose names are the same file once unpacked (one could replace "
            f"another): {groups}"
            + (f" and {len(clashes) - _LISTED} more" if len(clashes) > _LISTED else "")
        )
    return problems


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    return read_entry(archive, info, MAX_META_ENTRY)


def _packaging(archive: zipfile.ZipFile, result: ValidationReport) -> str | None:
    """The ``mimetype`` when it names an ASiC type; its deviations go to ``result``."""
    infos = archive.infolist()
    entry = next((info for info in infos if info.filename == "mimetype"), None)
    if entry is None:
        result.warnings.append("the container has no mimetype entry (EN 319 162-1 asks for one)")
        return None
    if entry is not infos[0]:
        result.warnings.append("the mimetype entry is not the first entry of the container")
    if entry.compress_type != zipfile.ZIP_STORED:
        result.warnings.append("the mimetype entry is compressed (it should be stored)")
    try:
        text = read_entry(archive, entry, MAX_MIMETYPE).decode("ascii", "replace")
    except MalformedInput as error:
        result.problems.append(f"the mimetype entry is unreadable ({error.message})")
        return None
    value = text.strip()
    if value != text:
        result.warnings.append("the mimetype entry has white space around its value")
    if value not in (ASIC_E, ASIC_S):
        result.warnings.append(f"the mimetype {brief(value, 80)!r} is not an ASiC type")
        return None
    return value


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


def _entry(uri: str, names: Container[str]) -> str:
    """The entry a manifest URI names: as written, else percent-decoded (RFC 3986 2.1).

    Tools write a name with spaces or non-ASCII letters either as it is or percent-encoded
    (``my%20file.txt``); EU DSS decodes a URI before matching it against entry names, so
    both name the same entry. A name that is an entry as written is never decoded.
    """
    return uri if uri in names else unquote(uri)


def _manifest(
    data: bytes, names: Container[str]
) -> tuple[str | None, list[tuple[str, str, bytes]]]:
    """(SigReference entry, [(entry, digest name, digest value)]) of an ASiCManifest.

    Each URI is resolved against the entry ``names`` (`_entry`).
    """
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
        references.append((_entry(item.get("URI", ""), names), algorithm, value))
    target = reference.get("URI") if reference is not None else None
    return (_entry(target, names) if target is not None else None), references


def _signed_data(data: bytes) -> tuple[cms.SignedData, list[cms.SignerInfo]]:
    """The SignedData of a signature entry and its signer infos (at least one)."""
    info = cms.ContentInfo.load(data)
    if info["content_type"].native != "signed_data":
        raise MalformedInput("not a CMS SignedData")
    signed_data = info["content"]
    signers = list(signed_data["signer_infos"])
    if not signers:
        raise MalformedInput("a CMS SignedData without any signer")
    return signed_data, signers


def verify_asic(
    archive: zipfile.ZipFile, result: ValidationReport, context: VerifyContext
) -> ContentWriter | None:
    """Verify every signature of an opened container into ``result``.

    Returns a writer of the signed content of an ASiC-S container (its one data file),
    None for ASiC-E and for a container with problems (unsafe or colliding entry names:
    never extracted).
    """
    infos = archive.infolist()
    result.problems.extend(name_problems([info.filename for info in infos]))
    mimetype = _packaging(archive, result)
    data = [i for i in data_entries(archive) if not unsafe_name(i.filename)]
    signatures = [i for i in infos if _CADES.fullmatch(i.filename) or _XADES.fullmatch(i.filename)]
    if mimetype is None:
        if not signatures:
            raise MalformedInput("not an ASiC container: no ASiC mimetype and no signature")
        manifests = any(_MANIFEST.fullmatch(i.filename) for i in infos)
        mimetype = ASIC_S if len(data) == 1 and not manifests else ASIC_E
    result.format = "asic-e" if mimetype == ASIC_E else "asic-s"
    by_name = {info.filename: info for info in infos}
    sources: dict[str, str] = {}
    for info in signatures:
        if _XADES.fullmatch(info.filename):
            report = SignatureReport(id=info.filename)
            report.fail(
                Indication.INDETERMINATE,
                SubIndication.FORMAT_FAILURE,
                "XAdES signatures are not verified by eid (CAdES only)",
            )
            result.signatures.append(report)
            continue
        try:
            signed_data, signers = _signed_data(_read(archive, info))
        except Exception as error:  # zlib, zipfile and asn1crypto raise many kinds of error
            report = _cades_report(info.filename, result)
            report.fail(
                Indication.TOTAL_FAILED,
                SubIndication.FORMAT_FAILURE,
                f"unreadable ({type(error).__name__}: {brief(error)})",
            )
            sources[report.id] = info.filename
            continue
        for number, signer in enumerate(signers, start=1):
            name = info.filename if len(signers) == 1 else f"{info.filename} signer {number}"
            report = _cades_report(name, result)
            sources[report.id] = info.filename
            counters: list[SignatureReport] = []
            try:
                if result.format == "asic-s":
                    _asics(archive, signed_data, signer, data, report, context)
                else:
                    _asice(archive, info, signed_data, signer, by_name, data, report, context)
                counters = counter_signatures(report, signed_data, signer, context)
            except Exception as error:  # zlib, zipfile and asn1crypto raise many kinds of error
                report.fail(
                    Indication.TOTAL_FAILED,
                    SubIndication.FORMAT_FAILURE,
                    f"unreadable ({type(error).__name__}: {brief(error)})",
                )
            result.signatures.extend(counters)
    if result.format == "asic-e" and result.signatures:
        try:
            _container_timestamps(archive, infos, by_name, sources, result, context)
        except Exception as error:  # a broken archive manifest: the container does not hold
            result.problems.append(
                f"unreadable container timestamp ({type(error).__name__}: {brief(error)})"
            )
    if not result.signatures:
        result.problems.append("the container holds no signature")
    if result.format == "asic-s" and len(data) == 1 and not result.problems:
        return entry_writer(archive, data[0])
    return None


def _cades_report(name: str, result: ValidationReport) -> SignatureReport:
    """A new report for a CAdES signature of the container, failed by its problems."""
    report = SignatureReport(
        id=name, required=_ASICS_CHECKS if result.format == "asic-s" else _ASICE_CHECKS
    )
    result.signatures.append(report)
    for problem in result.problems:
        report.fail(Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE, problem)
    return report


def _container_timestamps(
    archive: zipfile.ZipFile,
    infos: list[zipfile.ZipInfo],
    by_name: dict[str, zipfile.ZipInfo],
    sources: dict[str, str],
    result: ValidationReport,
    context: VerifyContext,
) -> None:
    """ASiC-E timestamps over an ASiCArchiveManifest, weighed on the signatures they cover.

    ``sources``: the signature entry each signature's report (by id) comes from.

    The token's imprint is the manifest's digest (a failed token leaves the covered
    signatures INDETERMINATE, an untrusted one is a warning: `weigh_timestamps`), and every
    file the manifest names must still have its digest (else the covered signatures are
    TOTAL_FAILED/HASH_FAILURE, as with a signature's own manifest).
    """
    manifests: dict[str, tuple[zipfile.ZipInfo, list[tuple[str, str, bytes]]]] = {}
    for info in infos:
        if _MANIFEST.fullmatch(info.filename):
            target, references = _manifest(_read(archive, info), by_name)
            if target is not None:
                manifests.setdefault(target, (info, references))
    for info in infos:
        if not _TIMESTAMP.fullmatch(info.filename) or info.filename not in manifests:
            continue
        manifest, references = manifests[info.filename]
        changed = [
            uri
            for uri, algorithm, value in references
            if uri not in by_name
            or unsafe_name(uri)
            or algorithm not in DIGESTS
            or _digester(archive, by_name[uri])(algorithm) != value
        ]
        try:
            token = cms.ContentInfo.load(_read(archive, info))
            stamp = check_timestamp_token(
                token, _digester(archive, manifest), context, kind="container"
            )
        except Exception as error:  # an unreadable token proves nothing and does not hold
            reason = f"cannot be read ({type(error).__name__}: {brief(error)})"
            stamp = TimestampReport("container", None, None, Indication.TOTAL_FAILED, (reason,))
        covered = {uri for uri, _, _ in references}
        for report in result.signatures:
            if sources.get(report.id) not in covered:
                continue
            report.timestamps.append(stamp)
            if changed:
                report.fail(
                    Indication.TOTAL_FAILED,
                    SubIndication.HASH_FAILURE,
                    f"{brief(info.filename, 80)} covers files that changed or are missing: "
                    + _listing(changed),
                )
            weigh_timestamps(report, [stamp])


def _asics(
    archive: zipfile.ZipFile,
    signed_data: cms.SignedData,
    signer: cms.SignerInfo,
    data: list[zipfile.ZipInfo],
    report: SignatureReport,
    context: VerifyContext,
) -> None:
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
    check_signed_data(report, signed_data, signer, _digester(archive, data[0]), context, cades=True)


def _asice(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    signed_data: cms.SignedData,
    signer: cms.SignerInfo,
    by_name: dict[str, zipfile.ZipInfo],
    data: list[zipfile.ZipInfo],
    report: SignatureReport,
    context: VerifyContext,
) -> None:
    manifest: zipfile.ZipInfo | None = None
    references: list[tuple[str, str, bytes]] = []
    for candidate in by_name.values():
        if _MANIFEST.fullmatch(candidate.filename):
            target, listed = _manifest(_read(archive, candidate), by_name)
            if target == info.filename:
                manifest, references = candidate, listed
                break
    if manifest is None and not any(_SIGNATURE_MANIFEST.fullmatch(name) for name in by_name):
        # EU DSS: ContainerConstraints/ManifestFilePresent (FAIL) in format checking.
        report.fail(
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            "an ASiC-E container with CAdES signatures needs an ASiCManifest "
            "(EN 319 162-1); this one has none",
        )
        return
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
        report.warnings.append(f"files not covered by this signature: {_listing(uncovered)}")
    intact = 0
    for uri, algorithm, value in references:
        entry = by_name.get(uri)
        if entry is None or unsafe_name(uri):
            report.fail(
                Indication.INDETERMINATE,
                SubIndication.SIGNED_DATA_NOT_FOUND,
                f"the signed file {brief(uri, 80)!r} is not in the container",
            )
        elif algorithm not in DIGESTS:
            report.fail(
                Indication.INDETERMINATE,
                SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
                f"{brief(uri, 80)}: digest {algorithm} refused",
            )
        elif _digester(archive, entry)(algorithm) != value:
            report.fail(
                Indication.TOTAL_FAILED,
                SubIndication.HASH_FAILURE,
                f"{brief(uri, 80)} changed after signing (its digest differs from the manifest's)",
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
    check_signed_data(
        report, signed_data, signer, _digester(archive, manifest), context, cades=True
    )
