"""SAML messages the provider sends through the browser, and the front-channel logout chain.

An `Outgoing` is where the browser goes next: a redirect, or a page whose form posts the
message (`eid.web.pages.post_page`, as for SAML Responses). By the Redirect binding a
message is deflated, base64-encoded and signed over the query string with the provider's
active key; the values are form-encoded (a space as ``+``, everything else but letters,
digits and ``_.-~`` escaped): SAML Bindings 3.4.4.1 signs the query as sent, but verifiers
such as python3-saml re-encode the decoded values that way before checking. By the POST
binding it carries an enveloped signature, by the portal's first accepted algorithm, as
Responses do.

`logout_chain` plans the front-channel single logout of a session: one signed LogoutRequest
per SAML portal with a single logout endpoint (Redirect when it has one, else POST), each
portal answering at ``/saml/slo``, then the browser goes on to where the logout began.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from lxml import etree
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from eid.errors import PortalUnknown
from eid.sso.algorithms import ALGORITHMS
from eid.sso.saml import (
    NAMEID_FORMATS,
    REDIRECT_BINDING,
    SAML_NS,
    SAMLP_NS,
    LogoutEndpoint,
    saml_instant,
)
from eid.xmlsig import sign_enveloped

from .clients import Client
from .pages import post_page
from .service import Service
from .sessions import Session

__all__ = [
    "Outgoing",
    "deliver",
    "logout_chain",
    "message",
    "next_stop",
    "posted",
    "signed_xml",
]

_P = f"{{{SAMLP_NS}}}"
_A = f"{{{SAML_NS}}}"
_CHAIN_TTL = 5 * 60


@dataclass(frozen=True)
class Outgoing:
    """Where the browser goes next: redirected to ``url``, or posting ``fields`` there.

    The form is on a page that names the portal (``portal_name``).
    """

    url: str
    fields: tuple[tuple[str, str], ...] = ()
    portal_name: str = ""

    def response(self, request: Request) -> Response:
        """The redirect (303), or the page with the form."""
        if not self.fields:
            return RedirectResponse(self.url, status_code=303)
        return post_page(request, self.url, self.fields, self.portal_name)

    def to_dict(self) -> dict[str, Any]:
        """Its JSON form, as a logout chain keeps it in the store."""
        return {
            "url": self.url,
            "fields": [list(f) for f in self.fields],
            "portal_name": self.portal_name,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Outgoing:
        """The `Outgoing` of `to_dict`."""
        fields: Iterable[Sequence[str]] = data["fields"]
        return cls(str(data["url"]), tuple((n, v) for n, v in fields), str(data["portal_name"]))


def _deflated(xml: bytes) -> str:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return base64.b64encode(compressor.compress(xml) + compressor.flush()).decode("ascii")


def _signed_redirect(service: Service, url: str, name: str, xml: bytes, relay: str | None) -> str:
    """``url`` with the message in the HTTP-Redirect binding, signed with the provider's key."""
    key = service.provider.keys.active
    algorithm = key.choose_algorithm(tuple(ALGORITHMS))
    query = f"{name}={quote_plus(_deflated(xml), safe='')}"
    if relay:
        query += f"&RelayState={quote_plus(relay, safe='')}"
    query += f"&SigAlg={quote_plus(ALGORITHMS[algorithm].xmldsig_uri, safe='')}"
    signature = key.sign(query.encode("ascii"), algorithm)
    query += f"&Signature={quote_plus(base64.b64encode(signature).decode('ascii'), safe='')}"
    return f"{url}{'&' if '?' in url else '?'}{query}"


def signed_xml(service: Service, root: etree._Element, client: Client) -> bytes:
    """``root`` with an enveloped signature after its Issuer, as XML bytes.

    Signed with the provider's active key, by the first algorithm ``client`` accepts that the
    key makes.
    """
    key = service.provider.keys.active
    algorithm = ALGORITHMS[key.choose_algorithm(client.portal.algorithms)]
    sign_enveloped(
        root,
        signer=lambda data: key.sign(data, algorithm.name),
        method=algorithm.xmldsig_uri,
        certificates=[key.certificate] if key.certificate is not None else [],
        index=1,
    )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def posted(url: str, name: str, xml: bytes, relay: str | None, portal_name: str) -> Outgoing:
    """The message ``xml`` posted to ``url`` by the HTTP-POST binding.

    Base64 in the field ``name`` (``SAMLRequest`` or ``SAMLResponse``), and ``RelayState``
    when there is one.
    """
    fields = [(name, base64.b64encode(xml).decode("ascii"))]
    if relay:
        fields.append(("RelayState", relay))
    return Outgoing(url, tuple(fields), portal_name)


