"""Mutations of real signed documents, restricted to the bytes their signatures cover.

A `SignedCase` is a document as named parts (files, or entries of an ASiC container) and the
regions of those parts that a signature covers. A `Mutation` changes one covered region (a
flipped byte, a truncation, an insertion, a deletion, a replacement) or, for containers,
adds an entry whose name shadows a signed one. Whatever the mutation, verification must
not pass: the invariant "no mutated signed input ever passes".
"""

from __future__ import annotations

import enum
import re
import shutil
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import cms

from fuzz.material import documents

__all__ = ["Mutation", "Op", "Region", "SignedCase", "signed_cases"]


class Op(enum.Enum):
    """How a region is changed."""

    FLIP = "flip"
    TRUNCATE = "truncate"
    INSERT = "insert"
    DELETE = "delete"
    REPLACE = "replace"
    SHADOW = "shadow"


@dataclass(frozen=True)
class Region:
    """Bytes ``[start, end)`` of part ``part`` that a signature covers."""

    part: str
    start: int
    end: int


@dataclass(frozen=True)
class Mutation:
    """One change: ``region`` and ``position`` are taken modulo what exists."""

    op: Op
    region: int
    position: int
    payload: bytes = b"\x01"


_SHADOWS = (
    lambda n: "./" + n,
    str.upper,
    str.capitalize,
    lambda n: n + " ",
    lambda n: n + ".",
    lambda n: n + "/",
    lambda n: unicodedata.normalize("NFD", n),  # a plain duplicate when n is ASCII
    lambda n: "/" + n,
    lambda n: "x/../" + n,
)


@dataclass(frozen=True)
class SignedCase:
    """A signed document made of ``parts``; ``main`` is the file given to verify."""

    name: str
    parts: dict[str, bytes]
    regions: tuple[Region, ...]
    main: str
    container: bool = False
    detached: str | None = None

    def apply(self, mutation: Mutation) -> dict[str, bytes]:
        """The parts with ``mutation`` applied (the original when it changes nothing)."""
        parts = dict(self.parts)
        region = self.regions[mutation.region % len(self.regions)]
        if mutation.op is Op.SHADOW:
            if self.container:
                entry = region.part.removeprefix("zip:")
                shadow = _SHADOWS[mutation.position % len(_SHADOWS)](entry)
                parts["zip:" + shadow] = mutation.payload
            return parts
        data = bytearray(parts[region.part])
        span = max(region.end - region.start, 1)
        at = region.start + mutation.position % span
        payload = mutation.payload or b"\x00"
        if mutation.op is Op.FLIP:
            data[at] ^= payload[0] or 0x01
        elif mutation.op is Op.TRUNCATE:
            del data[at:]
        elif mutation.op is Op.INSERT:
            data[at:at] = payload
        elif mutation.op is Op.DELETE:
            del data[at : at + len(payload)]
        else:
            replaced = bytes(data[at : at + len(payload)])
            if replaced == payload[: len(replaced)]:
                payload = bytes(b ^ 0xFF for b in payload)
            data[at : at + len(payload)] = payload
        parts[region.part] = bytes(data)
        return parts

    def write(self, parts: dict[str, bytes], directory: Path) -> tuple[Path, Path | None]:
        """Write ``parts`` into ``directory``: (file to verify, detached data or None)."""
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
        main = directory / self.main
        if self.container:
            with zipfile.ZipFile(main, "w") as archive:
                for name, data in parts.items():
                    entry = name.removeprefix("zip:")
                    stored = entry == "mimetype"
                    archive.writestr(
                        entry, data, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                    )
            return main, None
        for name, data in parts.items():
            (directory / name).write_bytes(data)
        return main, (directory / self.detached) if self.detached else None


def _cms_regions(part: str, data: bytes) -> list[Region]:
    """The encapsulated content (its type and bytes) and each SignerInfo but its identifier.

    SignedData's version, digestAlgorithms and certificates are not signed (the signer's
    certificate is, through the signing-certificate attribute); neither is a SignerInfo's
    identifier, which only finds the certificate and is compared as RFC 5280 compares names.
    """
    signed = cms.ContentInfo.load(data)["content"]
    regions = []
    encap = signed["encap_content_info"].dump()
    start = data.find(encap)
    regions.append(Region(part, start, start + len(encap)))
    for signer in signed["signer_infos"]:
        raw, sid = signer.dump(), signer["sid"].dump()
        start = data.find(raw)
        sid_at = start + raw.find(sid)
        regions += [Region(part, start, sid_at), Region(part, sid_at + len(sid), start + len(raw))]
    return regions


def _pdf_regions(part: str, data: bytes) -> list[Region]:
    """The two /ByteRange ranges of the (last) signature."""
    numbers = re.findall(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data)[-1]
    a, b, c, d = (int(n) for n in numbers)
    return [Region(part, a, a + b), Region(part, c, c + d)]


def _zip_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {"zip:" + info.filename: archive.read(info) for info in archive.infolist()}


def signed_cases() -> list[SignedCase]:
    """Every signed format of `fuzz.material.documents` as a mutable case."""
    docs = documents()
    pdf = docs.pdf.read_bytes()
    p7s = docs.p7s.read_bytes()
    p7m = docs.p7m.read_bytes()
    content = docs.data.read_bytes()
    cases = [
        SignedCase("pdf", {"doc.pdf": pdf}, tuple(_pdf_regions("doc.pdf", pdf)), "doc.pdf"),
        SignedCase(
            "cades-detached",
            {"doc.p7s": p7s, "doc.txt": content},
            (Region("doc.txt", 0, len(content)), *_cms_regions("doc.p7s", p7s)),
            "doc.p7s",
            detached="doc.txt",
        ),
        SignedCase(
            "cades-enveloping", {"doc.p7m": p7m}, tuple(_cms_regions("doc.p7m", p7m)), "doc.p7m"
        ),
    ]
    for kind, path in (("asice", docs.asice), ("asics", docs.asics)):
        parts = _zip_parts(path)
        regions: list[Region] = []
        for name, data in parts.items():
            if name.endswith(".p7s"):
                regions += _cms_regions(name, data)
            elif name != "zip:mimetype":
                regions.append(Region(name, 0, len(data)))
        cases.append(SignedCase(kind, parts, tuple(regions), f"doc.{kind}", container=True))
    return cases
