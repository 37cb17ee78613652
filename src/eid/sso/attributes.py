"""Identity attributes, and the names each attribute profile gives them.

The provider collects what it knows of the person under canonical names (`ATTRIBUTES`):
from the login certificate (names, national number, and from that number the birth date and
sex) and, when the card's files were read, nationality, address and preferred language; an
enterprise mandate adds the legal-person attributes. A portal receives only the attributes
it is registered for (`release`), under the names of its profile:

* `OIDC`: the OpenID Connect standard claims (``given_name``, ``family_name``, ``birthdate``,
  ``gender``, ``locale``, ``address``) and ``national_number``, ``nationality``;
* `BELGIAN`: SAML attribute URIs ``urn:be:eid:attr:<name>`` for every canonical attribute;
* `EIDAS`: the eIDAS natural- and legal-person attribute URIs for cross-border portals
  (``.../naturalperson/PersonIdentifier``, ``FamilyName``, ``FirstName``, ``DateOfBirth``,
  ``Gender``, ``CurrentAddress``; ``.../legalperson/LegalPersonIdentifier``, ``LegalName``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeAlias

from eid.auth import AuthResult
from eid.identity import Address, Identity

__all__ = [
    "ATTRIBUTES",
    "BELGIAN",
    "EIDAS",
    "LEGAL_PERSON_ATTRIBUTES",
    "OIDC",
    "PROFILES",
    "AttributeProfile",
    "AttributeValue",
    "collect_attributes",
    "release",
]

AttributeValue: TypeAlias = str | Mapping[str, str]
"""Text, or (for ``address``) a mapping of the OIDC address fields."""

ATTRIBUTES: frozenset[str] = frozenset(
    {
        "person_identifier",
        "national_number",
        "given_name",
        "family_name",
        "birthdate",
        "gender",
        "nationality",
        "address",
        "locale",
        "legal_person_identifier",
        "legal_name",
        "mandate_role",
    }
)
"""Canonical attribute names. ``person_identifier`` is the eIDAS form of the subject."""

LEGAL_PERSON_ATTRIBUTES: frozenset[str] = frozenset(
    {"legal_person_identifier", "legal_name", "mandate_role"}
)
"""The attributes that exist only when the person acts for an enterprise."""

_EIDAS_NATURAL = "http://eidas.europa.eu/attributes/naturalperson/"
_EIDAS_LEGAL = "http://eidas.europa.eu/attributes/legalperson/"
_URI_FORMAT = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"

_LANGUAGES = {"N": "nl", "F": "fr", "D": "de", "E": "en"}


@dataclass(frozen=True)
class AttributeProfile:
    """How one family of portals names attributes: canonical name -> attribute name.

    ``name_format`` is the SAML ``NameFormat`` of the names (None for OIDC claims);
    ``capitalized`` names the attributes whose values the profile writes capitalized (eIDAS
    ``Gender``: ``Male``). Attributes the profile has no name for are not released under it.
    """

    name: str
    names: Mapping[str, str]
    name_format: str | None = None
    capitalized: frozenset[str] = frozenset()

    def render(self, released: Mapping[str, AttributeValue]) -> dict[str, AttributeValue]:
        """The released attributes under this profile's names (values as this profile writes them)."""
        rendered: dict[str, AttributeValue] = {}
        for key, value in released.items():
            name = self.names.get(key)
            if name is None:
                continue
            rendered[name] = self._value(key, value)
        return rendered

    def _value(self, key: str, value: AttributeValue) -> AttributeValue:
        # text first: a str is no Mapping, and the ABC check costs more than the rest
        if isinstance(value, str):
            return value.capitalize() if key in self.capitalized else value
        return dict(value) if self.name_format is None else _address_line(value)


def _address_line(address: Mapping[str, str]) -> str:
    street = address.get("street_address", "")
    place = " ".join(p for p in (address.get("postal_code"), address.get("locality")) if p)
    return ", ".join(p for p in (street, place) if p)


OIDC = AttributeProfile(
    "oidc",
    MappingProxyType(
        {
            "national_number": "national_number",
            "given_name": "given_name",
            "family_name": "family_name",
            "birthdate": "birthdate",
            "gender": "gender",
            "nationality": "nationality",
            "address": "address",
            "locale": "locale",
            "legal_person_identifier": "legal_person_identifier",
            "legal_name": "legal_name",
            "mandate_role": "mandate_role",
        }
    ),
)
"""OpenID Connect claim names."""

BELGIAN = AttributeProfile(
    "belgian",
    MappingProxyType(
        {
            key: "urn:be:eid:attr:"
            + "".join(
                part if i == 0 else part.capitalize() for i, part in enumerate(key.split("_"))
            )
            for key in sorted(ATTRIBUTES - {"person_identifier"})
        }
    ),
    _URI_FORMAT,
)
"""The Belgian profile: ``urn:be:eid:attr:nationalNumber``, ``...:givenName``, ..."""

EIDAS = AttributeProfile(
    "eidas",
    MappingProxyType(
        {
            "person_identifier": _EIDAS_NATURAL + "PersonIdentifier",
            "family_name": _EIDAS_NATURAL + "FamilyName",
            "given_name": _EIDAS_NATURAL + "FirstName",
            "birthdate": _EIDAS_NATURAL + "DateOfBirth",
            "gender": _EIDAS_NATURAL + "Gender",
            "address": _EIDAS_NATURAL + "CurrentAddress",
            "legal_person_identifier": _EIDAS_LEGAL + "LegalPersonIdentifier",
            "legal_name": _EIDAS_LEGAL + "LegalName",
        }
    ),
    _URI_FORMAT,
    capitalized=frozenset({"gender"}),
)
"""The eIDAS SAML attribute profile (natural and legal person)."""

PROFILES: Mapping[str, AttributeProfile] = MappingProxyType(
    {p.name: p for p in (OIDC, BELGIAN, EIDAS)}
)
"""The profiles by name."""


def collect_attributes(
    auth: AuthResult,
    *,
    identity: Identity | None = None,
    address: Address | None = None,
    language: str | None = None,
    wanted: frozenset[str] = ATTRIBUTES,
) -> dict[str, AttributeValue]:
    """What is known of the person among ``wanted``: the certificate, and the card's files.

    ``language`` is the card's preferred language code (``N``, ``F``, ``D``, ``E``) or a
    locale; it becomes ``locale``.
    """
    subject = auth.validated.identity
    found: dict[str, AttributeValue | None] = {
        "given_name": identity.given_names if identity else subject.given_names,
        "family_name": identity.surname if identity else subject.surname,
        "nationality": identity.nationality if identity else None,
    }
    national = identity.national_number if identity else subject.national_number
    if national is not None:
        found["national_number"] = str(national)
        if "birthdate" in wanted:
            born = national.birth_date
            found["birthdate"] = born.isoformat() if born else None
        if "gender" in wanted:
            sex = identity.sex if identity else national.sex
            found["gender"] = {"M": "male", "F": "female"}.get(sex or "")
    if address is not None:
        found["address"] = MappingProxyType(
            {
                "street_address": address.street_and_number,
                "postal_code": address.zip_code,
                "locality": address.municipality,
                "country": "BE",
            }
        )
    if language:
        found["locale"] = _LANGUAGES.get(language.upper(), language)
    return {key: value for key, value in found.items() if value and key in wanted}


def release(
    available: Mapping[str, AttributeValue], registered: frozenset[str]
) -> dict[str, AttributeValue]:
    """Only the attributes a portal is registered for (canonical names)."""
    return {key: value for key, value in available.items() if key in registered}
