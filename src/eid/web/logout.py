"""Logout: RP-initiated (OIDC ``end_session_endpoint``) and back-channel notices to the portals.

An RP-initiated logout proceeds at once only with a valid ``id_token_hint`` (from the
``client_id`` given, if any); otherwise, since anyone can link to the endpoint, the person
confirms on a CSRF-protected page first. ``post_logout_redirect_uri`` is used only when it
is exactly one the client registered.

Ending a session tells every OIDC portal it was used at and that registered a
``backchannel_logout_uri``: a signed logout token (``sid`` of the session) is posted
to it from the server, so the browser need not visit each portal.
"""

from __future__ import annotations

import datetime as dt
import secrets
from urllib.parse import urlencode

import requests
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from eid.errors import EidError, PortalUnknown, RedirectUriMismatch
from eid.sso import VerificationKeys, import_id_token
from eid.sso.jws import parse_compact
from eid.sso.oidc import sign_jwt

from .clients import Client
from .csrf import check_csrf
from .pages import render
from .saml_messages import Outgoing, logout_chain
from .service import Service, address_of, service_of
from .sessions import Session

__all__ = ["backchannel_logout", "end_session", "routes"]

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
_LOGOUT_TYP = "logout+jwt"
_TIMEOUT = 5.0


def _logout_token(service: Service, client: Client, session: Session) -> str:
    key = service.provider.keys.active
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims = {
        "iss": service.config.issuer,
        "aud": client.id,
        "iat": now,
        "exp": now + 120,
        "jti": secrets.token_urlsafe(18),
        "sid": session.sid,
        "events": {BACKCHANNEL_EVENT: {}},
    }
    # explicitly typed (Back-Channel Logout 2.4, 4.1): never taken for an ID token
    algorithm = key.choose_algorithm(client.portal.algorithms)
    return sign_jwt(claims, key, algorithm, typ=_LOGOUT_TYP)


def _post(url: str, token: str) -> int:
    return requests.post(url, data={"logout_token": token}, timeout=_TIMEOUT).status_code


async def backchannel_logout(request: Request, service: Service, session: Session) -> None:
    """Post a logout token to each OIDC portal of the session that registered for it."""
    for portal_id in session.portals:
        try:
            client = await service.clients.get(portal_id)
        except PortalUnknown:
            continue
        if client.portal.kind != "oidc" or not client.backchannel_logout_uri:
            continue
        token = _logout_token(service, client, session)
        try:
            status = await run_in_threadpool(_post, client.backchannel_logout_uri, token)
        except requests.RequestException:
            status = 0
        service.audit.record(
            "logout",
            outcome="success" if status == 200 else "failure",
            portal=client.id,
            error=None if status == 200 else "backchannel_logout_failed",
        )


async def end_session(
    request: Request, service: Service, final: Outgoing, *, answered: str | None = None
) -> Response:
    """End the request's session everywhere; the browser then goes on to ``final``.

    The session ends here, at its OIDC portals by back channel, and at its SAML portals but
    ``answered`` through the browser (`logout_chain`). Without a session the browser goes to
    ``final`` at once.
    """
    session = await service.sessions.load(request)
    if session.fresh:
        return final.response(request)
    for hook in service.logout_hooks:
        await hook(request, service, session)
    person = session.person or {}
    service.audit.record(
        "logout",
        pseudonym=service.audit.pseudonym(person.get("national_number")),
        level=person.get("level"),
        address=address_of(request),
    )
    step = await logout_chain(service, session, final, answered=answered)
    response = step.response(request)
    await service.sessions.end(session, response)
    return response


async def logout_form(request: Request) -> Response:
    """Log out with the home page's form."""
    service = service_of(request)
    session = await service.sessions.load(request)
    check_csrf(session, dict((await request.form()).items()))
    return await end_session(request, service, Outgoing("/logged-out"))


async def _hinted_client(service: Service, hint: str) -> Client:
    """The client an ``id_token_hint`` was issued to (signature and issuer verified; expiry not)."""
    unverified = parse_compact(hint).claims()
    audience = unverified.get("aud")
    client_id = audience[0] if isinstance(audience, list) and audience else audience
    client = await service.clients.get(str(client_id))
    issued = unverified.get("iat")
    at = (
        dt.datetime.fromtimestamp(float(issued), dt.UTC)
        if isinstance(issued, int | float)
        else None
    )
    import_id_token(
        hint,
        issuer=service.config.issuer,
        audience=client.id,
        keys=VerificationKeys.from_key_set(service.provider.keys),
        at=at,
    )
    return client


async def end_session_endpoint(request: Request) -> Response:
    """RP-initiated logout: end the session (at once with a valid hint, else once confirmed)."""
    service = service_of(request)
    params: dict[str, str] = dict(request.query_params)
    if request.method == "POST":
        params = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    hinted = None
    hint = params.get("id_token_hint")
    if hint:
        try:
            hinted = await _hinted_client(service, hint)
        except EidError:
            hinted = None
    named = params.get("client_id")
    if hinted is not None and named and named != hinted.id:
        raise RedirectUriMismatch("the id_token_hint was issued to another client")
    client = hinted or (await service.clients.get(named) if named else None)
    target = params.get("post_logout_redirect_uri")
    if target and (client is None or target not in client.post_logout_redirect_uris):
        raise RedirectUriMismatch("this address is not registered for going back after logout")
    final = "/logged-out"
    if target:
        state = params.get("state")
        query = (("&" if "?" in target else "?") + urlencode({"state": state})) if state else ""
        final = target + query
    session = await service.sessions.load(request)
    if hinted is None and session.person is not None:
        if request.method != "POST" or params.get("confirm") != "yes":
            return render(
                request,
                "logout_confirm.html",
                title="logout_confirm_title",
                session=session,
                portal_name=client.name if client else None,
                fields=[
                    (name, params[name])
                    for name in ("client_id", "post_logout_redirect_uri", "state")
                    if params.get(name)
                ],
            )
        check_csrf(session, params)
    return await end_session(request, service, Outgoing(final))


routes = [
    Route("/logout", logout_form, methods=["POST"]),
    Route("/logout/oidc", end_session_endpoint, methods=["GET", "POST"]),
]
