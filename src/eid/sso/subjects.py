"""Subject identifiers: who the statement is about, as each portal may know them.

By default a portal receives a pairwise pseudonym: the HMAC-SHA-256, under a provider secret,
of the person's key (the national number, or for certificates without one the issuer and
subject names) and the portal's sector (its ``sector`` identifier, shared by several
portals, else its own id). Two portals of different sectors cannot link their users; the
pseudonym does not depend on the signing keys, so it survives a key rollover. Only a portal
registered for it receives the national number itself; a SAML portal may ask for a transient
identifier, new on every login.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Literal, TypeAlias

from eid.auth import AuthResult
from eid.errors import UsageError
from eid.sso.jws import b64url_encode

__all__ = ["MIN_SECRET_BYTES", "Subject", "SubjectKind", "SubjectMinter", "person_key"]

SubjectKind: TypeAlias = Literal["pairwise", "national_number", "transient"]
"""What a subject identifier is: a pairwise pseudonym, the national number, or transient."""

MIN_SECRET_BYTES = 32
"""The shortest provider secret accepted (256 bits)."""


@dataclass(frozen=True)
class Subject:
    """A subject identifier and its kind. ``repr()`` hides a national number."""

    value: str
    kind: SubjectKind

    def __repr__(self) -> str:
        """Show the kind, and the value unless it is a national number."""
        shown = "***" if self.kind == "national_number" else self.value
        return f"Subject({shown!r}, {self.kind!r})"


def person_key(auth: AuthResult) -> str:
    """The stable key of the person behind a login: the national number when the certificate has one.

    Otherwise the certificate's issuer and subject names (a renewed certificate of the same
    issuer keeps them).
    """
    national = auth.validated.national_number
    if national is not None:
        return f"nn:{national}"
    cert = auth.validated.certificate.asn1
    return f"dn:{cert.issuer.human_friendly}|{cert.subject.human_friendly}"


class SubjectMinter:
    """Makes subject identifiers under the provider secret (kept apart from signing keys)."""

    def __init__(self, secret: bytes) -> None:
        """Use ``secret`` (at least `MIN_SECRET_BYTES` random bytes) for pairwise pseudonyms."""
        if len(secret) < MIN_SECRET_BYTES:
            raise UsageError(f"the subject secret must have at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret

    def __repr__(self) -> str:
        """Never show the secret."""
        return "SubjectMinter(***)"

    def pairwise(self, person: str, sector: str) -> Subject:
        """The pseudonym of ``person`` (see `person_key`) within ``sector``."""
        message = b"eid.sso pairwise v1\x00" + sector.encode() + b"\x00" + person.encode()
        digest = hmac.digest(self._secret, message, "sha256")
        return Subject(b64url_encode(digest), "pairwise")

    @staticmethod
    def transient() -> Subject:
        """A new random identifier that means nothing beyond this one login."""
        return Subject("_" + secrets.token_hex(20), "transient")

    def subject_for(self, auth: AuthResult, *, kind: SubjectKind, sector: str) -> Subject:
        """The identifier of the person behind ``auth`` of ``kind`` for ``sector``.

        ``national_number`` needs a certificate with a national number; callers check that
        the portal may receive it (`eid.sso.portals.Portal.subject_kind`).
        """
        if kind == "transient":
            return self.transient()
        if kind == "national_number":
            national = auth.validated.national_number
            if national is None:
                raise UsageError("this login's certificate has no national number to release")
            return Subject(str(national), "national_number")
        return self.pairwise(person_key(auth), sector)
