"""OIDC scopes: which of a client's registered attributes an authorization request asks for.

``openid`` alone releases the subject only; each further scope adds its attributes, but
never one the client is not registered for: ``profile`` (names, birth date, gender,
nationality, language), ``email`` (nothing: the eID holds no e-mail address), ``address``,
and the eID's own ``national_number`` and ``mandates`` (whom the person acts for; only when
the service has a mandate source). Unknown scopes are ignored (RFC 6749 §3.3).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from eid.sso.attributes import LEGAL_PERSON_ATTRIBUTES

__all__ = ["MANDATE_SCOPE", "SCOPES", "scoped_attributes", "supported_scopes"]

MANDATE_SCOPE = "mandates"
"""The scope that asks whom the person acts for (an enterprise mandate)."""

SCOPES: dict[str, frozenset[str]] = {
    "openid": frozenset({"person_identifier"}),
    "profile": frozenset(
        {"given_name", "family_name", "birthdate", "gender", "nationality", "locale"}
    ),
    "email": frozenset(),
    "address": frozenset({"address"}),
    "national_number": frozenset({"national_number"}),
    MANDATE_SCOPE: LEGAL_PERSON_ATTRIBUTES,
}
"""The canonical attributes (`eid.sso.attributes.ATTRIBUTES`) each scope asks for."""


def scoped_attributes(scope: Iterable[str], registered: Collection[str]) -> list[str]:
    """The attributes, among ``registered``, that the requested ``scope`` values ask for."""
    asked = set().union(*(SCOPES.get(value, frozenset()) for value in scope))
    return sorted(asked & set(registered))


def supported_scopes(with_mandates: bool) -> list[str]:
    """The scopes to publish in discovery (``mandates`` only with a mandate source)."""
    return [s for s in SCOPES if with_mandates or s != MANDATE_SCOPE]
