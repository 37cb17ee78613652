"""How attributes are read from tokens: labels that are not UTF-8, allowed-mechanism lists.

python-pkcs11 decodes ``CKA_LABEL`` strictly as UTF-8, and some tools write labels
in Latin-1 or another code page; it cannot read ``CKA_ALLOWED_MECHANISMS`` at all.
Sessions opened with `ATTRIBUTE_MAPPER` read both.
"""

from __future__ import annotations

import struct

from pkcs11 import Attribute, Mechanism
from pkcs11.attributes import AttributeMapper

__all__ = ["ATTRIBUTE_MAPPER"]

_ULONG = struct.calcsize("L")


def _pack_text(text: str) -> bytes:
    return text.encode("utf-8")


def _unpack_text(data: bytes) -> str:
    # An undecodable byte becomes U+FFFD: the object stays listable, its label readable enough.
    return data.decode("utf-8", "replace")


def _pack_mechanisms(mechanisms: list[Mechanism]) -> bytes:
    return struct.pack(f"{len(mechanisms)}L", *mechanisms)


def _unpack_mechanisms(data: bytes) -> frozenset[int]:
    # Values are kept as integers: a vendor mechanism has no Mechanism member.
    usable = len(data) - len(data) % _ULONG
    return frozenset(struct.unpack(f"{usable // _ULONG}L", data[:usable]))


ATTRIBUTE_MAPPER = AttributeMapper()
"""The attribute mapper of every session `eid` opens."""
ATTRIBUTE_MAPPER.register_handler(Attribute.LABEL, _pack_text, _unpack_text)
ATTRIBUTE_MAPPER.register_handler(Attribute.APPLICATION, _pack_text, _unpack_text)
ATTRIBUTE_MAPPER.register_handler(
    Attribute.ALLOWED_MECHANISMS, _pack_mechanisms, _unpack_mechanisms
)
