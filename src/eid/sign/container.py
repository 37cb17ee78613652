"""The ZIP side of ASiC containers (ETSI EN 319 162-1): mimetype first, streamed entries."""

from __future__ import annotations

import mimetypes
import zipfile
from pathlib import Path
from typing import IO

from cryptography.hazmat.primitives import hashes

from eid.errors import MalformedInput, UsageError
from eid.sign.atomic import open_input
from eid.sign.enveloping import CHUNK

__all__ = [
    "ASIC_E",
    "ASIC_S",
    "MAX_MIMETYPE",
    "META_INF",
    "add_file",
    "data_entries",
    "digest_entry",
    "entry_name",
    "media_type",
    "read_entry",
    "read_mimetype",
    "write_mimetype",
]

ASIC_E = "application/vnd.etsi.asic-e+zip"
"""The ``mimetype`` of an ASiC-E container."""

ASIC_S = "application/vnd.etsi.asic-s+zip"
"""The ``mimetype`` of an ASiC-S container."""

META_INF = "META-INF/"
"""The folder that holds manifests and signatures."""

MAX_MIMETYPE = 256
"""The largest ``mimetype`` entry read (bytes)."""

_ZIP64_FROM = 1 << 31


def write_mimetype(archive: zipfile.ZipFile, mimetype: str) -> None:
    """Write the ``mimetype`` entry: first, stored (not compressed), no extra field."""
    info = zipfile.ZipInfo("mimetype")
    info.compress_type = zipfile.ZIP_STORED
    archive.writestr(info, mimetype.encode("ascii"))


def media_type(name: str) -> str:
    """The media type a file name suggests (``application/octet-stream`` when unknown)."""
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def entry_name(path: Path) -> str:
    """The name a file gets in a container: its base name, which must not clash with ASiC's own."""
    name = path.name
    if name == "mimetype" or name.upper() == "META-INF":
        raise UsageError(f"a file named {name!r} cannot go into an ASiC container")
    return name


def add_file(
    archive: zipfile.ZipFile, name: str, source: Path, digest: hashes.HashAlgorithm
) -> bytes:
    """Copy ``source`` into ``archive`` as ``name`` (deflated), hashing it on the way; returns the digest."""
    hasher = hashes.Hash(digest)
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    handle = open_input(source)
    with handle, archive.open(info, "w", force_zip64=source.stat().st_size >= _ZIP64_FROM) as entry:
        _pump(handle, entry, hasher)
    return hasher.finalize()


def _pump(source: IO[bytes], target: IO[bytes] | None, hasher: hashes.Hash) -> None:
    while chunk := source.read(CHUNK):
        hasher.update(chunk)
        if target is not None:
            target.write(chunk)


def read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """An entry's content, refused (`MalformedInput`) beyond ``limit`` bytes.

    The declared size is checked first, then the inflated stream is read no further than
    one byte past the limit: a small entry that inflates to gigabytes costs nothing.
    """
    if info.file_size > limit:
        raise MalformedInput(f"entry is larger than {limit} bytes", source=info.filename[:80])
    with archive.open(info) as entry:
        data = entry.read(limit + 1)
    if len(data) > limit:
        raise MalformedInput(f"entry is larger than {limit} bytes", source=info.filename[:80])
    return data


def read_mimetype(archive: zipfile.ZipFile, source: str) -> str:
    """The container's ``mimetype``, checked to be its first entry (at most 256 bytes)."""
    infos = archive.infolist()
    if not infos or infos[0].filename != "mimetype":
        raise MalformedInput("an ASiC container starts with a mimetype entry", source=source)
    return read_entry(archive, infos[0], MAX_MIMETYPE).decode("ascii", "replace").strip()


def data_entries(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The data objects of a container: every file outside ``META-INF/`` but ``mimetype``."""
    return [
        info
        for info in archive.infolist()
        if not info.is_dir()
        and info.filename != "mimetype"
        and not info.filename.startswith(META_INF)
    ]


def digest_entry(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, digest: hashes.HashAlgorithm
) -> bytes:
    """The digest of one entry's content, read as a stream."""
    hasher = hashes.Hash(digest)
    with archive.open(info) as entry:
        _pump(entry, None, hasher)
    return hasher.finalize()
