"""Self-signed certificates for test keys (IdPs, service providers, EdDSA signers)."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

__all__ = ["self_signed"]

SelfSigningKey = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
)


def self_signed(
    key: SelfSigningKey,
    common_name: str,
    *,
    not_before: dt.datetime | None = None,
    days: int = 30,
) -> x509.Certificate:
    """A certificate of ``key`` named and issued by CN=``common_name`` (SHA-256, or EdDSA's own).

    Valid from ``not_before`` (by default a day ago) for ``days`` days.
    """
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = not_before or dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    eddsa = isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey)
    builder = x509.CertificateBuilder(
        issuer_name=name,
        subject_name=name,
        public_key=key.public_key(),
        serial_number=x509.random_serial_number(),
        not_valid_before=start,
        not_valid_after=start + dt.timedelta(days=days),
    )
    return builder.sign(key, None if eddsa else hashes.SHA256())
