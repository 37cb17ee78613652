"""A PDF signature seen as bytes: its /ByteRange, the /Contents hole, the digest of what it covers.

These need no PDF parser, so they also serve a document whose object structure is damaged:
`find_byte_ranges` finds signature dictionaries by their ``/ByteRange [0 a b c]`` alone
(uncompressed ones: a dictionary inside a compressed object stream is not seen).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import BinaryIO

from eid.hashing import hasher
from eid.sign.report import Covers, Indication, SignatureReport, SubIndication

__all__ = ["byte_range_digester", "check_byte_range", "find_byte_ranges", "read_hole"]

_BYTE_RANGE = re.compile(
    rb"/ByteRange\s*\[\s*(\d{1,20})\s+(\d{1,20})\s+(\d{1,20})\s+(\d{1,20})\s*\]"
)
_CHUNK = 1 << 20
_OVERLAP = 256  # longer than any /ByteRange the pattern matches


def find_byte_ranges(stream: BinaryIO) -> list[tuple[int, tuple[int, int, int, int]]]:
    """Every ``/ByteRange [a b c d]`` in the file: (offset of the key, the four numbers)."""
    found: dict[int, tuple[int, int, int, int]] = {}
    stream.seek(0)
    offset, tail = 0, b""
    while chunk := stream.read(_CHUNK):
        window = tail + chunk
        base = offset - len(tail)
        for match in _BYTE_RANGE.finditer(window):
            a, b, c, d = (int(group) for group in match.groups())
            found[base + match.start()] = (a, b, c, d)
        tail = window[-_OVERLAP:]
        offset += len(chunk)
    return sorted(found.items())


def read_hole(stream: BinaryIO, first: int, start: int) -> bytes | None:
    """The bytes of ``<hex>`` between the two covered ranges, or None when it is not that."""
    stream.seek(first)
    hole = stream.read(start - first)
    if hole[:1] + hole[-1:] != b"<>":
        return None
    try:
        return bytes.fromhex(hole[1:-1].decode("ascii"))
    except ValueError:
        return None


def check_byte_range(
    values: list[int],
    contents: bytes | None,
    stream: BinaryIO,
    size: int,
    report: SignatureReport,
) -> bool:
    """Check that ``values`` is ``[0 a b c]`` inside the file, its hole exactly ``<contents>``.

    Records what the signature covers in ``report.covers``; every problem is a
    FORMAT_FAILURE. Returns whether the covered bytes can be read (the range is usable).
    """
    if len(values) != 4 or values[0] != 0 or min(values) < 0:
        report.fail(
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            f"the /ByteRange {values} is not of the form [0 a b c]",
        )
        return False
    _, first, start, second = values
    report.covers = Covers(
        "bytes", byte_range=tuple(values), whole_file=start + second == size, size=first + second
    )
    if start < first or start + second > size:
        report.fail(
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            f"the /ByteRange {values} runs outside the file ({size} bytes)",
        )
        return False
    inside = read_hole(stream, first, start)
    if inside is None or inside != contents:
        report.fail(
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            "the gap in the /ByteRange is not exactly the signature's /Contents: "
            "bytes outside the signature are unsigned",
        )
    return True


def byte_range_digester(stream: BinaryIO, values: list[int]) -> Callable[[str], bytes]:
    """Digest, by algorithm name, of the bytes ``[0 a b c]`` covers (computed once per name)."""
    _, first, start, second = values
    cache: dict[str, bytes] = {}

    def digest_of(name: str) -> bytes:
        if name not in cache:
            context = hasher(name)
            for position, length in ((0, first), (start, second)):
                stream.seek(position)
                while length > 0:
                    chunk = stream.read(min(length, _CHUNK))
                    if not chunk:
                        break
                    context.update(chunk)
                    length -= len(chunk)
            cache[name] = context.finalize()
        return cache[name]

    return digest_of
