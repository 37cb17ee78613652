"""Loading certificates leniently: DER or PEM, strict DER via `cryptography`, else asn1crypto.

Some national eID certificates are not DER (an explicit NULL in ECDSA parameters, explicitly
encoded default values; Citizen CA 201402 is one). `cryptography` refuses them; asn1crypto
parses them and keeps the original bytes, so their signatures still verify. Such a certificate
loads with ``crypto`` None and the reason in ``problems``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes

from eid.errors import MalformedInput

__all__ = [
    "CertificateInput",
    "LoadedCertificate",
    "check_public_key",
    "describe",
    "load_certificate",
    "load_certificates",
    "load_certificates_from_path",
]

_PEM_BEGIN = re.compile(rb"-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----")
_PEM_END = b"-----END"
_ECDSA_OIDS = {"1.2.840.10045.4.1", "1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3"}
_ECDSA_OIDS |= {"1.2.840.10045.4.3.4", "1.2.840.10045.4.3.1"}
_CACHE_SIZE = 1024
_VERIFYING_KEYS = (
    rsa.RSAPublicKey,
    dsa.DSAPublicKey,
    ec.EllipticCurvePublicKey,
    ed25519.Ed25519PublicKey,
    ed448.Ed448PublicKey,
)


@dataclass(frozen=True, eq=False)
class LoadedCertificate:
    """A parsed certificate: the exact bytes, asn1crypto's view, `cryptography`'s when it can.

    ``problems`` lists what is wrong with the encoding (empty for a DER certificate).
    """

    der: bytes
    asn1: Any
    crypto: x509.Certificate | None
    problems: tuple[str, ...]
    fingerprint: bytes

    def __eq__(self, other: object) -> bool:
        """Equal when the bytes are equal."""
        return isinstance(other, LoadedCertificate) and other.fingerprint == self.fingerprint

    def __hash__(self) -> int:
        """Hash of the SHA-256 fingerprint."""
        return hash(self.fingerprint)

    @property
    def subject(self) -> str:
        """The subject in a readable one-line form."""
        return str(self.asn1.subject.human_friendly)

    @property
    def serial_number(self) -> int:
        """The serial number."""
        return int(self.asn1.serial_number)

    @property
    def public_key(self) -> CertificatePublicKeyTypes:
        """The subject's public key, read from the SubjectPublicKeyInfo as it is encoded.

        Also for a certificate `cryptography` refused (``crypto`` None): the key of such a
        certificate is usually DER even when the rest is not. Raises `MalformedInput`
        when the key cannot be used.
        """
        try:
            key = (
                self.crypto.public_key()
                if self.crypto is not None
                else serialization.load_der_public_key(self.asn1.public_key.dump())
            )
        except (ValueError, TypeError, UnsupportedAlgorithm) as error:
            raise MalformedInput(
                f"{describe(self)}: its public key cannot be used ({error})"
            ) from None
        if not isinstance(key, _VERIFYING_KEYS):
            raise MalformedInput(
                f"{describe(self)}: a {type(key).__name__} cannot verify signatures"
            )
        return key


CertificateInput: TypeAlias = bytes | bytearray | memoryview | x509.Certificate | LoadedCertificate
"""What the API accepts as a certificate: DER or PEM bytes, `cryptography`'s, or a loaded one."""

_lock = threading.Lock()
_cache: OrderedDict[bytes, LoadedCertificate] = OrderedDict()


def check_public_key(cert: LoadedCertificate, *, source: str | None = None) -> None:
    """Raise `MalformedInput` unless the certificate's public key can verify signatures.

    The key must decode (`cryptography`) and be RSA, DSA, EC on a named curve, Ed25519 or
    Ed448: a certificate that is to check other certificates (an anchor, an intermediate)
    is refused here rather than failing in the middle of path validation.
    """
    try:
        key = serialization.load_der_public_key(cert.asn1.public_key.dump())
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise MalformedInput(
            f"{describe(cert)}: its public key cannot be used ({error})", source=source
        ) from None
    if not isinstance(key, _VERIFYING_KEYS):
        raise MalformedInput(
            f"{describe(cert)}: its {type(key).__name__} cannot verify signatures", source=source
        )


def describe(cert: LoadedCertificate) -> str:
    """Name a certificate in a message: its subject and serial number."""
    return f"certificate '{cert.subject}' (serial {cert.serial_number:x})"


def load_certificate(
    data: CertificateInput,
    *,
    source: str | None = None,
    allow_padding: bool = False,
    allow_pem: bool = True,
) -> LoadedCertificate:
    """Load one certificate (DER or PEM); raise `MalformedInput` naming ``source`` if it is none.

    Bytes after the certificate are refused, unless ``allow_padding`` and they are zeros (card
    files are zero-padded), which is then recorded in ``problems``. ``allow_pem=False`` takes
    DER bytes only (a format that defines its field as DER has one encoding per certificate).
    Loads are remembered by content (bounded), so loading the same bytes again is cheap.
    """
    if isinstance(data, LoadedCertificate):
        return data
    if isinstance(data, x509.Certificate):
        der = data.public_bytes(serialization.Encoding.DER)
    elif isinstance(data, bytes | bytearray | memoryview):
        der = bytes(data)
        if not allow_pem and der[:1] != b"\x30":
            raise MalformedInput("not a DER certificate (PEM or other text)", source=source)
        if allow_pem and b"-----BEGIN" in der:
            blocks = _pem_blocks(der, source)
            if len(blocks) != 1:
                raise MalformedInput(
                    f"expected one certificate, found {len(blocks)} PEM blocks", source=source
                )
            der = blocks[0]
    else:
        raise MalformedInput(
            f"expected certificate bytes or a certificate, got {type(data).__name__}",
            source=source,
        )
    return _load_der(der, source, allow_padding)


