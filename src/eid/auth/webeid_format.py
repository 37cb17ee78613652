"""The Web eID authentication token: its JSON form, the value it signs, and its signature.

A token proves possession of the authentication key for one origin and one
challenge: its signature covers ``hash(origin) || hash(challenge)``, hashed again
by the signature algorithm. The challenge nonce is signed as its base64 text.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from eid.errors import AuthTokenMalformed, CertificateMalformed, SignatureInvalid, UsageError
from eid.pki import CertificateInput, LoadedCertificate, load_certificate

__all__ = [
    "ALGORITHMS",
    "SigningCertificateEntry",
    "WebEidToken",
    "authentication_value",
    "normalise_origin",
    "parse_token",
    "verify_token_signature",
]

ALGORITHMS: Mapping[str, tuple[Literal["ecdsa", "pss", "pkcs1v15"], hashes.HashAlgorithm]] = {
    "ES256": ("ecdsa", hashes.SHA256()),
    "ES384": ("ecdsa", hashes.SHA384()),
    "ES512": ("ecdsa", hashes.SHA512()),
    "PS256": ("pss", hashes.SHA256()),
    "PS384": ("pss", hashes.SHA384()),
    "PS512": ("pss", hashes.SHA512()),
    "RS256": ("pkcs1v15", hashes.SHA256()),
    "RS384": ("pkcs1v15", hashes.SHA384()),
    "RS512": ("pkcs1v15", hashes.SHA512()),
}
"""Signature algorithms a token may name, with their scheme and hash."""

_CURVES = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}  # RFC 7518, 3.4
_FORMAT = re.compile(r"web-eid:1(\.[0-9]+)?")  # major version 1, any minor
_TOKEN_LENGTH = (100, 10000)
_NONCE_LENGTH = (44, 128)
_CRYPTO = {"ECC", "RSA"}
_HASH_FUNCTIONS = {
    "SHA-224",
    "SHA-256",
    "SHA-384",
    "SHA-512",
    "SHA3-224",
    "SHA3-256",
    "SHA3-384",
    "SHA3-512",
}
_PADDINGS = {"NONE", "PKCS1.5", "PSS"}


@dataclass(frozen=True)
class SigningCertificateEntry:
    """A signing certificate offered in a format 1.1 token, with the algorithms it supports."""

    certificate: x509.Certificate
    algorithms: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class WebEidToken:
    """A parsed (not yet validated) Web eID authentication token."""

    certificate_der: bytes
    algorithm: str
    signature: bytes
    format: str
    app_version: str
    signing_certificates: tuple[SigningCertificateEntry, ...] = ()


def _b64(value: object, field: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise AuthTokenMalformed(f"'{field}' is missing or not a string", field=field)
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise AuthTokenMalformed(f"'{field}' is not standard base64", field=field) from None
    # Only the canonical encoding: otherwise two texts (differing in unused bits) mean the same bytes.
    if base64.b64encode(decoded).decode("ascii") != value:
        raise AuthTokenMalformed(f"'{field}' is not canonical base64", field=field)
    return decoded


def _certificate_field(value: object) -> bytes:
    """The authentication certificate's bytes; one card sends the same text at every login."""
    if isinstance(value, str):
        return _decode_certificate_text(value)
    return _b64(value, "unverifiedCertificate")


@functools.lru_cache(maxsize=1024)
def _decode_certificate_text(value: str) -> bytes:
    return _b64(value, "unverifiedCertificate")


def _certificate(der: bytes, field: str) -> x509.Certificate:
    """A DER certificate whose names and extensions can be read (`cryptography` reads lazily)."""
    try:
        certificate = x509.load_der_x509_certificate(der)
        certificate.subject  # noqa: B018
        certificate.issuer  # noqa: B018
        certificate.extensions  # noqa: B018
    except (ValueError, x509.InvalidVersion) as error:
        raise CertificateMalformed(f"not a DER certificate ({error})", field=field) from None
    return certificate


