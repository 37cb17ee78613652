"""A "Tax-on-web"-style portal that delegates login to the eid provider by SAML 2.0.

It reads the provider's metadata (`eid.sso.RemoteMetadata`: entity ID and signing keys,
cached and fetched again when old), sends an AuthnRequest by the HTTP-Redirect binding, and imports the
Response posted to its ACS URL with `eid.sso.saml_import.import_saml_response`
(signature with the metadata's key only, audience, recipient, InResponseTo, time window,
one-time use). Single logout both ways: "Log out" sends a LogoutRequest to the provider,
which ends the session everywhere; a LogoutRequest from the provider (its signature
checked with the metadata's key) ends this portal's session.

Run it with `eid serve --dev --with-examples`, or build it with `create_portal`.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import secrets
import zlib
from typing import Any
from urllib.parse import quote, unquote_plus

from lxml import etree
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from eid.errors import EidError
from eid.sso import BELGIAN, RemoteMetadata
from eid.sso.algorithms import ALGORITHMS, verifier
from eid.sso.replay import MemoryReplayStore
from eid.sso.saml import SAML_NS, SAMLP_NS, saml_instant
from eid.sso.saml_import import import_saml_response
from eid.xmlsig import parse_xml

__all__ = ["create_portal"]

COOKIE = "tax_on_web"
_P, _A = f"{{{SAMLP_NS}}}", f"{{{SAML_NS}}}"
_FAMILY, _GIVEN = BELGIAN.names["family_name"], BELGIAN.names["given_name"]
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>Tax-on-web</title></head>
<body><header><p><strong>Tax-on-web</strong> (example portal)</p></header>
<main><h1>Tax-on-web</h1>{body}</main></body></html>"""


def _page(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(body=body), status_code=status)


def _message(tag: str, issuer: str, destination: str, **attributes: str) -> etree._Element:
    root = etree.Element(_P + tag, nsmap={"samlp": SAMLP_NS, "saml": SAML_NS})
    for name, value in {
        "ID": "_" + secrets.token_hex(16),
        "Version": "2.0",
        "IssueInstant": saml_instant(dt.datetime.now(dt.UTC)),
        "Destination": destination,
        **attributes,
    }.items():
        root.set(name, value)
    etree.SubElement(root, _A + "Issuer").text = issuer
    return root


def _redirect(url: str, name: str, root: etree._Element, relay: str | None = None) -> str:
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    value = base64.b64encode(deflate.compress(etree.tostring(root)) + deflate.flush()).decode()
    query = f"{name}={quote(value, safe='')}"
    if relay:
        query += f"&RelayState={quote(relay, safe='')}"
    return f"{url}?{query}"


def _first(values: Any) -> str:
    if isinstance(values, list | tuple):
        return str(values[0]) if values else ""
    return str(values or "")


def create_portal(*, provider: str, base_url: str, entity_id: str) -> Starlette:
    """The portal at ``base_url`` (SAML entity ``entity_id``) of the provider at ``provider``."""
    sessions: dict[str, dict[str, str]] = {}
    requested: set[str] = set()
    replay = MemoryReplayStore()
    acs = f"{base_url}/acs"

    metadata = RemoteMetadata(f"{provider}/saml/metadata")

    def home(request: Request) -> Response:
        person = sessions.get(request.cookies.get(COOKIE, ""))
        if person is None:
            return _page('<p>You are not logged in.</p><p><a href="/login">Log in</a></p>')
        return _page(
            f"<p>Welcome, {html.escape(person['name'])}. Your tax return is ready.</p>"
            '<form method="post" action="/logout"><button type="submit">Log out</button></form>'
        )

    def login(request: Request) -> Response:
        root = _message(
            "AuthnRequest", entity_id, f"{provider}/saml/sso",
            AssertionConsumerServiceURL=acs,
            ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
        )  # fmt: skip
        requested.add(str(root.get("ID")))
        return RedirectResponse(_redirect(f"{provider}/saml/sso", "SAMLRequest", root), 303)

    async def consume(request: Request) -> Response:
        form = await request.form()
        message = str(form.get("SAMLResponse", ""))
        provider_keys = await run_in_threadpool(metadata.idp)
        try:
            document = parse_xml(base64.b64decode(message), source="SAMLResponse")
            answered = document.get("InResponseTo") or ""
            if answered not in requested:
                return _page("<p>Login refused: no request of ours is waiting.</p>", 403)
            imported = import_saml_response(
                message, idp=provider_keys, audience=entity_id, recipient=acs, replay=replay,
                in_response_to=answered,
            )  # fmt: skip
        except (EidError, ValueError) as error:
            code = error.code if isinstance(error, EidError) else "malformed"
            return _page(f"<p>Login refused: {html.escape(code)}.</p>", 403)
        requested.discard(answered)
        names = imported.attributes
        session = secrets.token_urlsafe(32)
        sessions[session] = {
            "name": f"{_first(names.get(_GIVEN))} {_first(names.get(_FAMILY))}".strip(),
            "subject": imported.subject,
            "session_index": imported.session_index or "",
        }
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(COOKIE, session, httponly=True, samesite="lax")
        return response

    def logout(request: Request) -> Response:
        person = sessions.pop(request.cookies.get(COOKIE, ""), None)
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(COOKIE)
        if person is not None:
            root = _message("LogoutRequest", entity_id, f"{provider}/saml/slo")
            etree.SubElement(root, _A + "NameID").text = person["subject"]
            response.headers["location"] = _redirect(f"{provider}/saml/slo", "SAMLRequest", root)
        return response

    def _signed_by_provider(query: str) -> bool:
        parts = dict(p.partition("=")[::2] for p in query.split("&"))
        algorithm = next(
            (
                a
                for a in ALGORITHMS.values()
                if a.xmldsig_uri == unquote_plus(parts.get("SigAlg", ""))
            ),
            None,
        )
        if algorithm is None or "Signature" not in parts:
            return False
        signed = "&".join(
            f"{k}={parts[k]}"
            for k in ("SAMLRequest", "SAMLResponse", "RelayState", "SigAlg")
            if k in parts
        )
        signature = base64.b64decode(unquote_plus(parts["Signature"]))
        return any(
            (check := verifier(key, algorithm)) is not None and check(signature, signed.encode())
            for key in metadata.idp().keys
        )

    def single_logout(request: Request) -> Response:
        if not _signed_by_provider(request.url.query):
            return _page("<p>Logout message refused: not signed by the provider.</p>", 403)
        if "SAMLResponse" in request.query_params:
            return RedirectResponse("/", status_code=303)
        xml = zlib.decompressobj(-15).decompress(
            base64.b64decode(request.query_params.get("SAMLRequest", "")), 65536
        )
        name = parse_xml(xml, source="LogoutRequest").findtext(_A + "NameID")
        for key in [k for k, v in sessions.items() if v["subject"] == name]:
            del sessions[key]
        relay = request.query_params.get("RelayState")
        answer = _message("LogoutResponse", entity_id, f"{provider}/saml/slo")
        status = etree.SubElement(etree.SubElement(answer, _P + "Status"), _P + "StatusCode")
        status.set("Value", "urn:oasis:names:tc:SAML:2.0:status:Success")
        response = RedirectResponse(
            _redirect(f"{provider}/saml/slo", "SAMLResponse", answer, relay), status_code=303
        )
        response.delete_cookie(COOKIE)
        return response

    return Starlette(
        routes=[
            Route("/", home),
            Route("/login", login),
            Route("/acs", consume, methods=["POST"]),
            Route("/logout", logout, methods=["POST"]),
            Route("/slo", single_logout),
        ]
    )
