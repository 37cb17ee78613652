"""What every request handler needs: configuration, shared state, login checks, audit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from eid.auth import Authenticator, MemoryNonceStore, NonceStore, RedisNonceStore
from eid.pki import RevocationPolicy, RevocationSettings, TrustStore
from eid.pki.certificates import load_certificates_from_path

from .audit import AuditLog
from .config import WebConfig
from .flows import Flow, FlowStore
from .ratelimit import RateLimiter
from .sessions import Session, SessionManager
from .store import Store, open_store

if TYPE_CHECKING:
    from eid.tokens.virtual import VirtualCard

Finisher = Callable[[Request, "Service", Session, Flow, str | None], Awaitable[Response]]
"""Answers a portal's flow: ``(request, service, session, flow, error)`` -> the response to the browser."""

MandateLookup = Callable[[dict[str, Any]], list[tuple[str, str, str]]]
"""The enterprises a logged-in person may act for: (number, name, role) each."""

LogoutHook = Callable[[Request, "Service", Session], Awaitable[None]]
"""Called when a session ends, to tell the portals it was used at."""

__all__ = [
    "Finisher",
    "LogoutHook",
    "MandateLookup",
    "Service",
    "address_of",
    "build_service",
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
    revocation: RevocationSettings
    authenticator: Authenticator
    pin_limit: RateLimiter
    login_limit: RateLimiter
    virtual_card: VirtualCard | None = None
    finishers: dict[str, Finisher] = field(default_factory=dict)
    mandates: MandateLookup = field(default=lambda _person: [])
    logout_hooks: list[LogoutHook] = field(default_factory=list)

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


def build_service(config: WebConfig, *, secure_cookies: bool = True) -> Service:
    """Open the store, load the trust anchors and the virtual card (development only)."""
    store = open_store(config.redis)
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