def parse_token(token: str | bytes | Mapping[str, Any]) -> WebEidToken:
    """Parse a token (JSON text or an already decoded object) and check its form.

    Unknown fields are ignored. Raises `AuthTokenMalformed` for anything out of form;
    the certificate is decoded later (`CertificateMalformed`), in the order of checks.
    """
    data: Any = token
    if isinstance(token, str | bytes):
        text = token.decode("utf-8", "replace") if isinstance(token, bytes) else token
        if not _TOKEN_LENGTH[0] <= len(text) <= _TOKEN_LENGTH[1]:
            raise AuthTokenMalformed(
                f"a token has {_TOKEN_LENGTH[0]} to {_TOKEN_LENGTH[1]} characters, not {len(text)}"
            )
        try:
            data = json.loads(text)
        except ValueError:
            raise AuthTokenMalformed("the token is not JSON") from None
        except RecursionError:
            raise AuthTokenMalformed("the token's JSON is nested too deeply") from None
    if not isinstance(data, dict | Mapping):  # dict first: JSON gives one, and it is quicker
        raise AuthTokenMalformed("the token is not a JSON object")
    declared = data.get("format")
    if not isinstance(declared, str) or not _FORMAT.fullmatch(declared):
        raise AuthTokenMalformed(f"unsupported token format {_quoted(declared)}", field="format")
    algorithm = data.get("algorithm")
    if not isinstance(algorithm, str) or algorithm not in ALGORITHMS:
        raise AuthTokenMalformed(f"unsupported algorithm {_quoted(algorithm)}", field="algorithm")
    app_version = data.get("appVersion")
    if not isinstance(app_version, str) or not app_version:
        raise AuthTokenMalformed("'appVersion' is missing", field="appVersion")
    signing = data.get("unverifiedSigningCertificates")
    if declared in ("web-eid:1", "web-eid:1.0") and signing is not None:
        raise AuthTokenMalformed(f"'unverifiedSigningCertificates' is not allowed in {declared}")
    if declared == "web-eid:1.1" and not signing:
        raise AuthTokenMalformed("format web-eid:1.1 needs 'unverifiedSigningCertificates'")
    if signing is not None and not isinstance(signing, list):
        raise AuthTokenMalformed(
            "'unverifiedSigningCertificates' is not a list", field="unverifiedSigningCertificates"
        )
    return WebEidToken(
        certificate_der=_certificate_field(data.get("unverifiedCertificate")),
        algorithm=str(algorithm),
        signature=_b64(data.get("signature"), "signature"),
        format=declared,
        app_version=app_version,
        signing_certificates=tuple(
            _signing_entry(entry, i) for i, entry in enumerate(signing or ())
        ),
    )


def _signing_entry(entry: object, index: int) -> SigningCertificateEntry:
    field = f"unverifiedSigningCertificates[{index}]"
    if not isinstance(entry, Mapping):
        raise AuthTokenMalformed("not an object", field=field)
    algorithms = entry.get("supportedSignatureAlgorithms")
    if not isinstance(algorithms, list) or not algorithms:
        raise AuthTokenMalformed("'supportedSignatureAlgorithms' is missing", field=field)
    parsed = []
    for algorithm in algorithms:
        values = (
            (
                algorithm.get("cryptoAlgorithm"),
                algorithm.get("hashFunction"),
                algorithm.get("paddingScheme"),
            )
            if isinstance(algorithm, Mapping)
            else (None, None, None)
        )
        crypto, hash_function, padding_scheme = values
        if not (
            isinstance(crypto, str)
            and isinstance(hash_function, str)
            and isinstance(padding_scheme, str)
            and crypto in _CRYPTO
            and hash_function in _HASH_FUNCTIONS
            and padding_scheme in _PADDINGS
        ):
            raise AuthTokenMalformed(
                f"unsupported signature algorithm ({', '.join(map(_quoted, values))})", field=field
            )
        parsed.append((crypto, hash_function, padding_scheme))
    certificate = _certificate(
        _b64(entry.get("certificate"), f"{field}.certificate"), f"{field}.certificate"
    )
    return SigningCertificateEntry(certificate, tuple(parsed))


