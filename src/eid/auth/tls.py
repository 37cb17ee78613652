"""Login by TLS client certificate, as handed over by a proxy header or the ASGI server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from eid.pki import CertificateInput, RevocationSettings, TrustStore, validate_certificate

from .result import AuthResult

__all__ = ["authenticate_client_certificate"]


def authenticate_client_certificate(
    certificate: CertificateInput,
    *,
    trust: TrustStore,
    at: dt.datetime | None = None,
    revocation: RevocationSettings | None = None,
    intermediates: Iterable[CertificateInput] = (),
    disallowed_policies: Iterable[str] = (),
) -> AuthResult:
    """Validate a client certificate for authentication (chain, time, purpose, revocation).

    The TLS handshake proved possession of the key; this proves the certificate.
    """
    validated = validate_certificate(
        certificate,
        trust=trust,
        at=at,
        purpose="authentication",
        revocation=revocation,
        extra_certificates=intermediates,
        disallowed_policies=disallowed_policies,
    )
    return AuthResult(validated, "tls_client_certificate", validated.validated_at)
