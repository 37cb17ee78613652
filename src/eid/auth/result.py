"""What a successful login says: who, with which certificate, how sure, and when."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from cryptography import x509

from eid.pki import ValidatedCertificate

__all__ = ["AuthMethod", "AuthResult", "assurance_level"]

AuthMethod = Literal["webeid", "challenge_response", "tls_client_certificate"]


def assurance_level(validated: ValidatedCertificate) -> str | None:
    """The eIDAS level of assurance the certificate supports, where known.

    A Belgian eID card's authentication certificate (a Belgian or test-PKI policy)
    supports "high" (the Belgian eID scheme is notified at level high); for other
    PKIs the level is not established here (None).
    """
    kind = validated.kind
    if (
        kind.belgian_policy
        and kind.usage == "authentication"
        and kind.holder in ("citizen", "foreigner")
    ):
        return "high"
    return None


@dataclass(frozen=True)
class AuthResult:
    """A person authenticated: identity from the certificate, the validated chain, and facts."""

    validated: ValidatedCertificate
    method: AuthMethod
    authenticated_at: dt.datetime
    origin: str | None = None
    signing_certificates: tuple[x509.Certificate, ...] = ()

    @property
    def certificate(self) -> x509.Certificate | None:
        """The authentication certificate (None only for encodings `cryptography` refuses)."""
        return self.validated.certificate.crypto

    @property
    def assurance_level(self) -> str | None:
        """The level of assurance ("high", or None when not established)."""
        return assurance_level(self.validated)

    @property
    def warnings(self) -> tuple[str, ...]:
        """What was accepted with reservations (revocation soft-fail, encoding problems)."""
        return self.validated.revocation.warnings + self.validated.problems

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (the national number in full: this is the login's purpose)."""
        identity = self.validated.identity
        return {
            "method": self.method,
            "authenticated_at": self.authenticated_at.isoformat(),
            "origin": self.origin,
            "national_number": str(identity.national_number) if identity.national_number else None,
            "given_names": identity.given_names,
            "surname": identity.surname,
            "serial_number": identity.serial_number,
            "country": identity.country,
            "subject": self.validated.certificate.subject,
            "holder": self.validated.kind.holder,
            "assurance_level": self.assurance_level,
            "revocation": {
                "status": self.validated.revocation.status,
                "source": self.validated.revocation.source,
            },
            "chain": [c.subject for c in self.validated.chain],
            "signing_certificates": [c.subject.rfc4514_string() for c in self.signing_certificates],
            "warnings": list(self.warnings),
        }
