"""The single-sign-on session: a random cookie bound to server-side state.

The cookie (``Secure``, ``HttpOnly``, ``SameSite=Lax``) holds only a random
identifier; the store keeps the session under a hash of it, so what the store
holds cannot be replayed as a cookie. A session exists before login (it carries
the CSRF token and rate-limit key) and gains a person when one logs in.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .store import Store

__all__ = ["COOKIE", "Session", "SessionManager"]

COOKIE = "eid_session"


@dataclass
class Session:
    """One browser's state at the provider.

    ``sid`` names the session to portals (the ID token's ``sid``, the SAML ``SessionIndex``);
    unlike ``id`` (the cookie) it is no secret. ``names`` keeps the SAML NameID (value,
    format) each SAML portal received, for its LogoutRequest.
    """

    id: str
    csrf: str
    created: float
    sid: str
    person: dict[str, Any] | None = None
    portals: list[str] = field(default_factory=list)
    names: dict[str, list[str]] = field(default_factory=dict)
    fresh: bool = False

    @property
    def key(self) -> str:
        """Where the store keeps this session (a hash of the cookie value, never the value)."""
        return session_key(self.id)

    def to_dict(self) -> dict[str, Any]:
        """What the store keeps (the id is the key, not part of the value)."""
        return {
            "csrf": self.csrf,
            "created": self.created,
            "sid": self.sid,
            "person": self.person,
            "portals": self.portals,
            "names": self.names,
        }

    def use_portal(self, portal: str) -> None:
        """Remember that ``portal`` received a statement in this session (for logout)."""
        if portal not in self.portals:
            self.portals.append(portal)


def session_key(session_id: str) -> str:
    """The store key of a session id."""
    return "session:" + hashlib.sha256(session_id.encode()).hexdigest()


class SessionManager:
    """Reads, saves and ends sessions for requests."""

    def __init__(self, store: Store, *, ttl: int, secure: bool = True) -> None:
        self.store = store
        self.ttl = ttl
        self.secure = secure

    async def load(self, request: Request) -> Session:
        """The request's session, or a new one (``fresh``) when it has none or it ended."""
        cookie = request.cookies.get(COOKIE)
        if cookie:
            data = await self.store.get(session_key(cookie))
            if data is not None:
                return Session(
                    id=cookie,
                    csrf=str(data["csrf"]),
                    created=float(data["created"]),
                    sid=str(data["sid"]),
                    person=data.get("person"),
                    portals=list(data.get("portals", [])),
                    names=dict(data.get("names", {})),
                )
        return Session(
            id=secrets.token_urlsafe(32),
            csrf=secrets.token_urlsafe(32),
            created=time.time(),
            sid=secrets.token_urlsafe(16),
            fresh=True,
        )

    async def save(self, session: Session, response: Response) -> None:
        """Store the session and, when it is new, give the browser its cookie."""
        remaining = max(1.0, session.created + self.ttl - time.time())
        await self.store.put(session.key, session.to_dict(), remaining)
        if session.fresh:
            response.set_cookie(
                COOKIE,
                session.id,
                max_age=self.ttl,
                path="/",
                secure=self.secure,
                httponly=True,
                samesite="lax",
            )
            session.fresh = False

    async def renew(self, session: Session) -> Session:
        """The same session under a new id and CSRF token (after login: no session fixation)."""
        await self.store.delete(session.key)
        return Session(
            id=secrets.token_urlsafe(32),
            csrf=secrets.token_urlsafe(32),
            created=time.time(),
            sid=session.sid,
            person=session.person,
            portals=list(session.portals),
            names=dict(session.names),
            fresh=True,
        )

    async def end(self, session: Session, response: Response) -> None:
        """Forget the session here and in the browser."""
        await self.store.delete(session.key)
        response.delete_cookie(COOKIE, path="/", secure=self.secure, httponly=True, samesite="lax")
