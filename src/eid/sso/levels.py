"""Levels of assurance: one table from the way a person logged in to an eIDAS level.

The eIDAS levels are ordered ``low`` < ``substantial`` < ``high`` and named by the URIs
`LOA_URIS` in SAML (``AuthnContextClassRef``) and in the OIDC ``acr`` claim. A national
federation may name them otherwise; `AssuranceTable.national_names` holds those names
(configurable, defaults in `DEFAULT_NATIONAL_NAMES`).

How a login is classified (`login_kind`):

* ``eid_card``: an authentication certificate of a Belgian citizen card (production policy);
* ``foreigner_card``: the same for a Belgian foreigner card;
* ``virtual_card``: a card certificate of the test PKI (the development virtual card);
* ``token``: any other certificate whose key answered a challenge (Web eID or our challenge);
* ``tls_client_certificate``: any other certificate presented in a TLS handshake.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Literal, TypeAlias

from cryptography.x509 import ObjectIdentifier

from eid.auth import AuthResult
from eid.errors import AssuranceLevelTooLow, UsageError
from eid.pki.policy_arcs import TEST_ROOT_NAME, classify_policy

__all__ = [
    "DEFAULT_LEVELS",
    "DEFAULT_NATIONAL_NAMES",
    "LEVELS",
    "LOA_URIS",
    "AssuranceTable",
    "Level",
    "LoginKind",
    "level_from_uri",
    "login_kind",
    "require_level",
]

Level: TypeAlias = Literal["low", "substantial", "high"]
"""An eIDAS level of assurance."""

LoginKind: TypeAlias = Literal[
    "eid_card", "foreigner_card", "virtual_card", "token", "tls_client_certificate"
]
"""How the person logged in, as far as the level of assurance is concerned."""

LEVELS: tuple[Level, ...] = ("low", "substantial", "high")
"""The levels from lowest to highest."""

LOA_URIS: Mapping[Level, str] = MappingProxyType(
    {level: f"http://eidas.europa.eu/LoA/{level}" for level in LEVELS}
)
"""The eIDAS URI of each level."""

_LEVEL_OF_URI: Mapping[str, Level] = MappingProxyType(
    {uri: level for level, uri in LOA_URIS.items()}
)

DEFAULT_LEVELS: Mapping[LoginKind, Level] = MappingProxyType(
    {
        "eid_card": "high",
        "foreigner_card": "high",
        "virtual_card": "low",
        "token": "substantial",
        "tls_client_certificate": "low",
    }
)
"""The default level of each login kind.

A Belgian card's authentication key is on a qualified device and the scheme is notified at
level high. The development virtual card is a software token anyone can make: low, unless
a deployment for demonstrations says otherwise.
"""

DEFAULT_NATIONAL_NAMES: Mapping[Level, str] = MappingProxyType(
    {
        "low": "urn:be:fedict:iam:fas:Level200",
        "substantial": "urn:be:fedict:iam:fas:Level400",
        "high": "urn:be:fedict:iam:fas:Level500",
    }
)
"""Default national names of the levels (in the style of the Belgian federal FAS levels)."""


def login_kind(auth: AuthResult) -> LoginKind:
    """Classify a login by its certificate (Belgian card, test card, other) and its method."""
    kind = auth.validated.kind
    if kind.belgian_policy and kind.usage == "authentication" and kind.holder != "other":
        if _under_test_root(kind.policies):
            return "virtual_card"
        return "foreigner_card" if kind.holder == "foreigner" else "eid_card"
    if auth.method == "tls_client_certificate":
        return "tls_client_certificate"
    return "token"


@lru_cache(maxsize=256)
def _under_test_root(policies: tuple[str, ...]) -> bool:
    for dotted in policies:
        found = classify_policy(ObjectIdentifier(dotted))
        if found is not None and found[0] == TEST_ROOT_NAME:
            return True
    return False


def level_from_uri(uri: str, national_names: Mapping[Level, str] | None = None) -> Level | None:
    """The level an eIDAS URI (or a national name) stands for, or None if it names none."""
    found = _LEVEL_OF_URI.get(uri)
    if found is None and national_names:
        found = next((level for level, name in national_names.items() if name == uri), None)
    return found


def require_level(level: Level, minimum: Level | None) -> None:
    """Raise `AssuranceLevelTooLow` when ``level`` is below ``minimum`` (None: no minimum)."""
    if minimum is not None and LEVELS.index(level) < LEVELS.index(minimum):
        raise AssuranceLevelTooLow(
            f"this portal demands level of assurance {minimum!r} "
            f"({LOA_URIS[minimum]}); the login reached only {level!r}"
        )


def _frozen_levels(levels: Mapping[LoginKind, Level]) -> Mapping[LoginKind, Level]:
    missing = set(DEFAULT_LEVELS) - set(levels)
    if missing:
        raise UsageError(f"the assurance table has no level for {', '.join(sorted(missing))}")
    for kind, level in levels.items():
        if kind not in DEFAULT_LEVELS or level not in LEVELS:
            raise UsageError(f"unknown login kind or level in the assurance table: {kind}={level}")
    return MappingProxyType(dict(levels))


@dataclass(frozen=True)
class AssuranceTable:
    """Login kind -> level, and each level's national name."""

    levels: Mapping[LoginKind, Level] = field(default_factory=lambda: DEFAULT_LEVELS)
    national_names: Mapping[Level, str] = field(default_factory=lambda: DEFAULT_NATIONAL_NAMES)

    def __post_init__(self) -> None:
        """Refuse a table that leaves a login kind without a level."""
        object.__setattr__(self, "levels", _frozen_levels(self.levels))
        if set(self.national_names) != set(LEVELS):
            raise UsageError("the national names must name each of low, substantial and high")

    def level_of(self, auth: AuthResult) -> Level:
        """The level this login reaches."""
        return self.levels[login_kind(auth)]

    def national_name(self, level: Level) -> str:
        """The national name of ``level``."""
        return self.national_names[level]
