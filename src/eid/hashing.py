"""Hash algorithms by name, as PKCS#11, CMS, PDF and Web eID code name them.

One table for the whole package; each caller says which names it accepts.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from functools import partial

from cryptography.hazmat.primitives import hashes

from eid.errors import UsageError

__all__ = ["HASHES", "SIGNING_DIGESTS", "hash_algorithm", "hash_bytes", "hasher"]

HASHES: Mapping[str, Callable[[], hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
    "sha3_224": hashes.SHA3_224,
    "sha3_256": hashes.SHA3_256,
    "sha3_384": hashes.SHA3_384,
    "sha3_512": hashes.SHA3_512,
    "shake256": partial(hashes.SHAKE256, 64),
}
"""Every hash `eid` knows, by its asn1crypto/pyHanko name (SHAKE256: 512-bit output, RFC 8419)."""

SIGNING_DIGESTS = ("sha256", "sha384", "sha512")
"""The digests `eid` signs documents with."""


def hash_algorithm(name: str, allowed: Collection[str] = HASHES) -> hashes.HashAlgorithm:
    """The `cryptography` hash called ``name``; `UsageError` unless it is one of ``allowed``."""
    if name not in allowed or name not in HASHES:
        choices = ", ".join(n for n in HASHES if n in allowed)
        raise UsageError(f"unsupported hash {name!r}; use one of {choices}")
    return HASHES[name]()


def hasher(name: str) -> hashes.Hash:
    """A fresh incremental hash for ``name`` (a key of `HASHES`; KeyError for another)."""
    return hashes.Hash(HASHES[name]())


def hash_bytes(name: str, data: bytes) -> bytes:
    """The ``name`` digest of ``data`` (a key of `HASHES`; KeyError for another)."""
    context = hasher(name)
    context.update(data)
    return context.finalize()
