"""The portals as the service knows them: the `eid.sso` registration plus how each talks to us.

A ``[[portals]]`` table holds the keys of `eid.sso.portals.portal_from_dict` (id, kind,
redirect_uris / acs_urls, attributes, profile, minimum_level, sector, subject,
national_number, mandates, ...) and these, for the service:

- ``name``: what the pages call the portal;
- OIDC: ``client_secret`` (``client_secret_basic`` or ``_post``) or ``jwks``
  (``private_key_jwt``, a JWKS object), ``post_logout_redirect_uris``,
  ``backchannel_logout_uri``; ``require_pkce`` (default true; false lets this confidential
  client leave PKCE out, with a ``nonce`` instead, as RFC 9700 2.1.1 allows: Keycloak
  brokers and Spring Security send no PKCE for confidential clients by default);
- SAML: ``sp_certificate`` (PEM, verifies signed AuthnRequests and LogoutRequests),
  ``sign_requests`` (whether requests must be signed), ``slo_url`` and ``slo_binding``
  (``"redirect"``, the default, or ``"post"``: how logout messages reach it);
  ``sign_response`` (the Response is signed too, around the signed assertion: SPs such as
  pysaml2 by default, or python3-saml with ``wantMessagesSigned``, require it); or
  ``sp_metadata``, the service provider's metadata file
  (`eid.sso.saml_metadata.sp_from_metadata`), which gives its entity ID, ACS URLs and their
  indexes (the default first), signing and encryption certificates, the encryption methods
  it lists, ``AuthnRequestsSigned`` and its SingleLogoutServices, Redirect and POST, with
  their ResponseLocation (the table then names none of these; ``attributes``, ``profile``
  and ``subject`` default to what the metadata requests); ``allow_sha1`` (default false) accepts its requests signed
  with SHA-1 (rsa-sha1), as older ADFS, Shibboleth SP 2 and Spring SAML still sign them.

Portals registered at run time (RFC 7591) live in the shared store.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm

from eid.errors import MalformedInput, PortalUnknown
from eid.sso import Portal, PortalRegistry
from eid.sso.attributes import PROFILES
from eid.sso.portals import config_choice, config_flag, config_text, portal_from_dict
from eid.sso.saml import POST_BINDING, REDIRECT_BINDING, LogoutEndpoint, logout_endpoint
from eid.sso.saml_metadata import ServiceProviderMetadata, sp_from_metadata

from .store import Store

__all__ = ["Client", "ClientRegistry", "client_from_dict"]

_SERVICE_KEYS = (
    "name",
    "client_secret",
    "jwks",
    "post_logout_redirect_uris",
    "backchannel_logout_uri",
    "sp_certificate",
    "sign_requests",
    "slo_url",
    "slo_binding",
    "sp_metadata",
    "sign_response",
    "require_pkce",
)
_FROM_SP_METADATA = (
    "id", "kind", "acs_urls", "encryption_certificate", "sp_certificate", "sign_requests", "slo_url",
    "slo_binding",
)  # fmt: skip
_SLO_BINDINGS = {"redirect": REDIRECT_BINDING, "post": POST_BINDING}

REGISTERED_TTL = 10 * 365 * 24 * 3600
"""How long a dynamically registered client is kept (seconds)."""


@dataclass(frozen=True)
class Client:
    """A registered portal and how it authenticates and is told about logouts."""

    portal: Portal
    name: str
    secret: str | None = None
    jwks: Mapping[str, Any] | None = None
    post_logout_redirect_uris: tuple[str, ...] = ()
    backchannel_logout_uri: str | None = None
    sp_certificates: tuple[x509.Certificate, ...] = ()
    sign_requests: bool = False
    single_logout: tuple[LogoutEndpoint, ...] = ()
    sign_response: bool = False
    require_pkce: bool = True
    registration: Mapping[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The client ID or SAML entity ID."""
        return self.portal.id

    @property
    def logout_endpoint(self) -> LogoutEndpoint | None:
        """Where logout messages reach this SAML portal (Redirect if it has it, else POST)."""
        return logout_endpoint(self.single_logout)

    def secret_matches(self, secret: str) -> bool:
        """Whether ``secret`` is this client's secret (constant time; False without one)."""
        return self.secret is not None and hmac.compare_digest(
            secret.encode(), self.secret.encode()
        )


def _sp_metadata(entry: Mapping[str, Any], source: str) -> ServiceProviderMetadata:
    given = sorted(set(entry) & set(_FROM_SP_METADATA))
    if given:
        raise MalformedInput(
            f"{', '.join(given)} come from sp_metadata; leave them out", source=source
        )
    try:
        data = Path(str(entry["sp_metadata"])).read_bytes()
    except OSError as error:
        raise MalformedInput(
            f"cannot read the SP metadata ({error.strerror})", source=source, field="sp_metadata"
        ) from None
    return sp_from_metadata(data)


