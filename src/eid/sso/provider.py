"""The identity provider: issuer, key set, portal registry and clock, turning logins into statements.

`IdentityProvider.statement` makes the `Statement` for one portal; `issue_id_token` encodes
it as a signed OIDC ID token, `issue_saml_response` as a SAML 2.0 Response with a signed
Assertion (`eid.sso.saml_response`); `saml_metadata` is the signed IdP metadata.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from eid.auth import AuthResult
from eid.errors import UsageError
from eid.identity import Address, Identity
from eid.sso.keys import KeySet, ProviderKey
from eid.sso.levels import LOA_URIS, AssuranceTable
from eid.sso.mandates import MandateSource
from eid.sso.oidc import discovery_document, id_token_claims, sign_jwt
from eid.sso.portals import DEFAULT_ALGORITHMS, PortalRegistry
from eid.sso.saml_metadata import idp_metadata
from eid.sso.saml_response import saml_response
from eid.sso.statement import Statement, make_statement
from eid.sso.subjects import SubjectMinter

__all__ = ["Clock", "IdentityProvider", "utc_now"]

Clock = Callable[[], dt.datetime]
"""Gives the current time (timezone-aware)."""


def utc_now() -> dt.datetime:
    """The current time in UTC."""
    return dt.datetime.now(dt.UTC)


class IdentityProvider:
    """Issues statements about logins to registered portals, signed with the active key."""

    def __init__(
        self,
        issuer: str,
        keys: KeySet,
        portals: PortalRegistry,
        *,
        subjects: SubjectMinter,
        assurance: AssuranceTable | None = None,
        mandates: MandateSource | None = None,
        clock: Clock = utc_now,
        id_token_lifetime: dt.timedelta = dt.timedelta(minutes=5),
    ) -> None:
        """A provider known as ``issuer`` (its URL) that signs with ``keys.active``."""
        if not issuer:
            raise UsageError("the identity provider needs an issuer URL")
        self.issuer = issuer
        self.keys = keys
        self.portals = portals
        self.subjects = subjects
        self.assurance = assurance or AssuranceTable()
        self.mandates = mandates
        self.clock = clock
        self.id_token_lifetime = id_token_lifetime

    def statement(
        self,
        auth: AuthResult,
        portal_id: str,
        *,
        acting_for: str | None = None,
        identity: Identity | None = None,
        address: Address | None = None,
        language: str | None = None,
        transient: bool = False,
        session_index: str | None = None,
    ) -> Statement:
        """The statement about ``auth`` for the registered portal ``portal_id``."""
        return make_statement(
            auth,
            self.portals.get(portal_id),
            subjects=self.subjects,
            assurance=self.assurance,
            mandates=self.mandates,
            acting_for=acting_for,
            identity=identity,
            address=address,
            language=language,
            transient=transient,
            session_index=session_index,
        )

    def issue_id_token(
        self,
        auth: AuthResult,
        client_id: str,
        *,
        nonce: str | None = None,
        access_token: str | None = None,
        acting_for: str | None = None,
        identity: Identity | None = None,
        address: Address | None = None,
        language: str | None = None,
        session_index: str | None = None,
        extra_audiences: Iterable[str] = (),
    ) -> str:
        """A signed ID token about ``auth`` for the OIDC portal ``client_id``."""
        statement = self.statement(
            auth,
            client_id,
            acting_for=acting_for,
            identity=identity,
            address=address,
            language=language,
            session_index=session_index,
        )
        return self.id_token(
            statement, nonce=nonce, access_token=access_token, extra_audiences=extra_audiences
        )

    def id_token(
        self,
        statement: Statement,
        *,
        nonce: str | None = None,
        access_token: str | None = None,
        extra_audiences: Iterable[str] = (),
    ) -> str:
        """Encode and sign ``statement`` (for an OIDC portal) as an ID token."""
        portal = statement.portal
        if portal.kind != "oidc":
            raise UsageError(f"portal {portal.id} is a SAML portal, not an OIDC client")
        key = self.keys.active
        algorithm = key.choose_algorithm(portal.algorithms)
        claims = id_token_claims(
            statement,
            issuer=self.issuer,
            issued_at=self.clock(),
            lifetime=self.id_token_lifetime,
            nonce=nonce,
            access_token=access_token,
            algorithm=algorithm,
            extra_audiences=extra_audiences,
        )
        return sign_jwt(claims, key, algorithm)

    def jwks(self) -> dict[str, object]:
        """The JWKS of every published key (active, next, passive)."""
        return self.keys.jwks()

    def discovery(self, **endpoints: str) -> dict[str, object]:
        """The OpenID Provider metadata; ``endpoints`` override the defaults under the issuer."""
        algorithms = [a for a in DEFAULT_ALGORITHMS if a in self.keys.active.algorithms]
        return discovery_document(
            self.issuer,
            algorithms=algorithms,
            claims=("given_name", "family_name", "birthdate", "gender", "locale", "address"),
            acr_values=LOA_URIS.values(),
            **endpoints,
        )

    def rotate(self, new_next: ProviderKey | None) -> None:
        """Let the published next key sign from now on; the active key keeps verifying."""
        self.keys = self.keys.rotate(new_next, now=self.clock())

    def issue_saml_response(
        self,
        auth: AuthResult,
        entity_id: str,
        *,
        recipient: str | None = None,
        in_response_to: str | None = None,
        acting_for: str | None = None,
        identity: Identity | None = None,
        address: Address | None = None,
        language: str | None = None,
        transient: bool = False,
        sign_response: bool = False,
    ) -> bytes:
        """A SAML Response about ``auth`` for the SAML portal ``entity_id``.

        ``recipient`` must be one of its ACS URLs (default: the first registered); the
        assertion is encrypted when the portal registered an encryption certificate.
        """
        statement = self.statement(
            auth,
            entity_id,
            acting_for=acting_for,
            identity=identity,
            address=address,
            language=language,
            transient=transient,
        )
        return self.saml_response(
            statement,
            recipient=recipient,
            in_response_to=in_response_to,
            sign_response=sign_response,
        )

    def saml_response(
        self,
        statement: Statement,
        *,
        recipient: str | None = None,
        in_response_to: str | None = None,
        sign_response: bool = False,
    ) -> bytes:
        """Encode and sign ``statement`` (for a SAML portal) as a SAML Response."""
        portal = statement.portal
        if portal.kind != "saml":
            raise UsageError(f"portal {portal.id} is an OIDC client, not a SAML portal")
        target = recipient or portal.default_endpoint
        if target is None:
            raise UsageError(f"portal {portal.id} registered no assertion consumer URL")
        return saml_response(
            statement,
            issuer=self.issuer,
            key=self.keys.active,
            recipient=portal.check_endpoint(target),
            now=self.clock(),
            in_response_to=in_response_to,
            sign_response=sign_response,
        )

    def saml_metadata(
        self,
        *,
        sso_url: str | None = None,
        slo_url: str | None = None,
        want_requests_signed: bool = False,
    ) -> bytes:
        """The signed SAML IdP metadata.

        ``sso_url`` is the single sign-on endpoint (default: issuer + ``/saml/sso``);
        ``slo_url``, when given, the single logout endpoint (HTTP-Redirect and HTTP-POST
        bindings); ``want_requests_signed`` tells portals every AuthnRequest must be signed.
        """
        return idp_metadata(
            self.issuer,
            self.keys,
            sso_url=sso_url or self.issuer.rstrip("/") + "/saml/sso",
            slo_url=slo_url,
            want_requests_signed=want_requests_signed,
            now=self.clock(),
        )
