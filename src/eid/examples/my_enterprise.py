"""A "My Enterprise"-style portal that delegates login to the eid provider by OpenID Connect.

It uses only the portal side of `eid.sso`: it fetches the provider's discovery document
and JWKS (`eid.sso.RemoteKeys`: cached, fetched again on key rollover), sends the person
to the authorization endpoint (code flow, PKCE S256, state, nonce), redeems the code with
its client secret, and imports the ID token with `eid.sso.import_id_token` (every check
on). It shows the person and the enterprise they act for; "Log out" ends the provider's
session too (RP-initiated logout), and the provider's back-channel logout notice ends this
portal's session when the person logs out elsewhere.

Handlers that call the provider run in threads (plain functions), so the provider can answer
even when it runs in the same process. Run it with `eid serve --dev --with-examples`, or build it with `create_portal`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
from typing import Any
from urllib.parse import urlencode

import requests
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from eid.errors import EidError
from eid.sso import RemoteKeys, import_id_token
from eid.sso.jws import LOGOUT_TOKEN_TYPES, parse_compact

__all__ = ["create_portal"]

COOKIE = "my_enterprise"
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>My Enterprise</title></head>
<body><header><p><strong>My Enterprise</strong> (example portal)</p></header>
<main><h1>My Enterprise</h1>{body}</main></body></html>"""


def _page(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(body=body), status_code=status)


def create_portal(*, provider: str, base_url: str, client_id: str, client_secret: str) -> Starlette:
    """The portal at ``base_url``, registered at ``provider`` as ``client_id``."""
    sessions: dict[str, dict[str, Any]] = {}
    pending: dict[str, dict[str, str]] = {}
    cache: dict[str, Any] = {}

    def metadata() -> dict[str, Any]:
        if "metadata" not in cache:
            cache["metadata"] = requests.get(
                f"{provider}/.well-known/openid-configuration", timeout=10
            ).json()
            cache["keys"] = RemoteKeys(cache["metadata"]["jwks_uri"])
        return dict(cache["metadata"])

    def current(request: Request) -> dict[str, Any] | None:
        return sessions.get(request.cookies.get(COOKIE, ""))

    def home(request: Request) -> Response:
        person = current(request)
        if person is None:
            return _page('<p>You are not logged in.</p><p><a href="/login">Log in</a></p>')
        acting = (
            f"<p>Acting for {html.escape(person['enterprise'])}.</p>"
            if person.get("enterprise")
            else "<p>Acting for yourself.</p>"
        )
        return _page(
            f"<p>Welcome, {html.escape(person['name'])}.</p>{acting}"
            '<form method="post" action="/logout"><button type="submit">Log out</button></form>'
        )

    def login(request: Request) -> Response:
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)
        pending[state] = {"nonce": nonce, "verifier": verifier}
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        query = {
            "client_id": client_id,
            "redirect_uri": f"{base_url}/callback",
            "response_type": "code",
            "scope": "openid profile mandates",
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
        if request.query_params.get("lang"):
            query["ui_locales"] = request.query_params["lang"]
        return RedirectResponse(
            f"{metadata()['authorization_endpoint']}?{urlencode(query)}", status_code=303
        )

    def callback(request: Request) -> Response:
        flow = pending.pop(request.query_params.get("state", ""), None)
        code = request.query_params.get("code")
        if flow is None or not code:
            error = html.escape(request.query_params.get("error", "invalid state"))
            return _page(f"<p>Login failed: {error}.</p><p><a href='/'>Back</a></p>", 400)
        answer = requests.post(
            metadata()["token_endpoint"],
            data={"grant_type": "authorization_code", "code": code,
                  "redirect_uri": f"{base_url}/callback", "code_verifier": flow["verifier"]},
            auth=(client_id, client_secret),
            timeout=30,
        )  # fmt: skip
        if answer.status_code != 200:
            return _page("<p>Login failed at the token endpoint.</p>", 400)
        tokens = answer.json()
        try:
            imported = import_id_token(
                tokens["id_token"], issuer=provider, audience=client_id, keys=cache["keys"],
                nonce=flow["nonce"], access_token=tokens["access_token"],
            )  # fmt: skip
        except EidError as error:
            return _page(f"<p>Login refused: {html.escape(error.code)}.</p>", 403)
        names = imported.attributes
        mandate = imported.mandate
        session = secrets.token_urlsafe(32)
        sessions[session] = {
            "name": f"{names.get('given_name', '')} {names.get('family_name', '')}".strip(),
            "enterprise": f"{mandate.name} ({mandate.enterprise.formatted})" if mandate else None,
            "sid": imported.session_index,
            "id_token": tokens["id_token"],
        }
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(COOKIE, session, httponly=True, samesite="lax")
        return response

    def logout(request: Request) -> Response:
        person = sessions.pop(request.cookies.get(COOKIE, ""), None)
        target = "/"
        if person is not None:
            query = {"id_token_hint": person["id_token"],
                     "post_logout_redirect_uri": f"{base_url}/"}  # fmt: skip
            target = f"{metadata()['end_session_endpoint']}?{urlencode(query)}"
        response = RedirectResponse(target, status_code=303)
        response.delete_cookie(COOKIE)
        return response

    async def backchannel(request: Request) -> Response:
        form = await request.form()
        token = str(form.get("logout_token", ""))
        await run_in_threadpool(metadata)
        try:
            jws = parse_compact(token, types=LOGOUT_TOKEN_TYPES)
            check = cache["keys"].select(jws.kid, jws.algorithm)
            claims = jws.claims() if check(jws.signature, jws.signing_input) else {}
        except EidError:
            claims = {}
        if claims.get("iss") != provider or claims.get("aud") != client_id or "sid" not in claims:
            return Response(status_code=400)
        for key in [k for k, v in sessions.items() if v["sid"] == claims["sid"]]:
            del sessions[key]
        return Response(status_code=200)

    return Starlette(
        routes=[
            Route("/", home),
            Route("/login", login),
            Route("/callback", callback),
            Route("/logout", logout, methods=["POST"]),
            Route("/backchannel-logout", backchannel, methods=["POST"]),
        ]
    )
