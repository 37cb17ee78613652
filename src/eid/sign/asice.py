"""ASiC-E (ETSI EN 319 162-1): several files and CAdES signatures in one ZIP container.

Each signature is ``META-INF/signatureNNN.p7s``, a detached CAdES signature over
``META-INF/ASiCManifestNNN.xml``, which lists every data file with its digest.
Adding a signature adds a new manifest and signature and leaves every earlier
entry byte for byte as it was.
"""

from __future__ import annotations

import base64
import re
import shutil
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from cryptography.hazmat.primitives import hashes

from eid.errors import MalformedInput, UsageError
from eid.sign.atomic import atomic_output, check_distinct, open_input
from eid.sign.cades import check_cms_level, cms_signature, hash_algorithm
from eid.sign.container import (
    ASIC_E,
    META_INF,
    add_file,
    data_entries,
    digest_entry,
    entry_name,
    media_type,
    read_mimetype,
    write_mimetype,
)
from eid.sign.options import SignatureOptions, SignedFile
from eid.sign.signers import EidSigner
from eid.sign.timestamping import run_signing, timestamper_for

__all__ = [
    "ASIC_NS",
    "DIGEST_METHODS",
    "DataObject",
    "add_asice_signature",
    "manifest_xml",
    "sign_asice",
]

ASIC_NS = "http://uri.etsi.org/02918/v1.2.1#"
"""The namespace of ``ASiCManifest``."""

_DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"

DIGEST_METHODS = {
    "sha256": "http://www.w3.org/2001/04/xmlenc#sha256",
    "sha384": "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "sha512": "http://www.w3.org/2001/04/xmlenc#sha512",
}
"""XML digest method URIs by digest name."""

_MANIFEST = re.compile(r"META-INF/ASiCManifest(\d*)\.xml")
_SIGNATURE = re.compile(r"META-INF/signature(\d*)\.p7s")


@dataclass(frozen=True)
class DataObject:
    """A file in a container as a manifest lists it."""

    name: str
    media_type: str
    digest: bytes


def manifest_xml(objects: Sequence[DataObject], digest: str, signature: str) -> bytes:
    """An ``ASiCManifest`` naming ``signature`` and listing ``objects`` with their digests."""
    ElementTree.register_namespace("asic", ASIC_NS)
    ElementTree.register_namespace("ds", _DSIG_NS)
    root = ElementTree.Element(f"{{{ASIC_NS}}}ASiCManifest")
    ElementTree.SubElement(
        root,
        f"{{{ASIC_NS}}}SigReference",
        {"URI": signature, "MimeType": "application/pkcs7-signature"},
    )
    for item in objects:
        reference = ElementTree.SubElement(
            root,
            f"{{{ASIC_NS}}}DataObjectReference",
            {"URI": item.name, "MimeType": item.media_type},
        )
        ElementTree.SubElement(
            reference, f"{{{_DSIG_NS}}}DigestMethod", {"Algorithm": DIGEST_METHODS[digest]}
        )
        value = ElementTree.SubElement(reference, f"{{{_DSIG_NS}}}DigestValue")
        value.text = base64.b64encode(item.digest).decode("ascii")
    return bytes(ElementTree.tostring(root, encoding="UTF-8", xml_declaration=True))


def _next_number(names: Sequence[str]) -> int:
    used = [0]
    for name in names:
        match = _MANIFEST.fullmatch(name) or _SIGNATURE.fullmatch(name)
        if match:
            used.append(int(match.group(1) or 0))
    return max(used) + 1


