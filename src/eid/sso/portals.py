"""The portals that delegate login to the provider, and what each is registered for.

A `Portal` is identified by its audience: the OIDC ``client_id`` or the SAML service
provider's entity ID. It lists where answers may be sent (OIDC redirect URIs, SAML assertion
consumer service URLs), which attributes it receives and under which profile, the lowest
level of assurance it accepts, its sector (for pairwise subject identifiers) and whether it
may receive the national number or mandates. `PortalRegistry` holds them; `load_portals`
reads a TOML or JSON file::

    [[portal]]
    id = "https://portal.example/sp"
    kind = "saml"
    acs_urls = ["https://portal.example/acs"]
    attributes = ["given_name", "family_name"]
    profile = "eidas"
    minimum_level = "substantial"
    allow_sha1 = false   # true: its AuthnRequests / LogoutRequests may be signed with SHA-1

A portal registered from SAML metadata (`eid.sso.saml_metadata.portal_from_sp_metadata`)
also gets its ACS indexes and the encryption its ``EncryptionMethod`` list allows.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeAlias, TypeVar, cast

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm

from eid.errors import MalformedInput, PortalUnknown, RedirectUriMismatch, UsageError
from eid.sso.attributes import ATTRIBUTES, LEGAL_PERSON_ATTRIBUTES, PROFILES, AttributeProfile
from eid.sso.levels import LEVELS, Level
from eid.sso.saml_encryption import DEFAULT_ENCRYPTION, AssertionEncryption
from eid.sso.subjects import SubjectKind

__all__ = [
    "DEFAULT_ALGORITHMS",
    "Portal",
    "PortalKind",
    "PortalRegistry",
    "config_choice",
    "config_flag",
    "config_text",
    "load_portals",
    "portal_from_dict",
]

PortalKind: TypeAlias = Literal["oidc", "saml"]
"""How the portal receives the statement: an OIDC ID token or a SAML response."""

DEFAULT_ALGORITHMS: tuple[str, ...] = ("RS256", "PS256", "ES256", "ES384")
"""The signature algorithms (JWS names) a portal accepts unless registered otherwise."""

_SUBJECT_KINDS = ("pairwise", "national_number", "transient")
_T = TypeVar("_T")


@dataclass(frozen=True)
class Portal:
    """A registered portal (relying party / service provider).

    ``endpoints`` are the OIDC redirect URIs or SAML ACS URLs; ``attributes`` canonical
    attribute names (`eid.sso.attributes.ATTRIBUTES`); ``subject_kind`` the identifier it
    receives (``national_number`` only with ``may_receive_national_number``);
    ``algorithms`` the signature algorithms (JWS names) it accepts, the provider's choice
    being the first its key can make. A SAML portal's ``acs_indexes`` map the indexes of
    its HTTP-POST assertion consumer services (from its metadata) to their URLs, which
    are endpoints too, and ``encryption`` is how its assertions are encrypted (with an
    ``encryption_certificate``); ``allow_sha1`` lets it sign its requests with SHA-1
    (older ADFS, Shibboleth SP 2 and Spring SAML still do).
    """

    id: str
    kind: PortalKind
    endpoints: tuple[str, ...]
    attributes: frozenset[str] = frozenset()
    profile: AttributeProfile = field(default=PROFILES["oidc"])
    minimum_level: Level | None = None
    sector: str | None = None
    subject_kind: SubjectKind = "pairwise"
    may_receive_national_number: bool = False
    may_receive_mandates: bool = False
    encryption_certificate: x509.Certificate | None = None
    algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS
    allow_sha1: bool = False
    country: str = "BE"
    acs_indexes: tuple[tuple[int, str], ...] = ()
    encryption: AssertionEncryption = DEFAULT_ENCRYPTION

    def __post_init__(self) -> None:
        """Refuse a registration that contradicts itself."""
        if not self.id:
            raise UsageError("a portal needs an id (client ID or entity ID)")
        if self.kind not in ("oidc", "saml"):
            raise UsageError(f"portal {self.id}: kind must be 'oidc' or 'saml'")
        unknown = self.attributes - ATTRIBUTES
        if unknown:
            raise UsageError(f"portal {self.id}: unknown attributes {', '.join(sorted(unknown))}")
        if not self.may_receive_national_number and (
            "national_number" in self.attributes or self.subject_kind == "national_number"
        ):
            raise UsageError(f"portal {self.id} is not registered to receive the national number")
        if not self.may_receive_mandates and self.attributes & LEGAL_PERSON_ATTRIBUTES:
            raise UsageError(f"portal {self.id} is not registered to receive mandates")
        if self.minimum_level is not None and self.minimum_level not in LEVELS:
            raise UsageError(f"portal {self.id}: unknown level {self.minimum_level!r}")
        if self.subject_kind not in _SUBJECT_KINDS:
            raise UsageError(f"portal {self.id}: unknown subject kind {self.subject_kind!r}")
        if not self.algorithms:
            raise UsageError(f"portal {self.id}: no signature algorithm allowed")
        indexes = [index for index, _ in self.acs_indexes]
        if len(set(indexes)) < len(indexes):
            raise UsageError(f"portal {self.id}: an assertion consumer index is given twice")
        if any(url not in self.endpoints for _, url in self.acs_indexes):
            raise UsageError(f"portal {self.id}: an indexed assertion consumer is no endpoint")

    @property
    def sector_id(self) -> str:
        """The sector its pairwise identifiers are made for (its own id without a sector)."""
        return self.sector or self.id

    def check_endpoint(self, url: str) -> str:
        """Return ``url`` when it is one of the registered endpoints (exact match)."""
        if url not in self.endpoints:
            what = "redirect URI" if self.kind == "oidc" else "assertion consumer URL"
            raise RedirectUriMismatch(f"this {what} is not registered for portal {self.id}")
        return url

    @property
    def redirect_uris(self) -> tuple[str, ...]:
        """The OIDC redirect URIs (none for a SAML portal)."""
        return self.endpoints if self.kind == "oidc" else ()

    @property
    def acs_urls(self) -> tuple[str, ...]:
        """The SAML assertion consumer service URLs (none for an OIDC portal)."""
        return self.endpoints if self.kind == "saml" else ()

    @property
    def default_endpoint(self) -> str | None:
        """The first registered endpoint (None when none is registered).

        From SAML metadata, the default assertion consumer service comes first.
        """
        return self.endpoints[0] if self.endpoints else None

    def acs_at(self, index: int) -> str:
        """The assertion consumer URL registered at ``index``; `RedirectUriMismatch` if none."""
        url = dict(self.acs_indexes).get(index)
        if url is None:
            raise RedirectUriMismatch(
                f"portal {self.id} registered no HTTP-POST assertion consumer service at "
                f"index {index}"
            )
        return url


class PortalRegistry:
    """The registered portals by id."""

    def __init__(self, portals: Iterable[Portal] = ()) -> None:
        """Register ``portals`` (ids must be unique)."""
        self._portals: dict[str, Portal] = {}
        for portal in portals:
            self.add(portal)

    def add(self, portal: Portal) -> None:
        """Register one more portal."""
        if portal.id in self._portals:
            raise UsageError(f"portal {portal.id} is registered twice")
        self._portals[portal.id] = portal

    def get(self, portal_id: str) -> Portal:
        """The portal with this id; `PortalUnknown` if none."""
        portal = self._portals.get(portal_id)
        if portal is None:
            raise PortalUnknown(f"no portal is registered as {portal_id!r}")
        return portal

    def __contains__(self, portal_id: object) -> bool:
        """Whether a portal with this id is registered."""
        return portal_id in self._portals

    def __iter__(self) -> Iterator[Portal]:
        """The portals in registration order."""
        return iter(self._portals.values())

    def __len__(self) -> int:
        """How many portals are registered."""
        return len(self._portals)


def _strings(entry: Mapping[str, object], key: str, source: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise MalformedInput("must be a list of text", source=source, field=key)
    return tuple(cast(list[str], value))


def config_text(
    entry: Mapping[str, object], key: str, source: str, default: str | None
) -> str | None:
    """The text setting ``key`` of a registration entry (``default`` when absent)."""
    value = entry.get(key, default)
    if value is not None and not isinstance(value, str):
        raise MalformedInput("must be text", source=source, field=key)
    return value


def config_flag(entry: Mapping[str, object], key: str, source: str, default: bool = False) -> bool:
    """The true/false setting ``key`` of a registration entry (``default`` when absent)."""
    value = entry.get(key, default)
    if not isinstance(value, bool):
        raise MalformedInput("must be true or false", source=source, field=key)
    return value


def config_choice(
    entry: Mapping[str, object], key: str, source: str, choices: Mapping[str, _T], default: str
) -> _T:
    """What the setting ``key`` of a registration entry names among ``choices``.

    ``default`` when absent; `MalformedInput` listing the choices for any other value.
    """
    value = entry.get(key, default)
    if not isinstance(value, str) or value not in choices:
        raise MalformedInput(f"must be one of {', '.join(choices)}", source=source, field=key)
    return choices[value]


def portal_from_dict(entry: Mapping[str, object], *, source: str = "portal") -> Portal:
    """A portal from its decoded registration (see the module text for the keys)."""
    known = {
        "id", "kind", "redirect_uris", "acs_urls", "attributes", "profile", "minimum_level",
        "sector", "subject", "national_number", "mandates", "encryption_certificate",
        "algorithms", "allow_sha1", "country",
    }  # fmt: skip
    extra = set(entry) - known
    if extra:
        raise MalformedInput(f"unknown keys {', '.join(sorted(extra))}", source=source)
    kind = config_text(entry, "kind", source, "oidc")
    profile_name = config_text(entry, "profile", source, "oidc" if kind == "oidc" else "belgian")
    if profile_name is None or profile_name not in PROFILES:
        raise MalformedInput(f"unknown profile {profile_name!r}", source=source, field="profile")
    certificate = None
    pem = config_text(entry, "encryption_certificate", source, None)
    if pem is not None:
        try:
            certificate = x509.load_pem_x509_certificate(pem.encode())
            certificate.public_key()  # read lazily by cryptography: read it here
        except (ValueError, UnsupportedAlgorithm, x509.InvalidVersion):
            raise MalformedInput(
                "not a PEM certificate", source=source, field="encryption_certificate"
            ) from None
    algorithms = _strings(entry, "algorithms", source) or DEFAULT_ALGORITHMS
    endpoints = _strings(entry, "redirect_uris", source) + _strings(entry, "acs_urls", source)
    try:
        return Portal(
            id=config_text(entry, "id", source, "") or "",
            kind=cast(PortalKind, kind),
            endpoints=endpoints,
            attributes=frozenset(_strings(entry, "attributes", source)),
            profile=PROFILES[profile_name],
            minimum_level=cast(Level | None, config_text(entry, "minimum_level", source, None)),
            sector=config_text(entry, "sector", source, None),
            subject_kind=cast(SubjectKind, config_text(entry, "subject", source, "pairwise")),
            may_receive_national_number=config_flag(entry, "national_number", source),
            may_receive_mandates=config_flag(entry, "mandates", source),
            encryption_certificate=certificate,
            algorithms=algorithms,
            allow_sha1=config_flag(entry, "allow_sha1", source),
            country=config_text(entry, "country", source, "BE") or "BE",
        )
    except UsageError as error:
        raise MalformedInput(error.message, source=source) from None


def load_portals(path: Path) -> PortalRegistry:
    """Read a portal file: TOML (``[[portal]]`` tables) or JSON (``{"portal": [...]}``)."""
    try:
        raw = path.read_bytes()
        data: object = tomllib.loads(raw.decode()) if path.suffix == ".toml" else json.loads(raw)
    except OSError as error:
        raise MalformedInput(f"cannot read ({error.strerror})", source=str(path)) from None
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise MalformedInput(f"not valid TOML/JSON: {error}", source=str(path)) from None
    entries = data.get("portal") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise MalformedInput("expected a list of portals under 'portal'", source=str(path))
    return PortalRegistry(
        portal_from_dict(e, source=f"{path}[{i}]") if isinstance(e, dict) else _not_table(path, i)
        for i, e in enumerate(entries)
    )


def _not_table(path: Path, index: int) -> Portal:
    raise MalformedInput("a portal must be a table", source=f"{path}[{index}]")
