"""Client certificates handed over by a TLS-terminating proxy or by the ASGI server.

A proxy forwards the client's certificate in a header: nginx's
``$ssl_client_escaped_cert`` is URL-encoded PEM, others put PEM on one line with
spaces for newlines, or base64 DER. Only trust such a header when the proxy sets
it and strips any the client sent. An ASGI server that terminates TLS itself
passes the chain in ``scope["extensions"]["tls"]["client_cert_chain"]``.

Certificates are loaded leniently (`eid.pki.load_certificate`): a card certificate that is
not strict DER (an explicit NULL in its ECDSA AlgorithmIdentifier) still authenticates,
with the encoding problem in the result's warnings.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from eid.errors import CertificateMalformed, MalformedInput
from eid.pki import LoadedCertificate, load_certificate

__all__ = ["certificate_chain_from_asgi_scope", "certificate_from_header"]

_PEM = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.DOTALL)


def _from_pem_body(body: str) -> LoadedCertificate:
    try:
        der = base64.b64decode("".join(body.split()), validate=True)
        return load_certificate(der, source="client certificate")
    except (binascii.Error, ValueError) as error:
        raise CertificateMalformed(f"the client certificate cannot be decoded ({error})") from None
    except MalformedInput as error:
        raise CertificateMalformed(
            f"the client certificate cannot be decoded ({error.message})"
        ) from None


def certificate_from_header(value: str) -> LoadedCertificate:
    """The certificate in a proxy header: URL-encoded or one-line PEM, or base64 DER."""
    text = unquote(value.strip()) if "%" in value else value.strip()
    if not text:
        raise CertificateMalformed("the client certificate header is empty")
    match = _PEM.search(text)
    return _from_pem_body(match.group(1) if match else text)


def certificate_chain_from_asgi_scope(scope: Mapping[str, Any]) -> list[LoadedCertificate]:
    """The client's chain (leaf first) from the ASGI TLS extension; empty when none was sent."""
    tls = scope.get("extensions", {}).get("tls") or {}
    certificates = []
    for pem in tls.get("client_cert_chain") or []:
        match = _PEM.search(pem) if isinstance(pem, str) else None
        if match is None:
            raise CertificateMalformed("an entry of the ASGI client certificate chain is not PEM")
        certificates.append(_from_pem_body(match.group(1)))
    return certificates
