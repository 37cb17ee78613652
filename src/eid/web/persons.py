"""The person of a session: what is kept of a login, and the login rebuilt from it to issue statements.

The session keeps the authentication certificate and the login's facts, not live
objects, so any instance can issue for it: `auth_result_of` validates the kept
certificate again at the login's time (revocation was checked at login) and gives
the `AuthResult` that `eid.sso` makes statements from.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from eid.auth import AuthResult
from eid.pki import RevocationPolicy, RevocationSettings, TrustStore, validate_certificate
from eid.sso import AssuranceTable

__all__ = ["auth_result_of", "display_name", "person_from_result"]

_NO_REVOCATION = RevocationSettings(policy=RevocationPolicy.OFF)


def person_from_result(result: AuthResult, assurance: AssuranceTable) -> dict[str, Any]:
    """What the session keeps of a login: identity, method, level, time, certificate."""
    identity = result.validated.identity
    return {
        "national_number": str(identity.national_number) if identity.national_number else None,
        "given_names": identity.given_names,
        "surname": identity.surname,
        "method": result.method,
        "level": assurance.level_of(result),
        "origin": result.origin,
        "auth_time": result.authenticated_at.timestamp(),
        "certificate": base64.b64encode(result.validated.certificate.der).decode("ascii"),
    }


def auth_result_of(person: dict[str, Any], trust: TrustStore) -> AuthResult:
    """The login of ``person`` as an `AuthResult` (certificate validated at the login's time)."""
    at = dt.datetime.fromtimestamp(float(person["auth_time"]), dt.UTC)
    validated = validate_certificate(
        base64.b64decode(person["certificate"]),
        trust=trust,
        at=at,
        purpose="authentication",
        revocation=_NO_REVOCATION,
    )
    return AuthResult(validated, person["method"], at, person.get("origin"))


def display_name(person: dict[str, Any]) -> str:
    """Given names and surname, as the pages show them."""
    return f"{person.get('given_names') or ''} {person.get('surname') or ''}".strip()