def _from_metadata(sp: ServiceProviderMetadata, entry: Mapping[str, Any]) -> dict[str, Any]:
    """The registration keys the SP metadata gives, under those of ``entry``."""
    derived: dict[str, Any] = {
        "id": sp.entity_id,
        "kind": "saml",
        "acs_urls": list(sp.acs_urls),
        "profile": sp.profile(),
    }
    profile = entry.get("profile", derived["profile"])
    if isinstance(profile, str) and profile in PROFILES:
        derived["attributes"] = sorted(sp.attributes(profile))
    if sp.transient_only:
        derived["subject"] = "transient"
    return {**derived, **entry}


def _certificate(entry: Mapping[str, Any], source: str) -> tuple[x509.Certificate, ...]:
    if not entry.get("sp_certificate"):
        return ()
    try:
        certificate = x509.load_pem_x509_certificate(str(entry["sp_certificate"]).encode())
        certificate.public_key()  # read lazily by cryptography: read it here
    except (ValueError, UnsupportedAlgorithm, x509.InvalidVersion):
        raise MalformedInput(
            "not a PEM certificate", source=source, field="sp_certificate"
        ) from None
    return (certificate,)


def _single_logout(entry: Mapping[str, Any], source: str) -> tuple[LogoutEndpoint, ...]:
    """The ``slo_url`` of a table, by its ``slo_binding``."""
    binding = config_choice(entry, "slo_binding", source, _SLO_BINDINGS, "redirect")
    url = config_text(entry, "slo_url", source, None)
    if not url:
        if "slo_binding" in entry:
            raise MalformedInput("slo_binding without slo_url", source=source, field="slo_binding")
        return ()
    return (LogoutEndpoint(binding, url),)


def client_from_dict(entry: Mapping[str, Any], *, source: str = "portal") -> Client:
    """A client from a ``[[portals]]`` table or a stored registration."""
    sp = _sp_metadata(entry, source) if "sp_metadata" in entry else None
    fields = _from_metadata(sp, entry) if sp is not None else entry
    portal = portal_from_dict(
        {k: v for k, v in fields.items() if k not in _SERVICE_KEYS}, source=source
    )
    if sp is not None:
        portal = replace(
            portal,
            encryption_certificate=sp.encryption_certificate,
            acs_indexes=sp.acs_indexes,
            encryption=sp.encryption,
        )
    jwks = entry.get("jwks")
    if jwks is not None and not isinstance(jwks, dict):
        raise MalformedInput("must be a JWKS object", source=source, field="jwks")
    sign_response = config_flag(entry, "sign_response", source)
    require_pkce = config_flag(entry, "require_pkce", source, default=True)
    return Client(
        portal=portal,
        name=str(entry.get("name") or portal.id),
        secret=entry.get("client_secret"),
        jwks=jwks,
        post_logout_redirect_uris=tuple(entry.get("post_logout_redirect_uris", ())),
        backchannel_logout_uri=entry.get("backchannel_logout_uri"),
        sp_certificates=sp.signing_certificates if sp else _certificate(entry, source),
        sign_requests=sp.authn_requests_signed if sp else bool(entry.get("sign_requests", False)),
        single_logout=sp.logout_endpoints if sp else _single_logout(entry, source),
        sign_response=sign_response,
        require_pkce=require_pkce,
        registration=dict(entry),
    )


class ClientRegistry:
    """The configured clients, and those registered at run time (shared through the store)."""

    def __init__(self, configured: Iterable[Client], store: Store) -> None:
        self._clients = {client.id: client for client in configured}
        self.portals = PortalRegistry(client.portal for client in self._clients.values())
        self._store = store

    async def get(self, client_id: str | None) -> Client:
        """The client with this id; `PortalUnknown` when none is registered."""
        if client_id:
            client = self._clients.get(client_id)
            if client is not None:
                return client
            stored = await self._store.get("client:" + client_id)
            if stored is not None:
                client = client_from_dict(stored, source="registration")
                self._clients[client.id] = client
                if client.id not in self.portals:
                    self.portals.add(client.portal)
                return client
        raise PortalUnknown(f"no portal is registered as {client_id!r}")

    async def register(self, entry: Mapping[str, Any]) -> Client:
        """Register a new client for every instance (its id must be new)."""
        client = client_from_dict(entry, source="registration")
        if client.id in self._clients or not await self._store.add(
            "client:" + client.id, dict(entry), REGISTERED_TTL
        ):
            raise MalformedInput("this client id is taken", source="registration")
        return await self.get(client.id)
