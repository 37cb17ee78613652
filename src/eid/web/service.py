"""What every request handler needs: configuration, shared state, login checks, audit."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from eid.auth import Authenticator, MemoryNonceStore, NonceStore, RedisNonceStore
from eid.errors import UsageError
from eid.identity import NationalNumber
from eid.pki import RevocationPolicy, RevocationSettings, TrustStore
from eid.pki.certificates import load_certificates_from_path
from eid.sso import FileMandateSource, KeySet, ProviderKey, SubjectMinter
from eid.sso.provider import IdentityProvider

from .audit import AuditLog
from .clients import ClientRegistry, client_from_dict
from .config import KeyConfig, WebConfig
from .flows import Flow, FlowStore
from .persons import Logins
from .ratelimit import RateLimiter
from .sessions import Session, SessionManager
from .store import Store, open_store

if TYPE_CHECKING:
    from eid.tokens.virtual import VirtualCard

Finisher = Callable[[Request, "Service", Session, Flow, str | None], Awaitable[Response]]
"""Answers a portal's flow: ``(request, service, session, flow, error)`` -> the response to the browser."""

LogoutHook = Callable[[Request, "Service", Session], Awaitable[None]]
"""Called when a session ends, to tell the portals it was used at."""

__all__ = [
    "Finisher",
    "LogoutHook",
    "Service",
    "address_of",
    "build_service",
    "load_keys",
    "service_of",
    "trust_from_config",
]


@dataclass
class Service:
    """The provider's parts, built once per process from the configuration."""

    config: WebConfig
    store: Store
    sessions: SessionManager
    audit: AuditLog
    trust: TrustStore
    logins: Logins
    revocation: RevocationSettings
    authenticator: Authenticator
    pin_limit: RateLimiter
    login_limit: RateLimiter
    provider: IdentityProvider
    clients: ClientRegistry
    virtual_card: VirtualCard | None = None
    finishers: dict[str, Finisher] = field(default_factory=dict)
    logout_hooks: list[LogoutHook] = field(default_factory=list)

    def mandates(self, person: dict[str, Any]) -> list[tuple[str, str, str]]:
        """The enterprises ``person`` may act for: (number, name, role) each."""
        source = self.provider.mandates
        number = person.get("national_number")
        if source is None or not number:
            return []
        return [
            (str(m.enterprise), m.name, m.role)
            for m in source.mandates_of(NationalNumber.parse(number))
        ]

    @property
    def flows(self) -> FlowStore:
        """The pending login flows."""
        return FlowStore(self.store)

    def client_address(self, host: str | None, forwarded_for: str | None) -> str:
        """The client's address: the proxy's ``X-Forwarded-For`` only when the peer is a trusted proxy."""
        if forwarded_for and self.config.is_trusted_proxy(host):
            return forwarded_for.split(",")[-1].strip()
        return host or "unknown"


def trust_from_config(config: WebConfig) -> TrustStore:
    """The trust anchors and intermediates the configuration names ("belgium": the bundled roots)."""
    store = TrustStore.belgium() if "belgium" in config.trust.anchors else TrustStore()
    for value in config.trust.anchors:
        if value != "belgium":
            for certificate in load_certificates_from_path(value):
                store.add(certificate)
    for value in config.trust.intermediates:
        for certificate in load_certificates_from_path(value):
            store.add(certificate, anchor=False)
    return store


def _nonce_store(config: WebConfig) -> NonceStore:
    if config.redis:
        return RedisNonceStore.from_url(config.redis, prefix="eid:web:nonce:")
    return MemoryNonceStore()


def load_keys(config: KeyConfig) -> KeySet:
    """The provider's key set from the configured files."""
    if config.pkcs12 is not None:
        active = ProviderKey.from_pkcs12(config.pkcs12)
    elif config.active is not None:
        active = ProviderKey.from_pem(config.active, certificate=config.certificate)
    else:
        raise UsageError("[keys] needs the provider's signing key: active = FILE or pkcs12 = FILE")
    upcoming = ProviderKey.from_pem(config.next) if config.next is not None else None
    return KeySet(active, upcoming)


def build_service(config: WebConfig, *, secure_cookies: bool = True) -> Service:
    """Open the store, load keys, portals, trust anchors and the virtual card (development only)."""
    store = open_store(config.redis)
    clients = ClientRegistry(
        (client_from_dict(entry, source=f"portals[{i}]") for i, entry in enumerate(config.portals)),
        store,
    )
    provider = IdentityProvider(
        config.issuer,
        load_keys(config.keys),
        clients.portals,
        subjects=SubjectMinter(
            hmac.new(config.secret, b"eid.web subjects", hashlib.sha256).digest()
        ),
        mandates=FileMandateSource(config.mandates) if config.mandates else None,
    )
    trust = trust_from_config(config)
    revocation = RevocationSettings(policy=RevocationPolicy(config.trust.revocation))
    card = None
    if config.development.enabled:
        from eid.tokens.virtual import find_virtual_card

        card = find_virtual_card(config.development.virtual_card)
    limits = config.limits
    return Service(
        config=config,
        store=store,
        sessions=SessionManager(store, ttl=config.session_ttl, secure=secure_cookies),
        audit=AuditLog(config.secret, path=config.audit_log),
        trust=trust,
        logins=Logins(trust),
        revocation=revocation,
        authenticator=Authenticator(
            origin=config.webeid_origin,
            trust=trust,
            store=_nonce_store(config),
            ttl=dt.timedelta(minutes=5),
            revocation=revocation,
        ),
        pin_limit=RateLimiter(store, kind="pin", limit=limits.pin_attempts, window=limits.window),
        login_limit=RateLimiter(
            store, kind="login", limit=limits.login_attempts, window=limits.window
        ),
        provider=provider,
        clients=clients,
        virtual_card=card,
    )


def service_of(request: Request) -> Service:
    """The service the request's application was built with."""
    service = request.app.state.eid
    assert isinstance(service, Service)
    return service


def address_of(request: Request) -> str:
    """The client's address as the rate limits and the audit log see it."""
    return service_of(request).client_address(
        request.client.host if request.client else None,
        request.headers.get("x-forwarded-for"),
    )
