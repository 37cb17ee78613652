"""A pysaml2 service provider and an RSA key pair for SAML portals in the tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig


def key_pair(directory: Path, name: str) -> tuple[Path, Path, str]:
    """An RSA-2048 key and self-signed certificate in ``directory``; the certificate as PEM too."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = directory / f"{name}.key", directory / f"{name}.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    cert_path.write_text(pem)
    return key_path, cert_path, pem


def pysaml2_sp(
    directory: Path, *, entity_id: str, acs: str, idp_metadata: bytes, key: Path, cert: Path
) -> Saml2Client:
    """A pysaml2 SP that signs its AuthnRequests and wants signed assertions."""
    metadata = directory / "idp-metadata.xml"
    metadata.write_bytes(idp_metadata)
    settings: dict[str, Any] = {
        "entityid": entity_id,
        "key_file": str(key),
        "cert_file": str(cert),
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "metadata": {"local": [str(metadata)]},
        "service": {
            "sp": {
                "endpoints": {
                    "assertion_consumer_service": [(acs, BINDING_HTTP_POST)],
                    "single_logout_service": [(acs + "/slo", BINDING_HTTP_REDIRECT)],
                },
                "authn_requests_signed": True,
                "want_assertions_signed": True,
                "want_response_signed": False,
                "allow_unsolicited": False,
            }
        },
        "accepted_time_diff": 60,
        "allow_unknown_attributes": True,
    }
    config = SPConfig()
    config.load(settings)
    return Saml2Client(config)