def _sign_into(
    archive: zipfile.ZipFile,
    objects: Sequence[DataObject],
    number: int,
    signer: EidSigner,
    options: SignatureOptions,
    digest: str,
) -> tuple[str, str]:
    manifest_name = f"{META_INF}ASiCManifest{number:03d}.xml"
    signature_name = f"{META_INF}signature{number:03d}.p7s"
    manifest = manifest_xml(objects, digest, signature_name)
    manifest_hash = hashes.Hash(hash_algorithm(digest))
    manifest_hash.update(manifest)
    signature = run_signing(
        cms_signature(signer, manifest_hash.finalize(), digest, options, timestamper_for(options)),
        options.tsa_url,
    )
    archive.writestr(zipfile.ZipInfo(manifest_name), manifest, compress_type=zipfile.ZIP_DEFLATED)
    archive.writestr(
        zipfile.ZipInfo(signature_name), signature.dump(), compress_type=zipfile.ZIP_DEFLATED
    )
    return manifest_name, signature_name


def sign_asice(
    inputs: Sequence[Path | str],
    output: Path | str,
    signer: EidSigner,
    options: SignatureOptions | None = None,
) -> SignedFile:
    """Put ``inputs`` into a new ASiC-E container with one CAdES signature over them."""
    options = options or SignatureOptions()
    check_cms_level(options)
    sources = [Path(item) for item in inputs]
    if not sources:
        raise UsageError("an ASiC-E container needs at least one file")
    target = Path(output)
    check_distinct(target, *sources)
    names = [entry_name(source) for source in sources]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise UsageError(
            f"two files would have the same name in the container: {', '.join(duplicates)}"
        )
    digest = options.digest or signer.default_digest()
    with atomic_output(target) as out:
        with zipfile.ZipFile(out, "w") as archive:
            write_mimetype(archive, ASIC_E)
            objects = [
                DataObject(
                    name, media_type(name), add_file(archive, name, source, hash_algorithm(digest))
                )
                for name, source in zip(names, sources, strict=True)
            ]
            manifest_name, signature_name = _sign_into(archive, objects, 1, signer, options, digest)
        size = out.seek(0, 2)
    return SignedFile(
        output=target,
        format="asice",
        level=options.level,
        digest=digest,
        signer=signer.name,
        size=size,
        details={"files": names, "manifest": manifest_name, "signature": signature_name},
    )


def add_asice_signature(
    container: Path | str,
    output: Path | str,
    signer: EidSigner,
    options: SignatureOptions | None = None,
) -> SignedFile:
    """Write ``container`` to ``output`` with one more signature over all of its data files.

    Earlier entries are copied byte for byte; the new manifest and signature are appended.
    """
    options = options or SignatureOptions()
    check_cms_level(options)
    source, target = Path(container), Path(output)
    check_distinct(target, source)
    digest = options.digest or signer.default_digest()
    handle = open_input(source)
    with handle:
        try:
            with zipfile.ZipFile(handle) as existing:
                if read_mimetype(existing, str(source)) != ASIC_E:
                    raise MalformedInput(
                        f"not an ASiC-E container (mimetype is not {ASIC_E})", source=str(source)
                    )
                entries = data_entries(existing)
                if not entries:
                    raise MalformedInput("the container holds no data file", source=str(source))
                objects = [
                    DataObject(
                        info.filename,
                        media_type(info.filename),
                        digest_entry(existing, info, hash_algorithm(digest)),
                    )
                    for info in entries
                ]
                names = existing.namelist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile) as error:
            raise MalformedInput(f"not a ZIP container ({error})", source=str(source)) from error
        number = _next_number(names)
        handle.seek(0)
        with atomic_output(target) as out:
            shutil.copyfileobj(handle, out)
            out.seek(0)
            with zipfile.ZipFile(out, "a") as archive:
                manifest_name, signature_name = _sign_into(
                    archive, objects, number, signer, options, digest
                )
            size = out.seek(0, 2)
    signatures = sum(1 for name in names if _SIGNATURE.fullmatch(name)) + 1
    return SignedFile(
        output=target,
        format="asice",
        level=options.level,
        digest=digest,
        signer=signer.name,
        size=size,
        signatures=signatures,
        details={
            "files": [o.name for o in objects],
            "manifest": manifest_name,
            "signature": signature_name,
        },
    )