def deliver(
    service: Service, client: Client, binding: str, root: etree._Element, relay: str | None
) -> Outgoing:
    """The logout message ``root`` on its way to ``client`` at its Destination, signed.

    By ``binding``: a redirect signed over its query, or posted with an enveloped signature.
    """
    url = str(root.get("Destination"))
    name = "SAMLRequest" if root.tag == _P + "LogoutRequest" else "SAMLResponse"
    if binding == REDIRECT_BINDING:
        return Outgoing(_signed_redirect(service, url, name, etree.tostring(root), relay))
    return posted(url, name, signed_xml(service, root, client), relay, client.name)


def message(service: Service, tag: str, destination: str, **extra: str) -> etree._Element:
    """A SAML protocol message ``tag`` from this provider to ``destination`` (ID, time, Issuer)."""
    root = etree.Element(_P + tag, nsmap={"samlp": SAMLP_NS, "saml": SAML_NS})
    attributes = {
        "ID": "_" + secrets.token_hex(20),
        "Version": "2.0",
        "IssueInstant": saml_instant(dt.datetime.now(dt.UTC)),
        "Destination": destination,
        **extra,
    }
    for name, value in attributes.items():
        root.set(name, value)
    etree.SubElement(root, _A + "Issuer").text = service.config.issuer
    return root


async def _single_logout(service: Service, portal_id: str) -> tuple[Client, LogoutEndpoint] | None:
    """The SAML portal ``portal_id`` and its single logout endpoint (None: it has none)."""
    try:
        client = await service.clients.get(portal_id)
    except PortalUnknown:
        return None
    endpoint = client.logout_endpoint
    return (client, endpoint) if client.portal.kind == "saml" and endpoint is not None else None


async def logout_chain(
    service: Service, session: Session, final: Outgoing, *, answered: str | None = None
) -> Outgoing:
    """Where the browser goes after ``session`` ended.

    To each SAML portal's single logout endpoint but ``answered``'s (whose own LogoutRequest
    ended it), then to ``final``.
    """
    stops = [
        {"portal": portal_id, "name": name}
        for portal_id in session.portals
        if portal_id != answered
        and (name := session.names.get(portal_id))
        and await _single_logout(service, portal_id) is not None
    ]
    if not stops:
        return final
    chain = secrets.token_urlsafe(24)
    await service.store.put(
        "slo:" + chain, {"stops": stops, "final": final.to_dict(), "sid": session.sid}, _CHAIN_TTL
    )
    return await next_stop(service, chain)


async def next_stop(service: Service, chain: str) -> Outgoing:
    """The next stop of logout ``chain``: a portal's signed LogoutRequest, or the end."""
    state = await service.store.take("slo:" + chain)
    if state is None:
        return Outgoing("/logged-out")
    while state["stops"]:
        stop: dict[str, Any] = state["stops"].pop(0)
        found = await _single_logout(service, stop["portal"])
        if found is None:
            continue  # no longer registered for it (the configuration changed meanwhile)
        client, endpoint = found
        await service.store.put("slo:" + chain, state, _CHAIN_TTL)
        root = message(service, "LogoutRequest", endpoint.location)
        value, kind = stop["name"]
        # as the assertion named the subject (SAML core 3.7.1, 8.3): SPs such as pysaml2
        # compare the whole NameID
        etree.SubElement(
            root,
            _A + "NameID",
            Format=NAMEID_FORMATS[kind],
            NameQualifier=service.provider.issuer,
            SPNameQualifier=client.id,
        ).text = value
        etree.SubElement(root, _P + "SessionIndex").text = state["sid"]
        service.audit.record("logout", portal=client.id)
        return deliver(service, client, endpoint.binding, root, relay=chain)
    return Outgoing.from_dict(state["final"])
