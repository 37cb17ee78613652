"""A pysaml2 service provider and an RSA key pair for SAML portals in the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig

from tests.self_signed import self_signed

SP = "https://tax.example/sp"
ACS = "http://127.0.0.1:9/acs"


def key_pair(directory: Path, name: str) -> tuple[Path, Path, str]:
    """An RSA-2048 key and self-signed certificate in ``directory``; the certificate as PEM too."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = self_signed(key, name, days=31)
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


def sp_config(
    directory: Path,
    *,
    entity_id: str,
    acs: str,
    idp_metadata: bytes | None,
    key: Path,
    cert: Path,
    more_acs: tuple[str, ...] = (),
    slo_binding: str = BINDING_HTTP_REDIRECT,
) -> SPConfig:
    """The configuration of `pysaml2_sp` (without ``idp_metadata``: enough for its metadata)."""
    metadata = directory / "idp-metadata.xml"
    if idp_metadata is not None:
        metadata.write_bytes(idp_metadata)
    settings: dict[str, Any] = {
        "entityid": entity_id,
        "key_file": str(key),
        "cert_file": str(cert),
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "metadata": {"local": [str(metadata)] if idp_metadata is not None else []},
        "service": {
            "sp": {
                "endpoints": {
                    "assertion_consumer_service": [
                        (url, BINDING_HTTP_POST) for url in (acs, *more_acs)
                    ],
                    "single_logout_service": [(acs + "/slo", slo_binding)],
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
    return config


def pysaml2_sp(
    directory: Path,
    *,
    entity_id: str,
    acs: str,
    idp_metadata: bytes,
    key: Path,
    cert: Path,
    more_acs: tuple[str, ...] = (),
    slo_binding: str = BINDING_HTTP_REDIRECT,
) -> Saml2Client:
    """A pysaml2 SP that signs its AuthnRequests and wants signed assertions.

    ``acs`` is its first assertion consumer service (index 1 in its metadata), ``more_acs``
    the next ones; its single logout service is ``acs`` + ``/slo``, by ``slo_binding``.
    """
    return Saml2Client(
        sp_config(
            directory, entity_id=entity_id, acs=acs, idp_metadata=idp_metadata, key=key,
            cert=cert, more_acs=more_acs, slo_binding=slo_binding,
        )
    )  # fmt: skip


def tax_portal(certificate_pem: str, **extra: object) -> dict[str, object]:
    """The SAML portal ``SP`` of the web tests, signing its requests with ``certificate_pem``."""
    return {
        "id": SP,
        "kind": "saml",
        "name": "Tax-on-web",
        "acs_urls": [ACS],
        "attributes": ["given_name", "family_name"],
        "sp_certificate": certificate_pem,
        "sign_requests": True,
        **extra,
    }


def tax_sp(directory: Path, base: str, key: Path, cert: Path) -> tuple[Saml2Client, bytes]:
    """The pysaml2 SP of `tax_portal` for the provider at ``base``, and that provider's metadata."""
    metadata = httpx.get(f"{base}/saml/metadata").content
    sp = pysaml2_sp(directory, entity_id=SP, acs=ACS, idp_metadata=metadata, key=key, cert=cert)
    return sp, metadata


def redirect_request(sp: Saml2Client, base: str, **kwargs: object) -> tuple[str, str]:
    """A signed AuthnRequest of ``sp`` to ``base`` (HTTP-Redirect, RSA-SHA256): its ID and URL."""
    request_id, info = sp.prepare_for_authenticate(
        entityid=base, relay_state="back-to-page-7", binding=BINDING_HTTP_REDIRECT,
        sigalg="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", **kwargs,
    )  # fmt: skip
    return request_id, dict(info["headers"])["Location"]