def load_certificates(data: bytes, *, source: str | None = None) -> list[LoadedCertificate]:
    """Load every certificate of a PEM bundle (text around the blocks is allowed) or one DER.

    A DER file may be zero-padded after the certificate (as copied from a card); that is
    recorded in ``problems``.
    """
    if b"-----BEGIN" in data:
        return [_load_der(der, source, False) for der in _pem_blocks(data, source)]
    return [_load_der(data, source, True)]


def load_certificates_from_path(path: Path | str) -> list[LoadedCertificate]:
    """Load the certificates of a file, or of every file in a folder (not recursive, sorted).

    Files in a folder that hold no certificate (README, ORIGINS.md) are skipped; a file named
    directly must hold at least one.
    """
    target = Path(path)
    if target.is_dir():
        found: list[LoadedCertificate] = []
        for child in sorted(target.iterdir()):
            if child.is_file() and child.suffix.lower() in (".pem", ".der", ".crt", ".cer"):
                found.extend(load_certificates(child.read_bytes(), source=str(child)))
        return found
    try:
        data = target.read_bytes()
    except OSError as error:
        raise MalformedInput(f"cannot read: {error.strerror}", source=str(target)) from error
    return load_certificates(data, source=str(target))


def _pem_blocks(data: bytes, source: str | None) -> list[bytes]:
    """The DER of each CERTIFICATE block, in one pass over ``data`` (linear time)."""
    blocks: list[bytes] = []
    position = 0
    while (begin := _PEM_BEGIN.search(data, position)) is not None:
        end = data.find(_PEM_END, begin.end())
        if end < 0:
            break  # no END after this BEGIN, so none after any later one either
        try:
            body = b"".join(data[begin.end() : end].split())
            blocks.append(base64.b64decode(body, validate=True))
        except (binascii.Error, ValueError) as error:
            raise MalformedInput(
                "PEM block is not valid base64", source=source, offset=begin.start()
            ) from error
        position = end + len(_PEM_END)
    if not blocks:
        raise MalformedInput("no complete PEM CERTIFICATE block", source=source)
    return blocks


def _load_der(data: bytes, source: str | None, allow_padding: bool) -> LoadedCertificate:
    key = hashlib.sha256(data).digest()
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
    if hit is not None:
        if len(hit.der) < len(data) and not allow_padding:
            raise MalformedInput(
                "data after the end of the certificate", source=source, offset=len(hit.der)
            )
        return hit
    problems: list[str] = []
    try:
        parsed = asn1_x509.Certificate.load(data)
        der = bytes(parsed.dump())
    except (ValueError, TypeError, KeyError) as error:
        raise MalformedInput(f"not an X.509 certificate ({error})", source=source) from error
    if len(der) < len(data):
        if not allow_padding or data[len(der) :].strip(b"\x00"):
            raise MalformedInput(
                "data after the end of the certificate", source=source, offset=len(der)
            )
        problems.append(
            f"{len(data) - len(der)} bytes of zero padding after the certificate ignored"
        )
    crypto: x509.Certificate | None
    try:
        crypto = x509.load_der_x509_certificate(der)
    except (ValueError, x509.InvalidVersion) as error:
        crypto = None
        problems.append(f"not DER, cryptography refused it ({error})")
    try:
        # Parse every field now (the cache keeps the result), not in the middle of validation;
        # names too as path building compares them (RFC 5280 7.1 string preparation).
        parsed.native  # noqa: B018
        parsed.subject.hashable  # noqa: B018
        parsed.issuer.hashable  # noqa: B018
        # RSA and ECDSA signature values fill whole octets. Unused bits would make a second
        # encoding of the same signed certificate, with another fingerprint (which defeats
        # lists and caches keyed by fingerprint).
        if parsed["signature_value"].contents[:1] != b"\x00":
            raise MalformedInput("the certificate's signature value has unused bits", source=source)
        if crypto is None:
            problems.extend(_encoding_notes(parsed))
    except Exception as error:  # asn1crypto raises many kinds of error on bad input
        raise MalformedInput(f"not an X.509 certificate ({error})", source=source) from error
    fingerprint = key if der == data else hashlib.sha256(der).digest()
    loaded = LoadedCertificate(der, parsed, crypto, tuple(problems), fingerprint)
    with _lock:
        _cache[key] = loaded
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return loaded


def _encoding_notes(parsed: Any) -> Iterable[str]:
    """Name the known non-DER constructions, so the problem says more than a parser error."""
    for where, algorithm in (
        ("signatureAlgorithm", parsed["signature_algorithm"]),
        ("tbsCertificate.signature", parsed["tbs_certificate"]["signature"]),
    ):
        encoded = (
            algorithm["parameters"].dump() if algorithm["algorithm"].dotted in _ECDSA_OIDS else b""
        )
        if encoded == b"\x05\x00":
            yield f"{where}: explicit NULL parameters in an ECDSA AlgorithmIdentifier (RFC 5758 3.2: absent)"
        elif encoded:
            yield f"{where}: parameters in an ECDSA AlgorithmIdentifier (RFC 5758 3.2: absent)"
