"""Provider keys: one signer abstraction over software keys and PKCS#11 keys, and the key set.

A `Signer` is a callable ``sign(data, algorithm) -> signature`` (JWS algorithm name; ECDSA
gives ``r || s``), so JWS and XML-DSig sign the same way whether the key is a `cryptography`
key parsed once (`software_signer`) or a key on a token or HSM through `eid.tokens`
(`token_signer`; the virtual card's authentication key works as a provider key).

A `KeySet` has one active key that signs, an optional next key that is already published
(JWKS, metadata) but does not sign yet, and passive keys that no longer sign but still
verify until every token they signed has expired. `KeySet.rotate` makes the next key
active and the active key passive; `KeySet.prune` forgets passive keys once their
retention has passed.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import pkcs12

from eid.errors import SsoKeyError
from eid.sso.algorithms import (
    PrivateKey,
    PublicKey,
    algorithms_for,
    pss_padding,
    signature_algorithm,
)

if TYPE_CHECKING:
    from eid.tokens import Token

__all__ = [
    "KeySet",
    "ProviderKey",
    "RetiredKey",
    "Signer",
    "public_jwk",
    "software_signer",
    "token_signer",
]

Signer = Callable[[bytes, str], bytes]
"""``sign(data, algorithm)``: the signature of ``data`` under a JWS algorithm name."""


def _b64(value: int, length: int | None = None) -> str:
    raw = value.to_bytes(length or max(1, (value.bit_length() + 7) // 8), "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(key: PublicKey) -> dict[str, str]:
    """The RFC 7517 members that define ``key`` (``kty`` and its public numbers)."""
    if isinstance(key, rsa.RSAPublicKey):
        numbers = key.public_numbers()
        return {"kty": "RSA", "n": _b64(numbers.n), "e": _b64(numbers.e)}
    crv = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}.get(key.curve.name)
    if crv is None:
        raise SsoKeyError(f"curve {key.curve.name} cannot be published as a JWK")
    size = (key.curve.key_size + 7) // 8
    point = key.public_numbers()
    return {"kty": "EC", "crv": crv, "x": _b64(point.x, size), "y": _b64(point.y, size)}


def _thumbprint(key: PublicKey) -> str:
    """The RFC 7638 JWK thumbprint (SHA-256, base64url): the key's id."""
    members = json.dumps(public_jwk(key), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(members.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def software_signer(key: PrivateKey) -> Signer:
    """A signer over a `cryptography` private key (padding and hashes prepared once)."""
    prepared: dict[str, Callable[[bytes], bytes]] = {}
    for name in algorithms_for(key.public_key()):
        algorithm = signature_algorithm(name)
        digest = algorithm.hash_algorithm()
        if isinstance(key, rsa.RSAPrivateKey):
            scheme = pss_padding(algorithm) if algorithm.family == "rsa-pss" else padding.PKCS1v15()

            def sign_rsa(
                data: bytes,
                k: rsa.RSAPrivateKey = key,
                s: padding.AsymmetricPadding = scheme,
                h: hashes.HashAlgorithm = digest,
            ) -> bytes:
                return k.sign(data, s, h)

            prepared[name] = sign_rsa
        else:
            ecdsa, size = ec.ECDSA(digest), algorithm.coordinate_bytes

            def sign_ec(
                data: bytes, k: ec.EllipticCurvePrivateKey = key, e: ec.ECDSA = ecdsa, n: int = size
            ) -> bytes:
                r, s = decode_dss_signature(k.sign(data, e))
                return r.to_bytes(n, "big") + s.to_bytes(n, "big")

            prepared[name] = sign_ec

    def sign(data: bytes, algorithm: str) -> bytes:
        method = prepared.get(algorithm)
        if method is None:
            raise SsoKeyError(f"this key cannot sign with {algorithm}")
        return method(data)

    return sign


def token_signer(token: Token, role: str = "authentication") -> Signer:
    """A signer over the key beside ``role``'s certificate on a PKCS#11 token (PIN as the token asks)."""

    def sign(data: bytes, algorithm: str) -> bytes:
        spec = signature_algorithm(algorithm)
        return token.sign(
            data,
            key=role,
            hash=spec.hash,
            padding="pss" if spec.family == "rsa-pss" else "pkcs1v15",
            ecdsa_format="raw",
        )

    return sign


@dataclass(frozen=True, eq=False)
class ProviderKey:
    """A provider key: its id (RFC 7638 thumbprint), public key, signer and certificate.

    ``certificate`` (where there is one) goes into SAML metadata and the JWKS ``x5c``;
    ``algorithms`` are the JWS names this key can sign with.
    """

    public_key: PublicKey
    sign: Signer = field(repr=False)
    certificate: x509.Certificate | None = None
    kid: str = ""
    _algorithms: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Refuse keys that fit no algorithm; compute the key id unless given."""
        object.__setattr__(self, "_algorithms", algorithms_for(self.public_key))
        if not self._algorithms:
            raise SsoKeyError(
                "the provider key must be RSA (2048 bits or more) or EC P-256/384/521"
            )
        if self.certificate is not None and self.certificate.public_key() != self.public_key:
            raise SsoKeyError("the certificate does not belong to the provider key")
        if not self.kid:
            object.__setattr__(self, "kid", _thumbprint(self.public_key))

    @property
    def algorithms(self) -> tuple[str, ...]:
        """The JWS names of the algorithms this key can sign with."""
        return self._algorithms

    def choose_algorithm(self, accepted: Iterable[str]) -> str:
        """The first of ``accepted`` this key can sign with; `SsoKeyError` if none."""
        mine = self.algorithms
        for name in accepted:
            if name in mine:
                return name
        raise SsoKeyError(
            f"the provider key (kid {self.kid}) can make none of {', '.join(accepted)}"
        )

    def jwk(self) -> dict[str, object]:
        """The public JWK: key numbers, ``kid``, ``use: sig`` and ``x5c`` when a certificate exists."""
        jwk: dict[str, object] = {**public_jwk(self.public_key), "kid": self.kid, "use": "sig"}
        if self.certificate is not None:
            der = self.certificate.public_bytes(serialization.Encoding.DER)
            jwk["x5c"] = [base64.b64encode(der).decode()]
        return jwk

    @classmethod
    def from_private_key(
        cls, key: PrivateKey, certificate: x509.Certificate | None = None
    ) -> ProviderKey:
        """A provider key over a software key."""
        return cls(key.public_key(), software_signer(key), certificate)

    @classmethod
    def from_pem(
        cls, path: Path, *, password: bytes | None = None, certificate: Path | None = None
    ) -> ProviderKey:
        """A key from a PEM private key file, with an optional PEM certificate file."""
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password)
            cert = x509.load_pem_x509_certificate(certificate.read_bytes()) if certificate else None
        except (OSError, ValueError, TypeError) as error:
            raise SsoKeyError(f"{path}: cannot load the provider key ({error})") from None
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise SsoKeyError(f"{path}: the provider key must be RSA or EC")
        return cls.from_private_key(key, cert)

    @classmethod
    def from_pkcs12(cls, path: Path, *, password: bytes | None = None) -> ProviderKey:
        """A key and its certificate from a PKCS#12 file."""
        try:
            key, cert, _ = pkcs12.load_key_and_certificates(path.read_bytes(), password)
        except (OSError, ValueError, TypeError) as error:
            raise SsoKeyError(f"{path}: cannot load the PKCS#12 file ({error})") from None
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise SsoKeyError(f"{path}: the PKCS#12 file holds no RSA or EC key")
        return cls.from_private_key(key, cert)

    @classmethod
    def from_token(cls, token: Token, role: str = "authentication") -> ProviderKey:
        """The key beside ``role``'s certificate on a PKCS#11 token (the virtual card's works)."""
        certificate = token.certificate(role).certificate
        public = certificate.public_key()
        if not isinstance(public, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
            raise SsoKeyError("the token's key must be RSA or EC")
        return cls(public, token_signer(token, role), certificate)


@dataclass(frozen=True)
class RetiredKey:
    """A key that no longer signs, and since when."""

    key: ProviderKey
    retired_at: dt.datetime


@dataclass(frozen=True)
class KeySet:
    """The active signing key, the published next key and the passive keys that still verify."""

    active: ProviderKey
    next: ProviderKey | None = None
    passive: tuple[RetiredKey, ...] = ()

    def __post_init__(self) -> None:
        """Refuse two keys with one id."""
        kids = [k.kid for k in self]
        if len(set(kids)) != len(kids):
            raise SsoKeyError("two keys of the key set have the same key id")

    def __iter__(self) -> Iterator[ProviderKey]:
        """Every published key: active, next, then passive (newest first)."""
        yield self.active
        if self.next is not None:
            yield self.next
        for retired in self.passive:
            yield retired.key

    def by_kid(self) -> Mapping[str, ProviderKey]:
        """Every published key by its id."""
        return {key.kid: key for key in self}

    def jwks(self) -> dict[str, object]:
        """The JWKS document of every published key."""
        return {"keys": [key.jwk() for key in self]}

    def rotate(self, new_next: ProviderKey | None, *, now: dt.datetime) -> KeySet:
        """The next key signs from now; the active key turns passive; ``new_next`` is published.

        Rotation needs a published next key: a key must be in the JWKS before it signs.
        """
        if self.next is None:
            raise SsoKeyError("no next key is published: add one and rotate after caches refresh")
        return replace(
            self,
            active=self.next,
            next=new_next,
            passive=(RetiredKey(self.active, now), *self.passive),
        )

    def prune(self, *, now: dt.datetime, retention: dt.timedelta) -> KeySet:
        """Forget passive keys retired longer ago than ``retention`` (the longest token life)."""
        kept = tuple(r for r in self.passive if now - r.retired_at <= retention)
        return replace(self, passive=kept)
