"""Signature algorithms the provider signs and verifies with, by their JWS names.

One table for JWS and XML-DSig: each `SignatureAlgorithm` has its JWS name (RFC 7518), its
XML-DSig URI, the hash, and the key it needs (RSA with PKCS#1 v1.5 or PSS, or ECDSA on one
curve). ECDSA signatures are always the fixed-length ``r || s`` form both JWS and XML-DSig
use. `verify` checks a signature strictly (exact length for ECDSA, no other encoding).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, TypeAlias

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from eid.errors import SsoKeyError

__all__ = [
    "ALGORITHMS",
    "KeyFamily",
    "PrivateKey",
    "PublicKey",
    "SignatureAlgorithm",
    "Verifier",
    "algorithms_for",
    "pss_padding",
    "signature_algorithm",
    "verifier",
    "verify",
]

PublicKey: TypeAlias = rsa.RSAPublicKey | ec.EllipticCurvePublicKey
"""A key that verifies provider signatures."""

PrivateKey: TypeAlias = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
"""A software key that makes provider signatures."""

Verifier: TypeAlias = Callable[[bytes, bytes], bool]
"""A prepared signature check: ``(signature, data) -> bool``."""

KeyFamily: TypeAlias = Literal["rsa-pkcs1", "rsa-pss", "ecdsa"]
"""The signature scheme."""


_HASHES: Mapping[str, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


@dataclass(frozen=True)
class SignatureAlgorithm:
    """One signature algorithm: JWS name, XML-DSig URI, hash, scheme and (ECDSA) curve."""

    name: str
    xmldsig_uri: str
    hash: Literal["sha256", "sha384", "sha512"]
    family: KeyFamily
    curve: str | None = None
    coordinate_bytes: int = 0

    def hash_algorithm(self) -> hashes.HashAlgorithm:
        """A new `cryptography` hash object for this algorithm."""
        return _HASHES[self.hash]()

    def fits(self, key: PublicKey) -> bool:
        """Whether ``key`` can make or check this algorithm's signatures."""
        if isinstance(key, rsa.RSAPublicKey):
            return self.family != "ecdsa" and key.key_size >= 2048
        return self.family == "ecdsa" and key.curve.name == self.curve


_XMLDSIG_MORE = "http://www.w3.org/2001/04/xmldsig-more#"
_XMLDSIG_MORE_2007 = "http://www.w3.org/2007/05/xmldsig-more#"

ALGORITHMS: Mapping[str, SignatureAlgorithm] = MappingProxyType(
    {
        a.name: a
        for a in (
            SignatureAlgorithm("RS256", _XMLDSIG_MORE + "rsa-sha256", "sha256", "rsa-pkcs1"),
            SignatureAlgorithm("RS384", _XMLDSIG_MORE + "rsa-sha384", "sha384", "rsa-pkcs1"),
            SignatureAlgorithm("RS512", _XMLDSIG_MORE + "rsa-sha512", "sha512", "rsa-pkcs1"),
            SignatureAlgorithm("PS256", _XMLDSIG_MORE_2007 + "sha256-rsa-MGF1", "sha256", "rsa-pss"),
            SignatureAlgorithm("PS384", _XMLDSIG_MORE_2007 + "sha384-rsa-MGF1", "sha384", "rsa-pss"),
            SignatureAlgorithm("PS512", _XMLDSIG_MORE_2007 + "sha512-rsa-MGF1", "sha512", "rsa-pss"),
            SignatureAlgorithm("ES256", _XMLDSIG_MORE + "ecdsa-sha256", "sha256", "ecdsa", "secp256r1", 32),
            SignatureAlgorithm("ES384", _XMLDSIG_MORE + "ecdsa-sha384", "sha384", "ecdsa", "secp384r1", 48),
            SignatureAlgorithm("ES512", _XMLDSIG_MORE + "ecdsa-sha512", "sha512", "ecdsa", "secp521r1", 66),
        )
    }
)  # fmt: skip
"""The algorithms by JWS name. SHA-1 is not among them: the provider never signs with it."""


def signature_algorithm(name: str) -> SignatureAlgorithm:
    """The algorithm called ``name`` (JWS name); `SsoKeyError` for one not in `ALGORITHMS`."""
    found = ALGORITHMS.get(name)
    if found is None:
        raise SsoKeyError(
            f"unsupported signature algorithm {name!r}; use one of {', '.join(ALGORITHMS)}"
        )
    return found


def algorithms_for(key: PublicKey) -> tuple[str, ...]:
    """The JWS names of every algorithm ``key`` can make, in `ALGORITHMS` order."""
    return tuple(name for name, algorithm in ALGORITHMS.items() if algorithm.fits(key))


def pss_padding(algorithm: SignatureAlgorithm) -> padding.PSS:
    """RSASSA-PSS with MGF1 of the same hash and a salt as long as the digest (RFC 7518)."""
    return padding.PSS(
        padding.MGF1(algorithm.hash_algorithm()), algorithm.hash_algorithm().digest_size
    )


def verifier(key: PublicKey, algorithm: SignatureAlgorithm) -> Verifier | None:
    """A prepared check ``(signature, data) -> bool`` of ``algorithm`` with ``key``.

    None when the key does not fit the algorithm. ECDSA signatures must be exactly
    ``2 * coordinate_bytes`` long (``r || s``); padding and hash objects are made once.
    """
    if not algorithm.fits(key):
        return None
    digest = algorithm.hash_algorithm()
    if isinstance(key, rsa.RSAPublicKey):
        scheme = pss_padding(algorithm) if algorithm.family == "rsa-pss" else padding.PKCS1v15()

        def check_rsa(signature: bytes, data: bytes) -> bool:
            try:
                key.verify(signature, data, scheme, digest)
            except InvalidSignature:
                return False
            return True

        return check_rsa
    size, ecdsa = algorithm.coordinate_bytes, ec.ECDSA(digest)

    def check_ec(signature: bytes, data: bytes) -> bool:
        if len(signature) != 2 * size:
            return False
        der = encode_dss_signature(
            int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
        )
        try:
            key.verify(der, data, ecdsa)
        except InvalidSignature:
            return False
        return True

    return check_ec


def verify(key: PublicKey, algorithm: SignatureAlgorithm, signature: bytes, data: bytes) -> bool:
    """Whether ``signature`` over ``data`` verifies with ``key`` under ``algorithm``.

    False as well when the key does not fit the algorithm (see `verifier`).
    """
    check = verifier(key, algorithm)
    return check is not None and check(signature, data)
