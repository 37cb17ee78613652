"""Hash algorithms by name, as PKCS#11, CMS, PDF and Web eID code name them.

One table for the whole package; each caller says which names it accepts.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from cryptography.hazmat.primitives import hashes

from eid.errors import UsageError

__all__ = ["HASHES", "SIGNING_DIGESTS", "hash_algorithm"]

HASHES: Mapping[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
    "sha3_224": hashes.SHA3_224,
    "sha3_256": hashes.SHA3_256,
    "sha3_384": hashes.SHA3_384,
    "sha3_512": hashes.SHA3_512,
}
"""Every hash `eid` knows, by its asn1crypto/pyHanko name."""

SIGNING_DIGESTS = ("sha256", "sha384", "sha512")
"""The digests `eid` signs documents with."""


def hash_algorithm(name: str, allowed: Collection[str] = HASHES) -> hashes.HashAlgorithm:
    """The `cryptography` hash called ``name``; `UsageError` unless it is one of ``allowed``."""
    if name not in allowed or name not in HASHES:
        choices = ", ".join(n for n in HASHES if n in allowed)
        raise UsageError(f"unsupported hash {name!r}; use one of {choices}")
    return HASHES[name]()