def _quoted(value: object) -> str:
    """A value from the token as a message quotes it: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@functools.lru_cache(maxsize=256)
def normalise_origin(origin: str) -> str:
    """The ASCII serialisation of an https origin (``https://host[:port]``, default port dropped).

    An IPv6 host keeps its brackets, in the shortest form (``https://[::1]:8443``).
    """
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        raise UsageError(f"not an origin: {origin!r}") from None
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        raise UsageError(f"an origin is https://host[:port], not {origin!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise UsageError(f"an origin has no path, query or fragment: {origin!r}")
    host = _host(parts.hostname, origin)
    return f"https://{host}" if port in (None, 443) else f"https://{host}:{port}"


def _host(hostname: str, origin: str) -> str:
    """A host as an origin writes it: IDNA for names, ``[shortest form]`` for IPv6."""
    if ":" in hostname:
        try:
            address = ipaddress.IPv6Address(hostname)
        except ValueError:
            raise UsageError(f"not a valid IPv6 address in {origin!r}") from None
        if address.scope_id is not None:
            raise UsageError(f"an origin has no IPv6 zone: {origin!r}")
        return f"[{address.compressed}]"
    try:
        return hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise UsageError(f"not a valid host name in {origin!r}") from None


def authentication_value(
    origin: str, challenge: str, hash_algorithm: hashes.HashAlgorithm
) -> bytes:
    """``hash(origin) || hash(challenge)``: what a token's signature covers (before its own hash)."""
    if not _NONCE_LENGTH[0] <= len(challenge) <= _NONCE_LENGTH[1]:
        raise UsageError(
            f"a challenge nonce has {_NONCE_LENGTH[0]} to {_NONCE_LENGTH[1]} characters"
        )
    name = hash_algorithm.name
    return _origin_hash(origin, name) + hashlib.new(name, challenge.encode()).digest()


@functools.lru_cache(maxsize=256)
def _origin_hash(origin: str, name: str) -> bytes:
    """``hash(origin)``: the same for every login at one portal."""
    return hashlib.new(name, origin.encode()).digest()


Verifier = Callable[[bytes, bytes], None]


@functools.lru_cache(maxsize=1024)
def _verifier(certificate: LoadedCertificate, algorithm: str) -> Verifier:
    """A function ``(signature, value) -> None`` for this key and algorithm, built once.

    Keyed by the loaded certificate (hashed by its fingerprint: hashing a `cryptography`
    certificate re-reads its bytes). Raises `SignatureInvalid` when the key does not suit
    the algorithm or cannot be used.
    """
    scheme, hash_algorithm = ALGORITHMS[algorithm]
    if certificate.crypto is None:
        raise SignatureInvalid(
            "the certificate's key cannot be used (cryptography refused its encoding)"
        )
    key = certificate.crypto.public_key()
    if scheme == "ecdsa":
        curve = _CURVES[algorithm]
        if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != curve:
            raise SignatureInvalid(f"{algorithm} needs a {curve} key, the certificate has another")
        ec_key, size, ecdsa = key, (key.curve.key_size + 7) // 8, ec.ECDSA(hash_algorithm)

        def verify_ecdsa(signature: bytes, value: bytes) -> None:
            if len(signature) != 2 * size:
                raise SignatureInvalid(
                    f"an {algorithm} signature on this curve has {2 * size} bytes"
                )
            r = int.from_bytes(signature[:size], "big")
            s = int.from_bytes(signature[size:], "big")
            ec_key.verify(encode_dss_signature(r, s), value, ecdsa)

        return verify_ecdsa
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureInvalid(f"{algorithm} needs an RSA key, the certificate has another")
    rsa_key = key
    pad: padding.AsymmetricPadding = (
        padding.PSS(padding.MGF1(hash_algorithm), hash_algorithm.digest_size)
        if scheme == "pss"
        else padding.PKCS1v15()
    )

    def verify_rsa(signature: bytes, value: bytes) -> None:
        rsa_key.verify(signature, value, pad, hash_algorithm)

    return verify_rsa


def verify_token_signature(
    token: WebEidToken, certificate: CertificateInput, origin: str, challenge: str
) -> None:
    """Check the token's signature with the certificate's key; `SignatureInvalid` when it fails."""
    verify = _verifier(load_certificate(certificate), token.algorithm)
    value = authentication_value(origin, challenge, ALGORITHMS[token.algorithm][1])
    try:
        verify(token.signature, value)
    except InvalidSignature:
        raise SignatureInvalid(
            "the token's signature does not verify for this origin and challenge"
        ) from None
