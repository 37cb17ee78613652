"""The person of a session: what is kept of a login, and the login rebuilt from it to issue statements.

The session keeps the authentication certificate and the login's facts, not live
objects, so any instance can issue for it: `auth_result_of` validates the kept
certificate again at the login's time (revocation was checked at login) and gives
the `AuthResult` that `eid.sso` makes statements from. `Logins` does that once per
login and process, in a worker thread, so an endpoint on the event loop never waits
on path validation and issues for a known login after a dictionary look-up.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool

from eid.auth import AuthResult
from eid.pki import RevocationPolicy, RevocationSettings, TrustStore, validate_certificate
from eid.pki.cache import LruCache
from eid.sso import AssuranceTable

__all__ = ["Logins", "auth_result_of", "display_name", "person_from_result"]

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


def auth_result_of(person: Mapping[str, Any], trust: TrustStore) -> AuthResult:
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


class Logins:
    """The logins of persons rebuilt by `auth_result_of`, each once, off the event loop.

    A login is keyed by everything `auth_result_of` reads of the person (certificate, time,
    method, origin), and its rebuilt `AuthResult` does not change (validated at the login's
    time, against this process's trust store), so it is kept: at most ``size`` of them, the
    least recently used dropped. A login not kept yet is rebuilt in a worker thread; one that
    fails to validate raises and is not kept.
    """

    def __init__(self, trust: TrustStore, *, size: int = 4096) -> None:
        self._trust = trust
        self._known: LruCache[tuple[str, float, str, str | None], AuthResult] = LruCache(size)

    async def of(self, person: Mapping[str, Any]) -> AuthResult:
        """The login of ``person`` (see `auth_result_of`)."""
        key = (
            str(person["certificate"]),
            float(person["auth_time"]),
            str(person["method"]),
            person.get("origin"),
        )
        known = self._known.get(key)
        if known is None:
            known = await run_in_threadpool(auth_result_of, person, self._trust)
            self._known.put(key, known)
        return known


def display_name(person: Mapping[str, Any]) -> str:
    """Given names and surname, as the pages show them."""
    return f"{person.get('given_names') or ''} {person.get('surname') or ''}".strip()
