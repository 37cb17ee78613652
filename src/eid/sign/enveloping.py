"""An enveloping CMS signature (``.p7m``) written as a stream around its content.

The signature is made detached; its DER is then written with the content placed
in ``encapContentInfo`` as one definite-length OCTET STRING copied from the file
chunk by chunk, so a file of any size passes through constant memory.
"""

from __future__ import annotations

from typing import BinaryIO

from asn1crypto import cms

from eid.errors import UsageError

__all__ = ["CHUNK", "copy_stream", "write_enveloping"]

CHUNK = 1 << 20
"""Bytes read at a time from an input."""

_DATA_OID = bytes.fromhex("06092a864886f70d010701")  # id-data
_SIGNED_DATA_OID = bytes.fromhex("06092a864886f70d010702")  # id-signedData


def _length(size: int) -> bytes:
    if size < 0x80:
        return bytes([size])
    body = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _header(tag: int, size: int) -> bytes:
    return bytes([tag]) + _length(size)


def copy_stream(source: BinaryIO, target: BinaryIO, size: int) -> None:
    """Copy exactly ``size`` bytes from ``source`` to ``target``, a chunk at a time."""
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    left = size
    while left:
        read = source.readinto(view[: min(CHUNK, left)])  # type: ignore[attr-defined]
        if not read:
            raise UsageError("the input changed size while it was being signed")
        target.write(view[:read])
        left -= read


def write_enveloping(
    detached: cms.ContentInfo, content: BinaryIO, size: int, target: BinaryIO
) -> int:
    """Write ``detached`` (a signedData over ``content``'s ``size`` bytes) with the content inside.

    Returns the number of bytes written.
    """
    signed_data = detached["content"]
    fields = [
        signed_data[name]
        for name in (
            "version",
            "digest_algorithms",
            "encap_content_info",
            "certificates",
            "crls",
            "signer_infos",
        )
    ]
    version, algorithms, _, certificates, crls, signer_infos = fields
    before = version.dump() + algorithms.dump()
    # An absent optional field (no CRLs) dumps as nothing.
    after = b"".join(part.dump() for part in (certificates, crls, signer_infos))
    octets = _header(0x04, size)
    explicit = _header(0xA0, len(octets) + size)
    encap_body = len(_DATA_OID) + len(explicit) + len(octets) + size
    encap = _header(0x30, encap_body) + _DATA_OID + explicit + octets
    signed_body = len(before) + len(encap) + size + len(after)
    signed = _header(0x30, signed_body)
    wrapper = _header(0xA0, len(signed) + signed_body)
    outer_body = len(_SIGNED_DATA_OID) + len(wrapper) + len(signed) + signed_body
    head = _header(0x30, outer_body) + _SIGNED_DATA_OID + wrapper + signed + before + encap
    target.write(head)
    copy_stream(content, target, size)
    target.write(after)
    return len(head) + size + len(after)
