"""The BELPIC tag-length-value codec of the identity and address files.

Each field is a 1-byte tag, a length, and the value. The length is a sum of bytes: each
0xFF adds 255 and means another length byte follows (255 is written ``FF 00``). Files are
padded with 0x00 bytes after the last field; decoding ignores that padding.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from eid.errors import MalformedInput

MAX_FILE_SIZE = 0x8000
"""The largest file a BELPIC card holds: it reads them with READ BINARY and a 15-bit offset
(ISO 7816-4, P1 bit 8 zero). Larger TLV data is refused before it is decoded."""


class TlvElement(NamedTuple):
    """One field of a TLV file: its tag, its value and the offset of its tag byte."""

    tag: int
    value: bytes
    offset: int = 0


def tag_name(tag: int) -> str:
    """Name a tag the way errors cite it: ``0x0C``."""
    return f"0x{tag:02X}"


def decode_tlv(data: bytes, *, source: str | None = None) -> list[TlvElement]:
    """Split ``data`` into its fields, in file order, unknown tags included.

    Raises MalformedInput (with ``source``, the tag and the byte offset) when a length or a
    value runs past the end of the data, or when ``data`` is larger than `MAX_FILE_SIZE`.
    Time is linear in the size of ``data``.
    """
    if len(data) > MAX_FILE_SIZE:
        raise MalformedInput(
            f"{len(data)} bytes, more than the {MAX_FILE_SIZE} a card's file holds", source=source
        )
    elements: list[TlvElement] = []
    position = 0
    # Decoding stops where only the zero padding is left.
    content_end = len(data.rstrip(b"\x00"))
    while position < content_end:
        offset, tag = position, data[position]
        length, position = _read_length(data, position + 1, tag, source)
        end = position + length
        if end > len(data):
            raise MalformedInput(
                f"value of {length} bytes runs past the end ({len(data) - position} left)",
                source=source,
                field=tag_name(tag),
                offset=offset,
            )
        elements.append(TlvElement(tag, data[position:end], offset))
        position = end
    return elements


def encode_tlv(fields: Iterable[tuple[int, bytes]]) -> bytes:
    """Write ``(tag, value)`` pairs as TLV, in the order given, without padding."""
    out = bytearray()
    for tag, value in fields:
        if not 0 <= tag <= 0xFF:
            raise MalformedInput(f"tag {tag} does not fit in one byte", field=str(tag))
        out.append(tag)
        length = len(value)
        while length >= 0xFF:
            out.append(0xFF)
            length -= 0xFF
        out.append(length)
        out += value
    return bytes(out)


def _read_length(data: bytes, position: int, tag: int, source: str | None) -> tuple[int, int]:
    length = 0
    while True:
        if position >= len(data):
            raise MalformedInput(
                "length runs past the end", source=source, field=tag_name(tag), offset=position
            )
        byte = data[position]
        position += 1
        length += byte
        if byte != 0xFF:
            return length, position
